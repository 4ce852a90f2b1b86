"""The objects' pose as a latent of the world base: the rotation a caption does not name.

Trained on captions alone, a denoiser's clean-image estimate is the average over every rotation of the
shape the caption names, a round blob (benchmarks/conditional_means.py). A base whose text encoder
config sets `pose_features` also hears the rotation of the scene's objects, as harmonics of the angle
through the class-embedding path beside the caption's bag of words (generators.conditioning). The
pipeline draws a pose for every image it samples, so its images cover every rotation; an empty prompt
(the unconditional branch, FeatInv's inversions) has no pose, read as all zeros, which no real pose
gives (each harmonic has unit norm).
"""

from __future__ import annotations

import math

import torch

#: How the objects of a base's training scenes are turned: "world" (each at its own uniform angle, as
#: the world draws them), "upright" (every object at 0) or "shared" (every object of a scene at that
#: scene's one uniform angle, so that one pose describes a multi-object scene too; the base hears it).
POSES = ("world", "upright", "shared")
#: Harmonics of the angle the base hears: the shapes' symmetries repeat every 360 (heart), 120
#: (triangle), 90 (square) and 72 (star) degrees, so the first five harmonics tell all their poses apart.
POSE_HARMONICS = 5
POSE_FEATURES = 2 * POSE_HARMONICS


def pose_features(degrees: torch.Tensor) -> torch.Tensor:
    """(N, POSE_FEATURES) cos and sin of k times each angle, k = 1 .. POSE_HARMONICS."""
    angle = degrees.float()[:, None] * (math.pi / 180) * torch.arange(1, POSE_HARMONICS + 1, device=degrees.device)
    return torch.cat([angle.cos(), angle.sin()], dim=1)


def pose_feature_count(text_encoder) -> int:
    """The pose features a base's text encoder config asks for (0: a base without a pose)."""
    return int(getattr(text_encoder.config, "pose_features", 0) or 0)


def draw_poses(prompts: list[str], generator: torch.Generator | list[torch.Generator] | None) -> torch.Tensor:
    """A uniform angle in [0, 360) degrees for each prompt, NaN (no pose) for empty prompts; with a
    list of generators, prompt i's angle is drawn from generator i alone."""
    if isinstance(generator, list):
        angles = torch.cat([torch.rand(1, generator=g) for g in generator])
    else:
        angles = torch.rand(len(prompts), generator=generator)
    empty = torch.tensor([not p for p in prompts])
    return torch.where(empty, torch.nan, angles * 360)


def pose_labels(degrees: torch.Tensor | None, n: int) -> torch.Tensor:
    """(n, POSE_FEATURES) features of each angle; zeros where the angle is NaN or none is given."""
    if degrees is None:
        return torch.zeros(n, POSE_FEATURES)
    known = ~torch.isnan(degrees)
    return pose_features(torch.nan_to_num(degrees)) * known[:, None].to(torch.float32)
