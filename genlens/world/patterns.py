"""Background patterns as boolean masks over canvas coordinates in [0, 1]^2 (resolution-free)."""

from __future__ import annotations

import torch


def plain(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(x, dtype=torch.bool)


def stripes(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Diagonal stripes, six periods across the canvas."""
    return torch.remainder((x + y) * 6.0, 1.0) < 0.5


def checker(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """An 8 x 8 checkerboard."""
    return torch.remainder(torch.floor(x * 8.0) + torch.floor(y * 8.0), 2.0) == 1.0


def dots(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A 6 x 6 lattice of round dots."""
    fx = torch.remainder(x * 6.0, 1.0) - 0.5
    fy = torch.remainder(y * 6.0, 1.0) - 0.5
    return fx * fx + fy * fy <= 0.22**2


def grid(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Thin horizontal and vertical lines, five cells across."""
    fx = torch.remainder(x * 5.0, 1.0)
    fy = torch.remainder(y * 5.0, 1.0)
    return (fx < 0.2) | (fy < 0.2)


#: Pattern masks in the order of concepts.PATTERNS.
PATTERN_MASKS = (plain, stripes, checker, dots, grid)
