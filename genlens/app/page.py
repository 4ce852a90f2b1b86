"""The explorer's page: one tab per method, each calling a view and offering its report."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from genlens.app import views
from genlens.app.session import Session
from genlens.errors import GenlensError

SOURCES = ["world render", "upload", "file"]


def _shipped_classifiers() -> list[str]:
    from genlens.shipped import shipped_classifiers

    return shipped_classifiers()


def _shown_errors(fn):
    """A view's GenlensError (and any other failure) as a message on the page, never a traceback."""
    import gradio as gr

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except GenlensError as e:
            raise gr.Error(str(e)) from None
        except Exception as e:  # a bug: say what, without the traceback
            raise gr.Error(f"internal error: {type(e).__name__}: {e}") from None

    return run


@dataclass
class Inputs:
    """The page's shared inputs: the classifier, its layer and the image source, as Gradio components."""

    spec: object
    layer: object
    source: object
    seed: object
    upload: object
    name: object

    @property
    def image(self) -> list:
        """The components that choose the source image, in views.source_image's order."""
        return [self.spec, self.source, self.seed, self.upload, self.name]


def _image_of(session: Session, spec_, source_, seed_, upload_, name_):
    return views.source_image(session, spec_, source_, seed_ or 0, upload_, name_)[0]


def _inputs(gr, session: Session) -> Inputs:
    with gr.Row():
        spec = gr.Dropdown(_shipped_classifiers(), value="world-cnn", label="classifier", allow_custom_value=True, elem_id="classifier")
        layer = gr.Dropdown(["layer2", "layer3"], value="layer2", label="layer", allow_custom_value=True, elem_id="layer")
    with gr.Row():
        source = gr.Radio(SOURCES, value="world render", label="image", elem_id="source")
        seed = gr.Number(3, label="world render seed", precision=0, minimum=0, elem_id="seed")
        upload = gr.Image(type="filepath", label="upload", sources=["upload"], height=160, elem_id="upload")
        name = gr.Dropdown(session.folders.images(), label="file under the named folders", allow_custom_value=True, elem_id="file")

    @_shown_errors
    def layers_of(spec_):
        from genlens.audit.run import default_layers

        choices = default_layers(session.classifier(spec_))
        return gr.update(choices=choices, value=choices[0])

    spec.change(layers_of, [spec], [layer])
    return Inputs(spec, layer, source, seed, upload, name)


def _invert_tab(gr, session: Session, inputs: Inputs) -> None:
    with gr.Tab("Invert", elem_id="tab-invert"):
        samples = gr.Slider(1, 8, value=3, step=1, label="samples", elem_id="samples")
        button = gr.Button("Invert", variant="primary", elem_id="invert")
        gallery = gr.Gallery(label="source, then its inversions", columns=9, height=230, elem_id="gallery")
        table = gr.Dataframe(headers=views.READING_HEADERS, label="what the probes and the classifier read", interactive=False)
        report = gr.File(label="report", elem_id="invert-report")

        @_shown_errors
        def run(layer_, spec_, source_, seed_, upload_, name_, samples_, progress=gr.Progress()):
            progress(0.1, desc="loading the classifier and its inverter")
            image = _image_of(session, spec_, source_, seed_, upload_, name_)
            progress(0.3, desc="inverting")
            return views.invert(session, spec_, layer_, image, int(samples_), int(seed_ or 0))

        button.click(run, [inputs.layer, *inputs.image, samples], [gallery, table, report])


def _steer_tab(gr, session: Session, inputs: Inputs) -> None:
    with gr.Tab("Steer", elem_id="tab-steer"):
        concept = gr.Textbox("color=blue", label="concept = value", elem_id="concept")
        alpha = gr.Slider(-4, 4, value=0, step=0.5, label="alpha (release to invert)", elem_id="alpha")
        steered = gr.Image(label="the source, then the inversion of its steered map", height=210, elem_id="steered")
        table = gr.Dataframe(headers=views.READING_HEADERS, label="what the probes and the classifier read", interactive=False)
        report = gr.File(label="report", elem_id="steer-report")

        @_shown_errors
        def run(layer_, spec_, source_, seed_, upload_, name_, concept_, alpha_, progress=gr.Progress()):
            progress(0.1, desc="learning the concept's direction (first time) and inverting")
            image = _image_of(session, spec_, source_, seed_, upload_, name_)
            return views.steer(session, spec_, layer_, image, concept_, float(alpha_), int(seed_ or 0))

        alpha.release(run, [inputs.layer, *inputs.image, concept, alpha], [steered, table, report])


