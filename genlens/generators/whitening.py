"""Whitening of a feature map's channels (ZCA), so that directions of little variance reach a network
as strongly as the dominant ones.

A classifier layer's channel covariance can span three orders of magnitude (world-cnn layer2: 1,100),
and what a concept changes may lie along its small directions: a colour edit moves world-cnn's layer2
map by 0.085 of its squared norm as it is and by 0.30 whitened (BENCHMARKS.md, "Shipped base diffusion model, inverters and decoders")."""

from __future__ import annotations

import torch

#: Eigenvalues below this fraction of the largest are raised to it (directions of no variance stay bounded).
EIGEN_FLOOR = 1e-4


def zca(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean (C,), matrix (C, C)) such that (x - mean) @ matrix has identity covariance over the
    channels of (N, C, ...) maps, every location a sample."""
    x = maps.detach().double().transpose(0, 1).flatten(1).T  # (samples, C)
    mean = x.mean(0)
    values, vectors = torch.linalg.eigh(torch.cov((x - mean).T))
    values = values.clamp_min(EIGEN_FLOOR * values.max())
    matrix = vectors @ torch.diag(values.rsqrt()) @ vectors.T
    return mean.float(), matrix.float()


def whiten(maps: torch.Tensor, mean: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """(N, C, ...) maps in whitened channel coordinates."""
    moved = maps.movedim(1, -1) - mean.to(maps.dtype)
    return (moved @ matrix.to(maps.dtype)).movedim(-1, 1)
