"""Sweeping every unit of a link and reading each sweep: the labels, the counts and the strips."""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from genlens.features import FeatureExtractor
from genlens.linking.generator import LatentGenerator
from genlens.linking.link_map import LinkMap
from genlens.linking.sweeps import SweepSettings, directions, edited_features, follow, match_null, sweep_values
from genlens.linking.unit_reading import LABEL_CONCEPTS, endpoint_changes, label_units, read_images
from genlens.progress import progress_bar


def sweep_units(
    link: LinkMap,
    generator: LatentGenerator,
    classifier,
    population: torch.Tensor,
    sources: torch.Tensor,
    units: list[int],
    settings: SweepSettings,
    probes=None,
    strip_sources: int = 4,
    chunk: int = 8,
) -> tuple[dict, dict[str, torch.Tensor]]:
    """({mode: {"units": [record per unit], "counts": {...}}}, {mode: strips (U, strip_sources,
    steps, 3, S, S)}). Every source is read at each sweep's two ends; the strips render every step.

    Sweeps run in the link's standardised feature space, so a null direction moves every unit by
    a share of its own spread, not of a raw scale that near-silent units would blow up."""
    mean, std = link.mean.double(), link.std.double()
    unstandardise = lambda z: (z * std + mean).float()  # noqa: E731
    population, sources = (population.double() - mean) / std, (sources.double() - mean) / std
    dirs = directions(units, population.shape[1], settings.null, settings.seed)
    head = _head(classifier, link.config.layer, population)
    results, strips = {}, {}
    with progress_bar() as bar:
        for mode in settings.modes:
            movement = dirs if mode == "replace" else follow(population, dirs)
            values = match_null(sweep_values(population, dirs, settings), movement, len(units))
            task = bar.add_task(f"sweep units ({mode})", total=len(dirs), info="")
            changes, mode_strips = [], []
            for k in range(0, len(dirs), chunk):
                part = slice(k, k + chunk)
                feats = unstandardise(edited_features(sources, dirs[part], values[part], movement[part]))
                changes.append(_read_ends(link, generator, classifier, probes, feats, head))
                n_strip = max(0, min(len(units) - k, chunk))
                if n_strip and strip_sources:
                    with torch.no_grad():
                        frames = feats[:n_strip, :, :strip_sources].reshape(-1, feats.shape[-1])
                        images = generator.synthesize(link(frames))
                    mode_strips.append(images.view(n_strip, settings.steps, -1, *images.shape[1:]).transpose(1, 2))
                bar.update(task, advance=len(dirs[part]))
            merged = {key: np.concatenate([c[key] for c in changes]) for key in changes[0]}
            records = label_units(merged, len(units), seed=settings.seed)
            for unit, record in zip(units, records):
                record["unit"] = unit
            results[mode] = {"units": records, "counts": count_labels(records)}
            if mode_strips:
                strips[mode] = torch.cat(mode_strips)
    return results, strips


def _read_ends(link, generator, classifier, probes, feats: torch.Tensor, head) -> dict[str, np.ndarray]:
    """{reading: (K, N)} changes between the first and last step of each sweep in feats."""
    k, _, n, d = feats.shape
    ends = torch.stack([feats[:, 0], feats[:, -1]], 1).reshape(-1, d)  # (K * 2 * N, D)
    with torch.no_grad():
        images = generator.synthesize(link(ends))
    reads = read_images(images, probes, classifier)
    if head is not None:
        with torch.no_grad():
            reads["head"] = head(ends).argmax(1).cpu().numpy()
    shaped = {key: v.reshape(k, 2, n) for key, v in reads.items()}
    return endpoint_changes({key: v[:, 0] for key, v in shaped.items()}, {key: v[:, 1] for key, v in shaped.items()})


def _head(classifier, layer: str, population: torch.Tensor):
    """The rest of the network from edited features (logits_from), when the layer's output is the
    linked vector itself; None for pooled spatial maps, which cannot be fed back."""
    extractor = FeatureExtractor(classifier, [layer])
    probe = extractor(torch.zeros(1, 3, classifier.input_size, classifier.input_size))[layer]
    if probe.dim() != 2 or probe.shape[1] != population.shape[1]:
        return None
    return lambda features: extractor.logits_from(layer, features.to(probe.dtype))


def count_labels(records: list[dict]) -> dict:
    """{"selective": {concept: units}, "superposed": n, "silent": n}."""
    labels = Counter(r["label"] for r in records)
    selective = Counter(r["concepts"][0] for r in records if r["label"] == "selective")
    return {
        "selective": {c: selective.get(c, 0) for c in LABEL_CONCEPTS},
        "superposed": labels.get("superposed", 0),
        "silent": labels.get("silent", 0),
    }
