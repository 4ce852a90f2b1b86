"""One DEPICT run: baselines, importance ranking and assumption checks, as the JSON `genlens permute` prints."""

from __future__ import annotations

import time

import numpy as np
import torch

from genlens.permutation.checks import classifier_scores, effective_generation, independent_permutation
from genlens.permutation.generation import GenerationCache
from genlens.permutation.importance import Permutations, rank_concepts, run_permutations
from genlens.permutation.scoring import resolve_metric
from genlens.permutation.table import ConceptTable


def depict(
    classifier,
    table: ConceptTable,
    labels: np.ndarray,
    generator,
    real_images: torch.Tensor | None = None,
    probes=None,
    metric: str = "auto",
    repeats: int = 5,
    seed: int = 0,
    pool: int | None = None,
    reader=None,
) -> tuple[dict, Permutations]:
    """Rank table's concepts by the classifier's performance drop when each is permuted across captions.

    labels are class indices of the classifier; real_images (the rows' own images), when given, let the
    effective-generation check compare generated with real; probes enable the concept checks, and the
    independent reader (measure.reader) reads its concept beside them.
    """
    t0 = time.perf_counter()
    metric = resolve_metric(metric, len(classifier.class_names))
    cache = GenerationCache(generator, pool)
    runs = run_permutations(classifier, table, cache, repeats, seed)
    importance = rank_concepts(runs, labels, metric, seed=seed)
    checks: dict = {}
    if real_images is not None:
        real, generated = classifier_scores(classifier, real_images, runs, labels, metric)
        checks["effective_generation"] = effective_generation(
            real, generated, probes, real_images, runs.baseline_images, table, reader
        )
    if probes is not None:
        checks["independent_permutation"] = independent_permutation(probes, runs, table, cache, seed)
    checks["passed"] = all(c["passed"] for c in checks.values() if isinstance(c, dict))
    base_real = checks.get("effective_generation", {}).get("classifier", {}).get("real")
    result = {
        "classifier": getattr(classifier, "spec", None),
        "metric": metric,
        "n": len(table),
        "repeats": repeats,
        "baseline": {"real": base_real, "generated": _baseline_generated(runs, labels, metric)},
        "importance": importance,
        "checks": checks,
        "generated_images": cache.generated,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return result, runs


def _baseline_generated(runs: Permutations, labels, metric: str) -> float:
    from genlens.permutation.scoring import score

    return round(score(metric, labels, runs.baseline_logits), 4)
