"""`genlens train classifier|probes|defaults`: train with accelerate, checkpoint, resume."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.options import MAX_COUNT, MAX_SCALE
from genlens.classifiers.user_models import with_weights
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.outputs import claim_training_folder
from genlens.errors import GenlensError
from genlens.training.loop import TrainSettings

train_app = typer.Typer(no_args_is_help=True, help="Train models (resumes from checkpoints in --out).")
app.add_typer(train_app, name="train")


def _settings(steps, batch_size, lr, seed, device, checkpoint_every, **more) -> TrainSettings:
    if not lr > 0:
        raise GenlensError(f"--lr must be above 0, got {lr}")
    return TrainSettings(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        checkpoint_every=checkpoint_every,
        warmup=min(100, max(1, steps // 10)),
        **more,
    )


@train_app.command("classifier")
@run_options()
def train_classifier_command(
    out: Path = typer.Option(..., "--out", help="Folder for config.json, model.safetensors, card.json."),
    task: str = typer.Option("shape", "--task", help="shape, shortcut or depict6."),
    data: Path = typer.Option(None, "--data", help="Your labelled images instead of a world task: one subfolder per class."),
    arch: str = typer.Option("world-cnn", "--arch", help="world-cnn, world-vit, timm:NAME or torchvision:NAME (trained from scratch)."),
    size: int = typer.Option(32, "--size", help="Input size in pixels.", min=8, max=1024),
    steps: int = typer.Option(1500, "--steps", min=0, max=MAX_COUNT),
    batch_size: int = typer.Option(128, "--batch-size", min=0, max=MAX_COUNT),
    lr: float = typer.Option(2e-3, "--lr", min=0.0, max=MAX_SCALE),
    checkpoint_every: int = typer.Option(250, "--checkpoint-every", min=0, max=MAX_COUNT),
    eval_n: int = typer.Option(2000, "--eval-n", help="Test renders for the card's accuracy.", min=0, max=MAX_COUNT),
    augment: bool = typer.Option(
        False, "--augment", help="Blur and noise the training images at random, as the shipped world-vit was trained.", metavar=""
    ),
    run: Run = Run(),
):
    """Train a classifier from scratch on fresh renders of TASK, or on your images (--data)."""
    from genlens.classifiers.architectures import build_net
    from genlens.classifiers.training import train_classifier
    from genlens.measure.perturbations import Augmentation

    build_net(arch, 2, size)  # an unknown architecture fails before any folder is claimed
    claim_training_folder(out, run.overwrite)
    _, card = train_classifier(
        None if data is not None else task, arch, out, _settings(steps, batch_size, lr, run.seed, run.device, checkpoint_every),
        size=size, eval_n=eval_n, data=data, augmentation=Augmentation() if augment else None,
    )
    emit(
        card,
        run.as_json,
        lambda c: print(
            f"{arch} on {data or task}: test accuracy {c['test_accuracy']:.4f}, "
            f"{c['steps']} steps in {c['seconds']} s on {c['device']} -> {out}"
        ),
    )


@train_app.command("probes")
@run_options()
def train_probes_command(
    out: Path = typer.Option(..., "--out"),
    steps: int = typer.Option(2500, "--steps", min=0, max=MAX_COUNT),
    batch_size: int = typer.Option(128, "--batch-size", min=0, max=MAX_COUNT),
    lr: float = typer.Option(2e-3, "--lr", min=0.0, max=MAX_SCALE),
    checkpoint_every: int = typer.Option(250, "--checkpoint-every", min=0, max=MAX_COUNT),
    run: Run = Run(),
):
    """Train the concept probes (shape, colour, size, position, background pattern and colour) on
    renders blurred and noised at random, so that they read generated images too."""
    from genlens.measure.probe_training import train_probes

    claim_training_folder(out, run.overwrite)
    _, card = train_probes(out, _settings(steps, batch_size, lr, run.seed, run.device, checkpoint_every))
    emit(card, run.as_json, lambda c: print(f"probes: {c['test_accuracy']} in {c['seconds']} s -> {out}"))


@train_app.command("defaults")
def train_defaults_command(
    only: str = typer.Option(
        None, "--only", help="classifiers, probes, diffusion, inverters, decoders or gan; all when omitted (in that order)."
    ),
    name: list[str] = typer.Option(None, "--name", help="Train only this shipped model (repeatable)."),
    out: Path = typer.Option(None, "--out", help="Where to write; the package's weights folder by default."),
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Reproduce the shipped models from scratch with their fixed seeds (fp16 safetensors + cards)."""
    from genlens.shipped import weights_root
    from genlens.recipes import GROUPS, RECIPES, train_defaults

    if only is not None and only not in GROUPS:
        raise GenlensError(f"unknown group '{only}', expected one of {', '.join(GROUPS)}")
    unknown = [n for n in name or [] if n not in RECIPES]
    if unknown:
        raise GenlensError(f"unknown shipped model '{unknown[0]}', expected one of {', '.join(RECIPES)}")
    if out is not None and out.exists() and not out.is_dir():
        raise GenlensError(f"{out} is a file; --out takes a folder")
    root = out or weights_root()
    cards = train_defaults(root, only, device, names=name or None)
    emit(
        {"out": str(root), "cards": cards}, as_json, lambda o: [print(_card_line(k, v)) for k, v in o["cards"].items()]
    )


