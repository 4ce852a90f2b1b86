"""Concept directions at a layer, learnt from world renders that differ in one concept alone.

Every direction is scaled so that alpha = 1 moves a map by the typical distance between the two
values along it (for PCA: one standard deviation of the component), so alphas mean the same for
every kind:

- ``mean``: the paired renders' difference, as the per-location change that explains it best
  (least squares over each cell's cover by the object or the background);
- ``cav``: a linear probe's weights (logistic regression, CAV-style) on per-location features;
- ``class``: the classifier's own head, the gradient of the target class's log-probability through
  ``logits_from``;
- ``pca:K``: the K-th principal component of per-location features, unsupervised. PCA rather than
  NMF: it works on any layer (NMF needs non-negative maps, and a ViT's tokens are not), its
  components are ordered and unique, and a direction is a vector one can add, where NMF's parts are not.

A direction is a (C,) vector, added at every location of a region, except for position, whose
direction is a (C, H, W) map (a position is a place on the grid, not a per-location feature).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from genlens.errors import GenlensError
from genlens.features import FeatureExtractor
from genlens.steering.regions import object_masks
from genlens.world import concepts
from genlens.world.edits import OBJECT_CONCEPTS, check_value, with_value
from genlens.world.renderer import render
from genlens.world.seeds import EVAL_SEED
from genlens.world.tasks import get_task

KINDS = ("mean", "cav", "class", "pca:K")
#: Per-location feature vectors a CAV or a PCA is fitted on, at most.
MAX_LOCATIONS = 20_000


@dataclass
class ConceptDirection:
    """A direction at `layer`: alpha * vector is what a step of alpha adds to a map (in a region)."""

    kind: str
    layer: str
    vector: torch.Tensor  # (C,) or (C, H, W)
    concept: str | None = None
    value: str | None = None
    source_value: str | None = None

    @property
    def norm(self) -> float:
        return float(self.vector.norm())

    def field(self, maps: torch.Tensor) -> torch.Tensor:
        """The direction broadcast to maps (N, C, H, W)."""
        v = self.vector.to(maps.device, maps.dtype)
        return v.view(1, -1, 1, 1).expand_as(maps) if v.dim() == 1 else v.unsqueeze(0).expand_as(maps)

    def random_like(self, seed: int = 0) -> "ConceptDirection":
        """A random direction of the same shape and norm: the control of every sweep."""
        g = torch.Generator().manual_seed(seed)
        v = torch.randn(self.vector.shape, generator=g)
        return ConceptDirection("random", self.layer, v * (self.norm / float(v.norm())), self.concept, self.value, self.source_value)

    def describe(self) -> dict:
        """The direction's kind, concept, values, shape and norm, for reports."""
        return {
            "kind": self.kind, "layer": self.layer, "concept": self.concept, "value": self.value,
            "from": self.source_value, "shape": list(self.vector.shape), "norm": round(self.norm, 4),
        }


@dataclass
class LabelledMaps:
    """Maps of scenes with the concept at its source values (`source`) and at the target (`target`),
    with each set's region weights (N, H, W): the object's cells, or the background's."""

    source: torch.Tensor
    target: torch.Tensor
    source_weights: torch.Tensor
    target_weights: torch.Tensor
    source_images: torch.Tensor


