"""Gaussian blur and pixel noise of world images: the softness of generated images, made on demand.

The probes are trained through these perturbations and measured under them, so that they read a
concept through the blur and noise a generator leaves rather than the crispness of a render."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def gaussian_blur(images: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
    """(N, C, H, W) images blurred with a per-image Gaussian of standard deviation sigma (pixels,
    a float or (N,)); sigma 0 leaves an image as it is. Borders are reflected."""
    n, c, h, w = images.shape
    sigma = torch.as_tensor(sigma, dtype=images.dtype, device=images.device).expand(n)
    radius = max(1, int(torch.ceil(3 * sigma.max()).item())) if n else 1
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (x.view(1, -1) / sigma.clamp_min(1e-6).view(-1, 1)) ** 2)
    kernel = torch.where(sigma.view(-1, 1) > 0, kernel, (x == 0).to(images.dtype).expand(n, -1))
    kernel = (kernel / kernel.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (N*C, K)
    flat = F.pad(images.reshape(1, n * c, h, w), (radius, radius, radius, radius), mode="reflect")
    flat = F.conv2d(flat, kernel.view(n * c, 1, 1, -1), groups=n * c)
    flat = F.conv2d(flat, kernel.view(n * c, 1, -1, 1), groups=n * c)
    return flat.view(n, c, h, w)


def perturb(
    images: torch.Tensor, blur: float = 0.0, noise: float = 0.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Images blurred by sigma `blur` px, then given Gaussian pixel noise of sd `noise`, clipped to [0, 1]."""
    out = gaussian_blur(images, blur) if blur > 0 else images
    if noise > 0:
        out = out + noise * torch.randn(out.shape, generator=generator).to(out.device, out.dtype)
    return out.clamp(0, 1)


#: The perturbations a concept reader's card reports accuracy under, (blur sigma, noise sd) by name:
#: the softness of generated images.
ROBUSTNESS_CHECKS = {"clean": (0.0, 0.0), "blur_1.0": (1.0, 0.0), "noise_0.05": (0.0, 0.05)}


@dataclass
class Augmentation:
    """Random blur and noise for training: each image is blurred with probability p_blur (sigma
    uniform in [0, max_blur]) and given noise with probability p_noise (sd uniform in [0, max_noise])."""

    max_blur: float = 1.5
    max_noise: float = 0.08
    p_blur: float = 0.5
    p_noise: float = 0.5

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n = len(images)
        sigma = torch.rand(n, generator=generator) * self.max_blur
        sigma = torch.where(torch.rand(n, generator=generator) < self.p_blur, sigma, torch.zeros(n))
        sd = torch.rand(n, generator=generator) * self.max_noise
        sd = torch.where(torch.rand(n, generator=generator) < self.p_noise, sd, torch.zeros(n))
        out = gaussian_blur(images, sigma.to(images.device))
        noise = torch.randn(images.shape, generator=generator).to(images.device)
        return (out + sd.view(-1, 1, 1, 1).to(images.device) * noise).clamp(0, 1)
