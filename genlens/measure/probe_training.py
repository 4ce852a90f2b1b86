"""Training and measuring the concept probes on world renders."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from genlens.classifiers.training import EVAL_SEED, step_seed
from genlens.measure.probes import ConceptProbe, ProbeConfig, concept_targets
from genlens.training.loop import TrainSettings, fit
from genlens.world import get_task


@torch.no_grad()
def probe_accuracy(probe: ConceptProbe, n: int, seed: int = EVAL_SEED) -> dict[str, float]:
    """Per-concept accuracy of probe on n fresh single-object test renders."""
    sample = get_task("shape").sample(n, seed=seed, split="test", size=probe.config.input_size)
    predicted = probe.predict(sample.images)
    targets = concept_targets(sample.scenes)
    return {c: round(float((predicted[c].numpy() == targets[c]).mean()), 4) for c in probe.concept_names}


def train_probes(out: Path, settings: TrainSettings, eval_n: int = 2000) -> tuple[ConceptProbe, dict]:
    """Train the concept probes on single-object renders; save to out and return them with their card."""
    torch.manual_seed(settings.seed)
    probe = ConceptProbe(ProbeConfig())
    task = get_task("shape")

    def batch(step: int, process: int, device: torch.device):
        sample = task.sample(settings.batch_size, seed=step_seed(settings.seed, step, process), split="train")
        targets = {
            c: torch.as_tensor(v, dtype=torch.long, device=device) for c, v in concept_targets(sample.scenes).items()
        }
        return sample.images.to(device), targets

    def loss(model, data):
        images, targets = data
        logits = model(images)
        return sum(F.cross_entropy(logits[c], targets[c]) for c in logits)

    result = fit(probe, batch, loss, settings, Path(out), description="train concept probes")
    probe = probe.cpu().eval()
    card = result.card(
        "probes", concepts=probe.concept_names, test_accuracy=probe_accuracy(probe, eval_n), test_n=eval_n
    )
    probe.save(Path(out), card)
    return probe, card
