"""Users' own classifiers: `python:module:factory` (their code builds the network) and their own
weights for a timm or torchvision architecture (`timm:NAME@FILE`, `torchvision:NAME@FILE`)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.errors import GenlensError

#: What a factory's network must tell genlens, as a `genlens` dict attribute or timm's pretrained_cfg.
NEEDED = ("class_names", "input_size", "mean", "std")


def from_factory(spec: str) -> Classifier:
    """The classifier factory() of `python:module:factory` returns: a genlens Classifier, or an
    nn.Module with a `genlens` dict (class_names, input_size, mean, std); a timm model's
    pretrained_cfg supplies the input size and normalisation, and its classes are numbered."""
    from genlens.python_spec import call_factory

    made = call_factory(spec, "classifier")
    if isinstance(made, Classifier):
        made.spec = spec
        return made
    if not isinstance(made, nn.Module):
        raise GenlensError(f"{spec} returned {type(made).__name__}, not a torch nn.Module")
    facts = dict(getattr(made, "genlens", None) or {})
    cfg = getattr(made, "pretrained_cfg", None) or {}
    if cfg:
        facts.setdefault("input_size", int(cfg["input_size"][-1]))
        facts.setdefault("mean", list(cfg["mean"]))
        facts.setdefault("std", list(cfg["std"]))
    if "class_names" not in facts and hasattr(made, "num_classes"):
        facts["class_names"] = [str(i) for i in range(int(made.num_classes))]
    missing = [k for k in NEEDED if k not in facts]
    if missing:
        raise GenlensError(
            f"{spec} returned a network without {', '.join(missing)}: give it a `genlens` dict attribute "
            "with class_names, input_size, mean and std"
        )
    config = ClassifierConfig(arch=spec, class_names=[str(c) for c in facts["class_names"]], input_size=int(facts["input_size"]),
                              mean=[float(v) for v in facts["mean"]], std=[float(v) for v in facts["std"]])
    return Classifier(made, config, spec)


def split_weights(spec: str) -> tuple[str, Path | None]:
    """(spec, weights file) of `timm:NAME@FILE` or `torchvision:NAME@FILE`; (spec, None) otherwise."""
    if spec.startswith(("timm:", "torchvision:")) and "@" in spec:
        name, weights = spec.split("@", 1)
        return name, Path(weights)
    return spec, None


def with_weights(spec: str, weights: Path | None) -> str:
    """The spec that loads spec's architecture with the user's weights (the spec itself without)."""
    if weights is None:
        return spec
    if not spec.startswith(("timm:", "torchvision:")):
        raise GenlensError(f"--weights goes with a timm:NAME or torchvision:NAME classifier, not '{spec}'")
    return f"{spec}@{Path(weights).resolve()}"


def read_state(path: Path) -> dict[str, torch.Tensor]:
    """A state dict from safetensors, or from a .pt/.pth/.bin file read with weights_only=True (no
    code runs); a `state_dict` or `model` entry is unwrapped and a `module.` prefix dropped."""
    path = Path(path)
    if not path.is_file():
        raise GenlensError(f"weights file {path} does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(path)
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # safetensors, pickle and zip errors all mean an unreadable file
        raise GenlensError(f"cannot read weights {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise GenlensError(f"{path} holds no state dict of tensors")
    return {k.removeprefix("module."): v.float() if v.is_floating_point() else v for k, v in state.items()}


def head_outputs(net: nn.Module, state: dict[str, torch.Tensor]) -> int | None:
    """How many classes state's head has: the rows of the weight of net's last linear layer."""
    last = [name for name, m in net.named_modules() if isinstance(m, nn.Linear)]
    weight = state.get(f"{last[-1]}.weight") if last else None
    return None if weight is None else int(weight.shape[0])
