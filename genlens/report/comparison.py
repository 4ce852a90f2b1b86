"""The inversion comparison as HTML: one row per source, one column per method, the table, a reading."""

from __future__ import annotations

from pathlib import Path

import torch

from genlens.report.html import HtmlReport, image_grid

ROWS_SHOWN = 12


def comparison_report(result: dict, sources: torch.Tensor, outcomes: dict, folder: Path) -> Path:
    """Write folder/report.html and return its path."""
    report = HtmlReport(f"Inversion of {result['classifier']} {result['layer']}")
    names = [n for n in outcomes if n != "reference"]
    rows = min(ROWS_SHOWN, len(sources))
    cells = [torch.stack([sources[i]] + [outcomes[n].samples[i, 0] for n in names]) for i in range(rows)]
    report.heading("Samples")
    report.image(image_grid(torch.cat(cells), len(names) + 1), "columns: source, " + ", ".join(names))
    report.heading("Metrics")
    keys = [k for k in next(iter(result["methods"].values())) if k != "concept_retention"]
    report.table(["method", *keys], [[n, *[m[k] for k in keys]] for n, m in result["methods"].items()])
    retention = {n: m["concept_retention"] for n, m in result["methods"].items() if m["concept_retention"]}
    if retention:
        concepts = list(next(iter(retention.values())))
        report.heading("Concepts retained (probe reading of the sample = source's true concept)", 3)
        report.table(["method", *concepts], [[n, *[r[c] for c in concepts]] for n, r in retention.items()])
    report.heading("Reading")
    for line in result["reading"]:
        report.paragraph(line)
    report.paragraph(
        f"{result['n']} images, {result['samples']} sample(s) each, diffusion methods at {result['steps']} "
        f"{result['sampler']} steps. 'reference' is the source itself (the upper bound), 'chance' an unrelated "
        "image (the floor); a figure means something only between the two."
        + (
            f" observer_agreement: the share of samples that {result['observer']}, a classifier the methods never "
            "saw, labels as it labels their source."
            if result.get("observer")
            else ""
        )
    )
    return report.write(Path(folder) / "report.html")
