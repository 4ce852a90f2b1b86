"""What the commands built on an inverter share: which inverter (a folder, or a shipped one by
classifier and layer) and how it samples, as one option group; float lists; sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from genlens.cli import options
from genlens.cli.option_groups import option_group
from genlens.cli.options import MAX_COUNT, MAX_SCALE
from genlens.errors import GenlensError

Inverter = typer.Option(None, "--inverter", help="An inverter folder.")
ShippedClassifier = typer.Option(None, "--classifier", help="With --layer: use the shipped inverter.")
Layer = typer.Option(None, "--layer", help="With --classifier: the layer of the shipped inverter.")
Guidance = typer.Option(1.75, "--guidance", help="Classifier-free guidance scale (FeatInv: 1.75).", min=0.0, max=MAX_SCALE)
Samples = typer.Option(1, "--samples", help="Samples per map.", min=0, max=MAX_COUNT)


@dataclass(frozen=True)
class InverterSampling:
    """Which inverter (--inverter DIR, or the shipped one of --classifier and --layer) and how it
    samples (--samples per map, --steps, --sampler, --guidance)."""

    inverter: Optional[Path]
    classifier: Optional[str]
    layer: Optional[str]
    samples: int
    steps: int
    sampler: str
    guidance: float

    def load(self, device):
        """The FeatureInverter on device."""
        return load_inverter(self.inverter, self.classifier, self.layer, device)

    def config(self, seed: int):
        """The checked SamplingConfig."""
        return sampling_config(self.steps, self.sampler, self.guidance, seed, self.samples)


#: The group on a command's `inversion: InverterSampling = None` parameter (the options' defaults are its defaults).
inverter_sampling = option_group("inversion", InverterSampling, {
    "inverter": (Optional[Path], Inverter),
    "classifier": (Optional[str], ShippedClassifier),
    "layer": (Optional[str], Layer),
    "samples": (int, Samples),
    "steps": (int, options.Steps),
    "sampler": (str, options.Sampler),
    "guidance": (float, Guidance),
})


def load_inverter(inverter: Path | None, classifier: str | None, layer: str | None, device):
    """The FeatureInverter of --inverter, or the shipped one for --classifier and --layer."""
    from genlens.inversion.inverter import FeatureInverter
    from genlens.inversion.registry import find_inverter

    if inverter is None:
        if classifier is None or layer is None:
            raise GenlensError("give --inverter DIR, or --classifier SPEC with --layer NAME")
        inverter = find_inverter(classifier, layer, False)
    inv = FeatureInverter.load(inverter, device=device)
    if layer is not None and layer != inv.config.layer:
        raise GenlensError(f"the inverter in {inverter} was trained for layer {inv.config.layer}, not {layer}")
    return inv


def sampling_config(steps: int, sampler: str, guidance: float, seed: int, samples: int):
    """The checked SamplingConfig of the sampling options."""
    from genlens.generators.samplers import check_sampling
    from genlens.inversion.protocol import SamplingConfig

    if samples < 1:
        raise GenlensError("--samples must be at least 1")
    check_sampling(steps, sampler, guidance)
    return SamplingConfig(steps, sampler, guidance, seed)


def float_list(text: str, option: str) -> list[float]:
    """[0.0, 1.0, 2.0] from "0,1,2"; a one-line error for an empty or malformed list."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise GenlensError(f"{option} is empty: give comma-separated numbers, e.g. 0,1,2")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise GenlensError(f"{option} takes comma-separated numbers, got '{text}'") from None
    if any(abs(v) > MAX_SCALE or v != v for v in values):
        raise GenlensError(f"{option} values must be finite and at most {MAX_SCALE:g} in size")
    return values


def sources(
    world: int | None, images: list, seed: int, size: int, concept: str | None = None, value: str | None = None,
    world_model: bool = True,
):
    """(images, soft object masks or None, probes or None) from --world N (held-out renders, with
    `concept` set to `value` if given) or --images; exactly one of them. The probes read world
    concepts: they come with world renders, and with images only for a world classifier."""
    from genlens.images import image_paths, load_images
    from genlens.measure.probes import ConceptProbe
    from genlens.world.edits import with_value
    from genlens.world.seeds import held_out
    from genlens.world.renderer import render

    if (world is None) == (not images):
        raise GenlensError("give exactly one of --world N and --images PATH")
    if world is not None:
        if world < 1:
            raise GenlensError("--world must be at least 1")
        scenes = held_out(world, seed=seed, size=size).scenes
        if concept is not None and value is not None:
            scenes = with_value(scenes, concept, value)
        images, cover = render(scenes, size, soft_masks=True)
        return images, cover, ConceptProbe.load()
    return load_images(image_paths(images), size), None, ConceptProbe.load() if world_model else None
