"""The world GAN's generator trained as the decoder of a class-conditional VAE: an encoder reads a
fresh render (or its autoencoder latents) and its class into a Gaussian posterior over z, the
style-based generator draws it back from (z, class), and samples come from the generator alone, z
drawn from a Gaussian per class fitted to the posteriors after training. Reconstruction in pixels
and in the generators' critic's features, a KL term towards N(0, I) (or a Wasserstein autoencoder's
MMD), and optionally the critic's reading of the class on samples from the prior; the generator's
latent for linking stays w, the mapping network's output."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL
from torch import nn

from genlens.generators.critic import WorldCritic, feature_error
from genlens.generators.denoising_loss import object_weights
from genlens.linking.gan_training import track_class_means
from genlens.linking.world_gan import EqualConv2d, EqualLinear, ResidualBlock, StyleGenerator, WorldGAN, WorldGANConfig
from genlens.training.loop import TrainSettings, fit
from genlens.world import get_task
from genlens.world.seeds import step_seed


@dataclass
class VariationalSettings:
    """Weights of the variational objective: L1 + L2 pixels (object_weight on the objects and their
    rim, the background 1: an object covers a few percent of the canvas), the critic's relative
    feature error, the KL divergence (nats summed over z) and the critic's cross-entropy with the
    class on as many samples from the prior as the batch holds (0: none); w_avg_beta tracks each
    class's mean w."""

    task: str = "shape"
    object_weight: float = 10.0
    perceptual_weight: float = 1.0
    kl_weight: float = 1e-3
    prior_class_weight: float = 0.0
    # > 0: a Wasserstein autoencoder (Tolstikhin et al. 2018) instead: the encoder's mean is z, and
    # the batch's z are pulled towards N(0, I) as a whole by this weight times their MMD to it
    mmd_weight: float = 0.0
    w_avg_beta: float = 0.995
    upright: bool = False  # objects in the pose each shape is defined in (the world turns them at random)
    z_dim: int = 64
    fitted_prior: int = 5000  # renders whose posteriors fix each class's Gaussian prior after training (0: N(0, I))


