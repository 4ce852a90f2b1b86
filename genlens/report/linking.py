"""Linking in Style's HTML report of unit sweeps: label counts, one strip per unit, its effects."""

from __future__ import annotations

from pathlib import Path

import torch

from genlens.linking.unit_reading import LABEL_CONCEPTS
from genlens.report.charts import bar_chart
from genlens.report.html import HtmlReport, image_grid

#: Units shown with their strips (all are in the table and the JSON).
STRIPS_SHOWN = 24


def units_report(result: dict, strips: dict[str, torch.Tensor], folder: Path) -> Path:
    report = HtmlReport(f"Units of {result['classifier']} {result['layer']}, linked to {result['generator']}")
    report.paragraph(
        f"{len(result['units'])} units, each swept over {result['settings']['steps']} steps of its "
        f"{result['settings']['low']:g}th-{result['settings']['high']:g}th percentile range on "
        f"{result['settings']['sources']} sources, against {result['settings']['null']} random directions of "
        "matched norm (the null). A unit is selective for a concept when the lower end of its 95% bootstrap "
        "interval exceeds the null's 95th percentile for exactly one concept, superposed for several, silent for none."
    )
    for mode, outcome in result["modes"].items():
        counts = outcome["counts"]
        report.heading(f"{mode} sweeps")
        bars = [(c, float(n), None) for c, n in counts["selective"].items()]
        bars += [("superposed", float(counts["superposed"]), None), ("silent", float(counts["silent"]), None)]
        report.svg(bar_chart(bars, "units"), f"{mode}: units selective per concept, superposed and silent")
        header = ["unit", "label", "concepts", *[f"{c} (effect / null)" for c in LABEL_CONCEPTS]]
        rows = []
        for record in outcome["units"]:
            effects = [
                f"{e['mean']} / {e['null']}" if (e := record["effects"].get(key)) else "n/a"
                for key in LABEL_CONCEPTS.values()
            ]
            rows.append([record["unit"], record["label"], ", ".join(record["concepts"]), *effects])
        report.table(header, rows)
        if mode in strips:
            for record, strip in list(zip(outcome["units"], strips[mode]))[:STRIPS_SHOWN]:
                steps = strip.shape[1]
                report.image(
                    image_grid(strip.flatten(0, 1), steps, scale=3),
                    f"unit {record['unit']} ({mode}): {record['label']} {', '.join(record['concepts'])}; "
                    "rows are sources, columns the sweep from low to high",
                )
    return report.write(Path(folder) / "report.html")
