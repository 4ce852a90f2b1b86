"""What a sweep changes, read by the probes, the independent reader and the classifier: the
steered concept's reading (on target) and every other concept's change from alpha 0 (off target)."""

from __future__ import annotations

import torch

from genlens.steering.sweep import Sweep


def read_concepts(probes, reader, images: torch.Tensor) -> list[dict[str, str]]:
    """One dict of readings per image: every probe concept, and "reader" if there is a reader."""
    rows = probes.predict_names(images) if probes is not None else [{} for _ in range(len(images))]
    if reader is not None:
        for row, name in zip(rows, reader.read(images)):
            row["reader"] = name
    return rows


def _share(flags) -> float:
    flags = list(flags)
    return round(sum(flags) / max(1, len(flags)), 4)


def resampling_noise(probes, reader, first: torch.Tensor, second: torch.Tensor) -> dict[str, float]:
    """Per concept, the share of readings that differ between two samplings of the same maps
    (N, K, 3, S, S) with other seeds: the noise floor every change is held against."""
    a, b = read_concepts(probes, reader, first.flatten(0, 1)), read_concepts(probes, reader, second.flatten(0, 1))
    return {c: _share(x[c] != y[c] for x, y in zip(a, b)) for c in (a[0] if a else {})}


def read_sweep(sweep: Sweep, probes, reader, class_names: list[str], concept: str | None, value: str | None) -> dict:
    """Per alpha: the share of inversions whose `concept` reads `value` (probes; the reader where it
    reads that concept), each concept's share changed from alpha 0, and the classifier's reading of
    the steered maps through logits_from (top-1 share and mean probability of `value`, if a class)."""
    alphas = sweep.alphas
    zero = alphas.index(0.0)
    a, n, k = sweep.samples.shape[:3]
    rows = [read_concepts(probes, reader, sweep.samples[i].flatten(0, 1)) for i in range(a)]
    names = list(rows[0][0]) if rows and rows[0] else []
    changed = {c: [_share(x[c] != y[c] for x, y in zip(step, rows[zero])) for step in rows] for c in names}
    out: dict = {"alphas": alphas, "changed": changed}
    if concept is not None and concept in names:
        out["on_target"] = [_share(r[concept] == value for r in step) for step in rows]
    if reader is not None and concept == reader.concept:
        out["reader_on_target"] = [_share(r["reader"] == value for r in step) for step in rows]
    off = [c for c in names if c not in (concept, "reader")]
    out["off_target_max"] = [max((changed[c][i] for c in off), default=0.0) for i in range(a)]
    probs = sweep.logits.softmax(-1)
    top = probs.argmax(-1)
    out["logits"] = {"top1_changed": [_share((top[i] != top[zero]).tolist()) for i in range(a)]}
    if value in class_names:
        j = list(class_names).index(value)
        out["logits"]["top1_is_value"] = [_share((top[i] == j).tolist()) for i in range(a)]
        out["logits"]["mean_probability"] = [round(float(probs[i, :, j].mean()), 4) for i in range(a)]
    return out


def is_monotonic(alphas: list[float], curve: list[float], tolerance: float = 0.0) -> bool:
    """Whether curve never falls (by more than tolerance) as alpha grows."""
    ordered = [y for _, y in sorted(zip(alphas, curve))]
    return all(b >= a - tolerance for a, b in zip(ordered, ordered[1:]))