class PosteriorEncoder(nn.Module):
    """(code, class) -> (mean, log-variance) of z: residual blocks from the code's side (the image's
    in [-1, 1], or the autoencoder's latents) to 4 px, then a linear map of the flattened map and
    the class's embedding."""

    def __init__(self, config: WorldGANConfig):
        super().__init__()
        ch = config.d_channels
        self.from_rgb = EqualConv2d(config.code_channels, ch[0], 1)
        self.blocks = nn.Sequential(*[ResidualBlock(a, b) for a, b in zip(ch, ch[1:])])
        self.embed = nn.Embedding(config.num_classes, ch[-1])
        self.hidden = EqualLinear(ch[-1] * 17, ch[-1])
        self.out = EqualLinear(ch[-1], 2 * config.z_dim)

    def forward(self, codes: torch.Tensor, classes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.leaky_relu(self.from_rgb(codes), 0.2) * math.sqrt(2)
        x = torch.cat([self.blocks(x).flatten(1), self.embed(classes)], 1)
        mean, log_var = self.out(F.leaky_relu(self.hidden(x), 0.2) * math.sqrt(2)).chunk(2, 1)
        return mean, log_var.clamp(-12, 6)


class VariationalGAN(nn.Module):
    """What trains: the posterior encoder and the generator."""

    def __init__(self, config: WorldGANConfig):
        super().__init__()
        self.encoder = PosteriorEncoder(config)
        self.generator = StyleGenerator(config)


def variational_loss(
    model: VariationalGAN, images, codes, classes, weights, seed: int, critic: WorldCritic, concept: str,
    settings: VariationalSettings,
) -> torch.Tensor:
    """The batch's loss: reconstruction (the code, weighted, + the critic's features of the image)
    + KL + the critic's class term on prior samples; also moves each class's mean w (for
    truncation) towards the prior samples'. codes are what the generator draws for the images
    (the images in [-1, 1], or the autoencoder's scaled latents), weights at the codes' side."""
    g = torch.Generator().manual_seed(seed)
    generator, config = model.generator, model.generator.config
    mean, log_var = model.encoder(codes, classes)
    noise = torch.randn(mean.shape, generator=g).to(mean.device)
    z = mean if settings.mmd_weight > 0 else mean + (0.5 * log_var).exp() * noise
    drawn = generator.code(generator.mapping(z, classes))
    error = ((drawn - codes).abs() + (drawn - codes) ** 2) * weights
    pixel = (error.flatten(1).sum(1) / weights.expand_as(error).flatten(1).sum(1)).mean()
    perceptual = 0.0
    if settings.perceptual_weight > 0:
        recon = generator.decode(drawn, clamp=False)
        perceptual = feature_error(critic, recon.clamp(0, 1), images).mean()
    kl = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(1).mean()
    loss = pixel + settings.perceptual_weight * perceptual + settings.kl_weight * kl
    if settings.mmd_weight > 0:
        loss = loss + settings.mmd_weight * maximum_mean_discrepancy(z, torch.randn(mean.shape, generator=g).to(z.device))
    prior_classes = torch.randint(0, config.num_classes, (len(images),), generator=g).to(images.device)
    w = generator.mapping(torch.randn(len(images), config.z_dim, generator=g).to(images.device), prior_classes)
    if settings.prior_class_weight > 0:
        sampled = generator.synthesis(w, clamp=False)
        loss = loss + settings.prior_class_weight * F.cross_entropy(critic(sampled.clamp(0, 1))[concept], prior_classes)
    with torch.no_grad():
        track_class_means(generator, w, prior_classes, settings.w_avg_beta)
    return loss


def train_variational_gan(
    out: Path, settings: TrainSettings, critic: WorldCritic, variational: VariationalSettings | None = None,
    config: WorldGANConfig | None = None, eval_n: int = 1000, autoencoder: AutoencoderKL | None = None,
) -> tuple[WorldGAN, dict]:
    """Train the world generator as a class-conditional VAE's decoder on fresh renders of the task
    (class = its label), save it to out as a world GAN folder with its card, measured by
    evaluate_gan on eval_n samples (none when eval_n is 0). With a (trained, frozen) autoencoder,
    the generator draws its scaled latents and carries its decoder.

    One training run from setup to card, kept in one piece so that it reads in order."""
    variational = variational or VariationalSettings()
    task = get_task(variational.task)
    if config is None:
        config = WorldGANConfig(
            class_names=list(task.class_names), z_dim=variational.z_dim, projected_input=True, mbstd_group=0
        )
        if autoencoder is not None:
            config = replace(config, channels=[128, 128], d_channels=[128, 128], autoencoder=_public_config(autoencoder))
    concept = next((k for k, v in critic.concepts.items() if list(v) == list(config.class_names)), None)
    if concept is None:
        from genlens.errors import GenlensError

        raise GenlensError(f"the critic reads no concept with the classes of task '{task.name}'")
    critic = critic.eval().requires_grad_(False)
    torch.manual_seed(settings.seed)
    model = VariationalGAN(config)
    if autoencoder is not None:
        autoencoder = autoencoder.eval().requires_grad_(False)
        model.generator.decoder.load_state_dict(autoencoder.decoder.state_dict())
        model.generator.post_quant_conv.load_state_dict(autoencoder.post_quant_conv.state_dict())

    def batch(step: int, process: int, device: torch.device):
        seed = step_seed(settings.seed, step, process)
        real = task.sample(settings.batch_size, seed=seed, split="train", rotation=0.0 if variational.upright else None)
        images = real.images.to(device)
        weights = object_weights(real.masks, variational.object_weight, config.code_size).to(device)
        with torch.no_grad():
            codes = _codes(images, autoencoder if autoencoder is None else autoencoder.to(device))
        return images, codes, real.labels.to(device), weights, seed

    def loss(model, data):
        images, codes, classes, weights, seed = data
        critic.to(images.device)
        return variational_loss(model, images, codes, classes, weights, seed, critic, concept, variational)

    run = {"kind": "world-gan", "objective": "variational", "variational": asdict(variational), "config": asdict(config)}
    result = fit(model, batch, loss, settings, Path(out), description="train world GAN (variational)", run=run)
    model = model.cpu().eval()
    if variational.fitted_prior:
        fit_prior(model, task, variational.fitted_prior, settings.seed, autoencoder, variational.upright,
                  deterministic=variational.mmd_weight > 0)
    gan = WorldGAN(model.generator)
    card = result.card("world-gan", objective="variational", task=variational.task, variational=asdict(variational))
    if eval_n:
        from genlens.linking.gan_eval import evaluate_gan

        card["metrics"] = evaluate_gan(gan, n=eval_n, task=variational.task)
    gan.save(Path(out), card)
    return gan, card


def maximum_mean_discrepancy(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The unbiased MMD^2 between samples x and y (N, D) under inverse multiquadratic kernels
    C / (C + |a - b|^2) at C = 2 D s for s in 0.1 ... 10 (WAE-MMD's kernel)."""
    n, d = x.shape
    both = torch.cat([x, y])
    distance = torch.cdist(both, both).pow(2)
    off = ~torch.eye(2 * n, dtype=torch.bool, device=x.device)
    total = 0.0
    for scale in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0):
        c = 2 * d * scale
        k = c / (c + distance)
        xx, yy, xy = k[:n, :n][off[:n, :n]], k[n:, n:][off[n:, n:]], k[:n, n:]
        total = total + xx.mean() + yy.mean() - 2 * xy.mean()
    return total


@torch.no_grad()
def fit_prior(
    model: VariationalGAN, task, n: int, seed: int, autoencoder: AutoencoderKL | None = None, upright: bool = False,
    deterministic: bool = False,
) -> None:
    """Set the generator's prior to each class's Gaussian fitted to the posterior samples of n fresh
    renders (ex-post density estimation, as Ghosh et al. 2020 fit regularised autoencoders), and
    each class's mean w to that of its prior's samples: samples from N(0, I) would fall into the
    holes between the posteriors. deterministic: z is the posterior's mean (a Wasserstein
    autoencoder)."""
    generator = model.generator
    # no training step draws these renders
    real = task.sample(n, seed=step_seed(seed, -1, 0), split="train", rotation=0.0 if upright else None)
    posteriors = [
        model.encoder(_codes(real.images[i : i + 256], autoencoder), real.labels[i : i + 256]) for i in range(0, n, 256)
    ]
    mean, log_var = (torch.cat(part) for part in zip(*posteriors))
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(mean.shape, generator=g)
    z = mean if deterministic else mean + (0.5 * log_var).exp() * noise
    for c in range(generator.config.num_classes):
        zc = z[real.labels == c]
        centre = zc.mean(0)
        covariance = torch.cov((zc - centre).T) + 1e-4 * torch.eye(zc.shape[1])
        generator.prior_mean[c] = centre
        generator.prior_scale[c] = torch.linalg.cholesky(covariance)
        noise = torch.randn(1000, zc.shape[1], generator=g)
        classes = torch.full((1000,), c)
        generator.w_avg[c] = generator.mapping(generator.prior(noise, classes), classes).mean(0)


def _codes(images: torch.Tensor, autoencoder: AutoencoderKL | None) -> torch.Tensor:
    """What the generator draws for images: the images in [-1, 1], or the autoencoder's scaled latents."""
    if autoencoder is None:
        return images * 2 - 1
    return autoencoder.encode(images * 2 - 1).latent_dist.mean * autoencoder.config.scaling_factor


def _public_config(autoencoder: AutoencoderKL) -> dict:
    """The autoencoder's config without diffusers' private entries (its file path, version)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in autoencoder.config.items() if not k.startswith("_")}
