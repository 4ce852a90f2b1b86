"""Feature steering: at every sampling step, move the predicted clean image a little towards the target
map by gradient descent on the classifier's feature error, and let the solver continue from there.

An inverter's ControlNet makes the target map likely; it does not make it exact. Steering closes the
remaining gap with the classifier itself, the way optimisation-based inversion does, while the
diffusion model keeps the image on the manifold of images it draws (the correction enters each step
through the predicted clean image, as in manifold-preserving guided diffusion, so no gradient flows
through the denoiser)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlens.features import FeatureExtractor, pool
from genlens.generators.guidance import gradient_steer, pixels
from genlens.images import resize
from genlens.measure.fidelity import relative_feature_error


@dataclass
class FeatureSteering:
    """strength: RMS change of the predicted clean image per iteration, in [-1, 1] pixel units
    (0 turns steering off: FeatInv's sampler); iterations: gradient steps per sampling step."""

    strength: float = 0.0
    iterations: int = 8

    @property
    def active(self) -> bool:
        return self.strength > 0 and self.iterations > 0


#: The setting measured in BENCHMARKS.md (world-cnn layer3, 256 images: feature cosine 0.81 -> 0.95).
MEASURED = FeatureSteering(strength=0.005, iterations=8)


def feature_steer(
    features: FeatureExtractor, layer: str, target: torch.Tensor, steering: FeatureSteering, pooled=False, decode=pixels
):
    """steer(clean, t) for WorldDiffusionPipeline: each clean sample (pixels, or latents that decode
    turns into images, differentiably) moved along the normalised negative gradient of its relative
    feature error against target (N, ...)."""
    target = pool(target) if pooled else target

    def error(images: torch.Tensor) -> torch.Tensor:
        predicted = features(resize(images, features.input_size), keep_graph=True)[layer]
        return relative_feature_error(target, pool(predicted) if pooled else predicted).sum()

    return gradient_steer(error, steering.strength, steering.iterations, decode)
