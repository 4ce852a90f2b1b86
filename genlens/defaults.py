"""The recipes of every shipped model, and `train defaults` that reproduces them with fixed seeds."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

from genlens.world.seeds import held_out
from genlens.training.loop import TrainSettings


@dataclass
class Recipe:
    """How one shipped model is trained: its group (for --only), task, architecture and settings."""

    group: str
    task: str
    arch: str
    settings: TrainSettings
    arch_kwargs: dict = field(default_factory=dict)
    planted: bool = False


@dataclass
class InverterRecipe:
    """A shipped FeatInv inverter: the classifier and layer it reads, on the shipped base model."""

    classifier: str
    layer: str
    settings: TrainSettings
    pooled: bool = False
    feature_weight: float | None = None  # None: the pixel-space default of inversion.training
    refine: tuple[TrainSettings, ...] = ()  # later phases, each from the previous phase's fp16 weights
    group: str = "inverters"


@dataclass
class DecoderRecipe:
    """A shipped Dosovitskiy & Brox decoder baseline for one (classifier, layer)."""

    classifier: str
    layer: str
    settings: TrainSettings
    group: str = "decoders"


def _decoder_settings(seed: int) -> TrainSettings:
    return TrainSettings(
        steps=600, batch_size=64, lr=2e-3, warmup=50, weight_decay=0.0, checkpoint_every=100, seed=seed
    )


#: The base model's recipe (the inverters are trained on it, so it is trained before them).
BASE_SETTINGS = TrainSettings(
    steps=2400, batch_size=64, lr=1e-3, warmup=100, weight_decay=0.0, max_grad_norm=1.0, checkpoint_every=100, seed=5
)


def base_phases() -> list:
    """The shipped base's training phases."""
    from genlens.generators.base_phases import Phase

    # A second phase on the timesteps where the outline is decided raises the shape read-back, but the
    # inverters trained on it measured worse (BENCHMARKS.md, "Where the base loses the shape").
    return [Phase("whole-schedule", BASE_SETTINGS)]


def _inverter_settings(seed: int, steps: int = 400, lr: float = 5e-4, warmup: int = 50) -> TrainSettings:
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


def _refine_settings(seed: int, phases: int) -> tuple[TrainSettings, ...]:
    """The phases after the first of a recipe of `phases` in all: each more steps at a lower peak rate
    than the first, on images no earlier phase saw (seed + 100, seed + 200, ...)."""
    return tuple(_inverter_settings(seed + 100 * k, steps=800, lr=3e-4, warmup=20) for k in range(1, phases))


RECIPES: dict[str, Recipe | InverterRecipe | DecoderRecipe | TrainSettings] = {
    "world-cnn": Recipe(
        "classifiers", "shape", "world-cnn", TrainSettings(steps=1500, batch_size=128, lr=2e-3, seed=1)
    ),
    "world-vit": Recipe(
        "classifiers",
        "shape",
        "world-vit",
        TrainSettings(steps=5000, batch_size=128, lr=1e-3, warmup=200, seed=2),
        arch_kwargs={"depth": 4, "conv_stem": True},
    ),
    # The background pattern is learnt within 200 steps, the shape only slowly from the 5% of images
    # where the two disagree. At step 900 the model follows the pattern on most of those: DEPICT with
    # the exact renderer ranks the pattern first, clear of the shape (BENCHMARKS.md, "DEPICT"); by step
    # 1000 the shape has overtaken it. A constant learning rate makes that step's model the same
    # whatever the run's length.
    "world-cnn-shortcut": Recipe(
        "classifiers",
        "shortcut",
        "world-cnn",
        TrainSettings(steps=900, batch_size=128, lr=2e-3, warmup=50, schedule="constant", seed=3),
    ),
    # Penultimate units 0-5 tied to size, x, y, colour, pattern and size+x (classifiers.planted): the
    # ground truth that unit readings (genlens link units) are checked against.
    "world-cnn-planted": Recipe(
        "classifiers", "shape", "world-cnn", TrainSettings(steps=1500, batch_size=128, lr=2e-3, seed=21), planted=True
    ),
    # Through blur and noise (measure.perturbations.Augmentation): 2,500 steps where clean renders took 1,500.
    "probes": Recipe("probes", "probes", "concept-probe", TrainSettings(steps=2500, batch_size=128, lr=2e-3, seed=4)),
    "depict6-concepts": Recipe(
        "probes", "depict6", "concept-predictor", TrainSettings(steps=300, batch_size=64, lr=2e-3, warmup=20, seed=13)
    ),
    "base-diffusion": BASE_SETTINGS,
    # Style-based, class-conditional (linking.world_gan); a constant rate, as GANs are trained.
    "world-gan": Recipe(
        "gan", "shape", "world-gan",
        TrainSettings(steps=4000, batch_size=32, lr=2e-3, warmup=0, weight_decay=0.0, schedule="constant",
                      checkpoint_every=250, seed=31),
    ),
    "inverters/world-cnn-layer2": InverterRecipe(
        "world-cnn", "layer2", _inverter_settings(6), refine=_refine_settings(6, phases=10)
    ),
    "inverters/world-cnn-layer3": InverterRecipe("world-cnn", "layer3", _inverter_settings(7)),
    "inverters/world-cnn-layer3-pooled": InverterRecipe("world-cnn", "layer3", _inverter_settings(8), pooled=True),
    "inverters/world-vit-blocks.3": InverterRecipe(
        "world-vit", "blocks.3", _inverter_settings(9), refine=_refine_settings(9, phases=12)
    ),
    "decoders/world-cnn-layer2": DecoderRecipe("world-cnn", "layer2", _decoder_settings(10)),
    "decoders/world-cnn-layer3": DecoderRecipe("world-cnn", "layer3", _decoder_settings(11)),
    "decoders/world-vit-blocks.3": DecoderRecipe("world-vit", "blocks.3", _decoder_settings(12)),
}
GROUPS = ("classifiers", "probes", "diffusion", "inverters", "decoders", "gan")


