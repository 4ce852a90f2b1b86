"""DEPICT's assumption checks: effective generation and independent permutation, through the probes."""

from __future__ import annotations

import numpy as np
import torch

from genlens.permutation.importance import Permutations
from genlens.permutation.scoring import score
from genlens.permutation.table import ConceptTable

#: How far generated-image figures may fall below real-image ones, and how far a probe may move when
#: another concept is permuted, before a check fails.
TOLERANCE = 0.1


def effective_generation(
    classifier_real: float,
    classifier_generated: float,
    probes,
    real: torch.Tensor,
    generated: torch.Tensor,
    table: ConceptTable,
    reader=None,
) -> dict:
    """The classifier's score and each probe's accuracy on real vs generated images of the same rows,
    and beside them the independent reader's (measure.reader), where the table has its concept."""
    out = {"classifier": {"real": round(classifier_real, 4), "generated": round(classifier_generated, 4)}}
    passed = classifier_generated >= classifier_real - TOLERANCE
    if probes is not None:
        concepts = [c for c in table.concepts if c in probes.config.concepts]
        for images, key in ((real, "real"), (generated, "generated")):
            said = probes.predict_names(images)
            for c in concepts:
                acc = float(np.mean([s[c] == v for s, v in zip(said, table.columns[c])]))
                out.setdefault(f"probe_{c}", {})[key] = round(acc, 4)
        passed &= all(v["generated"] >= v["real"] - TOLERANCE for k, v in out.items() if k.startswith("probe_"))
    if reader is not None and reader.concept in table.columns:
        truth = [{reader.concept: v} for v in table.columns[reader.concept]]
        out[f"reader_{reader.concept}"] = {
            "spec": reader.spec, "real": reader.agreement(real, truth), "generated": reader.agreement(generated, truth)
        }
        passed &= out[f"reader_{reader.concept}"]["generated"] >= out[f"reader_{reader.concept}"]["real"] - TOLERANCE
    out["passed"] = bool(passed)
    return out


def independent_permutation(probes, runs: Permutations, table: ConceptTable, cache, seed: int) -> dict:
    """change[j][i]: share of rows where probe i reads the images of permuted concept j differently from the
    unpermuted images. Permuting j should move probe j (about as often as j's value changed) and no other."""
    from genlens.permutation.importance import SEED_STRIDE

    concepts = [c for c in table.concepts if c in probes.config.concepts]
    if not concepts:
        return {"measured": False, "passed": True, "reason": "no probe reads these concepts"}
    before = probes.predict_names(runs.baseline_images)
    seeds = [SEED_STRIDE * seed + i for i in range(len(table))]
    matrix, expected, passed = {}, {}, True
    for j in concepts:
        permuted = runs.tables[j][0]
        images = cache(permuted.captions(), permuted.rows(), seeds, f"check {j}")
        after = probes.predict_names(images)
        matrix[j] = {i: round(float(np.mean([a[i] != b[i] for a, b in zip(after, before)])), 4) for i in concepts}
        expected[j] = round(float(np.mean([p != o for p, o in zip(permuted.columns[j], table.columns[j])])), 4)
        passed &= all(v <= TOLERANCE for i, v in matrix[j].items() if i != j)
        passed &= matrix[j][j] >= 0.5 * expected[j]
    return {"measured": True, "change": matrix, "expected_change": expected, "passed": bool(passed)}


def classifier_scores(classifier, real: torch.Tensor, runs: Permutations, labels, metric: str) -> tuple[float, float]:
    from genlens.permutation.importance import predict

    return score(metric, labels, predict(classifier, real)), score(metric, labels, runs.baseline_logits)
