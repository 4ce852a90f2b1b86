"""One steering study: a direction, its sweep and a random control's, read beside the noise floor."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import torch

from genlens.errors import GenlensError
from genlens.inversion.loop import invert_batches
from genlens.inversion.protocol import Inverter, SamplingConfig
from genlens.progress import progress_bar
from genlens.steering.directions import concept_direction
from genlens.steering.reading import is_monotonic, read_sweep, resampling_noise
from genlens.steering.regions import region_mask
from genlens.steering.sweep import sweep_direction

#: Seed offset of the second sampling of the unsteered maps (the noise floor).
RESAMPLE_OFFSET = 1_000_003


@dataclass
class SteeringSettings:
    """What to steer: concept = value (None with pca: the direction alone), from source_value,
    along `kind`, by each alpha, in `region`; directions learnt from `direction_n` renders."""

    concept: str | None
    value: str | None
    kind: str = "mean"
    source_value: str | None = None
    alphas: list[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 1.5, 2.0])
    region: str = "all"
    samples: int = 1
    control: bool = True
    direction_n: int = 256
    seed: int = 0

    def checked_alphas(self) -> list[float]:
        """The alphas, sorted, with 0 (the reference every change is read against) added."""
        if not self.alphas:
            raise GenlensError("--alphas is empty: give at least one step, e.g. 0,1,2")
        return sorted(set(float(a) for a in self.alphas) | {0.0})


def steer_study(
    inverter: Inverter, images: torch.Tensor, settings: SteeringSettings, sampling: SamplingConfig,
    probes=None, reader=None, masks: torch.Tensor | None = None, bar=None,
) -> tuple[dict, dict[str, torch.Tensor]]:
    """Steer the layer maps of images (N, 3, S, S) along the settings' direction and a random one of
    the same norm; returns the figures and the strips {"direction", "control"} (A, N, K, 3, S, S)."""
    if bar is None:
        with progress_bar() as own:
            return steer_study(inverter, images, settings, sampling, probes, reader, masks, own)
    t0 = time.perf_counter()
    alphas = settings.checked_alphas()
    direction = concept_direction(
        inverter.classifier, inverter.layer, settings.concept, settings.value, settings.kind,
        settings.source_value, settings.direction_n, settings.seed,
    )
    maps = inverter.feature_maps(images)
    weights = region_mask(settings.region, tuple(maps.shape[2:]), len(maps), masks)
    sources = images.to(maps.device)
    names = inverter.classifier.class_names
    sweep = sweep_direction(inverter, maps, direction, alphas, weights, settings.samples, sampling, sources, bar)
    again = invert_batches(inverter, maps, settings.samples, sampling.at(RESAMPLE_OFFSET), label="noise floor", bar=bar)
    zero = alphas.index(0.0)
    floor = resampling_noise(probes, reader, sweep.samples[zero], again.samples.cpu())
    result = {
        "classifier": inverter.classifier_spec, "layer": inverter.layer,
        "direction": direction.describe(),
        "settings": asdict(settings) | {"alphas": alphas},
        "sources": len(images),
        "noise_floor": floor,
        "steered": read_sweep(sweep, probes, reader, names, settings.concept, settings.value),
    }
    strips = {"direction": sweep.samples}
    if settings.control:
        control = sweep_direction(
            inverter, maps, direction.random_like(settings.seed), alphas, weights, settings.samples, sampling, sources, bar
        )
        result["control"] = read_sweep(control, probes, reader, names, settings.concept, settings.value)
        strips["control"] = control.samples
    if "on_target" in result["steered"]:
        tolerance = floor.get(settings.concept, 0.0)
        result["monotonic"] = is_monotonic(alphas, result["steered"]["on_target"], tolerance)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result, strips
