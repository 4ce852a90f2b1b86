"""`genlens compose`: the composite nature of a layer's maps, mixed, interpolated and ablated."""

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


def _show(o: dict) -> None:
    from genlens.report.composition import composition_reading

    for line in composition_reading(o):
        print(line)
    if o.get("report"):
        print(f"report -> {o['report']}")


@app.command("compose")
@run_options(report=("composition.json",))
@inv_opt.inverter_sampling
def compose_command(
    inversion: inv_opt.InverterSampling = None,
    world: int = typer.Option(64, "--world", help="Pairs of held-out world images: A's object on the left, B's on the right.", min=0, max=MAX_COUNT),
    modes: str = typer.Option("halves,channels,interpolate,ablate", "--modes", help="Any of halves, channels, interpolate, ablate."),
    groups: int = typer.Option(2, "--groups", help="Channel groups swapped or ablated.", min=0, max=MAX_COUNT),
    ts: str = typer.Option("0,0.25,0.5,0.75,1", "--ts", help="Interpolation steps from A (0) to B (1)."),
    ablate_concept: str = typer.Option(None, "--ablate-concept", help="CONCEPT=VALUE: also remove that mean direction's component from A's maps."),
    reader: str = options.Reader,
    run: Run = Run(),
):
    """Mix two sources' maps by halves and channel groups, interpolate and ablate them, invert, and
    read what survives of each source against the world's truth.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    from genlens.cli.outputs import claim_folder
    from genlens.device import resolve_device
    from genlens.measure.probes import ConceptProbe, probe_truth
    from genlens.measure.reader import load_reader
    from genlens.steering.composition import channel_groups
    from genlens.steering.composition_study import MODES, CompositionSettings, compose_study
    from genlens.world.edits import with_value
    from genlens.world.renderer import render
    from genlens.world.seeds import held_out

    picked = tuple(m.strip() for m in modes.split(",") if m.strip())
    if not picked or any(m not in MODES for m in picked):
        raise GenlensError(f"--modes takes a comma-separated list of {', '.join(MODES)}, got '{modes}'")
    if world < 1:
        raise GenlensError("--world must be at least 1")
    from genlens.world.edits import parse_concept_value

    ablated = parse_concept_value(ablate_concept) if ablate_concept else None
    settings = CompositionSettings(picked, groups, inv_opt.float_list(ts, "--ts"), inversion.samples)
    sampling = inversion.config(run.seed)
    claim_folder(run.report, "compose", run.overwrite)
    dev = resolve_device(run.device)
    inv = inversion.load(dev)
    size = inv.classifier.input_size
    scenes_a = with_value(held_out(world, seed=run.seed, size=size).scenes, "position", "left")
    scenes_b = with_value(held_out(world, seed=run.seed + 1, size=size).scenes, "position", "right")
    a, b = render(scenes_a, size)[0], render(scenes_b, size)[0]
    channel_groups(inv.feature_maps(a[:1]).shape[1], groups)
    if ablated is not None:
        from genlens.steering.directions import concept_direction

        settings.ablate_direction = concept_direction(inv.classifier, inv.layer, *ablated, "mean", seed=run.seed)
    result, strips = compose_study(
        inv, a, b, [probe_truth(r) for r in scenes_a.records()], [probe_truth(r) for r in scenes_b.records()],
        settings, sampling, ConceptProbe.load(), load_reader(reader, dev),
    )
    if run.report is not None:
        from genlens.report.composition import composition_report

        result["report"] = str(composition_report(result, strips, run.report))
        (Path(run.report) / "composition.json").write_text(json.dumps(result, indent=1))
    emit(result, run.as_json, _show)
