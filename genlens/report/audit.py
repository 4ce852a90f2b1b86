"""The audit's HTML report: the ground truth, one verdict per method, then each method's answer
with its figures and images."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from genlens.report.charts import bar_chart
from genlens.report.html import HtmlReport, image_grid
from genlens.report.inversion_reading import mark_columns

#: Sources shown per layer's grid.
GRID_ROWS = 8


def audit_report(result: dict, figures: dict, folder: Path) -> Path:
    """Write report.html and its JSON twin audit.json into folder; the page's path."""
    folder = Path(folder)
    page = HtmlReport(f"Audit of {result['classifier']} on the {result['task']} task")
    truth = result["truth"]
    page.heading("Ground truth and verdicts")
    page.paragraph(truth["line"])
    page.table(
        ["method", "answer", "agrees with the truth", "reading"],
        [[m, _answer(v["answer"]), "yes" if v["agrees"] else "NO", v["line"]] for m, v in result["verdicts"].items()],
    )
    if "depict" in result:
        _depict(page, result["depict"], truth, figures.get("depict"))
    if "inversion" in result:
        _inversion(page, result["inversion"], figures.get("inversion", []))
    if "linking" in result:
        _linking(page, result["linking"], figures.get("linking", {}))
    page.paragraph(f"Seconds per part: {', '.join(f'{k} {v:g}' for k, v in result['seconds'].items())}.")
    path = page.write(folder / "report.html")
    twin = folder / "audit.json"
    tmp = twin.with_name(f".{twin.name}.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(twin)
    return path


def _answer(answer) -> str:
    if isinstance(answer, list):
        return ", ".join(a.replace("_", " ") for a in answer) or "none"
    return (answer or "none").replace("_", " ")


def _depict(page: HtmlReport, depict: dict, truth: dict, runs) -> None:
    page.heading(f"DEPICT: concepts ranked by the drop in {depict['metric']} (generator: {depict['generator']})")
    bars = [(r["concept"], r["drop"], tuple(r["ci95"])) for r in depict["importance"]]
    page.svg(bar_chart(bars, f"drop in {depict['metric']}"), "mean drop over permutations, 95% bootstrap interval")
    exact = {r["concept"]: r for r in truth["ranking"]}
    page.table(
        ["concept", "DEPICT drop", "95% interval", "exact renders (truth)", "95% interval"],
        [[r["concept"], r["drop"], str(r["ci95"]), exact[r["concept"]]["drop"], str(exact[r["concept"]]["ci95"])]
         for r in depict["importance"]],
    )
    checks = depict["checks"]
    page.paragraph(
        f"Baseline {depict['metric']}: {depict['baseline']['real']} on real renders, {depict['baseline']['generated']} "
        f"on generated images. Assumption checks {'passed' if checks.get('passed') else 'FAILED'}: "
        + ", ".join(f"{k.replace('_', ' ')} {'passed' if v['passed'] else 'failed'}" for k, v in checks.items() if isinstance(v, dict))
        + "."
    )
    if runs is not None:
        page.image(image_grid(runs.baseline_images[:8], 8), "generated from the unpermuted captions")


def _inversion(page: HtmlReport, layers: list[dict], grids: list[torch.Tensor]) -> None:
    page.heading("Inversions: what each layer's feature map keeps")
    concepts = list(layers[0]["retention"])
    page.paragraph(
        "Held-out renders inverted from each layer's map and read back by the concept probes (and the "
        "independent reader for the shape). A concept counts as kept at least halfway from chance to every "
        "image; one not recovered by this inverter may still be in the map."
    )
    header = ["layer", "method", *[c.replace("_", " ") for c in concepts], "reader (shape)"]
    rows = [[r["layer"], r["method"], *[f"{r['retention'][c]:.2f}{' kept' if c in r['kept'] else ''}" for c in concepts],
             r["reader"]["agreement"] if r["reader"] else "n/a"] for r in layers]
    rows.append(["chance", "", *[f"{layers[0]['chance'][c]:.2f}" for c in concepts], "0.20"])
    page.table(header, rows)
    for record, grid in zip(layers, grids):
        shown = grid[:GRID_ROWS]
        image = image_grid(shown.flatten(0, 1), shown.shape[1], scale=3)
        page.image(mark_columns(image, shown.shape[1]), f"{record['layer']} ({record['method']}): each row a source, then its inversions")


def _linking(page: HtmlReport, linking: dict, figures: dict) -> None:
    link = linking["link"]
    page.heading(f"Linking in Style: {linking['layer']} linked to the {linking['generator']}")
    page.paragraph(
        f"Ridge link on {link['pairs']} pairs (alpha {link['alpha']:.3g}): held-out latent R^2 {link['latent_r2']}, "
        f"cycle top-1 {link['cycle_top1']}. Every unit swept in conditional mode against random directions of matched norm."
    )
    counts = linking["counts"]
    bars = [(c, float(n), None) for c, n in counts["selective"].items()]
    bars += [("superposed", float(counts["superposed"]), None), ("silent", float(counts["silent"]), None)]
    page.svg(bar_chart(bars, "units"), "units selective per concept, superposed and silent")
    influence = linking.get("influence", {})
    if influence:
        page.paragraph(
            "Share of the head's use of all units (logit change per unit moved by its own spread) held by the "
            "units selective for each concept: " + ", ".join(f"{c.replace('_', ' ')} {v:.3f}" for c, v in influence.items()) + "."
        )
    for caption, strip in figures.get("strips", []):
        page.image(image_grid(strip.flatten(0, 1), strip.shape[1], scale=3), f"{caption}; rows are sources, columns the sweep")
    page.heading("Counterfactuals across the decision boundary", 3)
    page.table(
        ["source", "target", "sources", "head crossed", "regenerated as the target", "concept changed most"],
        [[p["source"], p["target"], p["n"], p["crossed"], p["success"],
          max(p["changed"], key=p["changed"].get) if p["changed"] else "n/a"] for p in linking["counterfactuals"]],
    )
    for name, path in figures.get("paths", {}).items():
        page.image(image_grid(path.flatten(0, 1), path.shape[1], scale=3), f"{name}: from the source's features to the counterfactual")
