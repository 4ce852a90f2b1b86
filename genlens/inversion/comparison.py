"""Every inversion method on the same images, measured alike, with the reference and chance bounds."""

from __future__ import annotations

import torch
from torch import nn

from genlens.features import FeatureExtractor
from genlens.inversion.loop import Outcome, invert_batches
from genlens.inversion.protocol import SamplingConfig
from genlens.measure.inversion_fidelity import inversion_fidelity
from genlens.progress import progress_bar

#: The bounds every metric is read against; not inversion methods.
BOUNDS = ("reference", "chance")


def compare(
    classifier: nn.Module,
    layer: str,
    methods: dict,
    images: torch.Tensor,
    unrelated: torch.Tensor,
    samples: int = 1,
    sampling: SamplingConfig | None = None,
    records: list[dict] | None = None,
    probes=None,
    observer=None,
    batch_size: int = 64,
) -> tuple[dict, dict[str, Outcome]]:
    """Run and measure every method (Inverters by name) on images, plus `reference` (the sources
    themselves) and `chance` (each source paired with an unrelated image), each with every figure of
    measure.inversion_fidelity. Returns ({name: metrics}, {name: outcome})."""
    from genlens.measure.probes import probe_truth

    sampling = sampling or SamplingConfig()
    maps = FeatureExtractor(classifier, [layer])(images.to(next(classifier.parameters()).device))[layer].cpu()
    outcomes = {
        "reference": Outcome(images[:, None].expand(-1, samples, -1, -1, -1), 0.0),
        "chance": Outcome(unrelated[: len(images), None].expand(-1, samples, -1, -1, -1), 0.0),
    }
    with progress_bar() as bar:
        for name, method in methods.items():
            outcomes[name] = invert_batches(method, maps, samples, sampling, batch_size, name, bar)
    truth = [probe_truth(r) for r in records] if records is not None else None
    metrics = {
        name: inversion_fidelity(classifier, layer, images, o.samples, o.seconds, truth, probes, observer, full=True)
        for name, o in outcomes.items()
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
