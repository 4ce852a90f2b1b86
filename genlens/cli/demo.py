"""`genlens demo`: the shipped models on fresh world images, as an HTML report."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import typer

from genlens.classifiers.loader import BUILTINS, load_classifier
from genlens.classifiers.training import accuracy
from genlens.world.seeds import EVAL_SEED
from genlens.cli.options import MAX_COUNT, MAX_SEED
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.outputs import claim_folder
from genlens.report.inversion_reading import classifier_figures_caveat, mark_columns, read_back, retention_sentence
from genlens.device import resolve_device
from genlens.features import list_layers
from genlens.report.html import HtmlReport, image_grid
from genlens.world import get_task

TITLE = "genlens demo"
INVERTED, SAMPLES = 6, 3  # held-out images per inverter, samples per image
PACKAGES = ("torch", "torchvision", "timm", "accelerate", "diffusers", "transformers", "safetensors")


def installed() -> dict[str, str | None]:
    out = {}
    for name in ("genlens", *PACKAGES):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _invert_shipped(entry: dict, folder: Path, seed: int, device: str, n: int, samples: int) -> tuple[dict, dict]:
    """Invert n held-out world images with one shipped inverter into folder; its summary and its
    base's caption read-back."""
    from genlens.inversion.inverter import FeatureInverter
    from genlens.inversion.protocol import SamplingConfig
    from genlens.inversion.run import invert_and_measure
    from genlens.measure.observer import load_observer
    from genlens.measure.probes import ConceptProbe

    sample = get_task("shape").sample(n, seed=seed, split="test")
    inverter = FeatureInverter.load(entry["path"], device=device)
    summary = invert_and_measure(
        inverter,
        sample.images,
        folder,
        sample.records,
        samples=samples,
        sampling=SamplingConfig(seed=seed),
        probes=ConceptProbe.load(),
        observer=load_observer("auto", entry["classifier"], device),
    )
    return summary, _base_read_back(inverter)


def _inversion_section(report: HtmlReport, out: Path, shipped: list[dict], results: list) -> list[dict]:
    """Every shipped inverter's grids and figures (results of _invert_shipped) into the report."""
    report.heading("Feature inversion")
    if not shipped:
        report.paragraph("No inverter is shipped in this installation; train one with `genlens train inverter`.")
        return []
    summaries = []
    for entry, (summary, base_read_back) in zip(shipped, results):
        summaries.append(summary)
        report.heading(f"{entry['classifier']} {entry['layer']}{' (pooled)' if entry['pooled'] else ''}", 3)
        report.image(
            mark_columns(_rows_image(out / _inversion_name(entry)), SAMPLES + 1),
            "each row: the source (first column, marked), then samples whose features match it",
        )
        report.table(
            ["metric", "value"],
            [
                [k, summary[k]]
                for k in ("feature_cosine", "top1_agreement", "observer_agreement", "diversity", "seconds_per_image")
                if summary[k] is not None
            ],
        )
        if summary["observer"]:
            report.paragraph(
                f"observer_agreement: how often {summary['observer']}, a classifier of another architecture, "
                "labels a sample as it labels the source."
            )
        report.paragraph(classifier_figures_caveat(summary))
        if summary["concept_retention"]:
            report.table(["concept retained", "share"], [[c, v] for c, v in summary["concept_retention"].items()])
            report.paragraph(retention_sentence(summary["concept_retention"], base_read_back))
    return summaries


def _inversion_name(entry: dict) -> str:
    """The demo folder of one shipped inverter's inversions."""
    return f"{entry['classifier']}-{entry['layer']}{'-pooled' if entry['pooled'] else ''}"


def _classifier_row(spec: str, n: int, seed: int, device: str) -> dict:
    """A shipped classifier's accuracy on shape and shortcut over n test images, and its layer count."""
    classifier = load_classifier(spec, device=device)
    row = {"model": spec, "n": n}
    for task in ("shape", "shortcut"):
        row[f"accuracy_{task}"] = round(accuracy(classifier, get_task(task), n, seed=seed), 4)
    row["layers"] = len(list_layers(classifier))
    return row


