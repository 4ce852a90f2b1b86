"""`genlens audit`: every method on one world classifier, each answer beside the ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.options import MAX_COUNT
from genlens.cli.outputs import claim_folder


def _show(o: dict) -> None:
    print(o["truth"]["line"])
    for method, verdict in o["verdicts"].items():
        print(f"  {method:10} {'agrees   ' if verdict['agrees'] else 'DISAGREES'} {verdict['line']}")
    print(f"{o['seconds']['total']:g} s; report -> {o['report']}")


@app.command("audit")
@run_options()
def audit_command(
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec of a model of world images."),
    weights: Path = options.Weights,
    task: str = typer.Option(None, "--task", help="World task: shape or shortcut (default: the classifier's own)."),
    layers: str = typer.Option(None, "--layers", help="Comma list of layers to invert (default: shipped inverters' layers, else the last two maps)."),
    quick: bool = typer.Option(False, "--quick", help="Size every part to finish in under 10 minutes on a 2-core CPU.", metavar=""),
    generator: str = typer.Option("world", "--generator", help="DEPICT's generator: world (shipped base), renderer, a folder or hub id."),
    inversion: str = typer.Option("auto", "--inversion", help="auto (FeatInv where shipped, else optimization), featinv, optimization or decoder."),
    samples: int = typer.Option(None, "--samples", help="Inversions per source (default 2, 1 with --quick).", min=1, max=MAX_COUNT),
    reader: str = options.Reader,
    report: Path = typer.Option(..., "--report", help="Folder for report.html and audit.json."),
    run: Run = Run(),
):
    """Apply DEPICT, FeatInv and Linking in Style to one classifier and set each answer beside the
    world's ground truth (the label's concept, the shortcut, what the model relies on) with a verdict.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    from genlens.audit import AuditSettings, audit
    from genlens.audit.truth import task_truth
    from genlens.errors import GenlensError
    from genlens.features import FeatureExtractor
    from genlens.inversion.methods import METHODS
    from genlens.measure.reader import load_reader

    if inversion != "auto" and inversion not in METHODS:
        raise GenlensError(f"unknown --inversion '{inversion}', expected auto or one of {', '.join(METHODS)}")
    picked = [part.strip() for part in layers.split(",") if part.strip()] if layers is not None else None
    if picked is not None and not picked:
        raise GenlensError("--layers needs at least one layer name")
    classifier, model, dev = options.load_model(classifier, weights, run.device)
    task = task or model.config.task
    if task is None:
        raise GenlensError(f"{classifier} was not trained on a world task; give --task shape or --task shortcut")
    task_truth(task)
    if picked:
        FeatureExtractor(model, picked)  # an unknown layer fails here, listing the valid ones
    claim_folder(report, "audit", run.overwrite)
    settings = AuditSettings.quick() if quick else AuditSettings()
    overrides = {"generator": generator, "inversion_method": inversion, "seed": run.seed}
    if samples is not None:
        overrides["inversion_samples"] = samples
    from dataclasses import replace

    settings = replace(settings, **overrides)
    result, figures = audit(model, task, picked, settings, dev, load_reader(reader, dev))
    result["classifier"] = classifier
    from genlens.report.audit import audit_report

    result["report"] = str(audit_report(result, figures, report))
    emit(result, run.as_json, _show)
