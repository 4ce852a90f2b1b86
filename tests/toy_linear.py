"""A linear toy: a classifier whose layer is a fixed rank-3 embedding of each pixel's RGB, and
its exact inverter; what a concept direction does to it is known in closed form."""

from __future__ import annotations

import torch
from torch import nn

from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.inversion.protocol import Inverter
from genlens.world import concepts

CHANNELS = 32


class ToyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.Identity()
        self.embed = nn.Conv2d(3, CHANNELS, 1, bias=False)
        self.head = nn.Linear(CHANNELS, len(concepts.SHAPES))
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            self.embed.weight.copy_(torch.randn(CHANNELS, 3, 1, 1, generator=g))
            self.head.weight.copy_(torch.randn(len(concepts.SHAPES), CHANNELS, generator=g) * 0.1)

    def forward(self, x):
        return self.head(self.embed(self.pool(x)).mean((2, 3)))


def toy_classifier() -> Classifier:
    return Classifier(ToyNet().eval(), ClassifierConfig("toy", list(concepts.SHAPES), task="shape"))


class ToyInverter(Inverter):
    """The exact inverse of the toy's layer: least squares per location."""

    def __init__(self, classifier: Classifier):
        self.bind(classifier, "embed")
        self.weight = classifier.net.embed.weight.detach()[:, :, 0, 0]  # (C, 3)

    def invert_maps(self, maps, samples=1, sampling=None):
        n, c, h, w = maps.shape
        flat = maps.permute(0, 2, 3, 1).reshape(-1, c)
        rgb = torch.linalg.lstsq(self.weight, flat.T).solution.T.reshape(n, h, w, 3).permute(0, 3, 1, 2)
        images = (rgb * 0.25 + 0.5).clamp(0, 1)
        return images.unsqueeze(1).expand(n, samples, *images.shape[1:]).clone()
