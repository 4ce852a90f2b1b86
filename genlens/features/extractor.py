"""FeatureExtractor: any layer of any classifier as an NCHW map, its pooled vector, and the rest
of the network run from an edited map."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
from torch import nn

from genlens.classifiers.classifier import Classifier
from genlens.errors import GenlensError
from genlens.features.layout import ActivationLayout


class _Captured(Exception):
    """Raised by the last hook to stop a forward pass once every requested layer is captured."""


def _first_tensor(out):
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    return None


class FeatureExtractor:
    """Reads the outputs of named layers of a model.

    model is a genlens Classifier (images in [0, 1] are normalised with its preprocessing and layer
    names are those of `model.net`) or any nn.Module (fed as given). layers are dotted names from
    `named_modules()`; an unknown name raises GenlensError listing the valid ones. Hooks live only
    during a call, and captured outputs are copied, so in-place activations cannot change them.

    >>> fx = FeatureExtractor(load_classifier("world-cnn"), ["layer2", "layer3"])
    >>> maps = fx(images)            # {"layer2": (N, 64, 16, 16), "layer3": (N, 128, 8, 8)}
    >>> logits = fx.logits_from("layer3", maps["layer3"] * 2)
    """

    def __init__(
        self,
        model: nn.Module,
        layers: str | Sequence[str],
        chunk_size: int = 256,
        layout: ActivationLayout | None = None,
    ):
        if isinstance(model, Classifier):
            self.net, self.preprocess, self.input_size = model.net, model.preprocess, model.input_size
        else:
            self.net, self.preprocess, self.input_size = model, (lambda x: x), None
        self.layers = [layers] if isinstance(layers, str) else list(layers)
        if not self.layers:
            raise GenlensError("no layer given")
        self.modules = dict(self.net.named_modules())
        unknown = [name for name in self.layers if name not in self.modules or name == ""]
        if unknown:
            valid = ", ".join(n for n in self.modules if n)
            raise GenlensError(f"unknown layer '{unknown[0]}'; valid layers are: {valid}")
        self.chunk_size = chunk_size
        self.layout = layout or ActivationLayout.of(self.net)

    @contextmanager
    def _hooks(self, layers: Sequence[str], store: dict, keep_graph: bool, stop: bool) -> Iterator[None]:
        remaining = set(layers)

        def make_hook(name: str):
            def hook(module, inputs, out):
                t = _first_tensor(out)
                if t is None:
                    return
                t = t if keep_graph else t.detach()
                store[name] = self.layout.to_map(name, t).clone()
                remaining.discard(name)
                if stop and not remaining:
                    raise _Captured

            return hook

        handles = [self.modules[n].register_forward_hook(make_hook(n)) for n in layers]
        try:
            yield
        except _Captured:
            pass
        finally:
            for h in handles:
                h.remove()

    def _run(self, images: torch.Tensor, layers: Sequence[str], keep_graph: bool) -> dict[str, torch.Tensor]:
        chunks: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
        device = next(self.net.parameters(), torch.empty(0)).device
        grad = torch.enable_grad() if keep_graph else torch.no_grad()
        with grad:
            for i in range(0, len(images), self.chunk_size):
                store: dict[str, torch.Tensor] = {}
                with self._hooks(layers, store, keep_graph, stop=True):
                    self.net(self.preprocess(images[i : i + self.chunk_size].to(device)))
                for n in layers:
                    chunks[n].append(store[n])
        return {n: torch.cat(c) for n, c in chunks.items()}

    def __call__(self, images: torch.Tensor, keep_graph: bool = False) -> dict[str, torch.Tensor]:
        """{layer: map} for (N, 3, H, W) images; maps are NCHW where the layer is spatial or a token
        grid, else the layer's own shape. keep_graph keeps them differentiable w.r.t. images."""
        return self._run(images, self.layers, keep_graph)

    def pooled(self, images: torch.Tensor, keep_graph: bool = False) -> dict[str, torch.Tensor]:
        """{layer: (N, C)}: spatial maps averaged over locations, vectors as they are."""
        return {n: pool(m) for n, m in self(images, keep_graph).items()}

    def logits_from(self, layer: str, fmap: torch.Tensor, images: torch.Tensor | None = None) -> torch.Tensor:
        """The network's output when `layer` outputs fmap (NCHW, as this extractor gives it).

        The forward pass runs on images (default: zeros at the model's input size) with the layer's
        output replaced; for token models the prefix tokens come from that pass. Differentiable in fmap.
        """
        if layer not in self.modules:
            FeatureExtractor(self.net, [layer])  # raises the error listing valid names
        if images is None:
            if self.input_size is None:
                raise GenlensError("logits_from needs images for a model of unknown input size")
            images = fmap.new_zeros(len(fmap), 3, self.input_size, self.input_size)

        def replace(module, inputs, out):
            original = _first_tensor(out)
            new = self.layout.from_map(layer, fmap.to(original.dtype), original)
            if new.shape != original.shape:
                raise GenlensError(
                    f"feature map of shape {tuple(fmap.shape[1:])} does not fit layer '{layer}' "
                    f"(expects {tuple(self.layout.to_map(layer, original).shape[1:])})"
                )
            return new if isinstance(out, torch.Tensor) else (new, *out[1:])

        handle = self.modules[layer].register_forward_hook(replace)
        try:
            return self.net(self.preprocess(images))
        finally:
            handle.remove()

    def layer_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, per-example shape) of every module the forward pass calls, in named_modules order."""
        if self.input_size is None:
            raise GenlensError("layer shapes need a model of known input size")
        names = [n for n in self.modules if n]
        store: dict[str, torch.Tensor] = {}
        device = next(self.net.parameters(), torch.empty(0)).device
        with torch.no_grad(), self._hooks(names, store, keep_graph=False, stop=False):
            self.net(self.preprocess(torch.zeros(1, 3, self.input_size, self.input_size, device=device)))
        return [(n, tuple(store[n].shape[1:])) for n in names if n in store]


def pool(fmap: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C) by the mean over locations; other shapes are flattened per example."""
    return fmap.mean((2, 3)) if fmap.dim() == 4 else fmap.flatten(1)


def list_layers(model: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    """(name, per-example output shape) of every layer of a Classifier at its input size."""
    net = model.net if isinstance(model, Classifier) else model
    first = next(n for n, _ in net.named_modules() if n)
    return FeatureExtractor(model, [first]).layer_shapes()
