"""Small standalone SVG charts for the HTML reports: lines of points, and bars with intervals."""

from __future__ import annotations

import html

WIDTH, HEIGHT, MARGIN = 560, 320, 56
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def _scale(lo: float, hi: float, out_lo: float, out_hi: float):
    span = (hi - lo) or 1.0
    return lambda v: out_lo + (v - lo) / span * (out_hi - out_lo)


def _frame(x_label: str, y_label: str, y_lo: float, y_hi: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        'font-size="11">',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - 10}" y2="{HEIGHT - MARGIN}" stroke="black"/>',
        f'<line x1="{MARGIN}" y1="10" x2="{MARGIN}" y2="{HEIGHT - MARGIN}" stroke="black"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">{html.escape(x_label)}</text>',
        f'<text x="14" y="{HEIGHT / 2}" transform="rotate(-90 14 {HEIGHT / 2})" text-anchor="middle">'
        f"{html.escape(y_label)}</text>",
        f'<text x="{MARGIN - 4}" y="{HEIGHT - MARGIN}" text-anchor="end">{y_lo:.3g}</text>',
        f'<text x="{MARGIN - 4}" y="16" text-anchor="end">{y_hi:.3g}</text>',
    ]


def line_chart(series: dict[str, list[tuple[float, float, str]]], x_label: str, y_label: str) -> str:
    """An SVG of one polyline per series through (x, y, point label) points, with a legend."""
    points = [p for s in series.values() for p in s]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x = _scale(min(xs), max(xs), MARGIN + 10, WIDTH - 30)
    y = _scale(min(ys), max(ys), HEIGHT - MARGIN - 10, 20)
    parts = _frame(x_label, y_label, min(ys), max(ys))
    parts.append(f'<text x="{MARGIN + 10}" y="{HEIGHT - MARGIN + 14}">{min(xs):.3g}</text>')
    parts.append(f'<text x="{WIDTH - 30}" y="{HEIGHT - MARGIN + 14}" text-anchor="end">{max(xs):.3g}</text>')
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py, _ in sorted(pts))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for px, py, label in pts:
            parts.append(f'<circle cx="{x(px):.1f}" cy="{y(py):.1f}" r="3" fill="{colour}"/>')
            parts.append(f'<text x="{x(px) + 4:.1f}" y="{y(py) - 4:.1f}" fill="{colour}">{html.escape(label)}</text>')
        parts.append(f'<text x="{WIDTH - 140}" y="{24 + 14 * i}" fill="{colour}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: list[tuple[str, float, tuple[float, float] | None]], y_label: str) -> str:
    """An SVG of one bar per (label, value, (lo, hi) interval or None), intervals drawn as whiskers."""
    values = [v for _, v, _ in bars] + [e for _, _, ci in bars if ci for e in ci] + [0.0]
    lo, hi = min(values), max(values)
    y = _scale(lo, hi, HEIGHT - MARGIN, 20)
    parts = _frame("", y_label, lo, hi)
    step = (WIDTH - MARGIN - 20) / max(1, len(bars))
    for i, (label, value, ci) in enumerate(bars):
        left = MARGIN + 10 + i * step
        top, base = sorted((y(value), y(0.0)))
        parts.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{step * 0.6:.1f}" height="{base - top:.1f}" '
            f'fill="{COLOURS[0]}"/>'
        )
        if ci:
            mid = left + step * 0.3
            parts.append(
                f'<line x1="{mid:.1f}" y1="{y(ci[0]):.1f}" x2="{mid:.1f}" y2="{y(ci[1]):.1f}" stroke="black"/>'
            )
        parts.append(
            f'<text x="{left + step * 0.3:.1f}" y="{HEIGHT - MARGIN + 14}" text-anchor="middle">'
            f"{html.escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
