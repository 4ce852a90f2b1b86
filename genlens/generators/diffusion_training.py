"""Training the world's base diffusion model (UNet and text encoder together) on rendered scenes."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genlens.artifacts import write_artifact
from genlens.world.seeds import step_seed
from genlens.generators.base_design import BaseDesign
from genlens.generators.conditioning import tokenize, unet_conditioning
from genlens.generators.coordinates import with_coordinates
from genlens.generators.critic import WorldCritic, feature_error
from genlens.generators.denoising_loss import LossSettings, denoising_loss, object_weights, predicted_clean
from genlens.generators.pipeline import WorldDiffusionPipeline
from genlens.generators.pose import POSES
from genlens.training.loop import TrainSettings, fit
from genlens.world import get_task


class TextToImage(nn.Module):
    """The trainable pair of a base model: UNet and text encoder, one module for the training loop."""

    def __init__(self, unet, text_encoder):
        super().__init__()
        self.unet, self.text_encoder = unet, text_encoder


def noise_batch(scheduler, clean: torch.Tensor, generator: torch.Generator, timestep_range=None, range_share=1.0):
    """(noisy, target, timesteps) for clean samples, drawn from generator so a step is reproducible;
    timesteps uniform over the schedule, or over [low, high) when timestep_range is given (for a
    range_share of the samples, the rest over the whole schedule).

    The target is what the scheduler's model predicts: the noise, or the velocity for v-prediction.
    """
    low, high = timestep_range or (0, scheduler.config.num_train_timesteps)
    noise = torch.randn(clean.shape, generator=generator).to(clean.device)
    timesteps = torch.randint(low, high, (len(clean),), generator=generator)
    if timestep_range is not None and range_share < 1:
        anywhere = torch.randint(0, scheduler.config.num_train_timesteps, (len(clean),), generator=generator)
        timesteps = torch.where(torch.rand(len(clean), generator=generator) < range_share, timesteps, anywhere)
    timesteps = timesteps.to(clean.device)
    noisy = scheduler.add_noise(clean, noise, timesteps)
    if scheduler.config.prediction_type == "v_prediction":
        return noisy, scheduler.get_velocity(clean, noise, timesteps), timesteps
    return noisy, noise, timesteps


def world_captioned_batch(
    n: int,
    seed: int,
    size: int,
    multi_share: float = 0.25,
    object_weight: float = 1.0,
    weight_size: int | None = None,
    pose: str = "world",
):
    """n training images with captions, pixel weights (object_weight on the objects, see
    object_weights, at weight_size for a latent grid) and poses: single-object `shape` and
    multi-object `depict6` scenes, turned as `pose` says (POSES). Returns (images, captions, weights,
    poses): each scene's angle in degrees where all its objects share it, else NaN."""
    if pose not in POSES:
        raise ValueError(f"unknown pose '{pose}', expected one of {', '.join(POSES)}")
    n_multi = int(round(n * multi_share))
    shared = np.random.default_rng([seed, 9]).uniform(0, 360, n_multi).astype(np.float32)
    multi = {"world": None, "upright": 0.0, "shared": shared}[pose]
    parts = [get_task("shape").sample(n - n_multi, seed=seed, split="train", size=size, rotation=0.0 if pose == "upright" else None)]
    poses = [torch.as_tensor(parts[0].scenes.rotation[:, 0])]
    if n_multi:
        parts.append(get_task("depict6").sample(n_multi, seed=seed, split="train", size=size, rotation=multi))
        poses.append(torch.full((n_multi,), torch.nan) if multi is None else torch.as_tensor(parts[1].scenes.rotation[:, 0]))
    weights = torch.cat([object_weights(p.masks, object_weight, weight_size) for p in parts])
    return torch.cat([p.images for p in parts]), [c for p in parts for c in p.captions], weights, torch.cat(poses)


