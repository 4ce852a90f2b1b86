"""The composition report: what each part of a composite map carries, in sentences, tables and strips."""

from __future__ import annotations

from pathlib import Path

import torch

from genlens.report.html import HtmlReport, image_grid

SOURCES_SHOWN = 8


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _carried(sides: dict[str, dict[str, float]], who: str) -> list[str]:
    """The concepts whose value comes from `who` ("a" or "b") in at least half the pairs, and more
    often than from the other."""
    other = "b" if who == "a" else "a"
    return [c for c, s in sides.items() if c != "reader" and s[who] >= 0.5 and s[who] > s[other]]


def composition_reading(result: dict) -> list[str]:
    """One sentence per operation: which parts of the image each part of the map carries."""
    lines = []
    alone = result["a_alone"]
    lines.append(f"Inverted alone, A's maps keep its object (shape and colour) in {_pct(alone['object'])} of the samples: the ceiling of every figure below.")
    if "halves" in result:
        h = result["halves"]
        lines.append(
            f"Left half of A's map beside the right half of B's: the object on the left is A's in {_pct(h['left_is_a']['object'])}, "
            f"the one on the right B's in {_pct(h['right_is_b']['object'])}, both at once in {_pct(h['both'])}"
            + (f" (the reader: A's shape on the left in {_pct(h['left_is_a']['reader'])}, B's on the right in {_pct(h['right_is_b']['reader'])})" if "reader" in h["left_is_a"] else "")
            + (": each half of the map carries its half of the image." if h["both"] >= 0.8 else
               ": the halves do not stay apart in the image.")
        )
    for group in result.get("channels", []):
        lo, hi = group["from_b"]
        b_side = _carried(group["sides"], "b")
        lines.append(
            f"Channels {lo}-{hi} from B, the rest from A: the inversion takes B's {', '.join(b_side) or 'nothing'} "
            f"and A's {', '.join(_carried(group['sides'], 'a')) or 'nothing'} (a concept counts for a source when at least half the pairs, and more than for the other, read its value)."
        )
    if "interpolate" in result:
        mid = next((s for s in result["interpolate"] if s["t"] == 0.5), None)
        if mid:
            lines.append("Half-way between the maps (t = 0.5): " + ", ".join(
                f"{c} A's {_pct(s['a'])} / B's {_pct(s['b'])}" for c, s in mid["sides"].items()) + ".")
    for group in result.get("ablate", []):
        lo, hi = group["channels"]
        worst = sorted(((v, c) for c, v in group["changed"].items()), reverse=True)[:3]
        lines.append(f"Channels {lo}-{hi} set to their mean: the readings change most for " + ", ".join(f"{c} ({_pct(v)})" for v, c in worst) + ".")
    if "ablate_direction" in result:
        d = result["ablate_direction"]
        worst = sorted(((v, c) for c, v in d["changed"].items()), reverse=True)[:3]
        lines.append(f"Without its component along the {d['direction']['concept']}={d['direction']['value']} direction, A's readings change most for "
                     + ", ".join(f"{c} ({_pct(v)})" for v, c in worst) + ".")
    return lines


def composition_report(result: dict, strips: dict[str, torch.Tensor], folder: Path) -> Path:
    """report.html in folder: the reading, then each operation's table and strip."""
    report = HtmlReport(f"Composition of {result['classifier']} {result['layer']} maps ({result['pairs']} pairs)")
    for line in composition_reading(result):
        report.paragraph(line)
    for group in result.get("channels", []):
        report.heading(f"Channels {group['from_b'][0]}-{group['from_b'][1]} from B", 3)
        report.table(["concept", "A's value", "B's value"], [[c, s["a"], s["b"]] for c, s in group["sides"].items()])
    if "interpolate" in result:
        report.heading("Interpolation", 3)
        concepts_ = list(result["interpolate"][0]["sides"])
        report.table(["t", *[f"{c} A / B" for c in concepts_]],
                     [[s["t"], *[f"{s['sides'][c]['a']:.2f} / {s['sides'][c]['b']:.2f}" for c in concepts_]] for s in result["interpolate"]])
    captions = {"halves": "A, B, and the inversion of A's left half beside B's right half",
                "interpolate": "A, inversions from t = 0 to 1, B"}
    for name, strip in strips.items():
        shown = strip[:SOURCES_SHOWN]
        report.image(image_grid(shown.flatten(0, 1), shown.shape[1], scale=3),
                     captions.get(name, f"{name}: A, " + ("A inverted, ablated" if name.startswith("ablate") else "B, the composite")))
    return report.write(Path(folder) / "report.html")
