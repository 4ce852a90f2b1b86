"""Trained things as folders: config.json + model.safetensors + card.json, written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import save_file

from genlens.training.checkpoint import atomic_dir, publish_dir, state_dict_for_saving

WEIGHTS_FILE = "model.safetensors"


def write_artifact(folder: Path, write: Callable[[Path], None], card: dict | None = None) -> Path:
    """Fill a temporary folder with write(tmp) and card.json, then rename it to folder.

    A checkpoints/ folder already in place is kept, so that a finished run can still be resumed or
    extended; the folder is never seen half-written.
    """
    folder = Path(folder)
    tmp = atomic_dir(folder)
    write(tmp)
    if card is not None:
        (tmp / "card.json").write_text(json.dumps(card, indent=2))
    if (folder / "checkpoints").exists():
        (folder / "checkpoints").rename(tmp / "checkpoints")
    publish_dir(tmp, folder)
    return folder


def save_folder(
    folder: Path, config: dict, module: torch.nn.Module, card: dict | None = None, dtype: torch.dtype | None = None
) -> Path:
    """Write folder/{config.json, model.safetensors, card.json} atomically (see write_artifact);
    floating tensors are cast to dtype if given."""

    def write(tmp: Path) -> None:
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        save_file(state_dict_for_saving(module, dtype), tmp / WEIGHTS_FILE)

    return write_artifact(folder, write, card)


def read_folder(folder: Path, config_type: type, what: str) -> tuple[object, dict[str, torch.Tensor]]:
    """(config_type(**config.json), the state dict of model.safetensors with floats in fp32) of an
    artifact folder; GenlensError ("FOLDER is not WHAT: ...") when either is missing or unreadable."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from genlens.errors import GenlensError

    folder = Path(folder)
    try:
        config = config_type(**json.loads((folder / "config.json").read_text()))
        state = load_file(folder / WEIGHTS_FILE)
    except (OSError, SafetensorError, json.JSONDecodeError, TypeError) as e:
        raise GenlensError(f"{folder} is not {what}: {e}") from None
    return config, {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
