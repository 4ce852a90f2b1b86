"""Gradient guidance on the clean estimate: the one loop behind every `steer(clean, t)` that
WorldDiffusionPipeline takes (FeatInv's feature steering, critic guidance). No gradient flows through
the denoiser: the clean sample alone moves, and the solver continues from it."""

from __future__ import annotations

from typing import Callable

import torch


def pixels(clean: torch.Tensor) -> torch.Tensor:
    """A pixel-space base's clean sample in [-1, 1] as images in [0, 1]."""
    return ((clean + 1) / 2).clamp(0, 1)


def gradient_steer(
    loss: Callable[[torch.Tensor], torch.Tensor], strength: float, iterations: int, decode=pixels
) -> Callable[[torch.Tensor, object], torch.Tensor]:
    """steer(clean, t): `iterations` steps of each clean sample (decoded to images by decode,
    differentiably) along the negative gradient of loss(images), a scalar, each step normalised to an
    RMS change of `strength` per sample."""

    def steer(clean: torch.Tensor, t) -> torch.Tensor:
        x = clean.detach()
        for _ in range(iterations):
            x = x.clone().requires_grad_(True)
            with torch.enable_grad():
                (grad,) = torch.autograd.grad(loss(decode(x)), x)
            rms = grad.flatten(1).pow(2).mean(1).sqrt().clamp_min(1e-12).view(-1, *[1] * (grad.dim() - 1))
            x = (x - strength * grad / rms).detach()
        return x

    return steer
