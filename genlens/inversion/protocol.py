"""What every inversion method is: an Inverter for one (classifier, layer), sampled under a SamplingConfig."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from genlens.classifiers.classifier import Classifier
from genlens.features import FeatureExtractor


@dataclass(frozen=True)
class SamplingConfig:
    """How samples are drawn: solver steps, sampler (dpm or ddim), guidance (None: the inverter's
    own default), the seed of the first image (a batch starting at image i uses seed + i) and, for a
    base's own captions, critic guidance (None: the base's own strength, 0: off)."""

    steps: int = 20
    sampler: str = "dpm"
    guidance: float | None = None
    seed: int = 0
    critic_guidance: float | None = None

    def at(self, start: int) -> "SamplingConfig":
        """The config for a batch that starts at image `start`."""
        return replace(self, seed=self.seed + start)


class Inverter:
    """Images whose `layer` features match given maps, for one classifier.

    Subclasses set `classifier`, `layer` and `pooled` (through `bind`) and implement `invert_maps`;
    `default_guidance` is what a SamplingConfig without guidance gets."""

    default_guidance: float = 1.0
    classifier: Classifier
    layer: str
    pooled: bool = False

    def bind(self, classifier: Classifier, layer: str, pooled: bool = False) -> None:
        self.classifier, self.layer, self.pooled = classifier, layer, pooled
        self.features = FeatureExtractor(classifier, [layer])

    @property
    def device(self) -> torch.device:
        return next(self.classifier.parameters()).device

    @property
    def classifier_spec(self) -> str:
        return getattr(self.classifier, "spec", "")

    def guidance(self, sampling: SamplingConfig) -> float:
        return self.default_guidance if sampling.guidance is None else sampling.guidance

    def feature_maps(self, images: torch.Tensor) -> torch.Tensor:
        """The layer's maps of images (N, 3, S, S) in [0, 1]."""
        return self.features(images.to(self.device))[self.layer]

    def invert_maps(self, maps: torch.Tensor, samples: int = 1, sampling: SamplingConfig | None = None) -> torch.Tensor:
        """(N, samples, 3, S, S) images in [0, 1] for the maps."""
        raise NotImplementedError

    def invert(self, images: torch.Tensor, samples: int = 1, sampling: SamplingConfig | None = None) -> torch.Tensor:
        """The images' maps, then invert_maps."""
        return self.invert_maps(self.feature_maps(images), samples, sampling)