def _probe_figures(n: int, seed: int) -> dict:
    from genlens.measure.probe_training import probe_accuracy
    from genlens.measure.probes import ConceptProbe

    return probe_accuracy(ConceptProbe.load(), n, seed=seed)


def _rows_image(folder: Path):
    """The per-image grids of an inversion stacked into one picture."""
    from PIL import Image

    rows = [Image.open(path) for path in sorted((folder / "grids").glob("*.png"))]
    canvas = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    y = 0
    for r in rows:
        canvas.paste(r, (0, y))
        y += r.height
    return canvas


def _base_read_back(inverter) -> dict[str, float]:
    """The inverter's base model's caption read-back per concept, from its card ({} when unknown)."""
    from genlens.shipped import base_location

    return read_back(Path(base_location(inverter.config.base)) / "card.json")


def _opening_sections(seed: int) -> tuple[HtmlReport, dict]:
    """The report with its first sections (installed packages, the world's tasks) and the versions."""
    report = HtmlReport(TITLE)
    versions = installed()
    report.heading("Installed")
    report.table(["package", "version"], [[k, v or "not installed"] for k, v in versions.items()])
    report.heading("The concept world")
    for task in ("shape", "shortcut", "depict6"):
        sample = get_task(task).sample(8, seed=seed, split="test")
        report.image(image_grid(sample.images, 8), f"{task}: " + " | ".join(sample.captions[:2]))
    return report, versions


@app.command("demo")
@run_options(seed=False)
def demo_command(
    out: Path = typer.Option(Path("genlens-demo"), "--out", help="Folder for report.html."),
    n: int = typer.Option(500, "--n", help="Fresh test images per evaluation.", min=0, max=MAX_COUNT),
    seed: int = typer.Option(EVAL_SEED, "--seed", help="Render seed of the test images.", min=0, max=MAX_SEED),
    run: Run = Run(),
):
    """Render world samples, run the shipped classifiers and probes on them, write DIR/report.html.
    An earlier demo's folder is replaced; any other non-empty folder only with --overwrite. The
    classifiers, the probes and each inverter run side by side, in one-thread processes (--threads)."""
    from genlens.inversion.registry import shipped_inverters
    from genlens.workers import started_jobs, worker_count

    claim_folder(out, "demo", run.overwrite)
    dev = str(resolve_device(run.device))
    shipped = shipped_inverters()
    jobs = [(_invert_shipped, (entry, out / _inversion_name(entry), seed, dev, INVERTED, SAMPLES)) for entry in shipped]
    jobs += [(_classifier_row, (spec, n, seed, dev)) for spec in BUILTINS] + [(_probe_figures, (n, seed))]
    with started_jobs(jobs, worker_count(len(jobs), dev)) as collect:
        report, versions = _opening_sections(seed)  # while the jobs run
        done = collect()
    inverted, results, probes = done[: len(shipped)], done[len(shipped) : -1], done[-1]

    report.heading("Shipped classifiers")
    report.table(
        ["model", "accuracy on shape", "accuracy on shortcut", "layers"],
        [[r["model"], r["accuracy_shape"], r["accuracy_shortcut"], r["layers"]] for r in results],
    )
    report.paragraph(
        "A model that relies on the background pattern scores well on shortcut, where pattern and "
        "shape agree 95% of the time, and drops on shape, where they are independent."
    )

    report.heading("Concept probes")
    report.table(["concept", "accuracy"], [[c, v] for c, v in probes.items()])
    inversions = _inversion_section(report, out, shipped, inverted)
    path = report.write(out / "report.html")
    emit(
        {"report": str(path), "installed": versions, "classifiers": results, "probes": probes, "results": inversions},
        run.as_json,
        lambda o: print(f"report: {o['report']}"),
    )
