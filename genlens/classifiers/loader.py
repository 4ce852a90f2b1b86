"""One loader for classifier specs: built-ins, torchvision:NAME, timm:NAME, saved folders."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from genlens.classifiers.architectures import ARCHITECTURES, build_net
from genlens.classifiers.classifier import WEIGHTS_FILE, Classifier, ClassifierConfig
from genlens.errors import GenlensError
from genlens.shipped import shipped

#: Built-in classifiers shipped inside the package (folder names under genlens/weights).
BUILTINS: tuple[str, ...] = ("world-cnn", "world-vit", "world-cnn-shortcut", "world-cnn-planted")
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def offline(host: str | None = None) -> bool:
    """True when HF_HUB_OFFLINE or GENLENS_OFFLINE is set, or host (if given) cannot be reached on
    port 443 within two seconds, so that a missing download fails at once instead of retrying."""
    if any(os.environ.get(v, "") not in ("", "0") for v in ("HF_HUB_OFFLINE", "GENLENS_OFFLINE")):
        return True
    return host is not None and not _reachable(host)


@functools.lru_cache(maxsize=None)
def _reachable(host: str) -> bool:
    import socket

    try:
        socket.create_connection((host, 443), timeout=2).close()
        return True
    except OSError:
        return False


def _hub_offline() -> None:
    """Make huggingface_hub read only its local cache from here on (it checks the flag per call)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        from huggingface_hub import constants

        constants.HF_HUB_OFFLINE = True
    except ImportError:
        pass


def load_classifier(spec: str, random_init: bool = False, device: torch.device | str = "cpu") -> Classifier:
    """The classifier named by spec, in eval mode on device.

    spec is a built-in name (`world-cnn`, `world-vit`, `world-cnn-shortcut`, `world-cnn-planted`), `torchvision:NAME`,
    `timm:NAME` (either with `@FILE`: the user's weights for that architecture, whatever its number
    of classes), `python:module:factory` (the user's code builds it; classifiers.user_models), or the
    path of a folder written by `Classifier.save`. random_init builds torchvision and timm models
    without pretrained weights.
    """
    from genlens.classifiers.user_models import from_factory, split_weights

    name, weights = split_weights(spec)
    if spec.startswith("python:"):
        model = from_factory(spec)
    elif weights is not None:
        model = _with_weights(name, weights, spec)
    elif spec.startswith("torchvision:"):
        model = _torchvision(spec.split(":", 1)[1], random_init)
    elif spec.startswith("timm:"):
        model = _timm(spec.split(":", 1)[1], random_init)
    elif spec in BUILTINS:
        model = load_folder(shipped(spec), spec)
    elif Path(spec).is_dir():
        model = load_folder(Path(spec), spec)
    else:
        raise GenlensError(
            f"unknown classifier '{spec}': expected one of {', '.join(BUILTINS)}, torchvision:NAME, "
            "timm:NAME, python:module:factory or a saved classifier folder"
        )
    return model.to(device).eval()


def load_folder(folder: Path, spec: str | None = None) -> Classifier:
    """A classifier saved by Classifier.save (config.json + model.safetensors)."""
    config_path, weights = folder / "config.json", folder / WEIGHTS_FILE
    if not config_path.exists() or not weights.exists():
        raise GenlensError(f"{folder} is not a genlens classifier: config.json or {WEIGHTS_FILE} is missing")
    try:
        config = ClassifierConfig(**json.loads(config_path.read_text()))
    except (json.JSONDecodeError, TypeError) as e:
        raise GenlensError(f"{config_path} is not a valid classifier config: {e}") from None
    if config.arch not in ARCHITECTURES and not config.arch.startswith(("timm:", "torchvision:")):
        raise GenlensError(f"{config_path} names an unknown architecture '{config.arch}'")
    net = build_net(config.arch, len(config.class_names), config.input_size, **config.arch_kwargs)
    try:
        state = load_file(weights)
    except (SafetensorError, OSError) as e:
        raise GenlensError(f"cannot read weights {weights}: {e}") from None
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    raise_if_mismatched(net, state, f"weights {weights} do not fit architecture {config.arch}")
    net.load_state_dict(state)
    return Classifier(net, config, spec or str(folder))


