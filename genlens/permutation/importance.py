"""Permutation importance in caption space: each concept's mean performance drop with a bootstrap interval."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from genlens.permutation.scoring import score
from genlens.permutation.table import ConceptTable

#: Row seeds are SEED_STRIDE * seed + row, the same for the baseline and every permutation.
SEED_STRIDE = 1_000_003


@dataclass
class Permutations:
    """Everything one importance run generated and predicted, for the ranking and the checks."""

    baseline_images: torch.Tensor
    baseline_logits: torch.Tensor
    logits: dict[str, list[torch.Tensor]]  # concept -> one (N, C) per repeat
    tables: dict[str, list[ConceptTable]]  # concept -> the permuted table of each repeat
    examples: dict[str, torch.Tensor] = field(default_factory=dict)  # concept -> images of repeat 0


def predict(classifier, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    device = next(classifier.parameters()).device
    with torch.no_grad():
        return torch.cat(
            [classifier(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
        )


def run_permutations(classifier, table: ConceptTable, cache, repeats: int, seed: int) -> Permutations:
    """Generate the unpermuted table and `repeats` permutations of each concept; classify them all."""
    table.check_permutable()
    rows = table.rows()
    seeds = [SEED_STRIDE * seed + i for i in range(len(table))]
    baseline = cache(table.captions(), rows, seeds, "generate baseline")
    result = Permutations(baseline, predict(classifier, baseline), {}, {})
    for j, concept in enumerate(table.concepts):
        result.logits[concept], result.tables[concept] = [], []
        for r in range(repeats):
            permuted = table.permuted(concept, np.random.default_rng([seed, j, r]))
            images = cache(
                permuted.captions(), permuted.rows(), seeds, f"permute {concept}"
            )
            result.logits[concept].append(predict(classifier, images))
            result.tables[concept].append(permuted)
            if r == 0:
                result.examples[concept] = images[:8]
    return result


def rank_concepts(
    runs: Permutations, labels: np.ndarray, metric: str, bootstrap: int = 500, seed: int = 0
) -> list[dict]:
    """[{concept, drop, ci95}] sorted by drop: mean over repeats of baseline score minus permuted score,
    with a 95% percentile interval from resampling rows (the same resample for baseline and permutations)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    resamples = [rng.integers(0, n, n) for _ in range(bootstrap)]
    base_scores = [score(metric, labels[idx], runs.baseline_logits[idx]) for idx in resamples]
    base = score(metric, labels, runs.baseline_logits)
    out = []
    for concept, per_repeat in runs.logits.items():
        drop = float(np.mean([base - score(metric, labels, lg) for lg in per_repeat]))
        boot = [
            b - np.mean([score(metric, labels[idx], lg[idx]) for lg in per_repeat])
            for idx, b in zip(resamples, base_scores)
        ]
        lo, hi = np.nanpercentile(boot, [2.5, 97.5])
        out.append({"concept": concept, "drop": round(drop, 4), "ci95": [round(float(lo), 4), round(float(hi), 4)]})
    return sorted(out, key=lambda d: -d["drop"])