def _trained_line(what: str, card: dict, out: Path) -> str:
    """One line on a finished training run: steps, seconds, device, final loss and where it went."""
    return f"{what}: {card['steps']} steps in {card['seconds']} s on {card['device']}, final loss {card['final_loss']} -> {out}"


def _card_line(name: str, card: dict) -> str:
    figure = card.get("test_accuracy") or card.get("validation") or card.get("caption_probe_accuracy")
    return f"{name}: {figure} ({card['steps']} steps, {card['seconds']} s, {card['device']})"


@train_app.command("diffusion")
@run_options()
def train_diffusion_command(
    out: Path = typer.Option(..., "--out", help="Pipeline folder (diffusers layout) + card.json."),
    design: str = typer.Option(
        "pixel", "--design", help="pixel (a UNet on pixels) or latent (critics, autoencoder and a UNet on its latents, one run)."
    ),
    steps: int = typer.Option(None, "--steps", help="The UNet's steps (pixel: 30000; latent: 6500).", min=0, max=MAX_COUNT),
    batch_size: int = typer.Option(64, "--batch-size", min=0, max=MAX_COUNT),
    lr: float = typer.Option(None, "--lr", help="The UNet's peak rate (pixel: 3e-4; latent: 1e-3).", min=0.0, max=MAX_SCALE),
    size: int = typer.Option(32, "--size", help="Image side in pixels (pixel design).", min=0, max=MAX_COUNT),
    pose: str = typer.Option(
        None, "--pose", help="How training objects are turned: upright, world (as drawn) or shared (the base hears the angle) "
        "(pixel: upright; latent: shared)."
    ),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every", help="Steps between checkpoints (pixel: 500; latent: 100).", min=0, max=MAX_COUNT),
    run: Run = Run(),
):
    """Train the world's text-conditioned base diffusion model on rendered scenes and their captions."""
    from dataclasses import replace

    from genlens.generators.base_design import BaseDesign
    from genlens.generators.diffusion_training import train_diffusion
    from genlens.generators.latent_base_training import LatentBaseStages, train_latent_base

    if design not in ("pixel", "latent"):
        raise GenlensError(f"unknown design '{design}', expected pixel or latent")
    latent = LatentBaseStages()

    def given(value, default):
        return default if value is None else value

    chosen = BaseDesign(pose=pose or ("shared" if design == "latent" else "upright"))  # fails before any folder is claimed
    claim_training_folder(out, run.overwrite)
    if design == "pixel":
        settings = _settings(given(steps, 30000), batch_size, given(lr, 3e-4), run.seed, run.device, given(checkpoint_every, 500),
                             weight_decay=0.0, max_grad_norm=1.0)
        _, card = train_diffusion(out, settings, size=size, design=chosen)
    else:
        unet = latent.base
        settings = _settings(given(steps, unet.steps), batch_size, given(lr, unet.lr), run.seed, run.device, given(checkpoint_every, unet.checkpoint_every),
                             weight_decay=0.0, max_grad_norm=1.0, ema_decay=unet.ema_decay)
        _, card = train_latent_base(out, replace(latent, base=settings, design=replace(latent.design, pose=chosen.pose)).on(run.device))
    emit(card, run.as_json, lambda c: print(_trained_line("base diffusion", c, out)))


