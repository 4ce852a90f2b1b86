"""The generators' own critic: a frozen network whose features a generator's clean-image prediction
must match. It reads every world concept (so a feature term in its space keeps colour and background
as well as shape) and is neither the probes nor a classifier that genlens measures generators with, so
that the measurements do not inherit its blind spots."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from genlens.artifacts import WEIGHTS_FILE, save_folder
from genlens.world import concepts


@dataclass
class CriticConfig:
    """The concepts the critic is trained to read and its stages' widths (each stage halves the grid)."""

    concepts: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in concepts.PROBE_CONCEPTS.items()}
    )
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])


def _stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
    )


class WorldCritic(nn.Module):
    """A VGG-style network, the classic perceptual-loss layout (three stages of two 3x3 convolutions,
    batch norm, ReLU, max-pool downsampling), with one linear head per concept on the mean and the
    maximum of the last map over locations (an object covers a few of its cells)."""

    def __init__(self, config: CriticConfig | None = None):
        super().__init__()
        self.config = config or CriticConfig()
        widths = self.config.widths
        self.stages = nn.ModuleList(_stage(a, b) for a, b in zip([3, *widths[:-1]], widths))
        self.splits = [len(v) for v in self.config.concepts.values()]
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
        return dict(zip(self.config.concepts, logits.split(self.splits, dim=1)))

    def save(self, folder: Path, card: dict | None = None, dtype: torch.dtype | None = None) -> Path:
        return save_folder(folder, asdict(self.config), self, card, dtype)

    @classmethod
    def load(cls, folder: Path | str) -> "WorldCritic":
        folder = Path(folder)
        critic = cls(CriticConfig(**json.loads((folder / "config.json").read_text())))
        state = load_file(folder / WEIGHTS_FILE)
        critic.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
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
