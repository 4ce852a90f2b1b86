"""What a classifier's layer holds of each world concept: the ceiling on what any inversion of it can keep.

For each concept, two measurements on held-out renders:
- decodable: a logistic regression from the layer's map (mean and max over locations) to the concept,
  fitted on 3,000 training renders and scored on 1,000 held-out ones (chance: 1 / number of values;
  not for position, which pooling over locations removes);
- decodable by a network (`--spatial`): a small convolutional head (two 3x3 convolutions, a max over
  locations, a linear layer) trained on the map itself, an estimate of the best read-out, since an
  inversion cannot keep a concept more often than the map tells it apart;
- moved: the median relative change of the map, |f(edit) - f(x)|^2 / |f(x)|^2, when only that concept of
  the scene is set to another value (every other value in turn), all else kept.
A concept that moves the map less than an inverter's feature error (1 - cosine, roughly) is one the
inverter's samples need not keep.

    python benchmarks/layer_concepts.py --classifier world-cnn --layer layer2 [--classifier DIR ...] [--spatial]
        [--concept C ...] [--train N] [--json]
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import torch

from genlens.classifiers.loader import load_classifier
from genlens.features import FeatureExtractor
from genlens.world import concepts
from genlens.world.edits import OBJECT_CONCEPTS, with_value
from genlens.world.renderer import render
from genlens.world.seeds import held_out
from genlens.world.tasks import get_task


def _pooled(features: FeatureExtractor, layer: str, images: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        f = features(images)[layer]
    return torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1).numpy() if f.dim() == 4 else f.numpy()


def decodable(features: FeatureExtractor, layer: str, concept: str, train, test) -> float:
    """Held-out accuracy of a linear read-out of `concept` from the layer's pooled map."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def labels(sample):
        return [r["objects"][0][concept] for r in sample.records]

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(_pooled(features, layer, train.images), labels(train))
    return float(model.score(_pooled(features, layer, test.images), labels(test)))


def decodable_spatial(features: FeatureExtractor, layer: str, concept: str, train, test, epochs: int = 30) -> float:
    """Held-out accuracy of a small convolutional head trained on the layer's map to read `concept`."""
    from torch import nn

    def data(sample):
        with torch.no_grad():
            maps = features(sample.images)[layer]
        values = concepts.PROBE_CONCEPTS[concept]
        return maps, torch.tensor([values.index(r["objects"][0][concept]) for r in sample.records])

    (x, y), (xt, yt) = data(train), data(test)
    scale = x.std((0, 2, 3), keepdim=True).clamp_min(1e-6)
    mean = x.mean((0, 2, 3), keepdim=True)
    x, xt = (x - mean) / scale, (xt - mean) / scale
    torch.manual_seed(0)
    width = 64
    head = nn.Sequential(
        nn.Conv2d(x.shape[1], width, 3, padding=1), nn.GELU(), nn.Conv2d(width, width, 3, padding=1), nn.GELU(),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(width, len(concepts.PROBE_CONCEPTS[concept])),
    )
    steps = epochs * (len(x) // 128)
    optimizer = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 2e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=generator)[: (len(x) // 128) * 128].view(-1, 128):
            loss = nn.functional.cross_entropy(head(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    with torch.no_grad():
        return float((head(xt).argmax(1) == yt).float().mean())


def moved(features: FeatureExtractor, layer: str, concept: str, test) -> float:
    """Median relative change of the map when the concept alone takes another value."""
    with torch.no_grad():
        f0 = features(test.images)[layer].flatten(1)
        values = concepts.PROBE_CONCEPTS[concept]
        current = np.asarray([r["objects"][0][concept] for r in test.records])
        changes = []
        for value in values:
            others = np.flatnonzero(current != value)
            if not len(others):
                continue
            edited = render(with_value(test.scenes[others], concept, value), test.images.shape[-1])[0]
            f1 = features(edited)[layer].flatten(1)
            changes.append(((f1 - f0[others]) ** 2).sum(1) / (f0[others] ** 2).sum(1).clamp_min(1e-8))
    return float(torch.cat(changes).median())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", action="append", required=True, help="Spec or folder (repeatable).")
    parser.add_argument("--layer", required=True)
    parser.add_argument("--n", type=int, default=1000, help="Held-out renders.")
    parser.add_argument("--train", type=int, default=3000, help="Training renders of the read-out.")
    parser.add_argument("--spatial", action="store_true", help="Also train a convolutional read-out on the map.")
    parser.add_argument("--concept", action="append", help="Only these concepts (repeatable).")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    train = get_task("shape").sample(args.train, seed=123, split="train")
    test = held_out(args.n)
    results = {}
    for spec in args.classifier:
        features = FeatureExtractor(load_classifier(spec), [args.layer])
        results[spec] = {}
        for c in args.concept or OBJECT_CONCEPTS:
            row = {"decodable": None if c == "position" else round(decodable(features, args.layer, c, train, test), 3)}
            if args.spatial:
                row["decodable_spatial"] = round(decodable_spatial(features, args.layer, c, train, test), 3)
            row["moved"] = round(moved(features, args.layer, c, test), 4)
            results[spec][c] = row
    if args.json:
        print(json.dumps({"layer": args.layer, "n": args.n, "classifiers": results}))
        return
    for spec, row in results.items():
        print(f"{spec} {args.layer}: " + "; ".join(f"{c} " + ", ".join(f"{k} {x}" for k, x in v.items()) for c, v in row.items()))


if __name__ == "__main__":
    main()
