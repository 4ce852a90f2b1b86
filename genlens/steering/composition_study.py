"""What survives of each source in a composite map, read against the world's truth: halves of two
maps side by side, channel groups swapped, interpolations, and channel groups ablated."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import torch

from genlens.inversion.loop import invert_batches
from genlens.inversion.protocol import Inverter, SamplingConfig
from genlens.progress import progress_bar
from genlens.steering import composition as ops
from genlens.steering.directions import ConceptDirection
from genlens.steering.reading import read_concepts

MODES = ("halves", "channels", "interpolate", "ablate")
#: The concepts that belong to the object, read on the object's half.
OBJECT = ("shape", "color")


@dataclass
class CompositionSettings:
    """Which operations to run, the channel groups, the interpolation steps and the samples per map."""

    modes: tuple[str, ...] = MODES
    groups: int = 2
    ts: list[float] = field(default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0])
    samples: int = 1
    ablate_direction: ConceptDirection | None = None  # also remove this direction's component from A


def _share(flags) -> float:
    flags = list(flags)
    return round(sum(flags) / max(1, len(flags)), 4)


def _patched(samples: torch.Tensor, sources: torch.Tensor, side: str) -> torch.Tensor:
    """Each sample (N, K, 3, S, S) on one half, the source's other half beside it: one object to read."""
    mask = ops.half_mask(tuple(samples.shape[-2:]), side)
    return ops.mix(samples, sources.unsqueeze(1).expand_as(samples), mask.unsqueeze(0)).flatten(0, 1)


def _agreement(read: list[dict], truth: list[dict], concepts, k: int) -> dict[str, float]:
    """Per concept (and "object": all of them), the share of readings equal to the truth of their source."""
    out = {c: _share(r[c] == truth[i // k][c] for i, r in enumerate(read)) for c in concepts if c in read[0]}
    out["object"] = _share(all(r[c] == truth[i // k][c] for c in concepts if c in r) for i, r in enumerate(read))
    return out


def _sides(read: list[dict], truth_a: list[dict], truth_b: list[dict], k: int) -> dict[str, dict[str, float]]:
    """Per concept, the share of readings that are A's and B's, among pairs whose values differ."""
    out = {}
    for c in read[0]:
        differ = [i for i in range(len(read)) if truth_a[i // k].get(c) != truth_b[i // k].get(c) and c in truth_a[i // k]]
        if differ:
            out[c] = {"a": _share(read[i][c] == truth_a[i // k][c] for i in differ),
                      "b": _share(read[i][c] == truth_b[i // k][c] for i in differ)}
    return out


def compose_study(
    inverter: Inverter, a: torch.Tensor, b: torch.Tensor, truth_a: list[dict], truth_b: list[dict],
    settings: CompositionSettings, sampling: SamplingConfig, probes, reader=None, bar=None,
) -> tuple[dict, dict[str, torch.Tensor]]:
    """Compose the maps of sources a and b (N, 3, S, S; a's object on the left, b's on the right for
    "halves"), invert each composite with the same seeds, and read what each part carries; returns
    the figures and the strips shown in the report."""
    if bar is None:
        with progress_bar() as own:
            return compose_study(inverter, a, b, truth_a, truth_b, settings, sampling, probes, reader, own)
    t0 = time.perf_counter()
    if reader is not None:  # the reader's reading is checked against the truth of its concept
        truth_a = [t | {"reader": t[reader.concept]} for t in truth_a]
        truth_b = [t | {"reader": t[reader.concept]} for t in truth_b]
    ma, mb = inverter.feature_maps(a), inverter.feature_maps(b)
    k = settings.samples

    def invert(maps: torch.Tensor, label: str) -> torch.Tensor:
        return invert_batches(inverter, maps, k, sampling, label=label, bar=bar).samples.cpu()

    def read(images: torch.Tensor) -> list[dict]:
        return read_concepts(probes, reader, images)

    result: dict = {"classifier": inverter.classifier_spec, "layer": inverter.layer, "pairs": len(a),
                    "settings": asdict(settings) | {"ablate_direction": None}, "map_channels": ma.shape[1]}
    strips: dict[str, torch.Tensor] = {}
    own_a = invert(ma, "A alone")
    read_a = read(own_a.flatten(0, 1))
    result["a_alone"] = _agreement(read_a, truth_a, list(read_a[0]), k)
    groups = ops.channel_groups(ma.shape[1], settings.groups)
    if "halves" in settings.modes:
        composite = invert(ops.mix(ma, mb, ops.half_mask(tuple(ma.shape[2:]), "left")), "halves")
        left, right = read(_patched(composite, a.cpu(), "left")), read(_patched(composite, b.cpu(), "right"))
        concepts = [c for c in OBJECT if c in left[0]] + (["reader"] if reader is not None else [])
        on_left, on_right = _agreement(left, truth_a, concepts, k), _agreement(right, truth_b, concepts, k)
        both = [all(left[i][c] == truth_a[i // k][c] and right[i][c] == truth_b[i // k][c] for c in OBJECT if c in left[i])
                for i in range(len(left))]
        result["halves"] = {"left_is_a": on_left, "right_is_b": on_right, "both": _share(both)}
        strips["halves"] = torch.stack([a.cpu(), b.cpu(), composite[:, 0]], 1)
    if "channels" in settings.modes:
        result["channels"] = []
        for g, channels in enumerate(groups):
            samples = invert(ops.mix_channels(ma, mb, channels), f"channels {channels[0]}-{channels[-1]} from B")
            result["channels"].append({"from_b": [channels[0], channels[-1]], "sides": _sides(read(samples.flatten(0, 1)), truth_a, truth_b, k)})
            strips[f"channels {channels[0]}-{channels[-1]} from B"] = torch.stack([a.cpu(), b.cpu(), samples[:, 0]], 1)
    if "interpolate" in settings.modes:
        steps = [invert(ops.interpolate(ma, mb, t), f"t {t:g}") for t in settings.ts]
        result["interpolate"] = [{"t": t, "sides": _sides(read(s.flatten(0, 1)), truth_a, truth_b, k)} for t, s in zip(settings.ts, steps)]
        strips["interpolate"] = torch.stack([a.cpu(), *[s[:, 0] for s in steps], b.cpu()], 1)
    if "ablate" in settings.modes:
        result["ablate"] = []
        for channels in groups:
            samples = invert(ops.ablate_channels(ma, channels), f"ablate {channels[0]}-{channels[-1]}")
            ablated = read(samples.flatten(0, 1))
            changed = {c: _share(x[c] != y[c] for x, y in zip(ablated, read_a)) for c in ablated[0]}
            result["ablate"].append({"channels": [channels[0], channels[-1]], "changed": changed,
                                     "kept": _agreement(ablated, truth_a, list(ablated[0]), k)})
            strips[f"ablate {channels[0]}-{channels[-1]}"] = torch.stack([a.cpu(), own_a[:, 0], samples[:, 0]], 1)
    if settings.ablate_direction is not None:
        samples = invert(ops.ablate_direction(ma, settings.ablate_direction), "ablate direction")
        ablated = read(samples.flatten(0, 1))
        result["ablate_direction"] = {
            "direction": settings.ablate_direction.describe(),
            "changed": {c: _share(x[c] != y[c] for x, y in zip(ablated, read_a)) for c in ablated[0]},
        }
        strips["ablate direction"] = torch.stack([a.cpu(), own_a[:, 0], samples[:, 0]], 1)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result, strips
