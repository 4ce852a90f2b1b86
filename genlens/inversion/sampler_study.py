"""Fidelity against time for DDIM and DPM-Solver++ at several step counts, on one inverter."""

from __future__ import annotations

from dataclasses import replace

import torch

from genlens.inversion.loop import invert_batches
from genlens.inversion.protocol import Inverter, SamplingConfig
from genlens.measure.inversion_fidelity import inversion_fidelity
from genlens.progress import progress_bar

STEPS = (5, 10, 20, 50)
SAMPLERS = ("ddim", "dpm")


def sampler_study(
    inverter: Inverter,
    images: torch.Tensor,
    steps: tuple[int, ...] = STEPS,
    samplers: tuple[str, ...] = SAMPLERS,
    sampling: SamplingConfig | None = None,
    batch_size: int = 64,
) -> list[dict]:
    """One row per (sampler, steps), same seeds: the figures of measure.inversion_fidelity (one sample
    per image) under that sampler and step count."""
    sampling = sampling or SamplingConfig()
    maps = inverter.feature_maps(images).cpu()
    rows = []
    with progress_bar() as bar:
        task = bar.add_task("sampler study", total=len(steps) * len(samplers), info="")
        for sampler in samplers:
            for n_steps in steps:
                config = replace(sampling, sampler=sampler, steps=n_steps)
                outcome = invert_batches(inverter, maps, 1, config, batch_size, f"{sampler} {n_steps}", bar)
                figures = inversion_fidelity(inverter.classifier, inverter.layer, images, outcome.samples, outcome.seconds)
                rows.append({"sampler": sampler, "steps": n_steps, **figures})
                bar.update(task, advance=1, info=f"{sampler} {n_steps}")
    return rows


def relative_to_protocol(rows: list[dict]) -> dict:
    """DPM-Solver++ at 10 and 20 steps as shares of DDIM-50's feature cosine (the published protocol), and
    the speed-up of DPM-10 over DDIM-50."""
    at = {(r["sampler"], r["steps"]): r for r in rows}
    ref = at.get(("ddim", 50))
    if ref is None:
        return {}
    out = {}
    for n in (10, 20):
        if ("dpm", n) in at:
            out[f"dpm{n}_cosine_share_of_ddim50"] = round(at[("dpm", n)]["feature_cosine"] / ref["feature_cosine"], 4)
            out[f"dpm{n}_speedup_over_ddim50"] = round(
                ref["seconds_per_image"] / max(at[("dpm", n)]["seconds_per_image"], 1e-9), 2
            )
    return out
