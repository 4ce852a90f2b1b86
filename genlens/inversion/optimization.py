"""Optimisation-based feature inversion (Mahendran & Vedaldi 2015): gradient descent on the image."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlens.classifiers.classifier import Classifier
from genlens.inversion.protocol import Inverter, SamplingConfig


@dataclass
class OptimizationConfig:
    """The step budget and priors: total variation (exponent beta), alpha-norm around mid-grey, jitter."""

    steps: int = 200
    lr: float = 0.05
    tv_weight: float = 2.0
    tv_beta: float = 2.0
    alpha: float = 6.0
    alpha_weight: float = 1e-3
    jitter: int = 1  # pixels; Mahendran & Vedaldi's 4 at 224 px, scaled to 32 px


def total_variation(x: torch.Tensor, beta: float) -> torch.Tensor:
    """(N,) mean of (dx² + dy²)^(beta/2) over the image (Mahendran & Vedaldi's TV^beta prior)."""
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    return (dx.pow(2) + dy.pow(2) + 1e-8).pow(beta / 2).flatten(1).mean(1)


class OptimizationInverter(Inverter):
    """Images whose features at `layer` match given maps, found by Adam on the pixels from noise.

    Loss per image: ||phi(x) - phi0||² / ||phi0||² + tv_weight * TV^beta(x) + alpha_weight * ||2x - 1||_alpha^alpha,
    with the image shifted by a random jitter before each step. Batched over images and samples.
    """

    def __init__(self, classifier: Classifier, layer: str, config: OptimizationConfig | None = None):
        self.settings = config or OptimizationConfig()
        self.bind(classifier.eval().requires_grad_(False), layer)

    def invert_maps(self, fmaps: torch.Tensor, samples: int = 1, sampling: SamplingConfig | None = None) -> torch.Tensor:
        """(N, samples, 3, S, S) images in [0, 1]; each sample starts from its own noise (sampling.seed;
        its steps, sampler and guidance are the diffusion methods' and do not apply)."""
        s, size, seed = self.settings, self.classifier.input_size, (sampling or SamplingConfig()).seed
        target = fmaps.to(self.device).float().repeat_interleave(samples, 0)
        norm = target.flatten(1).pow(2).sum(1).clamp_min(1e-8)
        g = torch.Generator().manual_seed(seed)
        x = (0.5 + 0.1 * torch.randn(len(target), 3, size, size, generator=g)).to(self.device).requires_grad_(True)
        optimizer = torch.optim.Adam([x], lr=s.lr)
        with torch.enable_grad():
            for _ in range(s.steps):
                dx, dy = torch.randint(-s.jitter, s.jitter + 1, (2,), generator=g).tolist()
                shifted = torch.roll(x, shifts=(dy, dx), dims=(2, 3)) if s.jitter else x
                fmap = self.features(shifted.clamp(0, 1), keep_graph=True)[self.layer]
                match = (fmap - target).flatten(1).pow(2).sum(1) / norm
                prior = s.tv_weight * total_variation(x, s.tv_beta) + s.alpha_weight * (2 * x - 1).abs().pow(
                    s.alpha
                ).flatten(1).mean(1)
                loss = (match + prior).sum()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        return x.detach().clamp(0, 1).view(len(fmaps), samples, 3, size, size).cpu()
