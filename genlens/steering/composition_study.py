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


@dataclass
class _Pairs:
    """One study's sources, their maps and truths, and how it inverts and reads."""

    inverter: Inverter
    a: torch.Tensor
    b: torch.Tensor
    truth_a: list[dict]
    truth_b: list[dict]
    settings: CompositionSettings
    sampling: SamplingConfig
    probes: object
    reader: object
    bar: object

    def __post_init__(self):
        self.a, self.b = self.a.cpu(), self.b.cpu()
        self.k = self.settings.samples
        self.ma, self.mb = self.inverter.feature_maps(self.a), self.inverter.feature_maps(self.b)
        self.groups = ops.channel_groups(self.ma.shape[1], self.settings.groups)
        self.own_a = self.invert(self.ma, "A alone")
        self.read_a = self.read(self.own_a.flatten(0, 1))

    def invert(self, maps: torch.Tensor, label: str) -> torch.Tensor:
        return invert_batches(self.inverter, maps, self.k, self.sampling, label=label, bar=self.bar).samples.cpu()

    def read(self, images: torch.Tensor) -> list[dict]:
        return read_concepts(self.probes, self.reader, images)

    def changed(self, ablated: list[dict]) -> dict[str, float]:
        """Per concept, the share of readings that differ from A's own inversion's."""
        return {c: _share(x[c] != y[c] for x, y in zip(ablated, self.read_a)) for c in ablated[0]}


def _halves(p: _Pairs) -> tuple[dict, dict]:
    composite = p.invert(ops.mix(p.ma, p.mb, ops.half_mask(tuple(p.ma.shape[2:]), "left")), "halves")
    left, right = p.read(_patched(composite, p.a, "left")), p.read(_patched(composite, p.b, "right"))
    concepts = [c for c in OBJECT if c in left[0]] + (["reader"] if p.reader is not None else [])
    on_left, on_right = _agreement(left, p.truth_a, concepts, p.k), _agreement(right, p.truth_b, concepts, p.k)
    both = [all(left[i][c] == p.truth_a[i // p.k][c] and right[i][c] == p.truth_b[i // p.k][c] for c in OBJECT if c in left[i])
            for i in range(len(left))]
    result = {"left_is_a": on_left, "right_is_b": on_right, "both": _share(both)}
    return result, {"halves": torch.stack([p.a, p.b, composite[:, 0]], 1)}


def _channels(p: _Pairs) -> tuple[list, dict]:
    result, strips = [], {}
    for channels in p.groups:
        name = f"channels {channels[0]}-{channels[-1]} from B"
        samples = p.invert(ops.mix_channels(p.ma, p.mb, channels), name)
        result.append({"from_b": [channels[0], channels[-1]], "sides": _sides(p.read(samples.flatten(0, 1)), p.truth_a, p.truth_b, p.k)})
        strips[name] = torch.stack([p.a, p.b, samples[:, 0]], 1)
    return result, strips


def _interpolate(p: _Pairs) -> tuple[list, dict]:
    ts = p.settings.ts
    steps = [p.invert(ops.interpolate(p.ma, p.mb, t), f"t {t:g}") for t in ts]
    result = [{"t": t, "sides": _sides(p.read(s.flatten(0, 1)), p.truth_a, p.truth_b, p.k)} for t, s in zip(ts, steps)]
    return result, {"interpolate": torch.stack([p.a, *[s[:, 0] for s in steps], p.b], 1)}


def _ablate(p: _Pairs) -> tuple[list, dict]:
    result, strips = [], {}
    for channels in p.groups:
        name = f"ablate {channels[0]}-{channels[-1]}"
        ablated_images = p.invert(ops.ablate_channels(p.ma, channels), name)
        ablated = p.read(ablated_images.flatten(0, 1))
        result.append({"channels": [channels[0], channels[-1]], "changed": p.changed(ablated),
                       "kept": _agreement(ablated, p.truth_a, list(ablated[0]), p.k)})
        strips[name] = torch.stack([p.a, p.own_a[:, 0], ablated_images[:, 0]], 1)
    return result, strips


def _ablate_direction(p: _Pairs) -> tuple[dict, dict]:
    direction = p.settings.ablate_direction
    samples = p.invert(ops.ablate_direction(p.ma, direction), "ablate direction")
    result = {"direction": direction.describe(), "changed": p.changed(p.read(samples.flatten(0, 1)))}
    return result, {"ablate direction": torch.stack([p.a, p.own_a[:, 0], samples[:, 0]], 1)}


#: Each mode's part of the study, in MODES order.
_PARTS = {"halves": _halves, "channels": _channels, "interpolate": _interpolate, "ablate": _ablate}


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
    pairs = _Pairs(inverter, a, b, truth_a, truth_b, settings, sampling, probes, reader, bar)
    result: dict = {"classifier": inverter.classifier_spec, "layer": inverter.layer, "pairs": len(a),
                    "settings": asdict(settings) | {"ablate_direction": None}, "map_channels": pairs.ma.shape[1]}
    result["a_alone"] = _agreement(pairs.read_a, truth_a, list(pairs.read_a[0]), settings.samples)
    strips: dict[str, torch.Tensor] = {}
    for mode, part in _PARTS.items():
        if mode in settings.modes:
            result[mode], shown = part(pairs)
            strips.update(shown)
    if settings.ablate_direction is not None:
        result["ablate_direction"], shown = _ablate_direction(pairs)
        strips.update(shown)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result, strips