def raise_if_mismatched(net: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """GenlensError (what: the first missing, unexpected or misshapen tensor and the counts) unless
    state fits net exactly."""
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    misshapen = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if not (missing or unexpected or misshapen):
        return
    parts = []
    if misshapen:
        k = misshapen[0]
        parts.append(f"{len(misshapen)} tensors of other shapes (e.g. {k}: {tuple(state[k].shape)} for {tuple(expected[k].shape)})")
    if missing:
        parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
    raise GenlensError(f"{what}: {'; '.join(parts)}")


def _torchvision(name: str, random_init: bool, num_classes: int | None = None) -> Classifier:
    import torchvision

    try:
        builder = torchvision.models.get_model_builder(name)
    except ValueError:
        raise GenlensError(f"torchvision has no model '{name}'") from None
    weights = None if random_init else torchvision.models.get_model_weights(name).DEFAULT
    if weights is not None:
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
        if not cached.exists() and offline("download.pytorch.org"):
            raise GenlensError(
                f"pretrained weights for torchvision:{name} are not on this machine ({cached}); "
                "download them or pass --random-init"
            )
    try:
        net = builder(weights=weights, **({} if num_classes is None else {"num_classes": num_classes}))
    except Exception as e:  # a failed download surfaces as many exception types
        raise GenlensError(
            f"cannot load pretrained weights for torchvision:{name} ({type(e).__name__}); "
            "pass --random-init to use random weights"
        ) from None
    if weights is not None:
        size = weights.transforms().crop_size[0]
        names = list(weights.meta["categories"])
    else:
        size, names = 224, [str(i) for i in range(_num_outputs(net))]
    config = ClassifierConfig(
        arch=f"torchvision:{name}", class_names=names, input_size=size, mean=IMAGENET_MEAN, std=IMAGENET_STD
    )
    return Classifier(net, config, f"torchvision:{name}")


def _timm(name: str, random_init: bool, num_classes: int | None = None) -> Classifier:
    import timm

    if not timm.is_model(name):
        raise GenlensError(f"timm has no model '{name}'")
    cut_off = not random_init and offline("huggingface.co")
    if cut_off:
        _hub_offline()
    try:
        net = timm.create_model(name, pretrained=not random_init, **({} if num_classes is None else {"num_classes": num_classes}))
    except Exception as e:  # hub errors, missing files, offline mode
        where = "they are not in the local cache and the hub cannot be reached" if cut_off else type(e).__name__
        raise GenlensError(
            f"cannot load pretrained weights for timm:{name} ({where}); pass --random-init to use random weights"
        ) from None
    data = timm.data.resolve_data_config({}, model=net)
    n = _num_outputs(net)
    names = [str(i) for i in range(n)]
    if n == 1000:
        names = list(timm.data.ImageNetInfo().label_descriptions())
    config = ClassifierConfig(
        arch=f"timm:{name}",
        class_names=names,
        input_size=int(data["input_size"][-1]),
        mean=list(data["mean"]),
        std=list(data["std"]),
    )
    return Classifier(net, config, f"timm:{name}")


def _with_weights(name: str, weights: Path, spec: str) -> Classifier:
    """timm:NAME or torchvision:NAME built without pretrained weights, its head sized to the user's
    weights, then loaded with them (every tensor must fit)."""
    from genlens.classifiers.user_models import head_outputs, read_state

    state = read_state(weights)
    model = _timm(name[5:], True) if name.startswith("timm:") else _torchvision(name.split(":", 1)[1], True)
    classes = head_outputs(model.net, state)
    if classes is not None and classes != len(model.class_names):
        model = _timm(name[5:], True, classes) if name.startswith("timm:") else _torchvision(name.split(":", 1)[1], True, classes)
    raise_if_mismatched(model.net, state, f"weights {weights} do not fit {name}")
    model.net.load_state_dict(state)
    model.spec = spec
    return model


def _num_outputs(net: torch.nn.Module) -> int:
    if hasattr(net, "num_classes"):
        return int(net.num_classes)
    last = [m for m in net.modules() if isinstance(m, torch.nn.Linear)][-1]
    return last.out_features
