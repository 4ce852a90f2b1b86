"""`genlens eval inversion`: FeatInv and the baselines on the same images, with reference and chance."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.world.seeds import held_out
from genlens.cli import options
from genlens.cli.options import MAX_COUNT
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import emit
from genlens.cli.evaluate import eval_app
from genlens.cli.outputs import claim_folder
from genlens.errors import GenlensError


@eval_app.command("inversion")
@run_options(report=())
def eval_inversion(
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec."),
    weights: Path = options.Weights,
    layer: str = typer.Option(..., "--layer", help="Layer name (see `genlens layers SPEC`)."),
    methods: str = typer.Option(
        "auto",
        "--methods",
        help="Comma-separated inversion methods, or auto: every method shipped for this classifier and layer.",
    ),
    n: int = typer.Option(256, "--n", help="Held-out world images (ignored with --images).", min=0, max=MAX_COUNT),
    images: list[Path] = typer.Option(None, "--images", help="Image files or folders instead of world renders."),
    samples: int = typer.Option(1, "--samples", help="Samples per image.", min=0, max=MAX_COUNT),
    steps: int = options.Steps,
    sampler: str = options.Sampler,
    observer: str = typer.Option(
        "auto", "--observer", help="Classifier that reads sources and samples independently (auto, none or a spec)."
    ),
    run: Run = Run(),
):
    """Measure every inversion method on the same held-out images; optionally an HTML report.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    from genlens.features import FeatureExtractor
    from genlens.generators.samplers import check_sampling
    from genlens.images import load_images
    from genlens.inversion.comparison import compare, reading
    from genlens.inversion.methods import load_method, shipped_methods
    from genlens.inversion.protocol import SamplingConfig
    from genlens.measure.observer import load_observer
    from genlens.measure.probes import ConceptProbe

    names = [m.strip() for m in methods.split(",") if m.strip()]
    if names == ["auto"]:
        names = shipped_methods(classifier, layer)
    if not names or n < 2 or samples < 1:
        raise GenlensError("--methods must name at least one method; --n at least 2; --samples at least 1")
    check_sampling(steps, sampler, 1.0)
    claim_folder(run.report, "eval inversion", run.overwrite)
    classifier, model, dev = options.load_model(classifier, weights, run.device)
    FeatureExtractor(model, [layer])  # an unknown layer fails here, before anything loads
    loaded = {name: load_method(name, model, layer, dev) for name in names}
    watcher = load_observer(observer, classifier, dev)
    size = model.input_size
    records, probes = None, None
    if images:
        sources = load_images(images, size)
        if len(sources) < 2:
            raise GenlensError("--images must hold at least two images (chance pairs each with another)")
        unrelated = sources.roll(1, 0)
    else:
        sample = held_out(n, seed=run.seed, size=size)
        sources, records, probes = sample.images, sample.records, ConceptProbe.load()
        unrelated = held_out(n, seed=run.seed + 1, size=size).images
    metrics, outcomes = compare(
        model,
        layer,
        loaded,
        sources,
        unrelated,
        samples,
        SamplingConfig(steps=steps, sampler=sampler, seed=run.seed),
        records,
        probes,
        observer=watcher,
    )
    result = {
        "classifier": classifier,
        "layer": layer,
        "n": len(sources),
        "samples": samples,
        "steps": steps,
        "sampler": sampler,
        "observer": getattr(watcher, "spec", None),
        "methods": metrics,
        "reading": reading(metrics),
    }
    if run.report is not None:
        from genlens.report.comparison import comparison_report

        result["report"] = str(comparison_report(result, sources, outcomes, run.report))
    emit(result, run.as_json, lambda o: _print_table(o))


def _print_table(result: dict) -> None:
    keys = (
        "feature_cosine",
        "feature_cosine_median_location",
        "top1_agreement",
        "top5_agreement",
        "observer_agreement",
        "ssim",
        "psnr",
        "frechet_distance",
        "frechet_distance_observer",
        "diversity",
        "seconds_per_image",
    )
    print("method".ljust(16) + "".join(k[:14].rjust(16) for k in keys))
    for name, m in result["methods"].items():
        print(name.ljust(16) + "".join(f"{m[k] if m[k] is not None else '-':>16}" for k in keys))
    for line in result["reading"]:
        print(line)
