"""Paired data for the linking map, drawn from the generator itself: sample a latent for a class,
synthesize, classify, keep the pair when the classifier names the conditioning class."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlens.classifiers.classifier import Classifier
from genlens.world.seeds import step_seed
from genlens.errors import GenlensError
from genlens.features import FeatureExtractor, pool
from genlens.linking.generator import LatentGenerator
from genlens.progress import progress_bar

#: Draws allowed per pair wanted before paired_data gives up (a generator the classifier rarely agrees with).
MAX_DRAWS_PER_PAIR = 20


@dataclass
class Pairs:
    """features (N, D) at one layer, the latents (N, L) they came from, the conditioning classes (N,)
    and the classifier's labels of the synthesized images (N,)."""

    features: torch.Tensor
    latents: torch.Tensor
    classes: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.latents)

    def split(self, held_out: float) -> tuple["Pairs", "Pairs"]:
        """(train, held-out): the last held_out share of the pairs is held out (pairs are drawn in
        random class order, so the split is random too)."""
        k = len(self) - max(1, int(round(len(self) * held_out)))
        part = lambda s: Pairs(self.features[s], self.latents[s], self.classes[s], self.labels[s])  # noqa: E731
        return part(slice(0, k)), part(slice(k, None))


def layer_features(extractor: FeatureExtractor, layer: str, images: torch.Tensor) -> torch.Tensor:
    """(N, D) features of images at layer, spatial maps averaged over locations."""
    return pool(extractor(images)[layer]).flatten(1).float().cpu()


def paired_data(
    classifier: Classifier,
    generator: LatentGenerator,
    layer: str,
    n: int,
    seed: int,
    keep_agreeing: bool = True,
    truncation: float = 1.0,
    batch_size: int = 250,
) -> Pairs:
    """n pairs; batch b draws fresh latents from step_seed(seed, b, 0), classes cycling evenly.

    With keep_agreeing, only pairs the classifier labels with the conditioning class are kept (the
    paper's filter; needs the generator's classes to be the classifier's). Raises GenlensError when
    fewer than n pairs survive MAX_DRAWS_PER_PAIR * n draws.
    """
    if keep_agreeing and generator.num_classes != len(classifier.class_names):
        raise GenlensError(
            f"the generator has {generator.num_classes} classes and the classifier {len(classifier.class_names)}: "
            "keeping agreeing pairs needs the same classes (or keep every pair)"
        )
    extractor = FeatureExtractor(classifier, [layer])
    kept: list[Pairs] = []
    total, draws, b = 0, 0, 0
    with progress_bar() as bar:
        task = bar.add_task("paired data", total=n, info="")
        while total < n:
            if draws >= MAX_DRAWS_PER_PAIR * n:
                raise GenlensError(
                    f"only {total} of {draws} generated images were labelled with their class; "
                    "the classifier and generator disagree too often to link (keep every pair instead)"
                )
            g = torch.Generator().manual_seed(step_seed(seed, b, 0))
            classes = torch.randperm(batch_size, generator=g) % max(generator.num_classes, 1)
            latents = generator.sample_latent(batch_size, step_seed(seed, b, 1), classes, truncation)
            with torch.no_grad():
                images = generator.synthesize(latents)
            labels = classifier.predict(images)
            keep = labels == classes if keep_agreeing else torch.ones(batch_size, dtype=torch.bool)
            if keep.any():
                feats = layer_features(extractor, layer, images[keep])
                kept.append(Pairs(feats, latents[keep].detach().float().cpu(), classes[keep], labels[keep]))
                total += int(keep.sum())
            draws += batch_size
            b += 1
            bar.update(task, completed=min(total, n), info=f"{total / draws:.0%} kept")
    cat = lambda f: torch.cat([getattr(p, f) for p in kept])[:n]  # noqa: E731
    return Pairs(cat("features"), cat("latents"), cat("classes"), cat("labels"))
