"""Planted ground truth for unit readings: a world classifier whose first penultimate units are
tied during training to known scene concepts, so that a method that labels units can be checked."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from genlens.world import SceneBatch, concepts

#: Unit -> the concept its activation is tied to (size+x: both, the superposed unit).
PLANTED_UNITS: dict[int, str] = {0: "size", 1: "x", 2: "y", 3: "color", 4: "background_pattern", 5: "size+x"}
#: The labels a correct unit reading gives the planted units (a concept, or several for superposed).
PLANTED_LABELS: dict[int, tuple[str, ...]] = {
    0: ("size",), 1: ("x",), 2: ("y",), 3: ("color",), 4: ("background_pattern",), 5: ("size", "x"),
}
#: Weight of the tie against the cross-entropy.
TIE_WEIGHT = 1.0


def planted_targets(scenes: SceneBatch) -> torch.Tensor:
    """(N, len(PLANTED_UNITS)) activations the planted units are tied to, each in [0, 2]."""
    radii = np.asarray(list(concepts.SIZES.values()))
    size = (scenes.radius[:, 0] - radii.min()) / (radii.max() - radii.min())
    x, y = scenes.xy[:, 0, 0], scenes.xy[:, 0, 1]
    values = {
        "size": size,
        "x": x,
        "y": y,
        "color": scenes.color[:, 0] / (len(concepts.COLORS) - 1),
        "background_pattern": scenes.pattern / (len(concepts.PATTERNS) - 1),
        "size+x": (size + x) / 2,
    }
    return 2 * torch.as_tensor(np.stack([values[PLANTED_UNITS[k]] for k in sorted(PLANTED_UNITS)], 1), dtype=torch.float32)


def tie_loss(penultimate: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the planted units' activations against their targets."""
    return F.mse_loss(penultimate[:, : targets.shape[1]].float(), targets)
