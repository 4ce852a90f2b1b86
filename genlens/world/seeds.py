"""The world's fixed seeds: the held-out evaluation sample and the per-step training renders."""

from __future__ import annotations

from genlens.world.tasks import WorldSample, get_task

#: The seed of every held-out evaluation sample (offset by a caller's own seed).
EVAL_SEED = 10_000_019


def step_seed(seed: int, step: int, process: int) -> int:
    """A distinct render seed for every (run seed, step, process)."""
    return (seed * 1_000_003 + step) * 64 + process


def held_out(n: int, task: str = "shape", seed: int = 0, size: int = 32) -> WorldSample:
    """n test-split renders of task at EVAL_SEED + seed: the sample every evaluation reads."""
    return get_task(task).sample(n, seed=EVAL_SEED + seed, split="test", size=size)
