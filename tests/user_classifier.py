"""A user's own classifier, built by their code: `--classifier python:user_classifier:tiny_shape_classifier`."""

import torch
from torch import nn

from genlens.world import concepts


def tiny_shape_classifier() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, len(concepts.SHAPES)),
    )
    net.genlens = {"class_names": list(concepts.SHAPES), "input_size": 32, "mean": [0.5] * 3, "std": [0.25] * 3}
    return net


def not_a_network():
    return "a string"
