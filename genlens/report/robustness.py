"""The robustness report: accuracy and what the inversions show, per corruption, kind and budget."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from genlens.report.charts import line_chart
from genlens.report.html import HtmlReport, image_grid

SOURCES_SHOWN = 8


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def falling_tolerance(n: int) -> float:
    """How far an accuracy may rise between severities and still count as falling: 1 / sqrt(n),
    about two binomial standard errors at accuracy 0.5."""
    return round(1 / math.sqrt(max(1, n)), 4)


def adversarial_verdict(result: dict) -> dict | None:
    """At the smallest budget where the classifier's accuracy falls below 0.2: whether the reader
    labels the inversions as the classifier's (wrong) label more often than as the true label."""
    for row in result["adversarial"]:
        if row["accuracy"] < 0.2 and "reader_is_classifier_label" in row:
            return {"budget": row["budget"], "accuracy": row["accuracy"],
                    "reader_is_classifier_label": row["reader_is_classifier_label"], "reader_is_true_label": row["reader_is_true_label"],
                    "shows_what_the_classifier_sees": row["reader_is_classifier_label"] > row["reader_is_true_label"]}
    return None


def robustness_reading(result: dict) -> list[str]:
    """Sentences: the clean baseline, each corruption's curve, each out-of-distribution kind, the adversarial verdict."""
    clean = result["clean"]
    lines = [f"Clean: accuracy {_pct(clean['accuracy'])}; the classifier keeps its label on {_pct(clean['inversion_keeps_label'])} of the inversions"
             + (f", the reader reads the true label in {_pct(clean['reader_is_true_label'])}." if "reader_is_true_label" in clean else ".")]
    for kind, rows in result["corruptions"].items():
        acc = [r["accuracy"] for r in rows]
        lines.append(f"{kind}: accuracy {' -> '.join(_pct(a) for a in acc)} over severities {rows[0]['severity']}-{rows[-1]['severity']}"
                     + (" (falling)" if result["falling"][kind] else " (not falling)") + ".")
    for kind, row in result["ood"].items():
        lines.append(f"{kind}: accuracy {_pct(row['accuracy'])}" + (
            f"; the reader reads the classifier's label in {_pct(row['reader_is_classifier_label'])}, the true one in {_pct(row['reader_is_true_label'])}." if "reader_is_true_label" in row else "."))
    verdict = result.get("adversarial_verdict")
    if verdict:
        lines.append(
            f"PGD at {verdict['budget']:g}/255 (accuracy {_pct(verdict['accuracy'])}): the reader labels the inversions of the adversarial "
            f"features as the classifier's label in {_pct(verdict['reader_is_classifier_label'])}, as the true label in {_pct(verdict['reader_is_true_label'])}: "
            + ("the inversions show what the classifier sees." if verdict["shows_what_the_classifier_sees"] else "the inversions still show the true object.")
        )
    return lines


def robustness_report(result: dict, strips: dict[str, torch.Tensor], folder: Path) -> Path:
    """report.html in folder: the reading, accuracy curves, the table of every condition, strips."""
    report = HtmlReport(f"Robustness of {result['classifier']} {result['layer']} ({result['sources']} sources)")
    for line in robustness_reading(result):
        report.paragraph(line)
    series = {kind: [(r["severity"], r["accuracy"], "") for r in rows] for kind, rows in result["corruptions"].items()}
    if series:
        report.svg(line_chart(series, "severity", "accuracy"), "accuracy on corrupted inputs")
    if result["adversarial"]:
        adv = {name: [(r["budget"], r[key], "") for r in result["adversarial"]] for name, key in
               [("accuracy", "accuracy"), ("reader: classifier's label", "reader_is_classifier_label"), ("reader: true label", "reader_is_true_label")]
               if key in result["adversarial"][0]}
        report.svg(line_chart(adv, "PGD budget (/255)", "share"), "adversarial inputs: accuracy, and what the reader sees in the inversions")
    keys = ["accuracy", "inversion_keeps_label", "reader_is_classifier_label", "reader_is_true_label"]
    rows = [["clean", *[result["clean"].get(k, "") for k in keys]]]
    rows += [[f"{kind} {r['severity']}", *[r.get(k, "") for k in keys]] for kind, rs in result["corruptions"].items() for r in rs]
    rows += [[kind, *[r.get(k, "") for k in keys]] for kind, r in result["ood"].items()]
    rows += [[f"pgd {r['budget']:g}/255", *[r.get(k, "") for k in keys]] for r in result["adversarial"]]
    report.table(["condition", *keys], rows)
    for name, strip in strips.items():
        shown = strip[:SOURCES_SHOWN].transpose(0, 1).flatten(0, 1)
        report.image(image_grid(shown, min(SOURCES_SHOWN, len(strip)), scale=3), f"{name}: inputs (top), inversions of their features (bottom)")
    return report.write(Path(folder) / "report.html")