def labelled_maps(
    classifier, layer: str, concept: str, value: str, source_value: str | None = None, n: int = 256, seed: int = 0
) -> LabelledMaps:
    """Maps of n training-split scenes set to `value`, and the same scenes set to `source_value`
    (None: the scenes whose own value differs, as drawn)."""
    check_value(concept, value)
    task = get_task("shape")
    drawn = task.sample(n, seed=EVAL_SEED + 7_919 + seed, split="train", size=classifier.input_size).scenes
    if source_value is None:
        own = {"shape": drawn.shape[:, 0], "color": drawn.color[:, 0], "size": drawn.size[:, 0],
               "background_pattern": drawn.pattern, "background_color": drawn.background}
        if concept == "position":
            own["position"] = np.asarray([concepts.position_bin(float(x), float(y)) for x, y in drawn.xy[:, 0]])
        keep = np.flatnonzero(own[concept] != concepts.PROBE_CONCEPTS[concept].index(value))
        source_scenes = drawn[keep]
    else:
        check_value(concept, source_value)
        if source_value == value:
            raise GenlensError(f"--from {source_value} is the target value itself")
        source_scenes = with_value(drawn, concept, source_value)
    target_scenes = with_value(source_scenes, concept, value)
    maps, weights, images = [], [], []
    for scenes in (source_scenes, target_scenes):
        sample_images, cover = render(scenes, classifier.input_size, soft_masks=True)
        m = layer_maps(classifier, layer, sample_images)
        w = object_masks(cover, tuple(m.shape[2:]))
        maps.append(m)
        weights.append(w if concept in OBJECT_CONCEPTS else 1 - w)
        images.append(sample_images)
    return LabelledMaps(maps[0], maps[1], weights[0], weights[1], images[0])


