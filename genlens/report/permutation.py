"""DEPICT's HTML report: importance bars with intervals, example images per permuted concept, the checks."""

from __future__ import annotations

from pathlib import Path

from genlens.report.charts import bar_chart
from genlens.report.html import HtmlReport, image_grid


def permutation_report(result: dict, runs, folder: Path) -> Path:
    report = HtmlReport(f"Concept importance for {result['classifier']}")
    report.heading("Importance")
    bars = [(r["concept"], r["drop"], tuple(r["ci95"])) for r in result["importance"]]
    report.svg(bar_chart(bars, f"drop in {result['metric']}"), "mean drop over permutations, 95% bootstrap interval")
    report.table(
        ["concept", "drop", "95% interval"], [[r["concept"], r["drop"], str(r["ci95"])] for r in result["importance"]]
    )
    report.paragraph(
        f"Baseline {result['metric']}: {result['baseline']['generated']} on generated images"
        + (f", {result['baseline']['real']} on real ones." if result["baseline"]["real"] is not None else ".")
    )
    report.heading("Generated images")
    report.image(image_grid(runs.baseline_images[:8], 8), "unpermuted captions")
    for concept, images in runs.examples.items():
        report.image(image_grid(images, 8), f"{concept} permuted (same rows, same seeds)")
    report.heading("Assumption checks")
    checks = result["checks"]
    eff = checks.get("effective_generation")
    if eff:
        rows = [[k, v.get("real"), v.get("generated")] for k, v in eff.items() if isinstance(v, dict)]
        report.table(["effective generation", "real", "generated"], rows)
        report.paragraph(f"Effective generation {'passed' if eff['passed'] else 'FAILED'}.")
    ind = checks.get("independent_permutation")
    if ind and ind.get("measured"):
        concepts = list(ind["change"])
        report.table(
            ["permuted \\ probe", *concepts, "expected"],
            [[j, *[ind["change"][j][i] for i in concepts], ind["expected_change"][j]] for j in concepts],
        )
        report.paragraph(
            f"Independent permutation {'passed' if ind['passed'] else 'FAILED'}: permuting a concept should change "
            "its own probe's reading about as often as its value changed, and no other probe's."
        )
    return report.write(Path(folder) / "report.html")
