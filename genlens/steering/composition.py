"""The composite nature of a feature map: maps mixed by region or channel, interpolated, ablated.

Each operation takes maps (N, C, H, W) and returns maps of the same shape, ready to invert."""

from __future__ import annotations

import torch

from genlens.errors import GenlensError
from genlens.steering.directions import ConceptDirection


def half_mask(grid: tuple[int, int], side: str = "left") -> torch.Tensor:
    """(1, 1, H, W) ones on one half of the grid: left, right, top or bottom."""
    h, w = grid
    mask = torch.zeros(1, 1, h, w)
    halves = {"left": (slice(None), slice(0, w // 2)), "right": (slice(None), slice(w // 2, w)),
              "top": (slice(0, h // 2), slice(None)), "bottom": (slice(h // 2, h), slice(None))}
    if side not in halves:
        raise GenlensError(f"unknown half '{side}': left, right, top or bottom")
    mask[(0, 0, *halves[side])] = 1.0
    return mask


def mix(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """a where mask (broadcast to the maps) is 1, b where it is 0."""
    mask = mask.to(a.device, a.dtype)
    return a * mask + b * (1 - mask)


def channel_groups(channels: int, groups: int) -> list[list[int]]:
    """The channels split into `groups` contiguous groups of (nearly) equal size."""
    if not 1 <= groups <= channels:
        raise GenlensError(f"--groups must be 1 to {channels} (the layer's channels), got {groups}")
    return [part.tolist() for part in torch.arange(channels).tensor_split(groups)]


def mix_channels(a: torch.Tensor, b: torch.Tensor, channels: list[int]) -> torch.Tensor:
    """a's maps with `channels` taken from b."""
    out = a.clone()
    out[:, channels] = b[:, channels]
    return out


def interpolate(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """(1 - t) a + t b."""
    return (1 - t) * a + t * b


def ablate_channels(a: torch.Tensor, channels: list[int]) -> torch.Tensor:
    """a with `channels` set to their mean over the batch and grid (the map's average there, not
    zero, which for a layer after a normalisation is itself a strong signal)."""
    out = a.clone()
    out[:, channels] = a[:, channels].mean((0, 2, 3), keepdim=True)
    return out


def ablate_direction(a: torch.Tensor, direction: ConceptDirection) -> torch.Tensor:
    """a without its component along the direction: per location for a (C,) direction, over the
    whole map for a (C, H, W) one."""
    v = direction.vector.to(a.device, a.dtype)
    if v.dim() == 1:
        u = (v / v.norm().clamp_min(1e-12)).view(1, -1, 1, 1)
        return a - (a * u).sum(1, keepdim=True) * u
    u = (v / v.norm().clamp_min(1e-12)).unsqueeze(0)
    return a - (a * u).sum((1, 2, 3), keepdim=True) * u
