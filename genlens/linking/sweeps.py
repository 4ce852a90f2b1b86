"""Unit sweeps: move one unit (or a random direction, the null) of the features through its
population's percentile range, link, synthesize; the other units fixed (replace) or following
their correlation with it (conditional)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlens.errors import GenlensError

MODES = ("replace", "conditional")


@dataclass
class SweepSettings:
    """How units are swept. faithful: the paper's protocol (min-max range, 3 steps, replace only)."""

    steps: int = 7
    low: float = 5.0
    high: float = 95.0
    modes: tuple[str, ...] = MODES
    null: int = 32
    sources: int = 50
    seed: int = 0
    faithful: bool = False

    def __post_init__(self):
        if self.faithful:
            self.steps, self.low, self.high, self.modes = 3, 0.0, 100.0, ("replace",)
        unknown = [m for m in self.modes if m not in MODES]
        if unknown:
            raise GenlensError(f"unknown sweep mode '{unknown[0]}', expected replace, conditional or both")
        if self.steps < 2:
            raise GenlensError(f"a sweep needs at least 2 steps, got {self.steps}")
        if not 0 <= self.low < self.high <= 100:
            raise GenlensError(f"the sweep's range must be percentiles 0 <= low < high <= 100, got {self.low},{self.high}")


def directions(units: list[int], dim: int, null: int, seed: int) -> torch.Tensor:
    """(len(units) + null, dim) unit vectors: the units' axes, then random directions (the null)."""
    axes = torch.eye(dim, dtype=torch.float64)[units]
    g = torch.Generator().manual_seed(seed)
    random = torch.randn(null, dim, generator=g, dtype=torch.float64)
    return torch.cat([axes, random / random.norm(dim=1, keepdim=True)])


def sweep_values(population: torch.Tensor, direction: torch.Tensor, settings: SweepSettings) -> torch.Tensor:
    """(K, steps) values of each direction's projection, evenly spaced over the population's
    low-high percentiles."""
    proj = population.double() @ direction.T  # (P, K)
    lo = torch.quantile(proj, settings.low / 100, dim=0)
    hi = torch.quantile(proj, settings.high / 100, dim=0)
    t = torch.linspace(0, 1, settings.steps, dtype=torch.float64)
    return lo[:, None] + (hi - lo)[:, None] * t[None]


def match_null(values: torch.Tensor, movement: torch.Tensor, n_units: int) -> torch.Tensor:
    """values with the null directions' (rows n_units on) ranges rescaled about their centres, so that
    a null sweep moves the features as far (first to last step, Euclidean) as the units' median sweep."""
    span = (values[:, -1] - values[:, 0]) * movement.norm(dim=1)
    if n_units >= len(values) or n_units == 0:
        return values
    target = span[:n_units].median()
    null = values[n_units:]
    centre = null.mean(1, keepdim=True)
    scale = target / span[n_units:].clamp_min(1e-12)
    return torch.cat([values[:n_units], centre + (null - centre) * scale[:, None]])


def follow(population: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """(K, D): how the features move per unit of projection on each direction when the other units
    follow their linear correlation with it (Sigma u / u' Sigma u); the direction itself for replace."""
    x = population.double()
    cov = torch.cov(x.T)
    moved = direction @ cov  # (K, D)
    var = (moved * direction).sum(1, keepdim=True).clamp_min(1e-12)
    return moved / var


def edited_features(
    sources: torch.Tensor, direction: torch.Tensor, values: torch.Tensor, movement: torch.Tensor
) -> torch.Tensor:
    """(K, steps, N, D): each source with its projection on direction k set to values[k, s], the
    features moving along movement[k] (the direction for replace, follow() for conditional)."""
    r = sources.double()
    proj = r @ direction.T  # (N, K)
    shift = values[:, :, None] - proj.T[:, None, :]  # (K, S, N)
    return r[None, None] + shift[..., None] * movement[:, None, None, :]
