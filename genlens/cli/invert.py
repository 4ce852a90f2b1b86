"""`genlens invert`: sample images whose features at a layer match those of given images."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.options import MAX_COUNT, MAX_SCALE
from genlens.classifiers.user_models import with_weights
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.errors import GenlensError


@app.command("invert")
@run_options()
def invert_command(
    inverter: Path = typer.Option(None, "--inverter", help="An inverter folder."),
    classifier: str = typer.Option(None, "--classifier", help="With --layer: use the shipped inverter."),
    weights: Path = options.Weights,
    layer: str = typer.Option(None, "--layer"),
    pooled: bool = typer.Option(False, "--pooled", help="With --classifier/--layer: the pooled inverter.", metavar=""),
    world: int = typer.Option(None, "--world", help="Invert N fresh held-out world images.", min=0, max=MAX_COUNT),
    images: list[Path] = typer.Option(None, "--images", help="Image files or folders (a shell glob works)."),
    more_images: list[Path] = options.MoreImages,
    samples: int = typer.Option(1, "--samples", help="Samples per image.", min=0, max=MAX_COUNT),
    steps: int = options.Steps,
    sampler: str = options.Sampler,
    guidance: float = typer.Option(1.75, "--guidance", help="Classifier-free guidance scale (FeatInv: 1.75).", min=0.0, max=MAX_SCALE),
    steer: float = typer.Option(
        0.0, "--steer", help="Feature steering strength (0: off, FeatInv's sampler; 0.005 as in BENCHMARKS.md).", min=0.0, max=MAX_SCALE
    ),
    observer: str = typer.Option(
        "auto", "--observer", help="Classifier that reads sources and samples independently (auto, none or a spec)."
    ),
    out: Path = typer.Option(None, "--out", help="Folder for grids/, results.jsonl and summary.json."),
    list_: bool = typer.Option(False, "--list", help="List the shipped inverters and exit.", metavar=""),
    run: Run = Run(),
):
    """Invert features: source | samples grids, per-image results and a summary of fidelity.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    classifier = with_weights(classifier, weights) if classifier is not None else None
    from genlens.cli.outputs import claim_folder
    from genlens.generators.samplers import check_sampling
    from genlens.inversion.registry import find_inverter

    if list_:
        return _list_shipped(run.as_json)
    import json

    from genlens.device import resolve_device
    from genlens.inversion.feature_steering import FeatureSteering
    from genlens.inversion.inverter import FeatureInverter
    from genlens.inversion.protocol import SamplingConfig
    from genlens.inversion.run import invert_and_measure
    from genlens.measure.observer import load_observer

    if out is None:
        raise GenlensError("--out is required")
    if inverter is None:
        if classifier is None or layer is None:
            raise GenlensError("give --inverter DIR, or --classifier SPEC with --layer NAME")
        inverter = find_inverter(classifier, layer, pooled)
    images = options.image_list(images, more_images)
    if (world is None) == (not images):
        raise GenlensError("give exactly one of --world N and --images PATH")
    if samples < 1 or steer < 0:
        raise GenlensError("--samples must be at least 1, --steer at least 0")
    check_sampling(steps, sampler, guidance)
    dev = resolve_device(run.device)
    inv = FeatureInverter.load(inverter, device=dev).steered(FeatureSteering(strength=steer))
    if layer is not None and layer != inv.config.layer:
        raise GenlensError(f"the inverter in {inverter} was trained for layer {inv.config.layer}, not {layer}")
    claim_folder(out, "invert", run.overwrite)
    batch, records, probes, sources = _sources(world, images, run.seed, inv.classifier.input_size)
    watcher = load_observer(observer, inv.config.classifier, dev)
    summary = invert_and_measure(
        inv,
        batch,
        out,
        records,
        samples,
        SamplingConfig(steps, sampler, guidance, run.seed),
        probes=probes,
        observer=watcher,
        sources=sources,
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    emit(summary, run.as_json)


def _list_shipped(as_json: bool) -> None:
    from genlens.inversion.registry import shipped_inverters

    emit(
        {"inverters": shipped_inverters()},
        as_json,
        lambda o: [
            print(f"{e['classifier']}\t{e['layer']}\t{'pooled' if e['pooled'] else 'spatial'}\t{e['path']}")
            for e in o["inverters"]
        ],
    )


def _sources(world: int | None, images: list, seed: int, size: int):
    """(images, world records or None, probes or None, file names or None) to invert."""
    from genlens.images import image_paths, load_images
    from genlens.measure.probes import ConceptProbe
    from genlens.world.seeds import held_out

    if world is not None:
        sample = held_out(world, seed=seed, size=size)
        return sample.images, sample.records, ConceptProbe.load(), None
    files = image_paths(images)
    return load_images(files, size), None, None, [str(f) for f in files]
