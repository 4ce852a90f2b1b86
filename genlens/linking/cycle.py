"""How well a link holds: the latent's held-out R^2, and the cycle image -> features -> latent ->
image read by the classifier, the probes and the independent reader."""

from __future__ import annotations

import torch

from genlens.classifiers.classifier import Classifier
from genlens.features import FeatureExtractor
from genlens.linking.generator import LatentGenerator
from genlens.linking.link_map import LinkMap
from genlens.linking.pairs import layer_features


def latent_r2(link: LinkMap, features: torch.Tensor, latents: torch.Tensor) -> float:
    """R^2 of the linked latents against the true ones, variance-weighted over latent dimensions."""
    with torch.no_grad():
        predicted = link(features).double()
    truth = latents.double()
    residual = (truth - predicted).pow(2).sum()
    total = (truth - truth.mean(0)).pow(2).sum().clamp_min(1e-12)
    return round(float(1 - residual / total), 4)


def regenerate(link: LinkMap, generator: LatentGenerator, features: torch.Tensor, batch_size: int = 250) -> torch.Tensor:
    """G(L(features)): the generator's images of the linked latents."""
    with torch.no_grad():
        return torch.cat([generator.synthesize(link(features[i : i + batch_size])) for i in range(0, len(features), batch_size)])


def cycle_report(
    classifier: Classifier,
    generator: LatentGenerator,
    link: LinkMap,
    images: torch.Tensor,
    probes=None,
    reader=None,
) -> dict:
    """{"n", "top1", "probes": {concept: retention}, "reader"}: the share of cycle images the
    classifier labels as it labels the source, the share whose concept the probes read the same, and
    the share whose concept the reader reads the same."""
    features = layer_features(FeatureExtractor(classifier, [link.config.layer]), link.config.layer, images)
    cycled = regenerate(link, generator, features)
    report = {"n": len(images), "top1": _same(classifier.predict(images), classifier.predict(cycled))}
    if probes is not None:
        before, after = probes.predict(images), probes.predict(cycled)
        report["probes"] = {c: _same(before[c], after[c]) for c in before}
    if reader is not None:
        before, after = reader.read(images), reader.read(cycled)
        report["reader"] = {
            "spec": reader.spec,
            "concept": reader.concept,
            "agreement": round(sum(a == b for a, b in zip(before, after)) / max(1, len(after)), 4),
        }
    return report


def _same(a: torch.Tensor, b: torch.Tensor) -> float:
    return round(float((a == b).float().mean()), 4)
