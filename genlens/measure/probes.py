"""Concept probes: one network that reads every concept of a world image, the automatic eyes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genlens.artifacts import read_folder, save_folder
from genlens.classifiers.architectures import WorldCNN
from genlens.world import SceneBatch, concepts


@dataclass
class ProbeConfig:
    """The concepts read (name -> values, in label order) and the trunk's widths."""

    concepts: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in concepts.PROBE_CONCEPTS.items()}
    )
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])
    input_size: int = 32


def concept_targets(scenes: SceneBatch) -> dict[str, np.ndarray]:
    """The probes' labels of each scene's first object and background, by concept name."""
    bins = np.asarray([concepts.position_bin(float(x), float(y)) for x, y in scenes.xy[:, 0]])
    return {
        "shape": scenes.shape[:, 0],
        "color": scenes.color[:, 0],
        "size": scenes.size[:, 0],
        "position": bins,
        "background_pattern": scenes.pattern,
        "background_color": scenes.background,
    }


class ConceptProbe(nn.Module):
    """A WorldCNN whose head gives one logit group per concept; x, y coordinate channels are
    appended to the image so that position is read directly rather than through padding."""

    def __init__(self, config: ProbeConfig | None = None):
        super().__init__()
        self.config = config or ProbeConfig()
        sizes = [len(v) for v in self.config.concepts.values()]
        self.net = WorldCNN(num_classes=sum(sizes), widths=tuple(self.config.widths), in_chans=5)
        self.splits = sizes

    @property
    def concept_names(self) -> list[str]:
        return list(self.config.concepts)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits per concept for (N, 3, H, W) images in [0, 1]."""
        n, _, h, w = images.shape
        ys = torch.linspace(-1, 1, h, device=images.device).view(1, 1, h, 1).expand(n, 1, h, w)
        xs = torch.linspace(-1, 1, w, device=images.device).view(1, 1, 1, w).expand(n, 1, h, w)
        logits = self.net(torch.cat([(images - 0.5) / 0.25, xs, ys], 1))
        return dict(zip(self.concept_names, logits.split(self.splits, dim=1)))

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 256) -> dict[str, torch.Tensor]:
        """Predicted value index per concept, in eval mode (images resized to the probes' input size)."""
        from genlens.images import resize

        self.eval()
        images = resize(images, self.config.input_size)
        device = next(self.parameters()).device
        parts = [self(images[i : i + batch_size].to(device)) for i in range(0, len(images), batch_size)]
        return {c: torch.cat([p[c].argmax(1).cpu() for p in parts]) for c in self.concept_names}

    @torch.no_grad()
    def predict_names(self, images: torch.Tensor) -> list[dict[str, str]]:
        """Predicted concept values, one dict of names per image."""
        pred = self.predict(images)
        values = self.config.concepts
        return [{c: values[c][int(pred[c][i])] for c in pred} for i in range(len(images))]

    def save(self, folder: Path, card: dict | None = None, dtype: torch.dtype | None = None) -> Path:
        """Write config.json, model.safetensors (floats cast to dtype if given) and card.json atomically."""
        return save_folder(folder, asdict(self.config), self.net, card, dtype)

    @classmethod
    def load(cls, folder: Path | str | None = None) -> "ConceptProbe":
        """The probes saved in folder; the shipped ones by default."""
        if folder is None:
            from genlens.shipped import weights_root

            folder = weights_root() / "probes"
        config, state = read_folder(folder, ProbeConfig, "a concept probes folder")
        probe = cls(config)
        probe.net.load_state_dict(state)
        return probe.eval()


def probe_truth(record: dict) -> dict[str, str]:
    """The probe concepts of a world record (its first object and its background), as names."""
    obj = record["objects"][0]
    return {
        "shape": obj["shape"],
        "color": obj["color"],
        "size": obj["size"],
        "position": obj["position"],
        "background_pattern": record["background"]["pattern"],
        "background_color": record["background"]["color"],
    }
