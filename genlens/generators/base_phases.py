"""Training a world base model in phases: each phase continues from the previous one's weights with
its own settings and loss (the shipped recipe has one, the whole schedule; defaults.base_phases)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from genlens.generators.base_model import load_base
from genlens.generators.denoising_loss import LossSettings
from genlens.generators.diffusion_training import train_diffusion
from genlens.generators.pipeline import WorldDiffusionPipeline
from genlens.training.loop import TrainSettings
from genlens.training.phases import combined_card


@dataclass
class Phase:
    """One stage of base training: a name (its folder), its settings and its loss."""

    name: str
    settings: TrainSettings
    loss: LossSettings = field(default_factory=LossSettings)


def train_in_phases(out: Path, phases: list[Phase], device: str | None = None) -> tuple[WorldDiffusionPipeline, dict]:
    """Train each phase into out/NAME from the previous phase's model (a new one for the first).

    A finished phase (its card written) is loaded, an interrupted one resumes from its checkpoints.
    Returns the last model and a card whose steps and seconds add up the phases, each phase's card
    under "phases"."""
    pipe, cards = None, []
    for phase in phases:
        folder = Path(out) / phase.name
        settings = phase.settings if device is None else replace(phase.settings, device=device)
        if (folder / "card.json").is_file():
            pipe, card = load_base(folder), json.loads((folder / "card.json").read_text())
        else:
            pipe, card = train_diffusion(folder, settings, pipeline=pipe, loss_settings=phase.loss)
        cards.append({"name": phase.name, **card})
    card = combined_card(cards)
    return pipe, card
