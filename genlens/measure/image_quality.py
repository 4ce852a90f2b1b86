"""Image-space measures of reconstructions: SSIM, PSNR and the Fréchet distance in a chosen feature space."""

from __future__ import annotations

import torch
from torch import nn


def ssim(source: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """(N,) structural similarity of images in [0, 1], pair by pair (torchmetrics, 11-pixel Gaussian window)."""
    from torchmetrics.functional.image import structural_similarity_index_measure

    return structural_similarity_index_measure(
        other.float().clamp(0, 1), source.float().clamp(0, 1), data_range=1.0, reduction="none"
    )


def psnr(source: torch.Tensor, other: torch.Tensor, ceiling: float = 100.0) -> torch.Tensor:
    """(N,) peak signal-to-noise ratio in dB of images in [0, 1], pair by pair; identical pairs give `ceiling`."""
    from torchmetrics.functional.image import peak_signal_noise_ratio

    value = peak_signal_noise_ratio(
        other.float().clamp(0, 1), source.float().clamp(0, 1), data_range=1.0, reduction="none", dim=(1, 2, 3)
    )
    return value.nan_to_num(posinf=ceiling).clamp(max=ceiling)


class FeatureSpace(nn.Module):
    """Images in [0, 1] to flat feature vectors through `embed`, as torchmetrics' FID expects."""

    def __init__(self, embed, num_features: int):
        super().__init__()
        self.embed, self.num_features = embed, num_features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.embed(images.float()).flatten(1).double()


def frechet_distance(real: torch.Tensor, generated: torch.Tensor, space: FeatureSpace, batch_size: int = 256) -> float:
    """Fréchet distance between Gaussians fitted to the features of real and generated images
    (torchmetrics' FID with `space` in place of Inception, whose weights are not available offline)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    size = tuple(real.shape[1:])
    metric = FrechetInceptionDistance(feature=space, normalize=True, input_img_size=size)
    for images, is_real in ((real, True), (generated, False)):
        for start in range(0, len(images), batch_size):
            metric.update(images[start : start + batch_size].float().clamp(0, 1), real=is_real)
    return float(metric.compute())


def penultimate_space(classifier: nn.Module) -> FeatureSpace:
    """The input of the classifier's last linear layer (its penultimate features) as a FeatureSpace."""
    head = [m for m in classifier.modules() if isinstance(m, nn.Linear)][-1]
    store = {}

    def embed(images: torch.Tensor) -> torch.Tensor:
        handle = head.register_forward_pre_hook(lambda _m, args: store.__setitem__("x", args[0].detach()))
        try:
            with torch.no_grad():
                classifier(images.to(next(classifier.parameters()).device))
        finally:
            handle.remove()
        return store["x"].cpu()

    return FeatureSpace(embed, head.in_features)
