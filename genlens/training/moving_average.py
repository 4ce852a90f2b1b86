"""An exponential moving average of trained weights (diffusers' EMAModel), kept in checkpoints as
safetensors so that a resumed run continues the same average."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers.training_utils import EMAModel
from safetensors.torch import load_file

AVERAGE_FILE = "ema.safetensors"

__all__ = ["EMAModel", "save_average", "load_average"]


def save_average(ema: EMAModel) -> dict[str, dict[str, torch.Tensor]]:
    """The checkpoint files of an average: {file name: tensors}, its step count included."""
    tensors = {str(i): p.detach().cpu().contiguous() for i, p in enumerate(ema.shadow_params)}
    tensors["optimization_step"] = torch.tensor(ema.optimization_step)
    return {AVERAGE_FILE: tensors}


def load_average(ema: EMAModel, checkpoint: Path) -> None:
    """Restore an average saved by save_average in a checkpoint folder."""
    tensors = load_file(Path(checkpoint) / AVERAGE_FILE)
    ema.optimization_step = int(tensors.pop("optimization_step"))
    for i, p in enumerate(ema.shadow_params):
        p.data.copy_(tensors[str(i)].to(p.device, p.dtype))
