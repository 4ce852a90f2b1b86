"""The recipes of every shipped model, and `train defaults` that reproduces them with fixed seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

from genlens.measure.perturbations import Augmentation
from genlens.recipes.inverters import DecoderRecipe, InverterRecipe
from genlens.recipes.models import ClassifierRecipe, GANRecipe, LatentBaseRecipe, TrainerRecipe
from genlens.recipes.recipe import Recipe
from genlens.training.loop import TrainSettings

def _decoder_settings(seed: int) -> TrainSettings:
    return TrainSettings(
        steps=600, batch_size=64, lr=2e-3, warmup=50, weight_decay=0.0, checkpoint_every=100, seed=seed
    )


def _inverter_settings(seed: int, steps: int, lr: float = 5e-4, warmup: int = 100) -> TrainSettings:
    return TrainSettings(
        steps=steps,
        batch_size=64,
        lr=lr,
        warmup=warmup,
        weight_decay=0.0,
        max_grad_norm=1.0,
        checkpoint_every=100,
        seed=seed,
    )


RECIPES: dict[str, Recipe] = {
    # Through blur and noise, as the probes and world-vit: soft generated images keep their class.
    "world-cnn": ClassifierRecipe(
        "shape", "world-cnn", TrainSettings(steps=2000, batch_size=128, lr=2e-3, seed=1),
        augmentation=Augmentation(),
    ),
    "world-vit": ClassifierRecipe(
        "shape",
        "world-vit",
        TrainSettings(steps=5000, batch_size=128, lr=1e-3, warmup=200, seed=2),
        arch_kwargs={"depth": 4, "conv_stem": True},
        augmentation=Augmentation(),
    ),
    # The background pattern is learnt within 200 steps, the shape only slowly from the 5% of images
    # where the two disagree. At step 900 the model follows the pattern on most of those: DEPICT with
    # the exact renderer ranks the pattern first, clear of the shape (BENCHMARKS.md, "DEPICT"); by step
    # 1000 the shape has overtaken it. A constant learning rate makes that step's model the same
    # whatever the run's length.
    "world-cnn-shortcut": ClassifierRecipe(
        "shortcut",
        "world-cnn",
        TrainSettings(steps=900, batch_size=128, lr=2e-3, warmup=50, schedule="constant", seed=3),
    ),
    # Penultimate units 0-5 tied to size, x, y, colour, pattern and size+x (classifiers.planted): the
    # ground truth that unit readings (genlens link units) are checked against.
    "world-cnn-planted": ClassifierRecipe(
        "shape", "world-cnn", TrainSettings(steps=1500, batch_size=128, lr=2e-3, seed=21), planted=True
    ),
    # Through blur and noise (measure.perturbations.Augmentation): 2,500 steps where clean renders took 1,500.
    "probes": TrainerRecipe(
        "genlens.measure.probe_training:train_probes", TrainSettings(steps=2500, batch_size=128, lr=2e-3, seed=4)
    ),
    "depict6-concepts": TrainerRecipe(
        "genlens.permutation.depict6:train_concept_predictor",
        TrainSettings(steps=300, batch_size=64, lr=2e-3, warmup=20, seed=13),
    ),
    # The world's text-to-image base: critics, autoencoder and a UNet on its latents in one run
    # (generators.latent_base_training; chosen by the pilots in BENCHMARKS.md).
    "base-diffusion": LatentBaseRecipe(),
    # Style-based, class-conditional (linking.world_gan); a constant rate, as GANs are trained.
    "world-gan": GANRecipe(
        "shape",
        TrainSettings(steps=4000, batch_size=32, lr=2e-3, warmup=0, weight_decay=0.0, schedule="constant",
                      checkpoint_every=250, seed=31),
    ),
    # FeatInv inverters on the world base, each one run (pilots in BENCHMARKS.md, "Inverters on the latent base").
    # Whitened: a colour edit moves layer2's map by 0.085 of its squared norm as it is, 0.30 whitened.
    # Its feature term is measured whitened alike (colour 0.938 -> 0.945).
    "inverters/world-cnn-layer2": InverterRecipe(
        "world-cnn", "layer2", _inverter_settings(6, steps=3000), whitened=True, whitened_loss=True
    ),
    # 2,400 steps: its hour with a margin where a step takes 1.2-1.45 s (3,600 steps kept 0.01-0.02 more).
    "inverters/world-cnn-layer3": InverterRecipe("world-cnn", "layer3", _inverter_settings(7, steps=2400)),
    "inverters/world-cnn-layer3-pooled": InverterRecipe(
        "world-cnn", "layer3", _inverter_settings(8, steps=600), pooled=True
    ),
    "inverters/world-vit-blocks.3": InverterRecipe("world-vit", "blocks.3", _inverter_settings(9, steps=3600)),
    "decoders/world-cnn-layer2": DecoderRecipe("world-cnn", "layer2", _decoder_settings(10)),
    "decoders/world-cnn-layer3": DecoderRecipe("world-cnn", "layer3", _decoder_settings(11)),
    "decoders/world-vit-blocks.3": DecoderRecipe("world-vit", "blocks.3", _decoder_settings(12)),
}
GROUPS = ("classifiers", "probes", "diffusion", "inverters", "decoders", "gan")


def train_defaults(out_root: Path, only: str | None = None, device: str = "auto", names: list[str] | None = None) -> dict[str, dict]:
    """Train every recipe (or those of group `only`, or those named) into out_root/NAME, in fp16.

    Inverters use the classifiers and base model found in out_root, else the shipped ones. A run
    interrupted part-way resumes from its checkpoints; a finished one is trained again from scratch.
    Returns the cards by name.
    """
    cards = {}
    for name, recipe in RECIPES.items():
        if (only is not None and recipe.group != only) or (names is not None and name not in names):
            continue
        out = Path(out_root) / name
        cards[name] = train_one(name, out, Path(out_root), device)
        shutil.rmtree(out / "checkpoints", ignore_errors=True)  # shipped folders hold the final weights only
    return cards


def train_one(name: str, out: Path, root: Path, device: str) -> dict:
    """Train recipe `name` into out (fp16 weights and card); models it builds on are looked up in root."""
    return RECIPES[name].train(out, Path(root), device, {"reproduce": f"genlens train defaults --name {name}"})


__all__ = [
    "GROUPS", "RECIPES", "ClassifierRecipe", "DecoderRecipe", "GANRecipe", "InverterRecipe",
    "LatentBaseRecipe", "Recipe", "TrainerRecipe", "train_defaults", "train_one",
]
