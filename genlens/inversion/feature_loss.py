"""The feature-matching term of inverter training: the classifier's features of the clean image that
the conditioned model predicts should be those it was conditioned on.

FeatInv trains on the denoising loss alone, so a layer's features steer samples only as far as the
noise-prediction error makes them; a shape that the classifier reads from a few edge pixels is a
small part of that error. This term measures what an inversion is judged by (as the Dosovitskiy & Brox
decoder's feature loss does) at the cost of one classifier pass per step. Each sample's relative feature
error is weighted by its signal level alpha-bar, since the clean image predicted from nearly pure
noise is a blurred average that no single feature map describes."""

from __future__ import annotations

import torch

from genlens.features import FeatureExtractor, pool
from genlens.generators.denoising_loss import predicted_clean
from genlens.generators.whitening import whiten
from genlens.images import resize
from genlens.measure.fidelity import relative_feature_error


def feature_matching_loss(
    features: FeatureExtractor,
    layer: str,
    base,
    noisy: torch.Tensor,
    prediction: torch.Tensor,
    timesteps: torch.Tensor,
    fmap: torch.Tensor,
    conditioned: torch.Tensor,
    pooled: bool = False,
    whitening: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Mean over conditioned samples of alpha-bar x relative error between the layer's features of the
    predicted clean image and fmap (pooled vectors for a pooled inverter, which never sees the map).
    On a latent base the predicted clean latent is decoded by the base's frozen autoencoder, with
    gradients, as Stable Diffusion's guidance methods decode theirs. whitening, a (mean, matrix) pair
    from whitening.zca, measures the error in whitened channel coordinates, where every direction of
    the map's variance counts alike. Only conditioned samples are decoded and read: the others weigh 0."""
    keep = conditioned.nonzero().flatten()
    if len(keep) == 0:
        return prediction.sum() * 0.0
    noisy, prediction, timesteps, fmap = noisy[keep], prediction[keep], timesteps[keep], fmap[keep]
    clean = predicted_clean(base.scheduler, noisy, prediction, timesteps)
    images = base.decode_samples(clean)
    predicted = features(resize(images, features.input_size), keep_graph=True)[layer]
    target = fmap
    if whitening is not None:
        predicted, target = whiten(predicted, *whitening), whiten(target, *whitening)
    if pooled:
        predicted, target = pool(predicted), pool(target)
    error = relative_feature_error(target, predicted)
    weights = base.scheduler.alphas_cumprod.to(error.device)[timesteps].float()
    return (weights * error).sum() / len(keep)
