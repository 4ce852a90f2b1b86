"""The world base in Stable Diffusion's layout, trained from scratch in one run of four stages: a crisp
critic (it guides sampling), a blur-robust critic (its features are the base's feature term), the
world autoencoder, and a caption-conditioned UNet on its latents that hears the objects' pose. The
design the generator pilots chose (BENCHMARKS.md, "World generator pilots")."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from genlens.generators.autoencoder import AutoencoderLoss
from genlens.generators.base_design import BaseDesign
from genlens.generators.pipeline import WorldDiffusionPipeline
from genlens.training.loop import TrainSettings

#: Where the stages' folders live inside the base's folder (removed with the checkpoints when shipped).
STAGES = "checkpoints"


def _critic_settings(seed: int) -> TrainSettings:
    return TrainSettings(steps=700, batch_size=128, lr=2e-3, seed=seed)


@dataclass
class LatentBaseStages:
    """Each stage's settings. base: the UNet's; crisp_perceptual: the autoencoder's perceptual term in
    the crisp critic's features (else the robust critic's); feature_weight: the robust critic's term
    on the base's decoded clean estimates; guidance and critic_guidance: the classifier-free guidance
    and critic guidance the pipeline samples captions with by default."""

    base: TrainSettings = field(default_factory=lambda: TrainSettings(
        steps=6500, batch_size=64, lr=1e-3, warmup=100, weight_decay=0.0, max_grad_norm=1.0, checkpoint_every=100,
        ema_decay=0.999, seed=5,
    ))
    guide_critic: TrainSettings = field(default_factory=lambda: _critic_settings(16))
    term_critic: TrainSettings = field(default_factory=lambda: _critic_settings(16))
    autoencoder: TrainSettings = field(default_factory=lambda: TrainSettings(
        steps=1200, batch_size=64, lr=1e-3, warmup=50, weight_decay=0.0, max_grad_norm=1.0, checkpoint_every=100, seed=15,
    ))
    autoencoder_loss: AutoencoderLoss = field(default_factory=lambda: AutoencoderLoss(perceptual_weight=1.0))
    crisp_perceptual: bool = True
    latent_channels: int = 8
    feature_weight: float = 0.3
    guidance: float = 4.0  # eval diffusion at 3 / 4: depict6 presence 0.898 / 0.922 at least, reader 0.910 / 0.930
    critic_guidance: float = 0.01
    design: BaseDesign = field(default_factory=lambda: BaseDesign(caption_words=True, max_length=64, pose="shared"))

    def on(self, device: str) -> "LatentBaseStages":
        """These stages with every stage's device set."""
        return replace(self, **{k: replace(getattr(self, k), device=device)
                                for k in ("base", "guide_critic", "term_critic", "autoencoder")})


def latent_world_pipeline(vae, design: BaseDesign) -> WorldDiffusionPipeline:
    """An untrained UNet on vae's 8 x 8 latents (widths 64 and 128, cross-attention at both levels)
    beside the world tokenizer and text encoder of design."""
    from genlens.generators.base_model import new_world_pipeline

    return new_world_pipeline(
        sample_size=8, block_out_channels=(64, 128), attention_levels=2, vae=vae, caption_words=design.caption_words,
        max_length=design.max_length, pose=design.pose == "shared",
    )


def _stage(folder: Path, train: Callable[[Path], tuple], load: Callable[[Path], object]) -> tuple[object, dict]:
    """A stage's model and card: loaded where a finished stage left its card, else trained (resuming
    from the stage's own checkpoints)."""
    card = folder / "card.json"
    if card.exists():
        return load(folder), json.loads(card.read_text())
    return train(folder)


def train_latent_base(out: Path, stages: LatentBaseStages | None = None) -> tuple[WorldDiffusionPipeline, dict]:
    """Train every stage into out/checkpoints/STAGE (a killed run resumes at its stage), then write
    out as a pipeline folder with the crisp critic registered for critic guidance. Returns the
    pipeline (fp32) and a card whose seconds sum the stages'."""
    from diffusers import AutoencoderKL

    from genlens.generators.autoencoder import train_autoencoder
    from genlens.generators.critic import WorldCritic, train_critic
    from genlens.generators.denoising_loss import LossSettings
    from genlens.generators.diffusion_training import save_pipeline, train_diffusion
    from genlens.measure.perturbations import Augmentation

    stages = stages or LatentBaseStages()
    root = Path(out) / STAGES
    crisp = Augmentation(p_blur=0.0, p_noise=0.0)
    guide, guide_card = _stage(root / "guide-critic", lambda f: train_critic(f, stages.guide_critic, augmentation=crisp),
                               WorldCritic.load)
    term, term_card = _stage(root / "term-critic", lambda f: train_critic(f, stages.term_critic), WorldCritic.load)
    perceptual = guide if stages.crisp_perceptual else term
    vae, vae_card = _stage(
        root / "autoencoder",
        lambda f: train_autoencoder(f, stages.autoencoder, perceptual, stages.autoencoder_loss, stages.latent_channels),
        AutoencoderKL.from_pretrained,
    )
    pipe, base_card = _stage(
        root / "base",
        lambda f: train_diffusion(f, stages.base, pipeline=latent_world_pipeline(vae.eval(), stages.design), design=stages.design,
                                  loss_settings=LossSettings(feature_weight=stages.feature_weight), critic=term),
        WorldDiffusionPipeline.from_pretrained,
    )
    pipe = WorldDiffusionPipeline(**pipe.base_components | {
        "critic": guide, "critic_guidance": stages.critic_guidance, "guidance": stages.guidance,
    })
    cards = {"guide_critic": guide_card, "term_critic": term_card, "autoencoder": vae_card, "base": base_card}
    card = base_card | {
        "kind": "base-diffusion", "design": "latent", "seconds": round(sum(c["seconds"] for c in cards.values()), 1),
        "stages": {k: {"steps": c["steps"], "seconds": c["seconds"], "device": c["device"]} for k, c in cards.items()},
        "guidance": stages.guidance, "critic_guidance": stages.critic_guidance, "crisp_perceptual": stages.crisp_perceptual,
        "feature_weight": stages.feature_weight, "latent_channels": stages.latent_channels,
        "autoencoder_loss": asdict(stages.autoencoder_loss),
    }
    save_pipeline(pipe, Path(out), card)
    return pipe, card
