"""Choosing the torch device from the CLI's --device auto|cpu|cuda."""

from __future__ import annotations

import torch

from genlens.errors import GenlensError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """cuda when asked for or when auto finds one, else cpu; a clear error if cuda is missing."""
    if name not in DEVICES:
        raise GenlensError(f"unknown device '{name}', expected one of {', '.join(DEVICES)}")
    if name == "cuda" and not torch.cuda.is_available():
        raise GenlensError("--device cuda was asked for, but no CUDA device is available")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
