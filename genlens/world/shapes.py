"""Inside tests for each shape, in an object's local frame.

Local coordinates are normalised by the object's radius, so every shape fits in about [-1, 1]^2;
v grows downwards like image rows.
"""

from __future__ import annotations

import math

import torch

#: Half the side of a square, so that squares and circles of one size cover similar areas.
SQUARE_HALF_SIDE = 0.82
#: Distance from the centre to the farthest point of any shape, in radii (the square's corner).
BOUNDING_RADIUS = SQUARE_HALF_SIDE * math.sqrt(2.0)


def circle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u * u + v * v <= 1.0


def square(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.maximum(u.abs(), v.abs()) <= SQUARE_HALF_SIDE


def triangle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Equilateral triangle with circumradius 1, apex up; inside all three edge half-planes."""
    inside = torch.ones_like(u, dtype=torch.bool)
    for k in range(3):
        angle = math.pi / 2 + k * 2 * math.pi / 3
        inside &= u * math.cos(angle) + v * math.sin(angle) <= 0.5
    return inside


def star(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Five-pointed star, point up: radius alternates linearly between 1 and 0.45 every 36 degrees."""
    r = torch.sqrt(u * u + v * v)
    theta = torch.atan2(u, -v)  # 0 at the top point
    phase = torch.remainder(theta, 2 * math.pi / 5) / (2 * math.pi / 5)  # 0 at a point, 0.5 between
    tri = (2 * phase - 1).abs()  # 1 at a point, 0 halfway between points
    return r <= 0.45 + 0.55 * tri


def heart(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The implicit heart (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, scaled to fit the unit radius."""
    x = u * 1.2
    y = -v * 1.2 + 0.15
    return (x * x + y * y - 1.0) ** 3 - x * x * y**3 <= 0.0


#: Inside tests in the order of concepts.SHAPES.
SHAPE_TESTS = (circle, square, triangle, star, heart)
