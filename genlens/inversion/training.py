"""Training a feature inverter: frozen base model and classifier, trainable FeatureControlNet."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
from accelerate import PartialState

from genlens.artifacts import write_artifact
from genlens.classifiers.classifier import Classifier
from genlens.device import resolve_device
from genlens.errors import GenlensError
from genlens.features import FeatureExtractor
from genlens.generators.coordinates import with_coordinates
from genlens.generators.denoising_loss import LossSettings, denoising_loss, object_weights
from genlens.generators.diffusion_training import copy_module, noise_batch
from genlens.generators.feature_controlnet import FeatureControlNet
from genlens.generators.pipeline import WorldDiffusionPipeline
from genlens.images import resize
from genlens.inversion.feature_loss import feature_matching_loss
from genlens.generators.feature_controlnet import control_residuals
from genlens.inversion.inverter import PROMPT, FeatureInverter, InverterConfig
from genlens.training.loop import TrainSettings, fit

#: FeatInv drops the map and the prompt together this often, so that guidance works at sampling.
CONDITION_DROPOUT = 0.15

#: Training batches whose maps give a whitened ControlNet its channel statistics.
WHITENING_BATCHES = 4

#: Weight of the feature-matching term (feature_loss.py); 0 reproduces FeatInv's loss.
FEATURE_WEIGHT = 1.0


def train_inverter(
    classifier: Classifier,
    layer: str,
    base: WorldDiffusionPipeline,
    base_name: str,
    data,
    out: Path,
    settings: TrainSettings,
    pooled: bool = False,
    hidden_channels: int = 128,
    loss_settings: LossSettings | None = None,
    feature_weight: float | None = None,
    whitened: bool = False,
    whitened_loss: bool = False,
    init: FeatureControlNet | None = None,
) -> tuple[FeatureInverter, dict]:
    """Train a FeatureControlNet for classifier's `layer` on images (and object masks, where known)
    from data.masked_batch(n, step, process); save the inverter (controlnet/, inverter.json,
    card.json) to out and return it with its card. feature_weight weighs the feature-matching term
    (default FEATURE_WEIGHT; on a latent base it reads the clean estimate decoded by the frozen VAE);
    whitened: the ControlNet reads the map whitened by its channel statistics over the first
    WHITENING_BATCHES batches; whitened_loss (a whitened ControlNet only): the feature-matching term
    measures the error in the same whitened coordinates.
    init, a trained ControlNet for the same layer, is the starting point instead of a fresh copy of
    the base (a second phase; it is copied, not changed).

    One training run from setup to card, kept in one piece so that checkpointing and resume read in order.
    """
    loss_settings = loss_settings or LossSettings()
    if feature_weight is None:
        feature_weight = FEATURE_WEIGHT
    if feature_weight < 0:
        raise GenlensError(f"feature weight must be >= 0, got {feature_weight}")
    # the process's own device under `accelerate launch` (resolve_device checks the user's choice)
    device = PartialState(cpu=resolve_device(settings.device).type == "cpu").device
    for module in (base.unet, base.text_encoder, base.vae, classifier):
        if module is not None:
            module.requires_grad_(False).eval()
    base.to(device)
    classifier.to(device)
    features = FeatureExtractor(classifier, [layer])
    probe = torch.zeros(1, 3, classifier.input_size, classifier.input_size, device=device)
    shape = list(features(probe)[layer].shape[1:])
    torch.manual_seed(settings.seed)
    if init is None:
        controlnet = FeatureControlNet.from_base(
            base.unet, shape[0], hidden_channels, pooled, feature_size=shape[-1], feature_whitened=whitened
        )
        if whitened:
            with torch.no_grad():
                maps = [features(resize(data.batch(settings.batch_size, step).to(device), classifier.input_size))[layer]
                        for step in range(WHITENING_BATCHES)]
            controlnet.controlnet_cond_embedding.set_whitening(torch.cat(maps))
    else:
        check_init(init, shape, pooled)
        config = {k: v for k, v in init.config.items() if k != "_name_or_path"}  # no local path in what ships
        controlnet = FeatureControlNet.from_config(config)
        controlnet.load_state_dict({k: v.float() for k, v in init.state_dict().items()})  # trains in fp32
        whitened = bool(controlnet.config.get("feature_whitened", False))  # as the starting ControlNet reads
    if whitened_loss and not whitened:
        raise GenlensError("a whitened feature loss needs a whitened ControlNet (whitened=True)")
    encoder = controlnet.controlnet_cond_embedding
    with torch.no_grad():
        prompts = base.caption_conditioning([PROMPT, ""])  # the prompt, then the empty one

    def batch(step: int, process: int, dev: torch.device):
        images, masks = data.masked_batch(settings.batch_size, step, process)
        images = images.to(dev)
        g = torch.Generator().manual_seed(step * 7919 + process)  # every draw of the step from it: a resumed run draws alike
        with torch.no_grad():
            fmap = features(resize(images, classifier.input_size))[layer]
            clean = base.encode_images(images, g)
        noisy, target, t = noise_batch(base.scheduler, clean, g)
        drop = (torch.rand(len(images), generator=g) < CONDITION_DROPOUT).to(dev)
        fmap = torch.where(drop[:, None, None, None], torch.zeros_like(fmap), fmap)
        caption = {
            k: torch.where(drop.view(-1, *[1] * (v.dim() - 1)), v[1:2], v[0:1]) for k, v in prompts.items()
        }
        weights = None
        if masks is not None:
            weights = object_weights(masks, loss_settings.object_weight, clean.shape[-1]).to(dev)
        return noisy, target, t, caption, fmap, weights, ~drop

    def loss(cn, data_):
        noisy, target, t, caption, fmap, weights, conditioned = data_
        inputs = with_coordinates(noisy, base.unet.config)
        down, mid = control_residuals(cn, inputs, t, caption, fmap)
        prediction = base.unet(
            inputs,
            t,
            **caption,
            down_block_additional_residuals=down,
            mid_block_additional_residual=mid,
        ).sample
        total = denoising_loss(prediction, target, t, base.scheduler, loss_settings.snr_gamma, weights)
        if feature_weight > 0:
            # read each step: the buffers are replaced when the ControlNet moves to the training device
            whitening = (encoder.whitening_mean, encoder.whitening_matrix) if whitened_loss else None
            match = feature_matching_loss(features, layer, base, noisy, prediction, t, fmap, conditioned, pooled, whitening)
            total = total + feature_weight * match
        return total

    result = fit(controlnet, batch, loss, settings, Path(out), description=f"train inverter {layer}")
    config = InverterConfig(classifier=classifier.spec, layer=layer, feature_shape=shape, base=base_name, pooled=pooled)
    inverter = FeatureInverter(config, base, controlnet.eval(), classifier)
    card = result.card(
        "inverter",
        classifier=classifier.spec,
        layer=layer,
        pooled=pooled,
        base=base_name,
        feature_shape=shape,
        loss={**asdict(loss_settings), "feature_weight": feature_weight, "whitened_feature_loss": whitened_loss},
        whitened=whitened,
    )
    save_inverter(inverter, Path(out), card)
    return inverter, card


def check_init(init: FeatureControlNet, feature_shape: list[int], pooled: bool) -> None:
    """Refuse a starting ControlNet built for another map or conditioning."""
    channels = init.config.feature_channels
    if channels != feature_shape[0] or bool(init.config.pooled) != pooled:
        raise GenlensError(
            f"the starting ControlNet reads {channels} channels ({'pooled' if init.config.pooled else 'spatial'}); "
            f"this layer has {feature_shape[0]} ({'pooled' if pooled else 'spatial'})"
        )


def save_inverter(inverter: FeatureInverter, folder: Path, card: dict, dtype: torch.dtype | None = None) -> Path:
    """Write the inverter folder (controlnet/, inverter.json, card.json) atomically; floats cast to dtype if given."""
    controlnet = inverter.controlnet if dtype is None else copy_module(inverter.controlnet, dtype)
    copy = FeatureInverter(inverter.config, inverter.base, controlnet, inverter.classifier)
    return write_artifact(folder, copy.save, card)