def train_diffusion(
    out: Path,
    settings: TrainSettings,
    size: int = 32,
    caption_dropout: float = 0.1,
    pipeline: WorldDiffusionPipeline | None = None,
    loss_settings: LossSettings | None = None,
    critic: WorldCritic | None = None,
    design: BaseDesign | None = None,
) -> tuple[WorldDiffusionPipeline, dict]:
    """Train a world base model of `design` (BaseDesign's defaults unless given; pipeline, if given,
    replaces the design's untrained pipeline) and save it to out as a pipeline folder + card.

    The design's pose says how the training scenes' objects are turned (POSES): "upright" leaves a
    caption naming all that varies in an object but a 1.6-pixel jitter; on a base that hears the pose
    (generators.pose), "shared" tells it the angle of every scene's objects.

    On a latent pipeline (one with a VAE, kept frozen) the model learns the VAE's scaled latents of
    the renders. With a critic and loss_settings.feature_weight > 0 (pixel space only), the critic's
    features of each step's predicted clean image must also match the render's (relative squared
    error weighted by the timestep's signal fraction alpha-bar), which amplifies the part of the
    error that decides an object's shape.

    One training run from setup to card, kept in one piece so that checkpointing and resume read in order.
    """
    loss_settings = loss_settings or LossSettings()
    torch.manual_seed(settings.seed)
    design = design or BaseDesign()
    pose = design.pose
    pipe = pipeline or design.pipeline(size)
    model = TextToImage(pipe.unet, pipe.text_encoder)
    scheduler, tokenizer = pipe.scheduler, pipe.tokenizer
    feature_term = critic is not None and loss_settings.feature_weight > 0
    if feature_term:
        critic = critic.eval().requires_grad_(False)
    if not pipe.pixel_space:
        pipe.vae.eval().requires_grad_(False)
    grid = pipe.unet.config.sample_size

    def batch(step: int, process: int, device: torch.device):
        seed = step_seed(settings.seed, step, process)
        images, captions, weights, poses = world_captioned_batch(
            settings.batch_size, seed, size, object_weight=loss_settings.object_weight, weight_size=grid, pose=pose
        )
        g = torch.Generator().manual_seed(seed)
        drop = torch.rand(len(captions), generator=g) < caption_dropout
        captions = ["" if d else c for c, d in zip(captions, drop.tolist())]
        poses = torch.where(drop, torch.nan, poses)  # an empty prompt has no pose
        ids, mask = tokenize(tokenizer, captions)
        with torch.no_grad():
            clean = images * 2 - 1 if pipe.pixel_space else pipe.encode_images(images.to(pipe.vae.device), g)
        noisy, target, t = noise_batch(
            scheduler, clean.cpu(), g, loss_settings.timestep_range, loss_settings.range_share
        )
        data = (noisy, target, t, ids, mask, weights, images, poses)
        return tuple(x.to(device) for x in data)

    def loss(m, data):
        noisy, target, t, ids, mask, weights, images, poses = data
        caption = unet_conditioning(m.unet, m.text_encoder, tokenizer, ids, mask, poses)
        prediction = m.unet(with_coordinates(noisy, m.unet.config), t, **caption).sample
        value = denoising_loss(prediction, target, t, scheduler, loss_settings.snr_gamma, weights)
        if feature_term:
            critic.to(images.device)
            if not pipe.pixel_space:
                pipe.vae.to(images.device)
            clean = pipe.decode_samples(predicted_clean(scheduler, noisy, prediction, t))
            signal = scheduler.alphas_cumprod.to(t.device)[t].float()
            value = value + loss_settings.feature_weight * (signal * feature_error(critic, clean, images)).mean()
        return value

    result = fit(model, batch, loss, settings, Path(out), description="train base diffusion")
    pipe.to("cpu")
    card = result.card(
        "base-diffusion", image_size=pipe.image_size, caption_dropout=caption_dropout, loss=asdict(loss_settings),
        design=asdict(design),
    )
    save_pipeline(pipe, Path(out), card)
    return pipe, card


def save_pipeline(pipe: WorldDiffusionPipeline, folder: Path, card: dict, dtype: torch.dtype | None = None) -> Path:
    """Write a pipeline folder (diffusers layout) + card.json atomically; floats cast to dtype if given."""

    def write(tmp: Path) -> None:
        if dtype is None:
            pipe.save_pretrained(tmp)
            return
        parts = pipe.base_components
        copy = WorldDiffusionPipeline(**{k: copy_module(v, dtype) for k, v in parts.items()})
        copy.save_pretrained(tmp)

    return write_artifact(folder, write, card)


def copy_module(module, dtype: torch.dtype):
    """A copy of a torch module cast to dtype; anything else (tokenizer, scheduler, None) as is."""
    import copy

    if not isinstance(module, nn.Module):
        return module
    # torch's own cast: diffusers' override warns about float32 modules on every cast, even when it keeps none
    return nn.Module.to(copy.deepcopy(module), dtype)
