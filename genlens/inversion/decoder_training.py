"""Training a FeatureDecoder for one (classifier, layer): pixel loss plus feature loss."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from genlens.classifiers.classifier import Classifier
from genlens.world.seeds import held_out
from genlens.features import FeatureExtractor
from genlens.inversion.decoder import DecoderConfig, DecoderInverter, FeatureDecoder
from genlens.measure.fidelity import feature_cosine, relative_feature_error, topk_agreement
from genlens.training.loop import TrainSettings, fit


def train_decoder(
    classifier: Classifier,
    layer: str,
    data,
    out: Path,
    settings: TrainSettings,
    feature_weight: float = 1.0,
    width: int = 128,
) -> tuple[DecoderInverter, dict]:
    """Train a decoder on images from data.batch(n, step, process) and save it to out with its card
    (validation feature cosine and top-1 agreement on held-out world images)."""
    classifier.eval().requires_grad_(False)
    features = FeatureExtractor(classifier, [layer])
    size = classifier.input_size
    shape = list(features(torch.zeros(1, 3, size, size))[layer].shape[1:])
    torch.manual_seed(settings.seed)
    decoder = FeatureDecoder(DecoderConfig(classifier.spec, layer, shape, size, width))

    def batch(step: int, process: int, device: torch.device):
        images = data.batch(settings.batch_size, step, process).to(device)
        return images, features(images)[layer]

    def loss(model, b):
        images, fmap = b
        recon = model(fmap)
        pixel = F.mse_loss(recon, images)
        match = relative_feature_error(fmap, features(recon, keep_graph=True)[layer])
        return pixel + feature_weight * match.mean()

    result = fit(decoder, batch, loss, settings, Path(out), description=f"train decoder {layer}")
    inverter = DecoderInverter(decoder.cpu().eval(), classifier.cpu())
    sources = held_out(256, size=size).images
    recon = inverter.invert(sources)[:, 0]
    with torch.no_grad():
        agreement = topk_agreement(classifier(sources), classifier(recon)).mean()
    validation = {
        "n": 256,
        "feature_cosine": round(
            float(feature_cosine(inverter.feature_maps(sources), inverter.feature_maps(recon)).mean()), 4
        ),
        "top1_agreement": round(float(agreement), 4),
    }
    card = result.card("decoder", classifier=classifier.spec, layer=layer, feature_shape=shape, validation=validation)
    inverter.save(Path(out), card)
    return inverter, card
