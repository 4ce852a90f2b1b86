"""Concept steering in input space: move maps along a direction, f' = f + alpha * v in a region,
and invert every step with the same seeds, so that what changes along a sweep is alpha's doing."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlens.inversion.loop import invert_batches
from genlens.inversion.protocol import Inverter, SamplingConfig
from genlens.progress import progress_bar
from genlens.steering.directions import ConceptDirection


def steer_maps(maps: torch.Tensor, direction: ConceptDirection, alpha: float, weights: torch.Tensor) -> torch.Tensor:
    """maps (N, C, H, W) + alpha * direction where weights (N, 1, H, W) say so."""
    return maps + alpha * direction.field(maps) * weights.to(maps.device, maps.dtype)


@dataclass
class Sweep:
    """A direction's steps: the steered maps' logits (A, N, classes) and their inversions (A, N, K, 3, S, S)."""

    direction: ConceptDirection
    alphas: list[float]
    samples: torch.Tensor
    logits: torch.Tensor
    seconds: float


def sweep_direction(
    inverter: Inverter, maps: torch.Tensor, direction: ConceptDirection, alphas: list[float], weights: torch.Tensor,
    samples: int = 1, sampling: SamplingConfig | None = None, images: torch.Tensor | None = None, bar=None,
) -> Sweep:
    """Invert maps steered by each alpha (every alpha sampled with the same seeds); `images` are
    the sources, which `logits_from` runs the rest of the network on."""
    sampling = sampling or SamplingConfig()
    if bar is None:
        with progress_bar() as own:
            return sweep_direction(inverter, maps, direction, alphas, weights, samples, sampling, images, own)
    outs, logits, seconds = [], [], 0.0
    for alpha in alphas:
        steered = steer_maps(maps, direction, alpha, weights)
        with torch.no_grad():
            logits.append(inverter.features.logits_from(inverter.layer, steered, images).cpu())
        outcome = invert_batches(inverter, steered, samples, sampling, label=f"{direction.kind} alpha {alpha:g}", bar=bar)
        outs.append(outcome.samples.cpu())
        seconds += outcome.seconds
    return Sweep(direction, list(alphas), torch.stack(outs), torch.stack(logits), seconds)
