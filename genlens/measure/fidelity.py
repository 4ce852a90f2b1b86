"""Fidelity of reconstructions against their sources: feature similarity, agreement, concept retention."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def feature_cosine(source: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """(N,) cosine between flattened feature maps of source and other, pair by pair."""
    return F.cosine_similarity(source.flatten(1).float(), other.flatten(1).float(), dim=1)


def relative_feature_error(source: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """(N,) squared distance between flattened maps relative to the source's squared norm (0: equal)."""
    source, other = source.flatten(1).float(), other.flatten(1).float()
    return (other - source).pow(2).sum(1) / source.pow(2).sum(1).clamp_min(1e-8)


def feature_cosine_median_location(source: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """(N,) median over spatial locations of the per-location cosine between (N, C, H, W) maps."""
    if source.dim() != 4:
        return feature_cosine(source, other)
    per_location = F.cosine_similarity(source.float(), other.float(), dim=1)  # (N, H, W)
    return per_location.flatten(1).median(dim=1).values


def topk_agreement(source_logits: torch.Tensor, other_logits: torch.Tensor, k: int = 1) -> torch.Tensor:
    """(N,) 1 where the source's top-1 class is among other's top-k classes."""
    k = min(k, other_logits.shape[1])
    top = other_logits.topk(k, dim=1).indices
    return (top == source_logits.argmax(1, keepdim=True)).any(1).float()


def concept_retention(predicted: list[dict[str, str]], truth: list[dict[str, str]]) -> dict[str, float]:
    """Per concept, the share of predictions equal to the true value."""
    return {c: float(np.mean([p[c] == t[c] for p, t in zip(predicted, truth)])) for c in truth[0]}


def diversity(samples: torch.Tensor) -> float:
    """Mean per-pixel standard deviation across the K samples of each map, for (N, K, 3, H, W)."""
    if samples.shape[1] < 2:
        return 0.0
    return float(samples.float().std(dim=1).mean())
