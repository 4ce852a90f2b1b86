"""Checkpoints as safetensors + JSON (never pickle), written atomically, found again for resume."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

CHECKPOINT_PREFIX = "step-"


def atomic_dir(target: Path) -> Path:
    """A fresh temporary folder beside target; publish it with publish_dir(tmp, target)."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def publish_dir(tmp: Path, target: Path) -> None:
    """Replace target by tmp with renames, so target is never seen half-written; its files get the
    permissions the user's umask gives new files (safetensors writes 0600)."""
    _apply_umask(tmp)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _apply_umask(folder: Path) -> None:
    mask = os.umask(0)
    os.umask(mask)
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def state_dict_for_saving(module: torch.nn.Module, dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    """Contiguous CPU copies of a module's tensors, floating ones cast to dtype if given."""
    out = {}
    for name, t in module.state_dict().items():
        t = t.detach().cpu()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        out[name] = t.contiguous()
    return out


def save_optimizer(optimizer: torch.optim.Optimizer, folder: Path) -> None:
    """Optimizer tensors to optimizer.safetensors, everything else to optimizer.json."""
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, entries in state["state"].items():
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"{pid}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[key] = value
    save_file(tensors, folder / "optimizer.safetensors")
    (folder / "optimizer.json").write_text(json.dumps({"param_groups": state["param_groups"], "scalars": scalars}))


def load_optimizer(optimizer: torch.optim.Optimizer, folder: Path) -> None:
    meta = json.loads((folder / "optimizer.json").read_text())
    state: dict[int, dict] = {}
    for name, value in load_file(folder / "optimizer.safetensors").items():
        pid, key = name.split("/", 1)
        state.setdefault(int(pid), {})[key] = value
    for pid, entries in meta["scalars"].items():
        state.setdefault(int(pid), {}).update(entries)
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save_checkpoint(
    root: Path,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    info: dict,
    keep: int = 2,
    extra: dict[str, dict[str, torch.Tensor]] | None = None,
) -> Path:
    """Write root/step-NNNNNNN atomically (with `extra` safetensors files, {name: tensors}) and keep
    only the newest `keep` checkpoints."""
    target = Path(root) / f"{CHECKPOINT_PREFIX}{step:07d}"
    tmp = atomic_dir(target)
    save_file(state_dict_for_saving(model), tmp / "model.safetensors")
    for name, tensors in (extra or {}).items():
        save_file(tensors, tmp / name)
    save_optimizer(optimizer, tmp)
    (tmp / "state.json").write_text(json.dumps({"step": step, **info}))
    publish_dir(tmp, target)
    for old in sorted(Path(root).glob(f"{CHECKPOINT_PREFIX}*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint under root, or None."""
    done = [p for p in Path(root).glob(f"{CHECKPOINT_PREFIX}*") if (p / "state.json").exists()]
    return max(done, default=None)


def load_checkpoint(folder: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """Restore model and optimizer from folder; returns its state.json (step and more)."""
    model.load_state_dict(load_file(folder / "model.safetensors"))
    load_optimizer(optimizer, folder)
    return json.loads((folder / "state.json").read_text())