def _units_tab(gr, session: Session, inputs: Inputs) -> None:
    with gr.Tab("Units", elem_id="tab-units"):
        unit = gr.Number(0, label="unit of the penultimate layer", precision=0, minimum=0, elem_id="unit")
        button = gr.Button("Sweep (the first call fits the link, about a minute)", elem_id="sweep")
        strip = gr.Image(label="rows: sources; columns: the sweep", elem_id="strip")
        label = gr.Textbox(label="label", elem_id="unit-label")
        report = gr.File(label="report")

        @_shown_errors
        def run(spec_, unit_, progress=gr.Progress()):
            progress(0.1, desc="fitting the link to the renderer (first time) and sweeping")
            return views.sweep_unit(session, spec_, int(unit_ or 0))

        button.click(run, [inputs.spec, unit], [strip, label, report])


def _depict_tab(gr, session: Session, inputs: Inputs) -> None:
    with gr.Tab("DEPICT", elem_id="tab-depict"):
        with gr.Row():
            task = gr.Radio(["shape", "shortcut"], value="shortcut", label="world task")
            generator = gr.Radio(["renderer", "world"], value="renderer", label="generator")
            rows = gr.Number(150, label="rows", precision=0, minimum=2)
        button = gr.Button("Rank concepts", elem_id="depict")
        chart = gr.HTML(elem_id="depict-chart")
        ranking = gr.Dataframe(headers=["concept", "drop", "95% low", "95% high"], label="ranking", interactive=False)
        report = gr.File(label="report")

        @_shown_errors
        def run(spec_, task_, generator_, rows_, progress=gr.Progress()):
            progress(0.1, desc="permuting and generating")
            table, svg, report_ = views.depict_ranking(session, spec_, task_, int(rows_ or 0), 2, generator_)
            return svg, table, report_

        button.click(run, [inputs.spec, task, generator, rows], [chart, ranking, report])


def _audit_tab(gr, session: Session, inputs: Inputs) -> None:
    with gr.Tab("Audit", elem_id="tab-audit"):
        with gr.Row():
            task = gr.Radio(["shape", "shortcut"], value="shortcut", label="world task")
            quick = gr.Checkbox(True, label="quick (under 10 minutes on a 2-core CPU)")
        button = gr.Button("Audit every method", elem_id="audit")
        truth = gr.Textbox(label="ground truth")
        verdicts = gr.Dataframe(headers=["method", "answer", "agrees", "reading"], label="verdicts", wrap=True, interactive=False, elem_id="verdicts")
        report = gr.File(label="report (open it in the browser)")

        @_shown_errors
        def run(spec_, task_, quick_, progress=gr.Progress()):
            progress(0.05, desc="auditing: DEPICT, inversions, Linking in Style")
            table, line, report_ = views.run_audit(session, spec_, task_, bool(quick_))
            return line, table, report_

        button.click(run, [inputs.spec, task, quick], [truth, verdicts, report])


#: The page's tabs, in order.
TABS = (_invert_tab, _steer_tab, _units_tab, _depict_tab, _audit_tab)


def build_page(session: Session):
    """The gr.Blocks of the explorer for one session: the shared inputs, then one tab per method."""
    import gradio as gr

    with gr.Blocks(title="genlens explorer") as page:
        gr.Markdown("# genlens explorer\nWhat a classifier's features encode, seen through generated images.")
        inputs = _inputs(gr, session)
        for tab in TABS:
            tab(gr, session, inputs)
    return page
