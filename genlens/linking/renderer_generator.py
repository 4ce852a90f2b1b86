"""The world renderer as a linking generator: the latent is the scene's parameters, so what a
linked feature encodes is read off exactly (the oracle every learned generator is measured against)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from genlens.linking.generator import check_classes
from genlens.world import SceneBatch, concepts, render, sample_scenes

#: The latent's blocks in order: one-hot codes of the categorical concepts, then the object's centre
#: (x, y in [0, 1]) and its rotation as (cos, sin).
BLOCKS: tuple[tuple[str, int], ...] = (
    ("shape", len(concepts.SHAPES)),
    ("color", len(concepts.COLORS)),
    ("size", len(concepts.SIZES)),
    ("background_pattern", len(concepts.PATTERNS)),
    ("background_color", len(concepts.BACKGROUND_COLORS)),
    ("xy", 2),
    ("rotation", 2),
)
CATEGORICAL = ("shape", "color", "size", "background_pattern", "background_color")


def block_slices() -> dict[str, slice]:
    """Where each block of BLOCKS sits in the latent."""
    out, start = {}, 0
    for name, width in BLOCKS:
        out[name] = slice(start, start + width)
        start += width
    return out


class RendererGenerator:
    """Single-object world scenes; classes are the shapes (the `shape` task's labels)."""

    latent_dim = sum(w for _, w in BLOCKS)
    num_classes = len(concepts.SHAPES)
    class_names = concepts.SHAPES
    differentiable = False

    def __init__(self, size: int = 32):
        self.size = size

    def sample_latent(
        self, n: int, seed: int, classes: Sequence[int] | None = None, truncation: float = 1.0
    ) -> torch.Tensor:
        """Latents of n scenes drawn like the `shape` task's; the renderer has no prior to truncate,
        so truncation is accepted and ignored."""
        c = check_classes(classes, n, self.num_classes)
        rng = np.random.default_rng([seed, 7])
        return encode_scenes(sample_scenes(rng, n, shapes=None if c is None else c.numpy()))

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        """Render the scene each latent's blocks decode to (argmax of each one-hot block)."""
        return render(decode_scenes(latent), self.size)[0]


def encode_scenes(scenes: SceneBatch) -> torch.Tensor:
    """(N, latent_dim) latents of single-object scenes."""
    n = len(scenes)
    values = {
        "shape": scenes.shape[:, 0],
        "color": scenes.color[:, 0],
        "size": scenes.size[:, 0],
        "background_pattern": scenes.pattern,
        "background_color": scenes.background,
    }
    parts = [np.eye(width, dtype=np.float32)[values[name]] for name, width in BLOCKS if name in CATEGORICAL]
    angle = np.deg2rad(scenes.rotation[:, 0])
    parts += [scenes.xy[:, 0].astype(np.float32), np.stack([np.cos(angle), np.sin(angle)], 1).astype(np.float32)]
    return torch.from_numpy(np.concatenate(parts, 1).reshape(n, -1))


def decode_scenes(latent: torch.Tensor) -> SceneBatch:
    """The single-object scenes that latents (any real values) stand for."""
    z = latent.detach().float().cpu().numpy()
    where = block_slices()
    pick = {name: z[:, where[name]].argmax(1) for name in CATEGORICAL}
    xy = np.clip(z[:, where["xy"]], 0.0, 1.0)
    cos, sin = z[:, where["rotation"]].T
    rotation = np.rad2deg(np.arctan2(sin, cos)) % 360.0
    return SceneBatch(
        pattern=pick["background_pattern"],
        background=pick["background_color"],
        present=np.ones((len(z), 1), dtype=bool),
        shape=pick["shape"][:, None],
        color=pick["color"][:, None],
        size=pick["size"][:, None],
        xy=xy[:, None].astype(np.float32),
        rotation=rotation[:, None].astype(np.float32),
    )
