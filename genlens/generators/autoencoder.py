"""The world autoencoder: diffusers' AutoencoderKL at world scale (32 x 32 x 3 -> 8 x 8 x 8), the
latent space of a Stable-Diffusion-layout world base. Pixel terms alone lose the shape (its signal
lies below an MSE model's residual), so reconstructions also match the generators' critic's features,
as SD's autoencoders add LPIPS; with an adversarial weight, a patch discriminator keeps edges sharp,
as SD's autoencoders add a PatchGAN."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL
from torch import nn

from genlens.artifacts import write_artifact
from genlens.world.seeds import step_seed
from genlens.generators.critic import WorldCritic, feature_error
from genlens.generators.patch_discriminator import (
    PatchDiscriminator, adaptive_weight, discriminator_loss, generator_loss,
)
from genlens.training.loop import TrainSettings, fit


def world_autoencoder(
    latent_channels: int = 8, block_out_channels: tuple[int, ...] = (32, 64, 64), sample_size: int = 32
) -> AutoencoderKL:
    """An untrained AutoencoderKL that halves the grid once per level after the first (f = 4 for
    three levels), with one ResNet block per level and 8 norm groups."""
    n = len(block_out_channels)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * n,
        up_block_types=("UpDecoderBlock2D",) * n,
        block_out_channels=block_out_channels,
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=8,
        sample_size=sample_size,
    )


@dataclass
class AutoencoderLoss:
    """Weights of the autoencoder's loss: L1 + L2 pixels (objects weighted object_weight), the
    critic's relative feature error, the KL divergence to N(0, 1) (tiny: a near-deterministic code)
    and, from step adversarial_start on, a patch discriminator's hinge loss at adversarial_weight
    times the adaptive weight (0: no discriminator)."""

    object_weight: float = 3.0
    perceptual_weight: float = 0.1
    kl_weight: float = 1e-6
    adversarial_weight: float = 0.0
    adversarial_start: int = 0


class AutoencoderWithDiscriminator(nn.Module):
    """The autoencoder and its patch discriminator, trained together by one optimiser."""

    def __init__(self, vae: AutoencoderKL, discriminator: PatchDiscriminator):
        super().__init__()
        self.vae, self.discriminator = vae, discriminator


def train_autoencoder(
    out: Path, settings: TrainSettings, critic: WorldCritic, loss_settings: AutoencoderLoss | None = None,
    latent_channels: int = 8,
) -> tuple[AutoencoderKL, dict]:
    """Train a world autoencoder (world_autoencoder(latent_channels)) on fresh renders (single- and
    multi-object scenes), set its scaling factor so that scaled latents have unit variance, and save
    it to out with its card."""
    from genlens.generators.diffusion_training import world_captioned_batch

    loss_settings = loss_settings or AutoencoderLoss()
    torch.manual_seed(settings.seed)
    vae = world_autoencoder(latent_channels)
    adversarial = loss_settings.adversarial_weight > 0
    model = AutoencoderWithDiscriminator(vae, PatchDiscriminator()) if adversarial else vae
    critic = critic.eval().requires_grad_(False)

    def batch(step: int, process: int, device: torch.device):
        seed = step_seed(settings.seed, step, process)
        images, _, weights, _ = world_captioned_batch(settings.batch_size, seed, 32, object_weight=loss_settings.object_weight)
        return images.to(device), weights.to(device), seed, step

    def loss(model, data):
        images, weights, seed, step = data
        critic.to(images.device)
        autoencoder = model.vae if adversarial else model
        posterior = autoencoder.encode(images * 2 - 1).latent_dist
        decoded = autoencoder.decode(posterior.sample(torch.Generator(images.device).manual_seed(seed))).sample
        recon = (decoded + 1) / 2
        error = (recon - images).abs() + (recon - images) ** 2
        pixel = ((error * weights).flatten(1).sum(1) / (weights.expand_as(error)).flatten(1).sum(1)).mean()
        reconstruction = pixel + loss_settings.perceptual_weight * feature_error(critic, recon.clamp(0, 1), images).mean()
        total = reconstruction + loss_settings.kl_weight * posterior.kl().mean()
        if not adversarial or step < loss_settings.adversarial_start:
            return total
        fake = generator_loss(model.discriminator, recon)
        weight = adaptive_weight(reconstruction, fake, autoencoder.decoder.conv_out.weight)
        return total + loss_settings.adversarial_weight * weight * fake + discriminator_loss(model.discriminator, images, recon)

    result = fit(model, batch, loss, settings, Path(out), description="train world autoencoder")
    vae = vae.cpu().eval()
    vae.register_to_config(scaling_factor=latent_scale(vae))
    card = result.card("autoencoder", loss=asdict(loss_settings), scaling_factor=vae.config.scaling_factor)
    write_artifact(Path(out), vae.save_pretrained, card)
    return vae, card


@torch.no_grad()
def latent_scale(vae: AutoencoderKL, n: int = 512, seed: int = 7) -> float:
    """1 / the standard deviation of the latents of n fresh renders (SD's scaling factor)."""
    from genlens.generators.diffusion_training import world_captioned_batch

    images = world_captioned_batch(n, seed, 32)[0]
    return round(float(1 / vae.encode(images * 2 - 1).latent_dist.mean.std()), 5)
