"""Fitting a link end to end: paired data from the generator, the map, and how well it holds."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from genlens.classifiers.classifier import Classifier
from genlens.world.seeds import held_out
from genlens.errors import GenlensError
from genlens.linking.cycle import cycle_report, latent_r2
from genlens.linking.generator import LatentGenerator
from genlens.linking.link_map import LinkConfig, LinkMap, fit_link
from genlens.linking.pairs import paired_data


@dataclass
class LinkSettings:
    """Paired data and map settings. faithful: the paper's choices (OLS, truncation 0.7)."""

    n: int = 5000
    held_out: float = 0.2
    seed: int = 0
    faithful: bool = False
    keep_agreeing: bool = True
    world_n: int = 500

    @property
    def method(self) -> str:
        return "ols" if self.faithful else "ridge"

    @property
    def truncation(self) -> float:
        return 0.7 if self.faithful else 1.0


def link_classifier(
    classifier: Classifier,
    generator: LatentGenerator,
    generator_spec: str,
    layer: str,
    settings: LinkSettings,
    probes=None,
    reader=None,
) -> tuple[LinkMap, dict]:
    """(link, metrics): the map fitted on the training share of n pairs, with its held-out latent
    R^2 and cycle reports on held-out generator images and, for a world classifier, on real renders."""
    if settings.n < 10:
        raise GenlensError(f"linking needs at least 10 pairs, got {settings.n}")
    t0 = time.perf_counter()
    pairs = paired_data(
        classifier, generator, layer, settings.n, settings.seed, settings.keep_agreeing, settings.truncation
    )
    train, held = pairs.split(settings.held_out)
    config = LinkConfig(
        classifier=classifier.spec, layer=layer, generator=generator_spec, feature_dim=pairs.features.shape[1],
        latent_dim=pairs.latents.shape[1], method=settings.method, class_names=list(classifier.class_names),
    )
    link = fit_link(train.features, train.latents, config)
    metrics = {
        "pairs": len(pairs),
        "alpha": link.config.alpha,
        "latent_r2": latent_r2(link, held.features, held.latents),
        "cycle_generator": cycle_report(classifier, generator, link, generator.synthesize(held.latents), probes, reader),
    }
    task = classifier.config.task
    if task is not None and settings.world_n > 0:
        world = held_out(settings.world_n, task)
        metrics["cycle_world"] = cycle_report(classifier, generator, link, world.images, probes, reader)
    metrics["seconds"] = round(time.perf_counter() - t0, 1)
    metrics["settings"] = asdict(settings)
    return link, metrics
