"""The audit's inversion part: at each layer, held-out renders inverted from their feature maps and
read back by concept: which concepts the inversions keep, and which they do not recover."""

from __future__ import annotations

import torch

from genlens.world import concepts


def chance(concept: str) -> float:
    """The share a reader guessing uniformly would keep of a probe concept."""
    return round(1 / len(concepts.PROBE_CONCEPTS[concept]), 4)


def lift(share: float, concept: str) -> float:
    """How far a share is from chance towards every image: 0 at chance, 1 at every image."""
    return round((share - chance(concept)) / (1 - chance(concept)), 4)


def is_kept(share: float, concept: str) -> bool:
    """Kept: at least halfway from chance to every image."""
    return share >= round(chance(concept) + (1 - chance(concept)) / 2, 4)


def pick_method(classifier, layer: str, requested: str = "auto") -> str:
    """featinv where a shipped inverter exists for (classifier, layer), else the optimisation baseline."""
    if requested != "auto":
        return requested
    from genlens.inversion.registry import shipped_inverters

    have = {(e["classifier"], e["layer"]) for e in shipped_inverters() if not e["pooled"]}
    return "featinv" if (getattr(classifier, "spec", None), layer) in have else "optimization"


def layer_inversions(classifier, task: str, layers: list[str], settings, device, probes, reader) -> tuple[list[dict], list[torch.Tensor]]:
    """([per layer: {layer, method, retention, reader, kept, not_recovered, feature_cosine,
    top1_agreement, seconds}], [per layer: (N, 1 + K, 3, S, S) sources beside their inversions])."""
    from genlens.inversion.loop import invert_batches
    from genlens.inversion.methods import load_method
    from genlens.inversion.protocol import SamplingConfig
    from genlens.measure.inversion_fidelity import inversion_fidelity
    from genlens.measure.probes import probe_truth
    from genlens.world.seeds import held_out

    sample = held_out(settings.inversion_images, task, settings.seed, size=classifier.input_size)
    truth = [probe_truth(r) for r in sample.records]
    rows, grids = [], []
    for layer in layers:
        method = pick_method(classifier, layer, settings.inversion_method)
        inverter = load_method(method, classifier, layer, device)
        sampling = SamplingConfig(steps=settings.inversion_steps, seed=settings.seed)
        maps = inverter.feature_maps(sample.images)
        outcome = invert_batches(inverter, maps, settings.inversion_samples, sampling, label=f"invert {layer} ({method})")
        samples = outcome.samples.cpu()
        figures = inversion_fidelity(classifier, layer, sample.images, samples, outcome.seconds, truth, probes)
        retention = figures["concept_retention"] or {}
        k = samples.shape[1]
        read = reader.agreement(samples.flatten(0, 1), [t for t in truth for _ in range(k)]) if reader else None
        rows.append({
            "layer": layer,
            "method": method,
            "retention": retention,
            "chance": {c: chance(c) for c in retention},
            "reader": {"spec": reader.spec, "concept": reader.concept, "agreement": read} if reader else None,
            "kept": [c for c, v in retention.items() if is_kept(v, c)],
            "not_recovered": [c for c, v in retention.items() if not is_kept(v, c)],
            "feature_cosine": figures["feature_cosine"],
            "top1_agreement": figures["top1_agreement"],
            "seconds": round(outcome.seconds, 1),
        })
        grids.append(torch.cat([sample.images[:, None].cpu(), samples], 1))
    return rows, grids
