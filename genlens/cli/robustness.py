"""`genlens robustness`: invert the features of corrupted, out-of-distribution and adversarial inputs."""

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
    from genlens.report.robustness import robustness_reading

    for line in robustness_reading(o):
        print(line)
    if o.get("report"):
        print(f"report -> {o['report']}")


def _names(text: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    picked = tuple(p.strip() for p in text.split(",") if p.strip() and p.strip() != "none")
    bad = [p for p in picked if p not in allowed]
    if bad:
        raise GenlensError(f"{option}: unknown '{bad[0]}'; one of {', '.join(allowed)} or none")
    return picked


@app.command("robustness")
@run_options(report=("robustness.json",))
@inv_opt.inverter_sampling
def robustness_command(
    inversion: inv_opt.InverterSampling = None,
    world: int = typer.Option(64, "--world", help="Held-out world images every condition is made from.", min=0, max=MAX_COUNT),
    corruptions: str = typer.Option("noise,blur,contrast,jpeg", "--corruptions", help="Any of noise, blur, contrast, jpeg, or none."),
    severities: str = typer.Option("1,2,3,4,5", "--severities", help="Corruption severities (1-5, CIFAR-10-C's parameters)."),
    ood: str = typer.Option("object-color,background-color,two-objects", "--ood", help="Out-of-distribution kinds, or none."),
    budgets: str = typer.Option("1,2,4,8,16", "--budgets", help="PGD L-inf budgets in 1/255 (empty: no adversarial inputs)."),
    pgd_steps: int = typer.Option(10, "--pgd-steps", help="PGD steps of budget / 4.", min=0, max=MAX_COUNT),
    reader: str = options.Reader,
    run: Run = Run(),
):
    """Invert the features of corrupted, out-of-distribution and adversarial world images and read,
    per severity and budget, the classifier's accuracy and whether the inversions show the true
    label or the classifier's.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    from genlens.cli.outputs import claim_folder
    from genlens.device import resolve_device
    from genlens.measure.probes import ConceptProbe
    from genlens.measure.reader import load_reader
    from genlens.report.robustness import adversarial_verdict, falling_tolerance
    from genlens.steering.corruptions import OOD_KINDS, SEVERITIES
    from genlens.steering.robustness import RobustnessSettings, is_falling, robustness_study
    from genlens.world.seeds import held_out

    levels = tuple(int(v) for v in inv_opt.float_list(severities, "--severities"))
    if any(not 1 <= v <= 5 for v in levels):
        raise GenlensError("--severities run from 1 to 5")
    budget_list = tuple(inv_opt.float_list(budgets, "--budgets")) if budgets.strip() else ()
    if any(b < 0 for b in budget_list):
        raise GenlensError("--budgets must be at least 0")
    if world < 1 or pgd_steps < 1:
        raise GenlensError("--world and --pgd-steps must be at least 1")
    settings = RobustnessSettings(_names(corruptions, tuple(SEVERITIES), "--corruptions"), levels,
                                  _names(ood, OOD_KINDS, "--ood"), budget_list, pgd_steps, inversion.samples, run.seed)
    sampling = inversion.config(run.seed)
    claim_folder(run.report, "robustness", run.overwrite)
    dev = resolve_device(run.device)
    inv = inversion.load(dev)
    task = inv.classifier.config.task or "shape"
    sample = held_out(world, task=task, seed=run.seed, size=inv.classifier.input_size)
    result, strips = robustness_study(inv, sample.images, sample.labels, sample.records, settings, sampling,
                                      ConceptProbe.load(), load_reader(reader, dev))
    tolerance = falling_tolerance(world)
    result["falling"] = {k: is_falling([r["accuracy"] for r in rows], tolerance) for k, rows in result["corruptions"].items()}
    result["falling_tolerance"] = tolerance
    result["adversarial_verdict"] = adversarial_verdict(result)
    if run.report is not None:
        from genlens.report.robustness import robustness_report

        result["report"] = str(robustness_report(result, strips, run.report))
        (Path(run.report) / "robustness.json").write_text(json.dumps(result, indent=1))
    emit(result, run.as_json, _show)
