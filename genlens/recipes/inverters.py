"""Recipes of the shipped inverters and decoder baselines, trained on the classifiers and base model
found in the run's root (else the shipped ones)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from genlens.recipes.recipe import Recipe, in_root, root_classifier
from genlens.training.loop import TrainSettings


@dataclass
class InverterRecipe(Recipe):
    """A shipped FeatInv inverter: the classifier and layer it reads, on the shipped base `base` (its
    spec; the folder of that name trained in the run's root comes first)."""

    classifier: str
    layer: str
    settings: TrainSettings
    pooled: bool = False
    feature_weight: float | None = None  # None: inversion.training's default
    whitened: bool = False  # the ControlNet reads the map whitened
    whitened_loss: bool = False  # the feature term measures the error whitened alike
    base: str = "world"
    group: str = "inverters"

    def train(self, out: Path, root: Path, device: str, facts: dict) -> dict:
        from genlens.generators.base_model import load_base
        from genlens.inversion.data import WorldImages
        from genlens.inversion.training import train_inverter
        from genlens.shipped import SHIPPED_BASES

        classifier = root_classifier(root, self.classifier)
        base = load_base(in_root(root, SHIPPED_BASES[self.base]) or self.base)
        settings = self.settings_on(device)
        inverter, card = train_inverter(
            classifier, self.layer, base, self.base, WorldImages(base.image_size, settings.seed), out, settings,
            pooled=self.pooled, feature_weight=self.feature_weight,
            whitened=self.whitened, whitened_loss=self.whitened_loss,
        )
        inverter.to("cpu")
        card.update(validation=_validation(inverter, out, root), **facts)
        _save_fp16(inverter, out, card)
        return card


def _validation(inverter, out: Path, root: Path) -> dict:
    """Feature cosine, top-1 agreement and concept retention on 64 held-out world images."""
    from genlens.inversion.run import invert_and_measure
    from genlens.measure.probes import ConceptProbe
    from genlens.world.seeds import held_out

    sample = held_out(64)
    summary = invert_and_measure(
        inverter, sample.images, out / "validation", sample.records, samples=1,
        probes=ConceptProbe.load(in_root(root, "probes")),
    )
    shutil.rmtree(out / "validation", ignore_errors=True)
    return {k: summary[k] for k in ("n", "feature_cosine", "top1_agreement", "concept_retention")}


def _save_fp16(inverter, out: Path, card: dict) -> None:
    from genlens.inversion.training import save_inverter

    save_inverter(inverter, out, card, dtype=torch.float16)


@dataclass
class DecoderRecipe(Recipe):
    """A shipped Dosovitskiy & Brox decoder baseline for one (classifier, layer)."""

    classifier: str
    layer: str
    settings: TrainSettings
    group: str = "decoders"

    def train(self, out: Path, root: Path, device: str, facts: dict) -> dict:
        from genlens.inversion.data import WorldImages
        from genlens.inversion.decoder_training import train_decoder

        settings = self.settings_on(device)
        classifier = root_classifier(root, self.classifier)
        decoder, card = train_decoder(classifier, self.layer, WorldImages(classifier.input_size, settings.seed), out, settings)
        card.update(facts)
        decoder.save(out, card, dtype=torch.float16)
        return card
