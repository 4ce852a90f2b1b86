"""`genlens steer`: concept steering in input space, f' = f + alpha * v, inverted and read."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from genlens.cli import inverter_options as inv_opt
from genlens.cli import options
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.options import MAX_COUNT
from genlens.errors import GenlensError
from genlens.steering.regions import REGION_HELP


def _show(o: dict) -> None:
    from genlens.report.steering import steering_reading

    print(steering_reading(o))
    if o.get("report"):
        print(f"report -> {o['report']}")


@app.command("steer")
@run_options(report=("steering.json",))
@inv_opt.inverter_sampling
def steer_command(
    inversion: inv_opt.InverterSampling = None,
    concept: str = typer.Option(None, "--concept", help="CONCEPT=VALUE to steer towards, e.g. color=blue (optional with pca:K)."),
    source_value: str = typer.Option(None, "--from", help="The value steered away from (world sources are set to it); default: every other value."),
    direction: str = typer.Option("mean", "--direction", help="mean, cav, class (the classifier's head) or pca:K."),
    alphas: str = typer.Option("0,1,2,3,4", "--alphas", help="Steps along the direction (1: the typical distance between the two values)."),
    region: str = typer.Option("all", "--region", help=REGION_HELP + "."),
    world: int = typer.Option(None, "--world", help="Steer N fresh held-out world images.", min=0, max=MAX_COUNT),
    images: list[Path] = typer.Option(None, "--images", help="Image files or folders (a shell glob works)."),
    more_images: list[Path] = options.MoreImages,
    direction_n: int = typer.Option(256, "--direction-n", help="World renders the direction is learnt from.", min=0, max=MAX_COUNT),
    control: bool = typer.Option(True, "--control/--no-control", help="Also sweep a random direction of the same norm.", metavar=""),
    reader: str = options.Reader,
    run: Run = Run(),
):
    """Steer a layer's maps along a concept direction, invert each step and read what changes.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    from genlens.cli.outputs import claim_folder
    from genlens.device import resolve_device
    from genlens.steering.directions import parse_kind
    from genlens.steering.study import SteeringSettings, steer_study
    from genlens.world.edits import check_value, parse_concept_value

    name, value = parse_concept_value(concept) if concept else (None, None)
    if name is None and not direction.startswith("pca:"):
        raise GenlensError(f"--direction {direction} needs --concept CONCEPT=VALUE")
    if source_value is not None:
        if name is None:
            raise GenlensError("--from needs --concept CONCEPT=VALUE")
        check_value(name, source_value)
    parse_kind(direction)
    settings = SteeringSettings(
        name, value, direction, source_value, inv_opt.float_list(alphas, "--alphas"), region, inversion.samples, control, direction_n, run.seed
    )
    settings.checked_alphas()
    if direction_n < 2:
        raise GenlensError("--direction-n must be at least 2")
    sampling = inversion.config(run.seed)
    claim_folder(run.report, "steer", run.overwrite)
    dev = resolve_device(run.device)
    inv = inversion.load(dev)
    batch, masks, probes = inv_opt.sources(
        world, options.image_list(images, more_images), run.seed, inv.classifier.input_size, name, source_value,
        world_model=inv.classifier.config.task is not None,
    )
    from genlens.measure.reader import load_reader

    result, strips = steer_study(inv, batch, settings, sampling, probes, load_reader(reader, dev), masks)
    if run.report is not None:
        from genlens.report.steering import steering_report

        result["report"] = str(steering_report(result, batch, strips, run.report))
        (Path(run.report) / "steering.json").write_text(json.dumps(result, indent=1))
    emit(result, run.as_json, _show)
