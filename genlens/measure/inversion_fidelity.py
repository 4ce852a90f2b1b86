"""Every fidelity figure of an inversion from its sources, its samples and the readers: one function
that `invert`, `eval inversion` and `bench sampler` all report from."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from genlens.features import FeatureExtractor
from genlens.measure.fidelity import (
    concept_retention,
    diversity,
    feature_cosine,
    feature_cosine_median_location,
    topk_agreement,
)
from genlens.measure.image_quality import frechet_distance, penultimate_space, psnr, ssim
from genlens.measure.observer import observer_agreement

#: The figures every run reports; `full=True` adds the comparison's image-quality figures.
CORE = ("feature_cosine", "top1_agreement", "observer_agreement", "concept_retention", "diversity", "seconds_per_image")


@dataclass
class Readings:
    """The classifier's reading of each (source, sample) pair: maps, logits, cosine and top-1 (N, K)."""

    source_maps: torch.Tensor
    sample_maps: torch.Tensor
    source_logits: torch.Tensor
    sample_logits: torch.Tensor
    cosine: torch.Tensor
    top1: torch.Tensor


@torch.no_grad()
def read_pairs(classifier: nn.Module, layer: str, sources: torch.Tensor, samples: torch.Tensor, batch_size: int = 256) -> Readings:
    """The layer's maps and the logits of sources (N, 3, S, S) and samples (N, K, 3, S, S), in batches."""
    n, k = samples.shape[:2]
    features = FeatureExtractor(classifier, [layer])
    device = next(classifier.parameters()).device

    def read(images: torch.Tensor):
        maps, logits = [], []
        for i in range(0, len(images), batch_size):
            x = images[i : i + batch_size].to(device).float()
            maps.append(features(x)[layer].cpu())
            logits.append(classifier(x).cpu())
        return torch.cat(maps), torch.cat(logits)

    src_maps, src_logits = read(sources)
    gen_maps, gen_logits = read(samples.flatten(0, 1))
    src_maps, src_logits = src_maps.repeat_interleave(k, 0), src_logits.repeat_interleave(k, 0)
    cosine = feature_cosine(src_maps, gen_maps).view(n, k)
    top1 = topk_agreement(src_logits, gen_logits).view(n, k)
    return Readings(src_maps, gen_maps, src_logits, gen_logits, cosine, top1)


def inversion_fidelity(
    classifier: nn.Module,
    layer: str,
    sources: torch.Tensor,
    samples: torch.Tensor,
    seconds: float = 0.0,
    truth: list[dict] | None = None,
    probes=None,
    observer=None,
    full: bool = False,
    readings: Readings | None = None,
    read_concepts: list[dict[str, str]] | None = None,
) -> dict:
    """The figures of samples (N, K, 3, S, S) against their sources (N, 3, S, S): feature cosine and
    top-1 agreement by the classifier, the observer's agreement (a classifier of another architecture),
    the probes' concept retention against world truth (one dict of true values per source), diversity
    and seconds per image; with full, also the median-location cosine, top-5, SSIM, PSNR and the
    Fréchet distances in the classifier's and the observer's penultimate spaces. read_concepts: the
    probes' reading of the N * K samples when the caller has it already."""
    n, k = samples.shape[:2]
    r = readings or read_pairs(classifier, layer, sources, samples)
    flat = samples.flatten(0, 1).float()
    retention = None
    if probes is not None and truth is not None:
        read = read_concepts if read_concepts is not None else probes.predict_names(flat)
        retention = {c: _r(v) for c, v in concept_retention(read, [t for t in truth for _ in range(k)]).items()}
    figures = {
        "feature_cosine": _r(r.cosine.mean()),
        "top1_agreement": _r(r.top1.mean()),
        "observer_agreement": _r(observer_agreement(observer, sources.repeat_interleave(k, 0).float(), flat).mean())
        if observer is not None
        else None,
        "concept_retention": retention,
        "diversity": _r(diversity(samples)),
        "seconds_per_image": _r(seconds / (n * k)),
    }
    if full:
        repeated = sources.repeat_interleave(k, 0).float()
        figures.update(
            feature_cosine_median_location=_r(feature_cosine_median_location(r.source_maps, r.sample_maps).mean()),
            top5_agreement=_r(topk_agreement(r.source_logits, r.sample_logits, 5).mean()),
            ssim=_r(ssim(repeated, flat).mean()),
            psnr=_r(psnr(repeated, flat).mean()),
            frechet_distance=_r(frechet_distance(sources, flat, penultimate_space(classifier))),
            frechet_distance_observer=_r(frechet_distance(sources, flat, penultimate_space(observer)))
            if observer is not None
            else None,
        )
    return figures


def _r(value) -> float:
    return round(float(value), 4)
