"""A classifier that carries its preprocessing, input size and class names, and saves as a folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from genlens.artifacts import WEIGHTS_FILE, save_folder

__all__ = ["WEIGHTS_FILE", "Classifier", "ClassifierConfig"]


@dataclass
class ClassifierConfig:
    """Everything needed to rebuild a saved classifier; stored as config.json."""

    arch: str
    class_names: list[str]
    input_size: int = 32
    mean: list[float] = field(default_factory=lambda: [0.5, 0.5, 0.5])
    std: list[float] = field(default_factory=lambda: [0.25, 0.25, 0.25])
    arch_kwargs: dict = field(default_factory=dict)
    task: str | None = None


class Classifier(nn.Module):
    """`net` behind its normalisation: forward takes (N, 3, S, S) images in [0, 1], returns logits.

    Layer names for feature extraction are those of `net` (its `named_modules()`).
    """

    def __init__(self, net: nn.Module, config: ClassifierConfig, spec: str | None = None):
        super().__init__()
        self.net = net
        self.config = config
        self.spec = spec or config.arch
        self.register_buffer("mean", torch.tensor(config.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(config.std).view(1, 3, 1, 1), persistent=False)

    @property
    def class_names(self) -> list[str]:
        return self.config.class_names

    @property
    def input_size(self) -> int:
        return self.config.input_size

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """Normalise images in [0, 1] the way net was trained."""
        return (images - self.mean) / self.std

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(self.preprocess(images))

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Predicted class indices for images, in eval mode, batch_size at a time."""
        device = self.mean.device
        out = [self(images[i : i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(images), batch_size)]
        return torch.cat(out)

    def save(self, folder: Path, card: dict | None = None, dtype: torch.dtype | None = None) -> Path:
        """Write config.json, model.safetensors (floats cast to dtype if given) and card.json atomically."""
        return save_folder(folder, asdict(self.config), self.net, card, dtype)
