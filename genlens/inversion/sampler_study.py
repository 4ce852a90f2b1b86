"""Fidelity against time for DDIM and DPM-Solver++ at several step counts, on one inverter."""

from __future__ import annotations

import time

import torch

from genlens.inversion.inverter import FeatureInverter
from genlens.measure.fidelity import feature_cosine, topk_agreement
from genlens.progress import progress_bar

STEPS = (5, 10, 20, 50)
SAMPLERS = ("ddim", "dpm")


def sampler_study(
    inverter: FeatureInverter,
    images: torch.Tensor,
    steps: tuple[int, ...] = STEPS,
    samplers: tuple[str, ...] = SAMPLERS,
    seed: int = 0,
    batch_size: int = 64,
) -> list[dict]:
    """One row per (sampler, steps): feature cosine, top-1 agreement and seconds per image, same seeds."""
    maps = inverter.feature_maps(images).cpu()
    with torch.no_grad():
        source_logits = inverter.classifier(images.to(inverter.device)).cpu()
    rows = []
    with progress_bar() as bar:
        task = bar.add_task("sampler study", total=len(steps) * len(samplers), info="")
        for sampler in samplers:
            for n_steps in steps:
                t0 = time.perf_counter()
                out = torch.cat(
                    [
                        inverter.invert_maps(maps[i : i + batch_size], steps=n_steps, sampler=sampler, seed=seed + i)[
                            :, 0
                        ]
                        for i in range(0, len(maps), batch_size)
                    ]
                )
                seconds = (time.perf_counter() - t0) / len(images)
                with torch.no_grad():
                    logits = inverter.classifier(out.to(inverter.device)).cpu()
                rows.append(
                    {
                        "sampler": sampler,
                        "steps": n_steps,
                        "feature_cosine": round(
                            float(feature_cosine(maps, inverter.feature_maps(out).cpu()).mean()), 4
                        ),
                        "top1_agreement": round(float(topk_agreement(source_logits, logits).mean()), 4),
                        "seconds_per_image": round(seconds, 4),
                    }
                )
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
