"""Every inversion method on the same images, measured alike, with the reference and chance bounds."""

from __future__ import annotations

import time
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
from genlens.measure.image_quality import FeatureSpace, frechet_distance, penultimate_space, psnr, ssim
from genlens.measure.observer import observer_agreement
from genlens.progress import progress_bar

#: The bounds every metric is read against; not inversion methods.
BOUNDS = ("reference", "chance")


@dataclass
class Outcome:
    """One method's samples (N, K, 3, S, S) and the seconds it took to make them."""

    samples: torch.Tensor
    seconds: float


def run_methods(
    methods: dict, maps: torch.Tensor, samples: int, seed: int, batch_size: int = 64, **sampling
) -> dict[str, Outcome]:
    """Invert maps with every method (objects with invert_maps), in batches, timing each."""
    outcomes = {}
    with progress_bar() as bar:
        for name, method in methods.items():
            task = bar.add_task(name, total=len(maps), info="")
            parts, seconds = [], 0.0
            for start in range(0, len(maps), batch_size):
                t0 = time.perf_counter()
                parts.append(
                    method.invert_maps(maps[start : start + batch_size], samples=samples, seed=seed + start, **sampling)
                )
                seconds += time.perf_counter() - t0
                bar.update(task, advance=len(parts[-1]))
            outcomes[name] = Outcome(torch.cat(parts), seconds)
    return outcomes


def measure(
    outcome: Outcome,
    images: torch.Tensor,
    classifier: nn.Module,
    layer: str,
    space: FeatureSpace,
    truth: list[dict] | None = None,
    probes=None,
    observer=None,
) -> dict:
    """The comparison's metrics for one method's samples against their sources (see README)."""
    n, k = outcome.samples.shape[:2]
    flat = outcome.samples.flatten(0, 1).float()
    sources = images.repeat_interleave(k, 0).float()
    features = FeatureExtractor(classifier, [layer])
    device = next(classifier.parameters()).device
    src_maps, gen_maps = (features(x.to(device))[layer].cpu() for x in (sources, flat))
    with torch.no_grad():
        src_logits, gen_logits = (classifier(x.to(device)).cpu() for x in (sources, flat))
    retention = None
    if probes is not None and truth is not None:
        retention = concept_retention(probes.predict_names(flat), [t for t in truth for _ in range(k)])
    return {
        "feature_cosine": _r(feature_cosine(src_maps, gen_maps).mean()),
        "feature_cosine_median_location": _r(feature_cosine_median_location(src_maps, gen_maps).mean()),
        "top1_agreement": _r(topk_agreement(src_logits, gen_logits, 1).mean()),
        "top5_agreement": _r(topk_agreement(src_logits, gen_logits, 5).mean()),
        "observer_agreement": _r(observer_agreement(observer, sources, flat).mean()) if observer is not None else None,
        "concept_retention": {c: _r(v) for c, v in retention.items()} if retention else None,
        "ssim": _r(ssim(sources, flat).mean()),
        "psnr": _r(psnr(sources, flat).mean()),
        "frechet_distance": _r(frechet_distance(images, flat, space)),
        "frechet_distance_observer": _r(frechet_distance(images, flat, penultimate_space(observer)))
        if observer is not None
        else None,
        "diversity": _r(diversity(outcome.samples)),
        "seconds_per_image": _r(outcome.seconds / (n * k)),
    }


def _r(value) -> float:
    return round(float(value), 4)


def compare(
    classifier: nn.Module,
    layer: str,
    methods: dict,
    images: torch.Tensor,
    unrelated: torch.Tensor,
    samples: int = 1,
    seed: int = 0,
    records: list[dict] | None = None,
    probes=None,
    observer=None,
    **sampling,
) -> tuple[dict, dict[str, Outcome]]:
    """Run and measure every method on images, plus `reference` (the sources themselves) and `chance`
    (each source paired with an unrelated image). Returns ({name: metrics}, {name: outcome})."""
    from genlens.measure.probes import probe_truth

    maps = FeatureExtractor(classifier, [layer])(images.to(next(classifier.parameters()).device))[layer].cpu()
    outcomes = {
        "reference": Outcome(images[:, None].expand(-1, samples, -1, -1, -1), 0.0),
        "chance": Outcome(unrelated[: len(images), None].expand(-1, samples, -1, -1, -1), 0.0),
    }
    outcomes.update(run_methods(methods, maps, samples, seed, **sampling))
    truth = [probe_truth(r) for r in records] if records is not None else None
    space = penultimate_space(classifier)
    metrics = {
        name: measure(o, images, classifier, layer, space, truth, probes, observer) for name, o in outcomes.items()
    }
    return metrics, outcomes