def group_of(name: str) -> str:
    recipe = RECIPES[name]
    return "diffusion" if isinstance(recipe, TrainSettings) else recipe.group


def train_defaults(
    out_root: Path,
    only: str | None = None,
    device: str = "auto",
    on_done: Callable[[str, dict], None] | None = None,
    names: list[str] | None = None,
) -> dict[str, dict]:
    """Train every recipe (or those of group `only`, or those named) into out_root/NAME, in fp16.

    Inverters use the classifiers and base model found in out_root, else the shipped ones. A run
    interrupted part-way resumes from its checkpoints; a finished one is trained again from scratch.
    Returns the cards by name.
    """
    cards = {}
    for name in RECIPES:
        if (only is not None and group_of(name) != only) or (names is not None and name not in names):
            continue
        out = Path(out_root) / name
        card = train_one(name, out, Path(out_root), device)
        shutil.rmtree(out / "checkpoints", ignore_errors=True)  # shipped folders hold the final weights only
        cards[name] = card
        if on_done is not None:
            on_done(name, card)
    return cards


def train_one(name: str, out: Path, root: Path, device: str) -> dict:
    """Train recipe `name` into out (fp16 weights and card); models it builds on are looked up in root."""
    recipe = RECIPES[name]
    group = group_of(name)
    settings = recipe if isinstance(recipe, TrainSettings) else recipe.settings
    settings = TrainSettings(**{**settings.__dict__, "device": device})
    reproduce = f"genlens train defaults --name {name}"
    if group == "diffusion":
        from genlens.generators.base_phases import train_in_phases
        from genlens.generators.diffusion_training import save_pipeline
        from genlens.measure.generation import caption_fidelity
        from genlens.measure.probes import ConceptProbe

        pipe, card = train_in_phases(out, base_phases(), device)
        fidelity = caption_fidelity(pipe, ConceptProbe.load(_in(root, "probes")), n=256)
        card.update(caption_probe_accuracy=fidelity["accuracy"], reproduce=reproduce)
        save_pipeline(pipe, out, card, dtype=torch.float16)  # replaces out, the phases' folders with it
        return card
    if group == "inverters":
        return _train_shipped_inverter(recipe, settings, out, root, reproduce)
    if group == "decoders":
        return _train_shipped_decoder(recipe, settings, out, root, reproduce)
    if group == "gan":
        from genlens.linking.gan_training import GANSettings, train_gan

        gan, card = train_gan(out, settings, GANSettings(task=recipe.task))
        card["reproduce"] = reproduce
        gan.save(out, card, dtype=torch.float16)
        return card
    from genlens.classifiers.training import train_classifier
    from genlens.measure.probe_training import train_probes

    if recipe.arch == "concept-predictor":
        from genlens.permutation.depict6 import train_concept_predictor

        model, card = train_concept_predictor(out, settings)
    elif group == "probes":
        model, card = train_probes(out, settings)
    else:
        model, card = train_classifier(
            recipe.task, recipe.arch, out, settings, arch_kwargs=recipe.arch_kwargs, planted=recipe.planted
        )
    card["reproduce"] = reproduce
    model.save(out, card, dtype=torch.float16)
    return card


