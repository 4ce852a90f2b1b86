"""Where the shipped models live: one lookup for the weights inside the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The spec that names the shipped world base model wherever a base pipeline is asked for.
WORLD_BASE = "world"
#: The shipped base models by spec: the world's text-to-image base (latent, Stable Diffusion's layout).
SHIPPED_BASES = {WORLD_BASE: "base-diffusion"}


def weights_root() -> Path:
    """The folder of shipped weights inside the installed package."""
    return Path(str(resources.files("genlens") / "weights"))


def shipped(name: str) -> Path:
    """The folder of the shipped model `name` (e.g. 'world-cnn', 'probes', 'inverters/...')."""
    return weights_root() / name


def base_location(spec: str | Path) -> str:
    """A shipped base's spec ('world') -> its folder; a folder or hub id is returned as given."""
    name = SHIPPED_BASES.get(str(spec))
    return str(shipped(name)) if name else str(spec)


def shipped_classifiers() -> list[str]:
    """The specs of the shipped world classifiers (world-cnn, world-vit, ...)."""
    return sorted(p.name for p in weights_root().glob("world-*") if (p / "config.json").is_file())
