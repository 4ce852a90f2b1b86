"""Inversion methods by name, for one (classifier, layer): FeatInv, pooled FeatInv and the baselines."""

from __future__ import annotations

import json
from pathlib import Path

from genlens.errors import GenlensError

METHODS = ("featinv", "featinv-pooled", "featinv-steered", "optimization", "decoder")


def decoders_root() -> Path:
    from genlens.shipped import weights_root

    return weights_root() / "decoders"


def shipped_decoder(classifier: str, layer: str) -> Path | None:
    """The folder of the shipped decoder for (classifier, layer), or None."""
    for config in sorted(decoders_root().glob("*/config.json")):
        c = json.loads(config.read_text())
        if (c["classifier"], c["layer"]) == (classifier, layer):
            return config.parent
    return None


def find_decoder(classifier: str, layer: str) -> Path:
    """The folder of the shipped decoder for (classifier, layer), or a clear error."""
    folder = shipped_decoder(classifier, layer)
    if folder is None:
        raise GenlensError(f"no shipped decoder for {classifier} layer {layer}; train one with `genlens train decoder`")
    return folder


def shipped_methods(classifier: str, layer: str) -> list[str]:
    """The methods `eval inversion` compares by default for (classifier, layer): FeatInv, pooled FeatInv and
    the decoder where one is shipped, and the optimisation, which needs nothing trained."""
    from genlens.inversion.registry import shipped_inverters

    have = {(e["classifier"], e["layer"], e["pooled"]) for e in shipped_inverters()}
    names = [m for m, pooled in (("featinv", False), ("featinv-pooled", True)) if (classifier, layer, pooled) in have]
    names.append("optimization")
    if shipped_decoder(classifier, layer) is not None:
        names.append("decoder")
    return names


def load_method(name: str, classifier, layer: str, device="cpu"):
    """The method `name` for the loaded classifier's `layer` (shipped inverters and decoders)."""
    from genlens.inversion.decoder import DecoderInverter
    from genlens.inversion.feature_steering import MEASURED
    from genlens.inversion.inverter import FeatureInverter
    from genlens.inversion.optimization import OptimizationInverter
    from genlens.inversion.registry import find_inverter

    if name in ("featinv", "featinv-pooled", "featinv-steered"):
        folder = find_inverter(classifier.spec, layer, pooled=name == "featinv-pooled")
        inverter = FeatureInverter.load(folder, device=device, classifier=classifier)
        return inverter.steered(MEASURED) if name == "featinv-steered" else inverter
    if name == "optimization":
        return OptimizationInverter(classifier, layer)
    if name == "decoder":
        return DecoderInverter.load(find_decoder(classifier.spec, layer), device=device, classifier=classifier)
    raise GenlensError(f"unknown method '{name}', expected some of {', '.join(METHODS)}")
