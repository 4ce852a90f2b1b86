"""A patch discriminator for the world autoencoder: the adversarial term of Stable Diffusion's
autoencoder recipe (a PatchGAN read with hinge losses, weighted adaptively against the reconstruction
terms at the decoder's last layer), which keeps decoded edges sharp where pixel and feature terms
alone average them into blur."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call


class PatchDiscriminator(nn.Module):
    """Strided 4x4 convolutions with leaky ReLU (PatchGAN), one logit per patch: a 32-px image
    gives an 8 x 8 grid of real-or-decoded judgements, each over a 10-px receptive field."""

    def __init__(self, widths: tuple[int, ...] = (32, 64)):
        super().__init__()
        layers: list[nn.Module] = []
        for cin, cout in zip((3, *widths[:-1]), widths):
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(widths[-1], 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Patch logits for (N, 3, H, W) images in [0, 1]."""
        return self.net(images * 2 - 1)


def discriminator_loss(discriminator: PatchDiscriminator, real: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
    """Hinge loss of the discriminator; decoded is detached, so only the discriminator learns from it."""
    return F.relu(1 - discriminator(real)).mean() + F.relu(1 + discriminator(decoded.detach())).mean()


def generator_loss(discriminator: PatchDiscriminator, decoded: torch.Tensor) -> torch.Tensor:
    """The decoder's adversarial loss, read through the discriminator's detached weights, so that
    one optimiser step over both networks moves each by its own loss only."""
    frozen = {name: p.detach() for name, p in discriminator.named_parameters()}
    return -functional_call(discriminator, frozen, (decoded,)).mean()


def adaptive_weight(reconstruction: torch.Tensor, adversarial: torch.Tensor, last_layer: torch.Tensor) -> torch.Tensor:
    """The ratio of the two losses' gradient norms at the decoder's last layer (clamped to [0, 1e4]),
    so that the adversarial term pulls as hard as the reconstruction terms whatever their scales."""
    g_rec = torch.autograd.grad(reconstruction, last_layer, retain_graph=True)[0]
    g_adv = torch.autograd.grad(adversarial, last_layer, retain_graph=True)[0]
    return (g_rec.norm() / (g_adv.norm() + 1e-4)).clamp(0, 1e4).detach()
