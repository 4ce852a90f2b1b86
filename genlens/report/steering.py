"""The steering report: a strip per source along the sweep, the on- and off-target curves, a reading."""

from __future__ import annotations

from pathlib import Path

import torch

from genlens.report.charts import line_chart
from genlens.report.html import HtmlReport, image_grid

#: Sources shown in the strips (every source is in the figures).
SOURCES_SHOWN = 8


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def steering_reading(result: dict) -> str:
    """One paragraph: what the probes read along the sweep, what else changed, against the control."""
    d, s = result["direction"], result["steered"]
    alphas, last = s["alphas"], len(s["alphas"]) - 1
    floor = max(result["noise_floor"].values(), default=0.0)
    control = result.get("control")
    ctrl = f"; a random direction of the same norm changes at most {_pct(max(max(v) for v in control['changed'].values()))}" if control else ""
    region = result["settings"]["region"]
    if d["concept"] is None:
        ranked = sorted(((v[last], c) for c, v in s["changed"].items() if c != "reader"), reverse=True)
        moved = ", ".join(f"{c} {_pct(v)}" for v, c in ranked[:3])
        return (f"The {d['kind']} direction at {d['layer']} ({region}) changes, at alpha {alphas[last]:g}: {moved} "
                f"(noise floor {_pct(floor)}){ctrl}.")
    source = f" from {d['from']}" if d["from"] else ""
    text = (
        f"Steering {d['concept']} towards {d['value']}{source} along the {d['kind']} direction at {d['layer']} ({region}): "
        f"the probes read {d['value']} in {_pct(s['on_target'][last])} of the inversions at alpha {alphas[last]:g} "
        f"({_pct(s['on_target'][alphas.index(0.0)])} at 0)"
    )
    if "monotonic" in result:
        text += ", rising monotonically" if result["monotonic"] else ", not monotonically"
    if "reader_on_target" in s:
        text += f"; the reader agrees in {_pct(s['reader_on_target'][last])}"
    text += (f". Every other concept changes in at most {_pct(s['off_target_max'][last])} "
             f"(noise floor {_pct(floor)}){ctrl}.")
    if "top1_is_value" in s["logits"]:
        text += f" The classifier labels the steered maps {d['value']} in {_pct(s['logits']['top1_is_value'][last])}."
    return text


def _curves(result: dict) -> dict[str, list[tuple[float, float, str]]]:
    s = result["steered"]
    series = {}
    if "on_target" in s:
        series["on target (probes)"] = s["on_target"]
    if "reader_on_target" in s:
        series["on target (reader)"] = s["reader_on_target"]
    series["off target, most changed"] = s["off_target_max"]
    if "control" in result:
        c = result["control"]
        series["random: off target"] = c["off_target_max"]
        if "on_target" in c:
            series["random: on target"] = c["on_target"]
    return {k: [(a, v, "") for a, v in zip(s["alphas"], vs)] for k, vs in series.items()}


def steering_report(result: dict, sources: torch.Tensor, strips: dict[str, torch.Tensor], folder: Path) -> Path:
    """report.html in folder: the reading, the curves, the per-concept table and the strips."""
    d = result["direction"]
    report = HtmlReport(f"Steering {result['classifier']} {result['layer']}: {d['kind']} {d['concept'] or ''} {d['value'] or ''}")
    report.paragraph(steering_reading(result))
    report.svg(line_chart(_curves(result), "alpha", "share of inversions"), "on- and off-target readings along the sweep")
    alphas = result["steered"]["alphas"]
    header = ["concept", *[f"alpha {a:g}" for a in alphas], "noise floor"]
    rows = [[c, *v, result["noise_floor"].get(c, "")] for c, v in result["steered"]["changed"].items()]
    report.paragraph("Share of inversions whose reading changed from alpha 0, per concept:")
    report.table(header, rows)
    for name, strip in strips.items():
        shown = strip[:, :SOURCES_SHOWN, 0]  # (A, n, 3, S, S): sample 0 of the first sources
        tiles = torch.cat([sources[:SOURCES_SHOWN].unsqueeze(0).cpu(), shown]).transpose(0, 1).flatten(0, 1)
        report.image(image_grid(tiles, len(alphas) + 1, scale=3),
                     f"{name}: each row a source, then its inversions at alpha {', '.join(f'{a:g}' for a in alphas)}")
    return report.write(Path(folder) / "report.html")
