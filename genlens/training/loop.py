"""One training loop for every genlens model: accelerate, checkpoints, resume, progress."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from accelerate import Accelerator

from genlens.errors import GenlensError
from genlens.progress import progress_bar
from genlens.training.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)


@dataclass
class TrainSettings:
    """How long and how a model is trained; recorded in its card."""

    steps: int = 2000
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup: int = 100
    schedule: str = "cosine"  # cosine decay to zero, or constant after warm-up
    grad_accum: int = 1
    checkpoint_every: int = 250
    max_grad_norm: float | None = None  # clip the gradient's norm to this, if set
    ema_decay: float | None = None  # keep an exponential moving average of the weights and finish on it, if set
    mixed_precision: str = "auto"  # auto: bf16 on CUDA, none on the CPU
    device: str = "auto"
    seed: int = 0

    def __post_init__(self):
        for name in ("steps", "batch_size", "grad_accum", "checkpoint_every"):
            if getattr(self, name) < 1:
                flag = "--" + name.replace("_", "-")
                raise GenlensError(f"{name} ({flag}) must be at least 1, got {getattr(self, name)}")
        if self.lr < 0 or self.warmup < 0:
            raise GenlensError(f"learning rate and warm-up must be at least 0, got {self.lr} and {self.warmup}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise GenlensError(f"the EMA decay must lie between 0 and 1, got {self.ema_decay}")
        if self.schedule not in ("cosine", "constant"):
            raise GenlensError(f"unknown schedule '{self.schedule}', expected cosine or constant")


@dataclass
class FitResult:
    steps: int
    seconds: float
    device: str
    final_loss: float
    settings: TrainSettings

    def card(self, kind: str, **facts) -> dict:
        """A model card: what was trained (kind, facts such as task and metrics), for how long, where, how."""
        import datetime

        import genlens

        return {
            "kind": kind,
            **facts,
            "steps": self.steps,
            "seconds": self.seconds,
            "device": self.device,
            "final_loss": self.final_loss,
            "settings": asdict(self.settings),
            "genlens": genlens.__version__,
            "torch": torch.__version__,
            "date": datetime.date.today().isoformat(),
        }


def learning_rate(settings: TrainSettings, step: int) -> float:
    """Linear warm-up, then cosine decay to zero at settings.steps (or constant)."""
    if step < settings.warmup:
        return settings.lr * (step + 1) / settings.warmup
    if settings.schedule == "constant":
        return settings.lr
    progress = (step - settings.warmup) / max(1, settings.steps - settings.warmup)
    return settings.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


#: Settings a resumed run may change: how long it runs, how often it checkpoints, where it runs.
RESUMABLE_CHANGES = ("steps", "checkpoint_every", "device", "mixed_precision")


def check_resumable(checkpoint: Path, settings: TrainSettings, run: dict) -> None:
    """GenlensError unless the run saved in checkpoint was started with these settings and facts."""
    import json

    state = json.loads((Path(checkpoint) / "state.json").read_text())
    before = {k: v for k, v in state.get("settings", {}).items() if k not in RESUMABLE_CHANGES}
    now = {k: v for k, v in asdict(settings).items() if k not in RESUMABLE_CHANGES}
    if "run" in state:  # checkpoints of earlier versions carry settings only
        before.update({f"run.{k}": v for k, v in state["run"].items()})
        now.update({f"run.{k}": v for k, v in run.items()})
    changed = [k for k in sorted(set(before) | set(now)) if before.get(k) != now.get(k)]
    if changed:
        k = changed[0]
        raise GenlensError(
            f"{Path(checkpoint).parent.parent} holds a run started with {k.removeprefix('run.')}={before.get(k)!r}, "
            f"not {now.get(k)!r}; pass --overwrite to start again"
        )


def make_accelerator(settings: TrainSettings) -> Accelerator:
    cpu = settings.device == "cpu" or not torch.cuda.is_available()
    precision = settings.mixed_precision
    if precision == "auto":
        precision = "no" if cpu else "bf16"
    return Accelerator(cpu=cpu, mixed_precision=precision, gradient_accumulation_steps=settings.grad_accum)


def fit(
    model: torch.nn.Module,
    batch_fn: Callable[[int, int, torch.device], Any],
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    settings: TrainSettings,
    out: Path,
    description: str = "training",
    run: dict | None = None,
) -> FitResult:
    """Train model for settings.steps optimiser steps, resuming from out/checkpoints if present.

    batch_fn(step, process_index, device) returns the batch for that step (deterministic, so that a
    resumed run sees the same data); loss_fn(model, batch) returns the scalar loss. The
    parameters that require grad are optimised. A run resumes only with the same
    settings (steps, checkpointing and device may differ) and the same `run` facts (what is trained
    on what, e.g. task and architecture), else GenlensError. With settings.ema_decay the model
    ends on the moving average of those parameters (diffusers' EMAModel, whose decay warms up as
    (1 + step) / (10 + step)), which checkpoints carry so that a resumed run continues it.

    One training run from setup to card, kept in one piece so that checkpointing and resume read in order.
    """
    accelerator = make_accelerator(settings)
    torch.manual_seed(settings.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    checkpoints = Path(out) / "checkpoints"
    start, seconds_before, loss_value = 0, 0.0, float("nan")
    latest = latest_checkpoint(checkpoints)
    if latest is not None:
        check_resumable(latest, settings, run or {})
        state = load_checkpoint(latest, model, optimizer)
        start, seconds_before = state["step"], state.get("seconds", 0.0)
        loss_value = state.get("loss", float("nan"))
    model, optimizer = accelerator.prepare(model, optimizer)
    ema = None
    if settings.ema_decay:
        from genlens.training.moving_average import EMAModel, load_average, save_average

        ema = EMAModel(params, decay=settings.ema_decay)  # on the training device
        if latest is not None:
            load_average(ema, latest)
    model.train()
    t0 = time.perf_counter()
    micro = settings.grad_accum
    with progress_bar() as bar:
        task = bar.add_task(
            description, total=settings.steps, completed=start, info="", visible=accelerator.is_main_process
        )
        for step in range(start, settings.steps):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(settings, step)
            for m in range(micro):
                batch = batch_fn(step * micro + m, accelerator.process_index, accelerator.device)
                with accelerator.accumulate(model):
                    loss = loss_fn(model, batch)
                    accelerator.backward(loss)
                    if settings.max_grad_norm is not None and accelerator.sync_gradients:
                        accelerator.clip_grad_norm_(params, settings.max_grad_norm)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                if ema is not None and accelerator.sync_gradients:
                    ema.step(params)
            loss_value = float(loss.detach())
            bar.update(task, advance=1, info=f"loss {loss_value:.4f}")
            done = step + 1
            if accelerator.is_main_process and (done % settings.checkpoint_every == 0 or done == settings.steps):
                save_checkpoint(
                    checkpoints,
                    done,
                    accelerator.unwrap_model(model),
                    optimizer,
                    {
                        "seconds": seconds_before + time.perf_counter() - t0,
                        "loss": loss_value,
                        "settings": asdict(settings),
                        "run": run or {},
                    },
                    extra=save_average(ema) if ema is not None else None,
                )
            accelerator.wait_for_everyone()
    if ema is not None:
        ema.copy_to(params)
    seconds = seconds_before + time.perf_counter() - t0
    return FitResult(
        steps=settings.steps,
        seconds=round(seconds, 1),
        device=str(accelerator.device),
        final_loss=round(loss_value, 5),
        settings=settings,
    )