def reading(metrics: dict[str, dict]) -> list[str]:
    """Plain sentences on the comparison table: the best method per fidelity metric, where a baseline
    beats FeatInv, and any method no better than chance."""
    methods = [m for m in metrics if m not in BOUNDS]
    lines = []
    for key, label in (("feature_cosine", "feature cosine"), ("top1_agreement", "top-1 agreement")):
        if not methods:
            break
        best = max(methods, key=lambda m: metrics[m][key])
        lines.append(
            f"Best {label}: {best} ({metrics[best][key]}), between chance ({metrics['chance'][key]}) "
            f"and the sources themselves ({metrics['reference'][key]})."
        )
        if "featinv" in metrics and best != "featinv":
            lines.append(
                f"{best} beats featinv on {label} ({metrics[best][key]} vs {metrics['featinv'][key]})" + _why(best, key)
            )
    lines += _second_observer(metrics, methods)
    observed = [m for m in methods if metrics[m].get("observer_agreement") is not None]
    if observed:
        best = max(observed, key=lambda m: metrics[m]["observer_agreement"])
        lines.append(
            f"Read by the observer, a classifier of another architecture, the source's class shows most in "
            f"{best}'s images ({metrics[best]['observer_agreement']}; unrelated images: "
            f"{metrics['chance']['observer_agreement']})."
        )
    if methods and all(metrics[m].get("frechet_distance") is not None for m in methods):
        closest = min(methods, key=lambda m: metrics[m]["frechet_distance"])
        lines.append(
            f"Closest to real images in the classifier's penultimate space: {closest} "
            f"(Fréchet distance {metrics[closest]['frechet_distance']})."
        )
    for m in methods:
        if metrics[m]["feature_cosine"] <= metrics["chance"]["feature_cosine"]:
            lines.append(f"{m} is no closer in feature space than an unrelated image.")
    return lines


def _second_observer(metrics: dict[str, dict], methods: list[str]) -> list[str]:
    """Where a method beats featinv on the classifier's top-1 but an independent reader (the observer
    classifier, or the probes reading shape) sees the source in its images no more often than in
    featinv's: a lead that another model does not see."""
    featinv = metrics.get("featinv")
    if featinv is None:
        return []
    readers = (
        ("by the observer classifier", lambda m: m.get("observer_agreement")),
        ("as its shape by the probes", lambda m: (m.get("concept_retention") or {}).get("shape")),
    )
    lines = []
    for m in methods:
        if m == "featinv" or metrics[m]["top1_agreement"] <= featinv["top1_agreement"]:
            continue
        unseen = [
            f"{how} {'less' if read(metrics[m]) < read(featinv) else 'no more'} often "
            f"({read(metrics[m])} vs {read(featinv)})"
            for how, read in readers
            if read(metrics[m]) is not None and read(featinv) is not None and read(metrics[m]) <= read(featinv)
        ]
        if unseen:
            lines.append(
                f"{m}'s images are read as the source's class by the classifier more often than featinv's "
                f"({metrics[m]['top1_agreement']} vs {featinv['top1_agreement']}) but "
                + " and ".join(unseen)
                + ": part of its lead lies in features that another model does not see."
            )
    return lines


def _why(method: str, key: str) -> str:
    if method == "optimization":
        return ": it optimises the feature match directly, so its images can match features without looking natural."
    if method == "featinv-steered":
        return ": it moves every sampling step's image along the classifier's gradient, by amounts too small to see."
    if method == "decoder":
        return ": it regresses to the mean image of a map, trading diversity for a closer average."
    return "."
