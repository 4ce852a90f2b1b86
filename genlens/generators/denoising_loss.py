"""The denoising loss of the base model and the inverters: min-SNR timestep weights (Hang et al. 2023)
and, where object masks are known, a heavier weight on the objects' pixels."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class LossSettings:
    """How the denoising loss weighs timesteps (min-SNR gamma; None: uniform in the scheduler's target)
    and the world's objects against their background (object_weight; 1: uniform). An object covers
    about 7% of a world image, so with uniform weights the background dominates what the model learns
    first. Min-SNR is off by default: for v-prediction it gives the noisiest timesteps, where a
    sample's layout and background are settled, a weight near zero, and world models trained with it
    draw backgrounds worse (BENCHMARKS.md)."""

    snr_gamma: float | None = None
    object_weight: float = 3.0
    timestep_range: tuple[int, int] | None = None  # train on timesteps in [low, high) only; all when None
    range_share: float = 1.0  # the share of samples drawn from timestep_range, the rest from the whole schedule
    feature_weight: float = 0.0  # weight of the critic's feature term on the predicted clean image (base training)


def snr_weights(scheduler, timesteps: torch.Tensor, gamma: float | None) -> torch.Tensor:
    """Per-sample min(SNR, gamma) weights, expressed for the scheduler's prediction target
    (divided by SNR for noise prediction, by SNR + 1 for velocity); ones when gamma is None."""
    if gamma is None:
        return torch.ones(len(timesteps), device=timesteps.device)
    alphas = scheduler.alphas_cumprod.to(timesteps.device)[timesteps].float()
    snr = alphas / (1 - alphas)
    clipped = snr.clamp(max=gamma)
    if scheduler.config.prediction_type == "v_prediction":
        return clipped / (snr + 1)
    return clipped / snr


def object_weights(masks: torch.Tensor, weight: float, size: int | None = None) -> torch.Tensor:
    """(N, 1, H, W) pixel weights: 1 on the background, `weight` on the objects and a one-pixel rim
    around them (where the object meets the background); masks are (N, K, H, W) object masks.
    Resized to size (nearest) for a latent space of another resolution."""
    covered = masks.any(1, keepdim=True).float()
    covered = F.max_pool2d(covered, 3, stride=1, padding=1)
    if size is not None and covered.shape[-1] != size:
        covered = F.interpolate(covered, size=(size, size), mode="nearest")
    return 1 + (weight - 1) * covered


def denoising_loss(
    prediction: torch.Tensor,
    target: torch.Tensor,
    timesteps: torch.Tensor,
    scheduler,
    snr_gamma: float | None = None,
    pixel_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean squared error, each sample's pixels averaged under pixel_weights, then weighted by SNR."""
    error = (prediction.float() - target.float()) ** 2
    if pixel_weights is None:
        per_sample = error.flatten(1).mean(1)
    else:
        w = pixel_weights.to(error.dtype).expand_as(error)
        per_sample = (error * w).flatten(1).sum(1) / w.flatten(1).sum(1)
    return (per_sample * snr_weights(scheduler, timesteps, snr_gamma)).mean()


def predicted_clean(scheduler, noisy: torch.Tensor, prediction: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """The clean sample the model's prediction implies at each sample's timestep (differentiable):
    sqrt(a) x_t - sqrt(1 - a) v for velocity, (x_t - sqrt(1 - a) eps) / sqrt(a) for noise, a = alpha-bar."""
    alphas = scheduler.alphas_cumprod.to(noisy.device)[timesteps].float().view(-1, *[1] * (noisy.dim() - 1))
    signal, noise = alphas.sqrt(), (1 - alphas).sqrt()
    if scheduler.config.prediction_type == "v_prediction":
        return signal * noisy.float() - noise * prediction.float()
    return (noisy.float() - noise * prediction.float()) / signal.clamp_min(1e-4)
