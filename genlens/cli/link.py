"""`genlens link`: Linking in Style, classifier features linked to a generator's latent space."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.options import MAX_COUNT, MAX_SCALE
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.outputs import claim_folder, mark_run

link_app = typer.Typer(no_args_is_help=True, help="Link a classifier's features to a generator's latent, sweep units, find counterfactuals.")
app.add_typer(link_app, name="link")


def _show_fit(o: dict) -> None:
    world = o.get("cycle_world")
    print(
        f"linked {o['classifier']} {o['layer']} -> {o['generator']} on {o['pairs']} pairs (alpha {o['alpha']:g}): "
        f"held-out latent R^2 {o['latent_r2']}, cycle top-1 {o['cycle_generator']['top1']} on generator images"
        + (f", {world['top1']} on real renders" if world else "")
        + f" -> {o['out']}"
    )


@link_app.command("fit")
@run_options()
def fit_command(
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec (world-cnn, timm:NAME, a folder, ...)."),
    weights: Path = options.Weights,
    generator: str = typer.Option("renderer", "--generator", help="renderer, world-gan, a generator folder, stylegan2:DIR, biggan:DIR or python:module:factory."),
    layer: str = typer.Option(None, "--layer", help="Layer whose (pooled) features are linked (default: the penultimate)."),
    n: int = typer.Option(5000, "--n", help="Paired samples drawn from the generator.", min=0, max=MAX_COUNT),
    held_out: float = typer.Option(0.2, "--held-out", help="Share of the pairs held out for R^2 and the cycle.", min=0.0, max=MAX_SCALE),
    keep_all: bool = typer.Option(False, "--keep-all", help="Keep pairs the classifier labels with another class.", metavar=""),
    faithful: bool = typer.Option(False, "--faithful", help="The paper's settings: OLS, truncation 0.7.", metavar=""),
    reader: str = options.Reader,
    out: Path = typer.Option(..., "--out", help="Link folder: config.json, model.safetensors, card.json."),
    run: Run = Run(),
):
    """Fit the linear link from a classifier's features to a generator's latent on pairs drawn from
    the generator; report held-out latent R^2 and the cycle image -> features -> latent -> image read
    by the classifier, the concept probes and the reader."""
    from genlens.errors import GenlensError
    from genlens.features import FeatureExtractor
    from genlens.features.penultimate import penultimate_layer
    from genlens.linking.fitting import LinkSettings, link_classifier
    from genlens.linking.generator import load_generator
    from genlens.measure.probes import ConceptProbe
    from genlens.measure.reader import load_reader

    if not 0 < held_out < 1:
        raise GenlensError(f"--held-out must be between 0 and 1, got {held_out}")
    claim_folder(out, "link fit", run.overwrite, clear=False, model=True)
    classifier, model, dev = options.load_model(classifier, weights, run.device)
    layer = layer or penultimate_layer(model)
    FeatureExtractor(model, [layer])  # an unknown layer fails here, listing the valid ones
    gen = load_generator(generator, dev)
    world = model.config.task is not None
    settings = LinkSettings(n=n, held_out=held_out, seed=run.seed, faithful=faithful, keep_agreeing=not keep_all)
    link, metrics = link_classifier(
        model, gen, generator, layer, settings,
        probes=ConceptProbe.load() if world else None, reader=load_reader(reader, dev) if world else None,
    )
    card = {"kind": "link", "classifier": classifier, "layer": layer, "generator": generator, **metrics}
    link.save(out, card)
    mark_run(out, "link fit")
    emit({**card, "out": str(out)}, run.as_json, _show_fit)


def parse_units(units: str, dim: int) -> list[int]:
    """'all' or a comma list of unit indices (ranges as a-b), each checked against the link's width."""
    from genlens.errors import GenlensError

    if units == "all":
        return list(range(dim))
    picked = []
    try:
        for part in units.split(","):
            lo, _, hi = part.strip().partition("-")
            picked.extend(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise GenlensError(f"--units takes all or indices like 0,3,10-20, got '{units}'") from None
    bad = [u for u in picked if not 0 <= u < dim]
    if bad or not picked:
        raise GenlensError(f"unit {bad[0] if bad else units} is out of range: the link has units 0 to {dim - 1}")
    return sorted(set(picked))


def parse_range(text: str) -> tuple[float, float]:
    from genlens.errors import GenlensError

    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise GenlensError(f"--range takes two percentiles like 5,95, got '{text}'") from None
    return low, high


def _show_units(o: dict) -> None:
    for mode, outcome in o["modes"].items():
        c = outcome["counts"]
        chosen = ", ".join(f"{k} {v}" for k, v in c["selective"].items() if v)
        print(f"{mode}: selective {chosen or 'none'}; superposed {c['superposed']}; silent {c['silent']}")
    if o.get("report"):
        print(f"report -> {o['report']}")


@link_app.command("units")
@run_options(report=("units.json",))
def units_command(
    link: Path = typer.Option(..., "--link", help="A link folder from `genlens link fit`."),
    units: str = typer.Option("all", "--units", help="all, or indices like 0,3,10-20."),
    steps: int = typer.Option(7, "--steps", help="Points along each sweep.", min=0, max=MAX_COUNT),
    sweep_range: str = typer.Option("5,95", "--range", help="Percentiles of the population the sweep spans."),
    mode: str = typer.Option("both", "--mode", help="replace, conditional or both."),
    sources: int = typer.Option(50, "--sources", help="Sources each unit is swept on.", min=0, max=MAX_COUNT),
    population: int = typer.Option(1000, "--population", help="Generator samples the ranges and correlations come from.", min=0, max=MAX_COUNT),
    null: int = typer.Option(32, "--null", help="Random directions of matched norm (the null).", min=0, max=MAX_COUNT),
    faithful: bool = typer.Option(False, "--faithful", help="The paper's sweep: min-max range, 3 steps, replace.", metavar=""),
    run: Run = Run(),
):
    """Sweep units of the linked features, render each sweep, and label every unit selective,
    superposed or silent from what the probes, the morphology and the classifier see change.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    from genlens.errors import GenlensError
    from genlens.linking.generator import load_generator
    from genlens.linking.link_map import LinkMap
    from genlens.linking.pairs import paired_data
    from genlens.linking.sweeps import MODES, SweepSettings
    from genlens.linking.units import sweep_units
    from genlens.measure.probes import ConceptProbe

    claim_folder(run.report, "link units", run.overwrite)
    linked = LinkMap.load(link)
    picked = parse_units(units, linked.config.feature_dim)
    low, high = parse_range(sweep_range)
    modes = MODES if mode == "both" else (mode,)
    if sources < 2 or population < sources or null < 1:
        raise GenlensError("--sources must be at least 2, --population at least --sources, --null at least 1")
    settings = SweepSettings(steps=steps, low=low, high=high, modes=modes, null=null, sources=sources, seed=run.seed, faithful=faithful)
    _, model, dev = options.load_model(linked.config.classifier, None, run.device)
    if list(model.class_names) != linked.config.class_names:
        raise GenlensError(f"{link} was fitted for another classifier than {linked.config.classifier} loads now")
    gen = load_generator(linked.config.generator, dev)
    import time

    t0 = time.perf_counter()
    pairs = paired_data(model, gen, linked.config.layer, population, seed=run.seed + 1_000)
    results, strips = sweep_units(
        linked, gen, model, pairs.features, pairs.features[:sources], picked, settings,
        probes=ConceptProbe.load() if model.config.task is not None else None,
    )
    out = {
        "classifier": linked.config.classifier, "layer": linked.config.layer, "generator": linked.config.generator,
        "units": picked, "settings": {k: getattr(settings, k) for k in ("steps", "low", "high", "null", "sources", "faithful")},
        "modes": results,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if run.report is not None:
        from genlens.report.linking import units_report

        out["report"] = str(units_report(out, strips, run.report))
        (Path(run.report) / "units.json").write_text(json.dumps(out, indent=1))
    emit(out, run.as_json, _show_units)


def _show_counterfactual(o: dict) -> None:
    line = (
        f"{o['n']} sources -> {o['target_name']}: crossed {o['crossed']}, regenerated as the target {o['success']}, "
        f"mean L1 shift {o['mean_l1']}; top units " + ", ".join(str(u["unit"]) for u in o["units"])
    )
    print(line)
    if "changed" in o:
        print("probes see change: " + ", ".join(f"{k} {v}" for k, v in o["changed"].items()))
    if o.get("report"):
        print(f"report -> {o['report']}")


@link_app.command("counterfactual")
@run_options(report=("counterfactual.json",))
def counterfactual_command(
    link: Path = typer.Option(..., "--link", help="A link folder from `genlens link fit`."),
    target: str = typer.Option(..., "--target", help="The class the counterfactual must reach."),
    world: int = typer.Option(None, "--world", help="Draw N held-out world renders as sources.", min=0, max=MAX_COUNT),
    source: str = typer.Option(None, "--source", help="With --world: only renders of this class."),
    image: list[Path] = typer.Option(None, "--image", help="An image file as a source (repeatable)."),
    steps: int = typer.Option(500, "--steps", help="Most optimisation steps.", min=0, max=MAX_COUNT),
    l1: float = typer.Option(0.0, "--l1", help="Sparsity: soft threshold per step as a share of the largest gradient.", min=0.0, max=MAX_SCALE),
    faithful: bool = typer.Option(False, "--faithful", help="The paper's optimisation.", metavar=""),
    run: Run = Run(),
):
    """Shift each source's linked features until the classifier's head prefers TARGET, render the path
    with the generator, and report success, the units that carry the shift and what changes.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    import torch

    from genlens.world.seeds import held_out
    from genlens.errors import GenlensError
    from genlens.features import FeatureExtractor
    from genlens.linking.counterfactual import CounterfactualSettings, counterfactuals
    from genlens.linking.generator import load_generator
    from genlens.linking.link_map import LinkMap
    from genlens.linking.pairs import layer_features, paired_data
    from genlens.measure.probes import ConceptProbe

    claim_folder(run.report, "link counterfactual", run.overwrite)
    linked = LinkMap.load(link)
    names = linked.config.class_names
    if target not in names:
        raise GenlensError(f"unknown target class '{target}', expected one of {', '.join(names)}")
    if (world is None) == (not image):
        raise GenlensError("give sources with --world N or --image PATH, not both")
    _, model, dev = options.load_model(linked.config.classifier, None, run.device)
    if world is not None:

        if model.config.task is None:
            raise GenlensError(f"{linked.config.classifier} is not a world classifier; give --image files")
        if source is not None and source not in names:
            raise GenlensError(f"unknown source class '{source}', expected one of {', '.join(names)}")
        sample = held_out(max(world * 8, 64) if source else world, model.config.task, run.seed)
        keep = torch.ones(len(sample), dtype=torch.bool) if source is None else sample.labels == names.index(source)
        images = sample.images[keep][:world]
    else:
        from genlens.images import load_images

        images = load_images(image, model.input_size)
    extractor = FeatureExtractor(model, [linked.config.layer])
    features = layer_features(extractor, linked.config.layer, images)
    if features.shape[1] != linked.config.feature_dim:
        raise GenlensError(f"{link} links {linked.config.feature_dim} features, the layer gives {features.shape[1]}")
    probe_map = extractor(images[:1])[linked.config.layer]
    if probe_map.dim() != 2:
        raise GenlensError(f"counterfactuals need a vector layer (the head's input); {linked.config.layer} is a map")
    settings = CounterfactualSettings(steps=steps, l1=l1, seed=run.seed, faithful=faithful)
    head = lambda f: extractor.logits_from(linked.config.layer, f)  # noqa: E731
    gen = load_generator(linked.config.generator, dev)
    probes = ConceptProbe.load() if model.config.task is not None else None
    population = paired_data(model, gen, linked.config.layer, 1000, seed=run.seed + 2_000).features
    result, path = counterfactuals(
        linked, gen, model, head, features, names.index(target), settings, probes, population=population
    )
    result["target_name"] = target
    result["source_class"] = source
    result["faithful"] = faithful
    if run.report is not None:
        from genlens.report.html import HtmlReport, image_grid

        page = HtmlReport(f"Counterfactuals of {linked.config.classifier} towards {target}")
        page.paragraph(
            f"{result['n']} sources; the head prefers {target} for {result['crossed']} of them and the generator's "
            f"image of the counterfactual is classified as {target} for {result['success']}."
        )
        page.image(image_grid(path[:16].flatten(0, 1), path.shape[1], scale=3), "rows: sources; columns: the path from the source's features to the counterfactual")
        result["report"] = str(page.write(Path(run.report) / "report.html"))
        (Path(run.report) / "counterfactual.json").write_text(json.dumps(result, indent=1))
    emit(result, run.as_json, _show_counterfactual)
