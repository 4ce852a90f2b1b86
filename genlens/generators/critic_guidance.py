"""Critic guidance: at every sampling step, move the predicted clean image a little towards what its
caption names, by gradient descent on the generators' critic's cross-entropy for the caption's concepts
(classifier guidance on the clean estimate, as FeatInv's feature steering does with a classifier's maps).

The critic is the generator's own network, never one that measures generated images (the probes, the
reader, world-cnn), and a strong pull makes images that only the critic reads (adversarial patterns),
so each setting is judged by the independent reader (BENCHMARKS.md, "World generator pilots")."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from genlens.generators.critic import WorldCritic
from genlens.generators.guidance import gradient_steer


@dataclass
class CriticGuidance:
    """strength: RMS change of the clean sample per iteration, in sample units (0: off);
    iterations: gradient steps per sampling step; below: guide only at timesteps under this share of
    the training schedule (1: every step; 0.5: the less noisy half, where clean estimates are sharp)."""

    strength: float = 0.01
    iterations: int = 8
    below: float = 1.0


#: The target of a sample whose truth does not name a concept: cross-entropy skips it.
UNNAMED = -100


def concept_targets(critic: WorldCritic, truths: list[dict[str, str]]) -> dict[str, torch.Tensor]:
    """Per critic concept named in any truth (concept -> value, probe vocabulary), the (N,) class
    indices, UNNAMED for the samples whose truth does not name it (those are not guided on it)."""
    names = critic.concepts
    named = [c for c in names if any(c in t for t in truths)]
    return {c: torch.tensor([names[c].index(t[c]) if c in t else UNNAMED for t in truths]) for c in named}


def critic_steer(
    critic: WorldCritic, targets: dict[str, torch.Tensor], guidance: CriticGuidance, decode, train_timesteps: int = 1000
):
    """steer(clean, t) for WorldDiffusionPipeline: each clean sample (decoded to images by decode,
    differentiably) moved along the normalised negative gradient of the critic's summed cross-entropy
    for its targets (at timesteps below guidance.below x train_timesteps)."""
    critic = critic.eval().requires_grad_(False)

    def cross_entropy(images: torch.Tensor) -> torch.Tensor:
        logits = critic(images)
        return sum(
            F.cross_entropy(logits[c], v.to(images.device), reduction="sum", ignore_index=UNNAMED) for c, v in targets.items()
        )

    steer = gradient_steer(cross_entropy, guidance.strength, guidance.iterations, decode)
    if guidance.below >= 1:
        return steer
    cutoff = guidance.below * train_timesteps
    return lambda clean, t: steer(clean, t) if float(t) < cutoff else clean
