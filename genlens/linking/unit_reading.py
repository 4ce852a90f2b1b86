"""Reading unit sweeps automatically: what the probes, the morphology and the classifier see change
between a sweep's first and last image, against the null of random directions, and each unit's label."""

from __future__ import annotations

import numpy as np
import torch

from genlens.measure.morphology import MORPHOLOGY, change, morphology

#: The concepts a unit is labelled with, and the reading that measures each.
LABEL_CONCEPTS: dict[str, str] = {
    "shape": "probe:shape",
    "color": "probe:color",
    "size": "probe:size",
    "x": "morphology:x",
    "y": "morphology:y",
    "background_pattern": "probe:background_pattern",
    "background_color": "probe:background_color",
}
#: Share of null directions an effect must exceed (its bootstrap interval's lower end must).
NULL_QUANTILE = 0.95
#: The least effect that counts whatever the null: a flip in a tenth of the sources, a centre moved by
#: half a pixel at 32 px (the renderer's own sub-pixel jitter is below both).
NUISANCE_FLOOR: dict[str, float] = {"probe": 0.1, "classifier": 0.1, "head": 0.1, "morphology:x": 0.5 / 32, "morphology:y": 0.5 / 32}


def nuisance_floor(key: str) -> float:
    """The floor for a reading key (by its full name, else its prefix); 0 where none is set."""
    return NUISANCE_FLOOR.get(key, NUISANCE_FLOOR.get(key.split(":")[0], 0.0))


def read_images(images: torch.Tensor, probes, classifier) -> dict[str, np.ndarray]:
    """{reading: (N,)} for images: `probe:CONCEPT` (value index), `morphology:STAT` (float), and
    `classifier` (label index)."""
    out = {}
    if probes is not None:
        out.update({f"probe:{c}": v.numpy() for c, v in probes.predict(images).items()})
    out.update({f"morphology:{k}": v for k, v in morphology(images).items()})
    out["classifier"] = classifier.predict(images).numpy()
    return out


def endpoint_changes(first: dict[str, np.ndarray], last: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{reading: (..., N)} per-source change from a sweep's first to its last image: 1/0 for a
    categorical reading that differs, |difference| for a statistic (NaN where no object was found)."""
    out = {}
    for key, before in first.items():
        after = last[key]
        if key.startswith("morphology:"):
            out[key] = change(before, after, key.split(":", 1)[1])
        else:
            out[key] = (before != after).astype(float)
    return out


def bootstrap_means(effects: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, low, high) over sources (last axis) with 95% bootstrap intervals, per direction."""
    rng = np.random.default_rng(seed)
    n = effects.shape[-1]
    idx = rng.integers(0, n, (n_boot, n))
    boots = np.nanmean(effects[..., idx], axis=-1)  # (K, B)
    mean = np.nanmean(effects, axis=-1)
    return mean, np.nanpercentile(boots, 2.5, axis=-1), np.nanpercentile(boots, 97.5, axis=-1)


def label_units(changes: dict[str, np.ndarray], n_units: int, n_boot: int = 200, seed: int = 0) -> list[dict]:
    """One record per unit (the first n_units rows of each (K, N) change; the rest are the null):
    {"label": selective | superposed | silent, "concepts": [...], "effects": {reading: {mean, low,
    high, null}}}. A concept counts when the lower end of the unit's interval exceeds the null's
    NULL_QUANTILE of mean effects and the reading's nuisance floor ("null" reports the larger)."""
    stats = {}
    for key, values in changes.items():
        mean, low, high = bootstrap_means(values, n_boot, seed)
        null = mean[n_units:]
        threshold = float(np.nanquantile(null, NULL_QUANTILE)) if len(null) else 0.0
        threshold = max(threshold, nuisance_floor(key))
        stats[key] = (mean, low, high, threshold)
    records = []
    for k in range(n_units):
        effects = {
            key: {"mean": _r(m[k]), "low": _r(lo[k]), "high": _r(hi[k]), "null": _r(t)}
            for key, (m, lo, hi, t) in stats.items()
        }
        hits = [c for c, key in LABEL_CONCEPTS.items() if key in stats and stats[key][1][k] > stats[key][3]]
        label = "silent" if not hits else "selective" if len(hits) == 1 else "superposed"
        records.append({"label": label, "concepts": hits, "effects": effects})
    return records


def _r(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else round(x, 4)


__all__ = ["LABEL_CONCEPTS", "MORPHOLOGY", "endpoint_changes", "label_units", "read_images"]
