"""Vectorised rendering of a SceneBatch into images and per-object masks."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from genlens.errors import GenlensError
from genlens.world import concepts
from genlens.world.patterns import PATTERN_MASKS
from genlens.world.scenes import SceneBatch
from genlens.world.shapes import SHAPE_TESTS

_OBJECT_RGB = torch.tensor(list(concepts.COLORS.values()), dtype=torch.float32)
_BACKGROUND_RGB = torch.tensor(list(concepts.BACKGROUND_COLORS.values()), dtype=torch.float32)


def _pattern_rgb(background: torch.Tensor) -> torch.Tensor:
    """The pattern's second colour: the background lightened if dark, darkened if light."""
    luminance = background.mean(-1, keepdim=True)
    return torch.where(luminance < 0.5, background + 0.3, background - 0.3).clamp(0, 1)


#: Supersampled pixels rendered at once: about 64 scenes at 32 px, so the canvas stays in cache.
CHUNK_PIXELS = 64 * 128 * 128


#: Image sizes the renderer draws: below 8 pixels no shape is legible; above 1024 one image's
#: supersampled canvas alone takes hundreds of megabytes.
MIN_SIZE, MAX_SIZE = 8, 1024


def render(scenes: SceneBatch, size: int = 32, supersample: int = 4, soft_masks: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Render scenes at size x size pixels.

    Returns images, a float tensor (N, 3, size, size) in [0, 1], anti-aliased by supersampling,
    and masks, a bool tensor (N, K, size, size) with each object's pixels (more than half covered),
    or with soft_masks the float share of each pixel the object covers (what its colour is mixed by).
    Scenes are rendered a chunk at a time so that the supersampled canvas stays in cache.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise GenlensError(f"image size must be {MIN_SIZE} to {MAX_SIZE} pixels, got {size}")
    chunk = max(1, CHUNK_PIXELS // (size * supersample) ** 2)
    parts = [_render(scenes[i : i + chunk], size, supersample, soft_masks) for i in range(0, len(scenes), chunk)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def _render(scenes: SceneBatch, size: int, supersample: int, soft_masks: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    n, k = scenes.present.shape
    s = size * supersample
    coords = (torch.arange(s, dtype=torch.float32) + 0.5) / s
    y, x = torch.meshgrid(coords, coords, indexing="ij")

    pattern = torch.zeros(n, s, s, dtype=torch.bool)
    pattern_index = torch.as_tensor(scenes.pattern)
    for p, mask_fn in enumerate(PATTERN_MASKS):
        rows = (pattern_index == p).nonzero().flatten()
        if len(rows):
            pattern[rows] = mask_fn(x, y)
    bg = _BACKGROUND_RGB[torch.as_tensor(scenes.background)]  # (N, 3)
    fg = _pattern_rgb(bg)
    pm = pattern[:, None].float()
    image = bg[:, :, None, None] * (1 - pm) + fg[:, :, None, None] * pm

    xy = torch.as_tensor(scenes.xy, dtype=torch.float32)
    radius = torch.as_tensor(scenes.radius, dtype=torch.float32)
    theta = torch.as_tensor(scenes.rotation, dtype=torch.float32) * (math.pi / 180.0)
    shape_index = torch.as_tensor(scenes.shape)
    present = torch.as_tensor(scenes.present)
    colors = _OBJECT_RGB[torch.as_tensor(scenes.color)]  # (N, K, 3)
    masks = torch.zeros(n, k, s, s, dtype=torch.bool)
    for j in range(k):
        dx = (x[None] - xy[:, j, 0, None, None]) / radius[:, j, None, None]
        dy = (y[None] - xy[:, j, 1, None, None]) / radius[:, j, None, None]
        c, sn = torch.cos(theta[:, j])[:, None, None], torch.sin(theta[:, j])[:, None, None]
        u = c * dx + sn * dy  # rotate the frame by -theta, so the object turns by +theta
        v = -sn * dx + c * dy
        for shape, inside in enumerate(SHAPE_TESTS):
            rows = ((shape_index[:, j] == shape) & present[:, j]).nonzero().flatten()
            if len(rows):
                masks[rows, j] = inside(u[rows], v[rows])
        m = masks[:, j, None].float()
        image = image * (1 - m) + colors[:, j, :, None, None] * m

    image = F.avg_pool2d(image, supersample)
    coverage = F.avg_pool2d(masks.float().flatten(0, 1)[:, None], supersample)
    coverage = coverage[:, 0].view(n, k, size, size)
    return image.clamp(0, 1), coverage if soft_masks else coverage > 0.5


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) floats in [0, 1] to (N, H, W, 3) uint8, rounding half up."""
    return (images.detach().cpu().permute(0, 2, 3, 1).numpy() * 255.0 + 0.5).astype(np.uint8)