@train_app.command("inverter")
@run_options()
def train_inverter_command(
    out: Path = typer.Option(..., "--out", help="Inverter folder: controlnet/, inverter.json, card.json."),
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec."),
    weights: Path = options.Weights,
    layer: str = typer.Option(..., "--layer", help="Layer name (see `genlens layers SPEC`)."),
    pooled: bool = typer.Option(False, "--pooled", help="Condition on the pooled vector broadcast over the grid.", metavar=""),
    base: str = typer.Option(
        "world", "--base", help="'world' (the shipped base), a pipeline folder or a hub id (SD 1.x, miniSD)."
    ),
    data: Path = typer.Option(
        None, "--data", help="ImageFolder tree or flat folder of images; world renders if omitted."
    ),
    resolution: int = typer.Option(None, "--resolution", help="Training image side for --data (default: the base's).", min=0, max=MAX_COUNT),
    steps: int = typer.Option(20000, "--steps", min=0, max=MAX_COUNT),
    batch_size: int = typer.Option(64, "--batch-size", min=0, max=MAX_COUNT),
    grad_accum: int = typer.Option(1, "--grad-accum", min=0, max=MAX_COUNT),
    lr: float = typer.Option(1e-4, "--lr", min=0.0, max=MAX_SCALE),
    checkpoint_every: int = typer.Option(500, "--checkpoint-every", min=0, max=MAX_COUNT),
    feature_weight: float = typer.Option(
        None, "--feature-weight", min=0.0, max=MAX_SCALE,
        help="Weight of the feature-matching term (1; on a latent base through the VAE's decoder; 0 = FeatInv's loss).",
    ),
    whitened: bool = typer.Option(
        False, "--whitened", metavar="",
        help="The ControlNet reads the map whitened over its channels (the shipped world-cnn layer2 inverter's design).",
    ),
    whitened_loss: bool = typer.Option(
        False, "--whitened-loss", metavar="",
        help="With --whitened: the feature-matching term measures the error in the same whitened coordinates.",
    ),
    init: Path = typer.Option(
        None,
        "--init",
        help="An inverter folder for this layer to continue from (a second phase) instead of a fresh one.",
    ),
    random_init: bool = options.RandomInit,
    run: Run = Run(),
):
    """Train a FeatInv inverter: a FeatureControlNet on a frozen base, features computed on the fly.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    classifier = with_weights(classifier, weights)
    from genlens.classifiers.loader import load_classifier
    from genlens.features import FeatureExtractor
    from genlens.generators.base_model import load_base
    from genlens.inversion.data import FolderImages, WorldImages
    from genlens.inversion.inverter import FeatureInverter
    from genlens.inversion.training import train_inverter

    claim_training_folder(out, run.overwrite)
    model = load_classifier(classifier, random_init=random_init)
    FeatureExtractor(model, [layer])  # an unknown layer fails here, before anything loads
    pipe = load_base(base)
    start = None
    if init is not None:
        start = FeatureInverter.load(init, base=pipe, classifier=model)
        if start.config.layer != layer:
            raise GenlensError(f"--init {init} was trained for layer {start.config.layer}, not {layer}")
    size = resolution or pipe.image_size
    images = FolderImages(data, size, run.seed) if data is not None else WorldImages(size, run.seed)
    settings = _settings(
        steps,
        batch_size,
        lr,
        run.seed,
        run.device,
        checkpoint_every,
        grad_accum=grad_accum,
        weight_decay=0.0,
        max_grad_norm=1.0,
    )
    _, card = train_inverter(
        model,
        layer,
        pipe,
        base,
        images,
        out,
        settings,
        pooled=pooled,
        feature_weight=feature_weight,
        whitened=whitened,
        whitened_loss=whitened_loss,
        init=start.controlnet if start else None,
    )
    emit(card, run.as_json, lambda c: print(_trained_line(f"inverter {classifier} {layer}", c, out)))


@train_app.command("decoder")
@run_options()
def train_decoder_command(
    out: Path = typer.Option(..., "--out", help="Decoder folder: config.json, model.safetensors, card.json."),
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec."),
    weights: Path = options.Weights,
    layer: str = typer.Option(..., "--layer", help="Layer name (see `genlens layers SPEC`)."),
    data: Path = typer.Option(
        None, "--data", help="ImageFolder tree or flat folder of images; world renders if omitted."
    ),
    steps: int = typer.Option(1000, "--steps", min=0, max=MAX_COUNT),
    batch_size: int = typer.Option(64, "--batch-size", min=0, max=MAX_COUNT),
    lr: float = typer.Option(2e-3, "--lr", min=0.0, max=MAX_SCALE),
    feature_weight: float = typer.Option(1.0, "--feature-weight", help="Weight of the feature loss.", min=0.0, max=MAX_SCALE),
    checkpoint_every: int = typer.Option(250, "--checkpoint-every", min=0, max=MAX_COUNT),
    random_init: bool = options.RandomInit,
    run: Run = Run(),
):
    """Train a Dosovitskiy & Brox decoder: an up-convolutional network from a layer's map to the image."""
    classifier = with_weights(classifier, weights)
    from genlens.classifiers.loader import load_classifier
    from genlens.features import FeatureExtractor
    from genlens.inversion.data import FolderImages, WorldImages
    from genlens.inversion.decoder_training import train_decoder

    claim_training_folder(out, run.overwrite)
    model = load_classifier(classifier, random_init=random_init)
    FeatureExtractor(model, [layer])
    size = model.input_size
    images = FolderImages(data, size, run.seed) if data is not None else WorldImages(size, run.seed)
    settings = _settings(steps, batch_size, lr, run.seed, run.device, checkpoint_every, weight_decay=0.0)
    _, card = train_decoder(model, layer, images, out, settings, feature_weight=feature_weight)
    emit(
        card,
        run.as_json,
        lambda c: print(f"decoder {classifier} {layer}: {c['validation']} in {c['seconds']} s -> {out}"),
    )


