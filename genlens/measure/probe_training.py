"""Training and measuring concept readers (the probes, the generators' critic) on world renders."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genlens.world.seeds import EVAL_SEED, step_seed
from genlens.measure.perturbations import ROBUSTNESS_CHECKS, Augmentation, perturb
from genlens.measure.probes import ConceptProbe, ProbeConfig, concept_targets
from genlens.training.loop import FitResult, TrainSettings, fit
from genlens.world import get_task


@torch.no_grad()
def probe_accuracy(
    reader: nn.Module, n: int, seed: int = EVAL_SEED, blur: float = 0.0, noise: float = 0.0, size: int = 32
) -> dict[str, float]:
    """Per-concept accuracy of a concept reader (images -> {concept: logits}, such as the probes) on
    n fresh single-object test renders, blurred by sigma `blur` pixels and given pixel noise of sd
    `noise` first (neither by default)."""
    sample = get_task("shape").sample(n, seed=seed, split="test", size=size)
    images = perturb(sample.images, blur, noise, torch.Generator().manual_seed(seed))
    reader.eval()
    device = next(reader.parameters()).device
    parts = [reader(images[i : i + 256].to(device)) for i in range(0, n, 256)]
    targets = concept_targets(sample.scenes)
    return {
        c: round(float((torch.cat([p[c].argmax(1).cpu() for p in parts]).numpy() == targets[c]).mean()), 4)
        for c in parts[0]
    }


def robustness(reader: nn.Module, n: int) -> dict[str, dict[str, float]]:
    """probe_accuracy under each of ROBUSTNESS_CHECKS."""
    return {name: probe_accuracy(reader, n, blur=b, noise=z) for name, (b, z) in ROBUSTNESS_CHECKS.items()}


def fit_concepts(
    reader: nn.Module, out: Path, settings: TrainSettings, augmentation: Augmentation, description: str
) -> FitResult:
    """Train a concept reader with cross-entropy on every concept of fresh single-object renders,
    each batch blurred and noised by augmentation."""
    task = get_task("shape")

    def batch(step: int, process: int, device: torch.device):
        seed = step_seed(settings.seed, step, process)
        sample = task.sample(settings.batch_size, seed=seed, split="train")
        images = augmentation(sample.images, torch.Generator().manual_seed(seed))
        targets = {
            c: torch.as_tensor(v, dtype=torch.long, device=device) for c, v in concept_targets(sample.scenes).items()
        }
        return images.to(device), targets

    def loss(model, data):
        images, targets = data
        logits = model(images)
        return sum(F.cross_entropy(logits[c], targets[c]) for c in logits)

    return fit(reader, batch, loss, settings, Path(out), description=description)


def train_probes(
    out: Path, settings: TrainSettings, eval_n: int = 2000, augmentation: Augmentation | None = None
) -> tuple[ConceptProbe, dict]:
    """Train the concept probes on single-object renders through blur and noise (`augmentation`,
    Augmentation() by default), so that they read generated, softer images as well as renders;
    save to out and return them with their card (accuracy clean and under ROBUSTNESS_CHECKS)."""
    augmentation = augmentation or Augmentation()
    torch.manual_seed(settings.seed)
    probe = ConceptProbe(ProbeConfig())
    result = fit_concepts(probe, out, settings, augmentation, "train concept probes")
    probe = probe.cpu().eval()
    accuracy = robustness(probe, eval_n)
    card = result.card(
        "probes",
        concepts=probe.concept_names,
        augmentation=asdict(augmentation),
        test_accuracy=accuracy.pop("clean"),
        robustness=accuracy,
        test_n=eval_n,
    )
    probe.save(Path(out), card)
    return probe, card
