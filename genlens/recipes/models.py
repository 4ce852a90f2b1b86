"""Recipes of the shipped models trained on their own: classifiers, probes, the concept predictor,
the base model and the world GAN."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from genlens.generators.latent_base_training import LatentBaseStages
from genlens.measure.perturbations import Augmentation
from genlens.recipes.recipe import Recipe, in_root
from genlens.training.loop import TrainSettings


@dataclass
class ClassifierRecipe(Recipe):
    """A world classifier: its task, architecture and settings (planted: units tied to concepts;
    augmentation: trained through blur and noise)."""

    task: str
    arch: str
    settings: TrainSettings
    arch_kwargs: dict = field(default_factory=dict)
    planted: bool = False
    augmentation: Augmentation | None = None
    group: str = "classifiers"

    def train(self, out: Path, root: Path, device: str, facts: dict) -> dict:
        from genlens.classifiers.training import train_classifier

        model, card = train_classifier(
            self.task, self.arch, out, self.settings_on(device), arch_kwargs=self.arch_kwargs, planted=self.planted,
            augmentation=self.augmentation,
        )
        card.update(facts)
        model.save(out, card, dtype=torch.float16)
        return card


@dataclass
class TrainerRecipe(Recipe):
    """A model whose trainer, `trainer(out, settings) -> (model, card)`, is named by its import path
    ("package.module:function"): the concept probes and DEPICT's concept predictor."""

    trainer: str
    settings: TrainSettings
    group: str = "probes"

    def train(self, out: Path, root: Path, device: str, facts: dict) -> dict:
        import importlib

        module, name = self.trainer.split(":")
        model, card = getattr(importlib.import_module(module), name)(out, self.settings_on(device))
        card.update(facts)
        model.save(out, card, dtype=torch.float16)
        return card


@dataclass
class LatentBaseRecipe(Recipe):
    """The world base in Stable Diffusion's layout (generators.latent_base_training): its four stages
    in one run, read back on 256 captions by the probes and the independent reader, guided as shipped."""

    stages: LatentBaseStages = field(default_factory=LatentBaseStages)
    group: str = "diffusion"

    @property
    def settings(self) -> TrainSettings:
        return self.stages.base

    def train(self, out: Path, root: Path, device: str, facts: dict) -> dict:
        from genlens.generators.diffusion_training import save_pipeline
        from genlens.generators.latent_base_training import train_latent_base
        from genlens.measure.generation import caption_fidelity
        from genlens.measure.probes import ConceptProbe
        from genlens.measure.reader import DEFAULT_READER, load_reader

        pipe, card = train_latent_base(out, self.stages.on(device))
        reader = load_reader(str(in_root(root, DEFAULT_READER) or DEFAULT_READER))
        read = caption_fidelity(pipe, ConceptProbe.load(in_root(root, "probes")), n=256, reader=reader)
        card.update(facts, caption_probe_accuracy=read["accuracy"], caption_reader=read["reader"])
        save_pipeline(pipe, out, card, dtype=torch.float16)
        return card


@dataclass
class GANRecipe(Recipe):
    """The world GAN, conditioned on the task's labels."""

    task: str
    settings: TrainSettings
    group: str = "gan"

    def train(self, out: Path, root: Path, device: str, facts: dict) -> dict:
        from genlens.linking.gan_training import GANSettings, train_gan

        gan, card = train_gan(out, self.settings_on(device), GANSettings(task=self.task))
        card.update(facts)
        gan.save(out, card, dtype=torch.float16)
        return card
