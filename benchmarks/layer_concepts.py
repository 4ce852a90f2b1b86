"""What a classifier's layer holds of each world concept: the ceiling on what any inversion of it can keep.

For each concept, two measurements on held-out renders:
- decodable: a logistic regression from the layer's map (mean and max over locations) to the concept,
  fitted on 3,000 training renders and scored on 1,000 held-out ones (chance: 1 / number of values;
  not for position, which pooling over locations removes);
- moved: the median relative change of the map, |f(edit) - f(x)|^2 / |f(x)|^2, when only that concept of
  the scene is set to another value (every other value in turn), all else kept.
A concept that moves the map less than an inverter's feature error (1 - cosine, roughly) is one the
inverter's samples need not keep.

    python benchmarks/layer_concepts.py --classifier world-cnn --layer layer2 [--classifier DIR ...] [--json]
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
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    train = get_task("shape").sample(args.train, seed=123, split="train")
    test = held_out(args.n)
    results = {}
    for spec in args.classifier:
        features = FeatureExtractor(load_classifier(spec), [args.layer])
        results[spec] = {
            c: {
                "decodable": None if c == "position" else round(decodable(features, args.layer, c, train, test), 3),
                "moved": round(moved(features, args.layer, c, test), 4),
            }
            for c in OBJECT_CONCEPTS
        }
    if args.json:
        print(json.dumps({"layer": args.layer, "n": args.n, "classifiers": results}))
        return
    for spec, row in results.items():
        print(f"{spec} {args.layer}: " + "; ".join(f"{c} decodable {v['decodable']}, moved {v['moved']}" for c, v in row.items()))


if __name__ == "__main__":
    main()
