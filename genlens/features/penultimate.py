"""The penultimate layer of a classifier: the module whose output feeds its last linear layer."""

from __future__ import annotations

import torch
from torch import nn

from genlens.classifiers.classifier import Classifier
from genlens.errors import GenlensError


def penultimate_layer(classifier: Classifier) -> str:
    """The dotted name of the last module that completes before the head (the last nn.Linear the
    forward pass calls) with an output of the head's input width, e.g. `pool` for world-cnn."""
    net = classifier.net
    order: list[tuple[str, nn.Module, torch.Size]] = []
    handles = [
        m.register_forward_hook(lambda mod, _i, out, name=name: order.append((name, mod, getattr(out, "shape", None))))
        for name, m in net.named_modules()
        if name
    ]
    try:
        with torch.no_grad():
            device = next(net.parameters(), torch.empty(0)).device
            net(classifier.preprocess(torch.zeros(1, 3, classifier.input_size, classifier.input_size, device=device)))
    finally:
        for h in handles:
            h.remove()
    heads = [i for i, (_, m, _) in enumerate(order) if isinstance(m, nn.Linear)]
    if not heads:
        raise GenlensError("the classifier has no linear head; name a layer with --layer")
    head = order[heads[-1]][1]
    for name, _, shape in reversed(order[: heads[-1]]):
        if shape is not None and len(shape) >= 2 and shape[1:].numel() == head.in_features:
            return name
    raise GenlensError("no layer feeds the classifier's head directly; name a layer with --layer")
