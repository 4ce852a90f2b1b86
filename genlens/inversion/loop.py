"""The one batched loop that every inversion command runs: maps in, samples and seconds out."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from genlens.inversion.protocol import Inverter, SamplingConfig
from genlens.progress import progress_bar


@dataclass
class Outcome:
    """One method's samples (N, K, 3, S, S) and the seconds it took to make them."""

    samples: torch.Tensor
    seconds: float


def invert_batches(
    inverter: Inverter, maps: torch.Tensor, samples: int, sampling: SamplingConfig, batch_size: int = 64,
    label: str = "invert", bar=None,
) -> Outcome:
    """Invert maps in batches (the batch at image i sampled at seed + i), timing the sampling only;
    progress on `bar` if given, else on a bar of its own."""
    if bar is None:
        with progress_bar() as own:
            return invert_batches(inverter, maps, samples, sampling, batch_size, label, own)
    task = bar.add_task(label, total=len(maps), info="")
    parts, seconds = [], 0.0
    for start in range(0, len(maps), batch_size):
        t0 = time.perf_counter()
        parts.append(inverter.invert_maps(maps[start : start + batch_size], samples, sampling.at(start)))
        seconds += time.perf_counter() - t0
        bar.update(task, advance=len(parts[-1]))
    return Outcome(torch.cat(parts), seconds)
