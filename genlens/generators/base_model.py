"""The world's base diffusion model (a tiny pixel-space Stable Diffusion) and loading any base."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import DDPMScheduler, UNet2DConditionModel
from diffusers.utils import logging as diffusers_logging
from transformers.utils import logging as transformers_logging

from genlens.errors import GenlensError
from genlens.generators.coordinates import COORDINATE_CHANNELS
from genlens.generators.pipeline import WorldDiffusionPipeline
from genlens.generators.pose import POSE_FEATURES
from genlens.generators.text import MAX_LENGTH, world_text_encoder, world_tokenizer

#: Channels of the world UNet's levels (32, 16 and 8 pixels).
WORLD_CHANNELS = (32, 64, 64)
#: Group-norm groups: with one channel per group a norm cancels any per-channel constant added
#: before it, the timestep and caption embedding included, so groups hold several channels.
NORM_GROUPS = 8
#: Heads of the attention pooling that adds the caption to the timestep embedding.
TEXT_POOL_HEADS = 4


def world_unet(
    sample_size: int = 32,
    cross_attention_dim: int = 128,
    block_out_channels: tuple[int, ...] = WORLD_CHANNELS,
    attention_levels: int = 1,
    coordinates: bool = True,
    in_channels: int = 3,
    bag_of_words: int | None = None,
) -> UNet2DConditionModel:
    """A small UNet on RGB pixels, with cross-attention to the caption at its `attention_levels`
    coarsest levels and in the middle block, and the caption pooled by attention into the timestep
    embedding, so that every level, the finest included, knows what the caption asks for: the
    embedding scales and shifts each block's normalised features (FiLM), so no norm can cancel it.
    With `coordinates` it also reads each pixel's x and y (generators.coordinates), so that it can
    tie the caption's place words to places.

    One level by default (1/4 resolution): attention at 1/2 resolution as well costs three times the
    training time on the CPU (BENCHMARKS.md) for little that a 32-pixel scene needs.

    in_channels is the sample's channels (3 for pixels, the latent channels on an autoencoder).
    With bag_of_words (the vocabulary size, plus the pose features on a base with a pose), the
    caption's word counts reach the timestep embedding through a class-embedding projection
    (generators.conditioning) instead of attention pooling.
    """
    plain = len(block_out_channels) - attention_levels
    caption_path = (
        {"class_embed_type": "projection", "projection_class_embeddings_input_dim": bag_of_words}
        if bag_of_words
        else {"addition_embed_type": "text", "addition_embed_type_num_heads": TEXT_POOL_HEADS}
    )
    return UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=in_channels + (COORDINATE_CHANNELS if coordinates else 0),
        out_channels=in_channels,
        layers_per_block=1,
        block_out_channels=block_out_channels,
        down_block_types=("DownBlock2D",) * plain + ("CrossAttnDownBlock2D",) * attention_levels,
        up_block_types=("CrossAttnUpBlock2D",) * attention_levels + ("UpBlock2D",) * plain,
        cross_attention_dim=cross_attention_dim,
        attention_head_dim=32,
        norm_num_groups=NORM_GROUPS,
        resnet_time_scale_shift="scale_shift",
        **caption_path,
    )


def training_scheduler() -> DDPMScheduler:
    """1000-step cosine schedule with v-prediction (the base for every sampler).

    With epsilon prediction the clean image is recovered near t = T by dividing by a vanishing
    signal level, which amplifies the model's error; the velocity keeps the clean-image estimate
    bounded at every step, and a small pixel-space model learns colours and layout from it sooner.
    """
    return DDPMScheduler(
        num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction", clip_sample=True
    )


def new_world_pipeline(
    sample_size: int = 32,
    text_width: int = 128,
    block_out_channels: tuple[int, ...] = WORLD_CHANNELS,
    attention_levels: int = 1,
    vae=None,
    caption_words: bool = False,
    max_length: int = MAX_LENGTH,
    pose: bool = False,
) -> WorldDiffusionPipeline:
    """An untrained world pipeline: world tokenizer, small CLIP text encoder, UNet on pixels or, with
    a (trained) vae, on its latents (sample_size is then the latent grid). With caption_words the
    caption's padding is masked out of cross-attention and its bag of words conditions every block
    through the timestep embedding (generators.conditioning); with pose (and caption_words) the
    objects' rotation does too (generators.pose)."""
    if pose and not caption_words:
        raise ValueError("a base hears the pose beside the caption's bag of words: pose needs caption_words")
    tokenizer = world_tokenizer(max_length)
    channels = 3 if vae is None else vae.config.latent_channels
    pose_features = POSE_FEATURES if pose else 0
    return WorldDiffusionPipeline(
        unet=world_unet(
            sample_size,
            text_width,
            block_out_channels,
            attention_levels,
            in_channels=channels,
            bag_of_words=len(tokenizer) + pose_features if caption_words else None,
        ),
        text_encoder=world_text_encoder(tokenizer, text_width, mask_padding=caption_words, pose_features=pose_features),
        tokenizer=tokenizer,
        scheduler=training_scheduler(),
        vae=vae,
    )


def load_base(path_or_id: str | Path, device="cpu") -> WorldDiffusionPipeline:
    """A base pipeline from 'world' (the shipped world model), a folder or a hub id (Stable Diffusion
    1.x / miniSD)."""
    from genlens.classifiers.loader import offline
    from genlens.shipped import base_location

    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
    spec = base_location(path_or_id)
    is_folder = Path(spec).is_dir()
    if not is_folder and (spec.count("/") != 1 or spec.startswith((".", "/")) or Path(spec).exists()):
        raise GenlensError(f"{spec} is not a pipeline folder, and not a hub id (owner/name) either")
    local_only = not is_folder and offline("huggingface.co")
    try:
        # fp16 weights (as shipped) compute in fp32: the CPU has no fast fp16 kernels
        pipe = WorldDiffusionPipeline.from_pretrained(spec, dtype=torch.float32, local_files_only=local_only)
    except (OSError, ValueError, TypeError, KeyError) as e:
        if local_only:
            raise GenlensError(f"{spec} is not in the local cache and the hub cannot be reached") from None
        first = str(e).split(". ")[0].splitlines()[0]
        raise GenlensError(f"{spec} is not a text-to-image diffusion pipeline: {first}") from None
    if getattr(pipe, "unet", None) is None or getattr(pipe, "text_encoder", None) is None:
        raise GenlensError(f"{path_or_id} is not a text-to-image diffusion pipeline (no unet or text encoder)")
    return pipe.to(device)
