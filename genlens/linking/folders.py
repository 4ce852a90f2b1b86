"""Generator folders: a trained generator saved as config.json + safetensors, loaded by its kind."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from genlens.errors import GenlensError

#: Generator kinds a folder's config.json may name, and the module:loader that reads each.
FOLDER_KINDS: dict[str, str] = {"world-gan": "genlens.linking.world_gan:load_world_gan"}


def load_generator_folder(spec: str, device: str | torch.device = "cpu"):
    """The generator saved in folder spec (its config.json names the kind)."""
    folder = Path(spec)
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise GenlensError(
            f"'{spec}' is not a generator: expected renderer, python:module:factory or a generator folder"
        )
    kind = json.loads(config_file.read_text()).get("kind")
    if kind not in FOLDER_KINDS:
        known = ", ".join(FOLDER_KINDS) or "none"
        raise GenlensError(f"'{spec}' holds no generator this genlens loads (kind {kind!r}; known kinds: {known})")
    import importlib

    module_name, loader = FOLDER_KINDS[kind].split(":")
    return getattr(importlib.import_module(module_name), loader)(folder, device)
