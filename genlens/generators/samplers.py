"""Sampling schedulers built from a training scheduler's config, with pixel-space clipping."""

from __future__ import annotations

from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

from genlens.errors import GenlensError

SAMPLERS = ("ddim", "dpm")


def check_sampling(steps: int, sampler: str, guidance: float | None) -> None:
    """Refuse sampling settings no run can use, before any work starts (guidance None: the model's own)."""
    if sampler not in SAMPLERS:
        raise GenlensError(f"unknown sampler '{sampler}', expected one of {', '.join(SAMPLERS)}")
    if steps < 1:
        raise GenlensError(f"sampling needs at least 1 step, got {steps}")
    if guidance is not None and guidance < 0:
        raise GenlensError(f"guidance must be at least 0 (1 turns it off), got {guidance}")


def sampling_scheduler(config, sampler: str, pixel_space: bool):
    """A DDIM or DPM-Solver++ scheduler from a training scheduler's config.

    In pixel space the predicted clean image is clipped to [-1, 1] at every step (DDIM's clip_sample,
    DPM-Solver++'s thresholding): near t = T a cosine schedule amplifies any noise-prediction error
    about 10^4-fold in the predicted clean image, and an unclipped solver then returns noise.
    """
    if sampler == "ddim":
        return DDIMScheduler.from_config(
            config, clip_sample=pixel_space, clip_sample_range=1.0, set_alpha_to_one=False, timestep_spacing="trailing"
        )
    if sampler == "dpm":
        return DPMSolverMultistepScheduler.from_config(
            config,
            algorithm_type="dpmsolver++",
            solver_order=2,
            thresholding=pixel_space,
            sample_max_value=1.0,
            dynamic_thresholding_ratio=0.995,
            timestep_spacing="trailing",
            final_sigmas_type="zero",
        )
    raise GenlensError(f"unknown sampler '{sampler}', expected one of {', '.join(SAMPLERS)}")