def _in(root: Path, name: str) -> Path | None:
    """root/name if it was trained there, else None (the shipped one)."""
    return root / name if (root / name).is_dir() else None


def _train_shipped_inverter(recipe: InverterRecipe, settings: TrainSettings, out: Path, root: Path, reproduce: str):
    from genlens.generators.base_model import load_base

    classifier = _classifier(root, recipe.classifier)
    from genlens.shipped import WORLD_BASE

    base = load_base(_in(root, "base-diffusion") or WORLD_BASE)
    inverter, card = _phased_inverter(recipe, settings, classifier, base, out)
    inverter.to("cpu")
    card.update(validation=_inverter_validation(inverter, out, root))
    card["reproduce"] = reproduce
    _save_fp16_inverter(inverter, out, card)
    return card


def _inverter_phase(recipe: InverterRecipe, settings: TrainSettings, classifier, base, out: Path, init=None):
    from genlens.inversion.data import WorldImages
    from genlens.inversion.training import train_inverter

    return train_inverter(
        classifier,
        recipe.layer,
        base,
        "world",
        WorldImages(base.image_size, settings.seed),
        out,
        settings,
        pooled=recipe.pooled,
        feature_weight=recipe.feature_weight,
        init=init,
    )


def _phased_inverter(recipe: InverterRecipe, settings: TrainSettings, classifier, base, out: Path):
    """The recipe's phases in turn: each but the last into out/phase-K, saved in fp16 as shipped (a
    finished one is reused), the next starting from those weights; the last into out."""
    import json

    from genlens.inversion.inverter import FeatureInverter
    from genlens.training.phases import combined_card

    phases = [settings, *(replace(s, device=settings.device) for s in recipe.refine)]
    cards, init = [], None
    for k, phase in enumerate(phases, 1):
        if k == len(phases):
            inverter, card = _inverter_phase(recipe, phase, classifier, base, out, init=init)
        else:
            folder = out / f"phase-{k}"
            if not (folder / "card.json").is_file():
                inverter, card = _inverter_phase(recipe, phase, classifier, base, folder, init=init)
                _save_fp16_inverter(inverter, folder, card)
            card = json.loads((folder / "card.json").read_text())
            init = FeatureInverter.load(folder, base=base, classifier=classifier).controlnet
        cards.append({"name": f"phase-{k}", **card})
    # saving into out replaced the folder, the phase-K/ folders with it (checkpoints/ is all it keeps)
    return inverter, combined_card(cards) if len(cards) > 1 else card


def _inverter_validation(inverter, out: Path, root: Path) -> dict:
    """Feature cosine, top-1 agreement and concept retention on 64 held-out world images."""
    from genlens.inversion.run import invert_and_measure
    from genlens.measure.probes import ConceptProbe

    sample = held_out(64)
    summary = invert_and_measure(
        inverter,
        sample.images,
        out / "validation",
        sample.records,
        samples=1,
        probes=ConceptProbe.load(_in(root, "probes")),
    )
    shutil.rmtree(out / "validation", ignore_errors=True)
    return {k: summary[k] for k in ("n", "feature_cosine", "top1_agreement", "concept_retention")}


def _save_fp16_inverter(inverter, out: Path, card: dict) -> None:
    from genlens.inversion.training import save_inverter

    save_inverter(inverter, out, card, dtype=torch.float16)


def _train_shipped_decoder(recipe: DecoderRecipe, settings: TrainSettings, out: Path, root: Path, reproduce: str):
    from genlens.inversion.data import WorldImages
    from genlens.inversion.decoder_training import train_decoder

    classifier = _classifier(root, recipe.classifier)
    decoder, card = train_decoder(
        classifier, recipe.layer, WorldImages(classifier.input_size, settings.seed), out, settings
    )
    card["reproduce"] = reproduce
    decoder.save(out, card, dtype=torch.float16)
    return card


def _classifier(root: Path, spec: str):
    """The classifier `spec` as trained in root if it is there, else the shipped one, under its spec."""
    from genlens.classifiers.loader import load_classifier

    folder = _in(root, spec)
    classifier = load_classifier(str(folder) if folder else spec)
    classifier.spec = spec
    return classifier
