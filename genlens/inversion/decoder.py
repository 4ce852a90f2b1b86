"""A learned deterministic decoder (Dosovitskiy & Brox 2016): an up-convolutional network from a
layer's map back to the image, trained with a pixel loss plus a feature loss."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genlens.artifacts import read_folder, save_folder
from genlens.classifiers.classifier import Classifier
from genlens.classifiers.loader import load_classifier
from genlens.errors import GenlensError
from genlens.inversion.protocol import Inverter, SamplingConfig


@dataclass
class DecoderConfig:
    """The (classifier, layer) a decoder reads and its shape: feature map (C, h, w) to a size x size image."""

    classifier: str
    layer: str
    feature_shape: list[int]
    image_size: int
    width: int = 128


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(c_in, c_out, 3, padding=1),
        nn.GroupNorm(8, c_out),
        nn.SiLU(),
        nn.Conv2d(c_out, c_out, 3, padding=1),
        nn.SiLU(),
    )


class FeatureDecoder(nn.Module):
    """(N, C, h, w) maps (or (N, C) vectors, as 1x1 maps) to (N, 3, S, S) images in [0, 1]: a 3x3 conv
    to `width` channels, then x2 up-convolution blocks, halving the width, until the image size."""

    def __init__(self, config: DecoderConfig):
        super().__init__()
        self.config = config
        c, h = config.feature_shape[0], config.feature_shape[1] if len(config.feature_shape) == 3 else 1
        ups = max(0, round(math.log2(config.image_size / h)))
        width = config.width
        layers: list[nn.Module] = [nn.Conv2d(c, width, 3, padding=1), nn.SiLU()]
        for _ in range(ups):
            layers.append(_block(width, max(32, width // 2)))
            width = max(32, width // 2)
        layers.append(nn.Conv2d(width, 3, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, fmaps: torch.Tensor) -> torch.Tensor:
        x = fmaps[..., None, None] if fmaps.dim() == 2 else fmaps
        out = self.net(x.float())
        if out.shape[-1] != self.config.image_size:
            out = F.interpolate(out, size=self.config.image_size, mode="bilinear", align_corners=False)
        return torch.sigmoid(out)


class DecoderInverter(Inverter):
    """A trained FeatureDecoder with its classifier, called like the other inversion methods."""

    def __init__(self, decoder: FeatureDecoder, classifier: Classifier):
        self.decoder = decoder.eval()
        self.bind(classifier, decoder.config.layer)

    @property
    def classifier_spec(self) -> str:
        return self.decoder.config.classifier

    def to(self, device) -> DecoderInverter:
        self.decoder.to(device)
        self.classifier.to(device)
        return self

    @torch.no_grad()
    def invert_maps(self, fmaps: torch.Tensor, samples: int = 1, sampling: SamplingConfig | None = None) -> torch.Tensor:
        """(N, samples, 3, S, S): the decoder is deterministic, so every sample is the same image."""
        images = self.decoder(fmaps.to(self.device)).cpu()
        return images[:, None].expand(-1, samples, -1, -1, -1).contiguous()

    def save(self, folder: Path, card: dict | None = None, dtype: torch.dtype | None = None) -> Path:
        return save_folder(folder, asdict(self.decoder.config), self.decoder, card, dtype)

    @classmethod
    def load(cls, folder: Path | str, device="cpu", classifier: Classifier | None = None) -> DecoderInverter:
        """A decoder folder (config.json, model.safetensors) with its classifier (or the one given)."""
        config, state = read_folder(folder, DecoderConfig, "a genlens decoder")
        decoder = FeatureDecoder(config)
        try:
            decoder.load_state_dict(state)
        except RuntimeError as e:
            raise GenlensError(f"the weights in {folder} do not fit its config: {str(e).splitlines()[0]}") from None
        return cls(decoder, classifier or load_classifier(config.classifier)).to(device)
