"""Pixel coordinates as extra UNet input channels (CoordConv, Liu et al. 2018).

A convolution cannot tell where it is, and cross-attention to "in the top left" needs exactly that:
a UNet whose config reads two channels more than it writes gets the sample's x and y, in [-1, 1],
appended to its input, so that caption words about place can be tied to place from the first step.
Bases without the extra channels (Stable Diffusion 1.x, miniSD) are passed through unchanged.
"""

from __future__ import annotations

import torch

#: Input channels a UNet reads beyond its output channels to receive coordinates.
COORDINATE_CHANNELS = 2


def reads_coordinates(unet_config) -> bool:
    """Whether a UNet with this config expects coordinate channels (so does a ControlNet copied from it)."""
    return unet_config["in_channels"] - unet_config["out_channels"] == COORDINATE_CHANNELS


def coordinate_grid(n: int, size: int, device=None, dtype=None) -> torch.Tensor:
    """(n, 2, size, size): x then y of every pixel's centre, from -1 (left, top) to 1 (right, bottom)."""
    axis = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size * 2 - 1
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x, y])[None].expand(n, -1, -1, -1).to(dtype or torch.float32)


def with_coordinates(sample: torch.Tensor, unet_config) -> torch.Tensor:
    """sample with the coordinate channels appended if the UNet's config reads them, else sample."""
    if not reads_coordinates(unet_config):
        return sample
    grid = coordinate_grid(len(sample), sample.shape[-1], sample.device, sample.dtype)
    return torch.cat([sample, grid], dim=1)
