"""The generators' own critic: a frozen network whose features a generator's clean-image prediction
must match. It reads every world concept (so a feature term in its space keeps colour and background
as well as shape) and is neither the probes nor a classifier that genlens measures generators with, so
that the measurements do not inherit its blind spots."""

from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import ModelMixin
from diffusers.configuration_utils import ConfigMixin, register_to_config
from torch import nn

from genlens.artifacts import write_artifact
from genlens.world import concepts as world_concepts


def _stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
    )


class WorldCritic(ModelMixin, ConfigMixin):
    """A VGG-style network, the classic perceptual-loss layout (three stages of two 3x3 convolutions,
    batch norm, ReLU, max-pool downsampling), with one linear head per concept on the mean and the
    maximum of the last map over locations (an object covers a few of its cells).

    concepts: each concept it reads with its values, in the order of its head (the probes' by
    default); widths: its stages' channels (each stage halves the grid). A diffusers model: a base
    pipeline registers it as its `critic` (critic guidance, generators.pipeline)."""

    @register_to_config
    def __init__(self, concepts: list[tuple[str, list[str]]] | None = None, widths: tuple[int, ...] = (32, 64, 128)):
        super().__init__()
        if concepts is None:
            concepts = [(k, list(v)) for k, v in world_concepts.PROBE_CONCEPTS.items()]
            self.register_to_config(concepts=concepts)
        #: concept -> its values, in the head's order (a list in the config: JSON configs sort keys)
        self.concepts = {name: list(values) for name, values in concepts}
        widths = list(widths)
        self.stages = nn.ModuleList(_stage(a, b) for a, b in zip([3, *widths[:-1]], widths))
        self.splits = [len(v) for v in self.concepts.values()]
        self.head = nn.Linear(2 * widths[-1], sum(self.splits))

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Each stage's map for (N, 3, H, W) images in [0, 1]."""
        x, maps = (images - 0.5) / 0.25, []
        for i, stage in enumerate(self.stages):
            x = stage(x if i == 0 else F.max_pool2d(x, 2))
            maps.append(x)
        return maps

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits per concept."""
        last = self.features(images)[-1]
        logits = self.head(torch.cat([last.mean((2, 3)), last.amax((2, 3))], 1))
        return dict(zip(self.concepts, logits.split(self.splits, dim=1)))

    def save(self, folder: Path, card: dict | None = None, dtype: torch.dtype | None = None) -> Path:
        """Write the critic (diffusers layout, floats cast to dtype if given) and card.json atomically."""
        module = self if dtype is None else nn.Module.to(copy.deepcopy(self), dtype)
        return write_artifact(Path(folder), module.save_pretrained, card)

    @classmethod
    def load(cls, folder: Path | str) -> "WorldCritic":
        """A saved critic, frozen, in fp32."""
        critic = cls.from_pretrained(str(folder)).float()
        return critic.eval().requires_grad_(False)


def feature_error(critic: WorldCritic, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(N,) relative squared error between the critic's maps of predicted and target images in
    [0, 1], summed over stages: |phi(x) - phi(y)|^2 / |phi(y)|^2."""
    with torch.no_grad():
        wanted = critic.features(target)
    error = 0
    for got, want in zip(critic.features(predicted), wanted):
        error = error + (got - want).pow(2).flatten(1).sum(1) / want.pow(2).flatten(1).sum(1).clamp_min(1e-6)
    return error


def train_critic(out: Path, settings, eval_n: int = 1000, augmentation=None) -> tuple[WorldCritic, dict]:
    """Train the critic on every concept of renders blurred and noised by augmentation (Augmentation()
    by default); save to out with its card."""
    from genlens.measure.perturbations import Augmentation
    from genlens.measure.probe_training import fit_concepts, robustness

    augmentation = augmentation or Augmentation()
    torch.manual_seed(settings.seed)
    critic = WorldCritic()
    result = fit_concepts(critic, out, settings, augmentation, "train generator critic")
    critic = critic.cpu().eval()
    accuracy = robustness(critic, eval_n)
    card = result.card("critic", augmentation=asdict(augmentation), test_accuracy=accuracy.pop("clean"),
                       robustness=accuracy, test_n=eval_n)
    critic.save(Path(out), card)
    return critic, card
