"""`genlens link`: Linking in Style, classifier features linked to a generator's latent space."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.app import app, emit
from genlens.cli.outputs import check_out

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
def fit_command(
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec (world-cnn, timm:NAME, a folder, ...)."),
    generator: str = typer.Option("renderer", "--generator", help="renderer, world-gan, a generator folder or python:module:factory."),
    layer: str = typer.Option(None, "--layer", help="Layer whose (pooled) features are linked (default: the penultimate)."),
    n: int = typer.Option(5000, "--n", help="Paired samples drawn from the generator."),
    held_out: float = typer.Option(0.2, "--held-out", help="Share of the pairs held out for R^2 and the cycle."),
    keep_all: bool = typer.Option(False, "--keep-all", help="Keep pairs the classifier labels with another class."),
    faithful: bool = typer.Option(False, "--faithful", help="The paper's settings: OLS, truncation 0.7."),
    reader: str = typer.Option("world-vit", "--reader", help="Independent reader beside the probes, or none."),
    out: Path = typer.Option(..., "--out", help="Link folder: config.json, model.safetensors, card.json."),
    overwrite: bool = options.Overwrite,
    seed: int = options.Seed,
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Fit the linear link from a classifier's features to a generator's latent on pairs drawn from
    the generator; report held-out latent R^2 and the cycle image -> features -> latent -> image read
    by the classifier, the concept probes and the reader."""
    from genlens.classifiers.loader import load_classifier
    from genlens.device import resolve_device
    from genlens.errors import GenlensError
    from genlens.features import FeatureExtractor
    from genlens.features.penultimate import penultimate_layer
    from genlens.linking.fitting import LinkSettings, link_classifier
    from genlens.linking.generator import load_generator
    from genlens.measure.probes import ConceptProbe
    from genlens.measure.reader import load_reader

    if not 0 < held_out < 1:
        raise GenlensError(f"--held-out must be between 0 and 1, got {held_out}")
    check_out(out, overwrite)
    dev = resolve_device(device)
    model = load_classifier(classifier, device=dev)
    layer = layer or penultimate_layer(model)
    FeatureExtractor(model, [layer])  # an unknown layer fails here, listing the valid ones
    gen = load_generator(generator, dev)
    world = model.config.task is not None
    settings = LinkSettings(n=n, held_out=held_out, seed=seed, faithful=faithful, keep_agreeing=not keep_all)
    link, metrics = link_classifier(
        model, gen, generator, layer, settings,
        probes=ConceptProbe.load() if world else None, reader=load_reader(reader, dev) if world else None,
    )
    card = {"kind": "link", "classifier": classifier, "layer": layer, "generator": generator, **metrics}
    link.save(out, card)
    emit({**card, "out": str(out)}, as_json, _show_fit)