@train_app.command("gan")
@run_options()
def train_gan_command(
    out: Path = typer.Option(..., "--out", help="Folder for config.json, model.safetensors, card.json."),
    task: str = typer.Option("shape", "--task", help="The world task whose labels condition the GAN."),
    steps: int = typer.Option(4000, "--steps", min=0, max=MAX_COUNT),
    batch_size: int = typer.Option(32, "--batch-size", min=0, max=MAX_COUNT),
    lr: float = typer.Option(2e-3, "--lr", min=0.0, max=MAX_SCALE),
    r1_gamma: float = typer.Option(0.05, "--r1-gamma", help="R1 penalty on real images (lazy, every 16 steps).", min=0.0, max=MAX_SCALE),
    critic: Path = typer.Option(None, "--critic", help="A generators' critic folder: the generator is also trained to make it read the class."),
    critic_weight: float = typer.Option(1.0, "--critic-weight", help="Weight of the critic's cross-entropy with the class.", min=0.0, max=MAX_SCALE),
    checkpoint_every: int = typer.Option(250, "--checkpoint-every", min=0, max=MAX_COUNT),
    eval_n: int = typer.Option(1000, "--eval-n", help="Samples per truncation for the card's figures (0: none).", min=0, max=MAX_COUNT),
    run: Run = Run(),
):
    """Train the world GAN (style-based, class-conditional) on fresh renders of TASK."""
    from genlens.linking.gan_training import GANSettings, train_gan
    from genlens.world import get_task

    get_task(task)
    claim_training_folder(out, run.overwrite)
    if r1_gamma < 0:
        raise GenlensError(f"--r1-gamma must be at least 0, got {r1_gamma}")
    settings = TrainSettings(
        steps=steps, batch_size=batch_size, lr=lr, warmup=0, weight_decay=0.0, schedule="constant",
        checkpoint_every=checkpoint_every, seed=run.seed, device=run.device,
    )
    if critic is not None and not (critic / "config.json").is_file():
        raise GenlensError(f"--critic {critic} is not a critic folder (no config.json)")
    gan = GANSettings(r1_gamma=r1_gamma, task=task, critic=None if critic is None else str(critic), critic_weight=critic_weight)
    _, card = train_gan(out, settings, gan, eval_n=eval_n)
    emit(card, run.as_json, lambda c: print(f"world GAN: {c['steps']} steps in {c['seconds']} s on {c['device']} -> {out}"))
