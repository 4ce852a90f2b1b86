"""The concept vocabularies of the world: every value a renderer, caption or probe can name."""

from __future__ import annotations

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "heart")

#: Object colours (name -> RGB in [0, 1]); saturated so that they stand out from every background.
COLORS: dict[str, tuple[float, float, float]] = {
    "red": (0.90, 0.10, 0.10),
    "green": (0.10, 0.75, 0.15),
    "blue": (0.15, 0.30, 0.95),
    "yellow": (0.95, 0.85, 0.10),
    "magenta": (0.90, 0.15, 0.85),
    "cyan": (0.10, 0.85, 0.90),
    "orange": (1.00, 0.55, 0.05),
}

#: Object radius (fraction of the canvas side) per size name.
SIZES: dict[str, float] = {"small": 0.11, "medium": 0.145, "large": 0.18}

PATTERNS: tuple[str, ...] = ("plain", "stripes", "checker", "dots", "grid")

#: Background colours: muted and dark or light, never one of the object colours.
BACKGROUND_COLORS: dict[str, tuple[float, float, float]] = {
    "black": (0.05, 0.05, 0.05),
    "gray": (0.45, 0.45, 0.45),
    "white": (0.92, 0.92, 0.92),
    "brown": (0.40, 0.26, 0.13),
}

#: The 3x3 position bins, row-major from the top left; a centre's bin is its third of the canvas.
POSITION_BINS: tuple[str, ...] = (
    "top left",
    "top",
    "top right",
    "left",
    "centre",
    "right",
    "bottom left",
    "bottom",
    "bottom right",
)

#: How captions say where an object is, per position bin.
POSITION_PHRASES: dict[str, str] = {
    "top left": "in the top left",
    "top": "at the top",
    "top right": "in the top right",
    "left": "on the left",
    "centre": "in the centre",
    "right": "on the right",
    "bottom left": "in the bottom left",
    "bottom": "at the bottom",
    "bottom right": "in the bottom right",
}

#: Adjectives used in captions for each background pattern.
PATTERN_ADJECTIVES: dict[str, str] = {
    "plain": "plain",
    "stripes": "striped",
    "checker": "checkered",
    "dots": "dotted",
    "grid": "grid",
}

#: The concepts the probes read, with their values in label order.
PROBE_CONCEPTS: dict[str, tuple[str, ...]] = {
    "shape": SHAPES,
    "color": tuple(COLORS),
    "size": tuple(SIZES),
    "position": POSITION_BINS,
    "background_pattern": PATTERNS,
    "background_color": tuple(BACKGROUND_COLORS),
}


def position_bin(x: float, y: float) -> int:
    """Index into POSITION_BINS of a centre (x, y) in [0, 1]^2, y growing downwards."""
    col = min(int(x * 3), 2)
    row = min(int(y * 3), 2)
    return row * 3 + col