def _region_mean(maps: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(C,) mean of per-location features weighted by (N, H, W)."""
    return (maps * weights.unsqueeze(1)).sum((0, 2, 3)) / weights.sum().clamp_min(1e-6)


def _locations(maps: torch.Tensor, weights: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """(L, C) feature vectors at the locations whose weight is at least half, at most MAX_LOCATIONS."""
    vectors = maps.permute(0, 2, 3, 1)[weights >= 0.5]
    if len(vectors) > MAX_LOCATIONS:
        vectors = vectors[torch.as_tensor(rng.choice(len(vectors), MAX_LOCATIONS, replace=False))]
    return vectors


def _gap(data: LabelledMaps) -> torch.Tensor:
    """(C,) the per-location change v that best explains the paired maps' difference as w * v, w the
    region's cover of each cell (least squares): exact where the layer is linear in the pixels."""
    w = torch.maximum(data.source_weights, data.target_weights).unsqueeze(1)
    return (w * (data.target - data.source)).sum((0, 2, 3)) / w.pow(2).sum().clamp_min(1e-6)


def _scaled(unit: torch.Tensor, data: LabelledMaps) -> torch.Tensor:
    """unit (its sign kept: a probe's or the head's) scaled by the size of the values' mean
    difference along it."""
    unit = unit / unit.norm().clamp_min(1e-12)
    return unit * abs(float(_gap(data) @ unit))


def mean_direction(data: LabelledMaps, spatial: bool) -> torch.Tensor:
    return data.target.mean(0) - data.source.mean(0) if spatial else _gap(data)


def cav_direction(data: LabelledMaps, seed: int = 0) -> torch.Tensor:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    pos = _locations(data.target, data.target_weights, rng)
    neg = _locations(data.source, data.source_weights, rng)
    x = torch.cat([pos, neg]).double().numpy()
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    # Raw features, not standardised: the L2 penalty then keeps the weights in the features' span.
    fit = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    return _scaled(torch.as_tensor(fit.coef_[0], dtype=torch.float32), data)


def class_direction(classifier, layer: str, data: LabelledMaps, value: str, spatial: bool) -> torch.Tensor:
    if value not in classifier.class_names:
        raise GenlensError(f"--direction class needs a class of the classifier; '{value}' is not one of {', '.join(classifier.class_names)}")
    target = list(classifier.class_names).index(value)
    extractor = FeatureExtractor(classifier, [layer])
    maps = data.source.clone().requires_grad_(True)
    logits = extractor.logits_from(layer, maps, data.source_images.to(maps.device))
    torch.log_softmax(logits, 1)[:, target].sum().backward()
    grad = maps.grad.detach()
    if spatial:
        unit = grad.mean(0)
        gap = data.target.mean(0) - data.source.mean(0)
        unit = unit / unit.norm().clamp_min(1e-12)
        return unit * abs(float((gap * unit).sum()))
    return _scaled(_region_mean(grad, data.source_weights), data)


def pca_direction(maps: torch.Tensor, component: int, gap: torch.Tensor | None = None, seed: int = 0) -> torch.Tensor:
    """The component-th principal axis of maps' per-location features, scaled by its standard
    deviation, signed along gap (a concept's mean difference) or else towards its largest loading."""
    x = _locations(maps, torch.ones(maps.shape[0], *maps.shape[2:]), np.random.default_rng(seed)).double()
    if not 1 <= component <= x.shape[1]:
        raise GenlensError(f"pca:{component} is out of range: the layer has {x.shape[1]} channels")
    x = x - x.mean(0)
    values, vectors = torch.linalg.eigh(x.T @ x / max(1, len(x) - 1))
    unit = vectors[:, -component].float()
    sign = float(gap @ unit) if gap is not None else float(unit[unit.abs().argmax()])
    return unit * (1.0 if sign >= 0 else -1.0) * float(values[-component].clamp_min(0).sqrt())


def drawn_maps(classifier, layer: str, n: int, seed: int = 0) -> torch.Tensor:
    """Maps of n training-split renders as drawn (the unsupervised directions' data)."""
    sample = get_task("shape").sample(n, seed=EVAL_SEED + 7_919 + seed, split="train", size=classifier.input_size)
    return layer_maps(classifier, layer, sample.images)


@torch.no_grad()
def layer_maps(classifier, layer: str, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """(N, C, H, W) maps of images at layer, in batches; a one-line error for a layer of vectors."""
    extractor = FeatureExtractor(classifier, [layer])
    device = next(classifier.parameters()).device
    maps = torch.cat([extractor(images[i : i + batch_size].to(device))[layer].cpu() for i in range(0, len(images), batch_size)])
    if maps.dim() != 4:
        raise GenlensError(f"layer {layer} gives vectors, not maps: steering needs a spatial layer")
    return maps


def parse_kind(kind: str) -> tuple[str, int]:
    """("pca", K) from "pca:K", (kind, 0) for the others; a one-line error for anything else."""
    if kind.startswith("pca:"):
        try:
            return "pca", int(kind[4:])
        except ValueError:
            pass
    elif kind in ("mean", "cav", "class"):
        return kind, 0
    raise GenlensError(f"unknown direction '{kind}': one of mean, cav, class, pca:K (K = 1, 2, ...)")


def concept_direction(
    classifier, layer: str, concept: str, value: str, kind: str = "mean", source_value: str | None = None,
    n: int = 256, seed: int = 0,
) -> ConceptDirection:
    """The `kind` direction at layer towards concept = value (from source_value, or from the other
    values), learnt from n paired world renders."""
    name, component = parse_kind(kind)
    if concept is None:
        if name != "pca":
            raise GenlensError(f"--direction {kind} needs --concept CONCEPT=VALUE")
        vector = pca_direction(drawn_maps(classifier, layer, n, seed), component, seed=seed)
        return ConceptDirection(kind, layer, vector.float().cpu())
    spatial = concept == "position"
    if spatial and name in ("cav", "pca"):
        raise GenlensError("a position is a place on the grid: steer it with --direction mean or class")
    data = labelled_maps(classifier, layer, concept, value, source_value, n, seed)
    with torch.enable_grad():
        vector = {
            "mean": lambda: mean_direction(data, spatial),
            "cav": lambda: cav_direction(data, seed),
            "class": lambda: class_direction(classifier, layer, data, value, spatial),
            "pca": lambda: pca_direction(torch.cat([data.source, data.target]), component, _gap(data), seed),
        }[name]()
    return ConceptDirection(kind, layer, vector.detach().float().cpu(), concept, value, source_value)
