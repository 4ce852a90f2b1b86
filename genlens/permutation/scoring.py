"""The performance measure DEPICT drops: AUROC for binary labels, accuracy otherwise, or a named sklearn scorer."""

from __future__ import annotations

import numpy as np
import torch

from genlens.errors import GenlensError


def resolve_metric(metric: str, n_classes: int) -> str:
    """'auto' becomes 'auroc' for two classes and 'accuracy' otherwise; other names pass through, checked."""
    if metric == "auto":
        return "auroc" if n_classes == 2 else "accuracy"
    if metric in ("auroc", "accuracy"):
        return metric
    from sklearn.metrics import get_scorer_names

    if metric not in get_scorer_names():
        raise GenlensError(f"unknown metric '{metric}': use auto, auroc, accuracy or an sklearn scorer name")
    return metric


def score(metric: str, labels: np.ndarray, logits: torch.Tensor) -> float:
    """The metric of a classifier's logits (N, C) against integer labels (N,)."""
    probs = torch.softmax(logits.float(), 1).numpy()
    labels = np.asarray(labels)
    if metric == "accuracy":
        return float((probs.argmax(1) == labels).mean())
    if metric == "auroc":
        from sklearn.metrics import roc_auc_score

        if len(np.unique(labels)) < 2:
            return float("nan")
        if probs.shape[1] == 2:
            return float(roc_auc_score(labels, probs[:, 1]))
        return float(roc_auc_score(labels, probs, multi_class="ovr", labels=np.arange(probs.shape[1])))
    from sklearn.metrics import get_scorer

    scorer = get_scorer(metric)
    wants_scores = "predict" not in str(getattr(scorer, "_response_method", "predict"))
    y = (probs[:, 1] if probs.shape[1] == 2 else probs) if wants_scores else probs.argmax(1)
    return float(scorer._sign * scorer._score_func(labels, y, **scorer._kwargs))
