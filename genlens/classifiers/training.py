"""Training a world classifier on freshly rendered images, and measuring it on held-out ones."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from genlens.classifiers.architectures import ARCHITECTURES
from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.errors import GenlensError
from genlens.training.loop import TrainSettings, fit
from genlens.world import Task, get_task

#: Seed offset for evaluation renders, so they never coincide with a training batch's seed.
EVAL_SEED = 10_000_019


def step_seed(seed: int, step: int, process: int) -> int:
    """A distinct render seed for every (run seed, step, process)."""
    return (seed * 1_000_003 + step) * 64 + process


@torch.no_grad()
def accuracy(classifier: Classifier, task: Task, n: int, seed: int = EVAL_SEED, split: str = "test") -> float:
    """Share of n fresh renders of task's split that classifier labels correctly."""
    sample = task.sample(n, seed=seed, split=split, size=classifier.input_size)
    predictions = classifier.eval().predict(sample.images)
    return float((predictions == sample.labels).float().mean())


def train_classifier(
    task_name: str,
    arch: str,
    out: Path,
    settings: TrainSettings,
    size: int = 32,
    eval_n: int = 2000,
    arch_kwargs: dict | None = None,
) -> tuple[Classifier, dict]:
    """Train arch on task_name, save it to out (config, weights, card) and return it with its card."""
    if arch not in ARCHITECTURES:
        raise GenlensError(f"unknown architecture '{arch}', expected one of {', '.join(ARCHITECTURES)}")
    task = get_task(task_name)
    arch_kwargs = arch_kwargs or {}
    config = ClassifierConfig(
        arch=arch, class_names=list(task.class_names), input_size=size, arch_kwargs=arch_kwargs, task=task_name
    )
    torch.manual_seed(settings.seed)
    classifier = Classifier(
        ARCHITECTURES[arch](num_classes=len(task.class_names), img_size=size, **arch_kwargs), config
    )

    def batch(step: int, process: int, device: torch.device):
        sample = task.sample(
            settings.batch_size, seed=step_seed(settings.seed, step, process), split="train", size=size
        )
        return sample.images.to(device), sample.labels.to(device)

    def loss(model, data):
        images, labels = data
        return F.cross_entropy(model(images), labels)

    result = fit(classifier, batch, loss, settings, Path(out), description=f"train {arch} on {task_name}")
    classifier = classifier.cpu().eval()
    card = result.card(
        "classifier",
        arch=arch,
        task=task_name,
        test_accuracy=round(accuracy(classifier, task, eval_n), 4),
        test_n=eval_n,
    )
    if task_name == "shortcut":
        card["shape_test_accuracy"] = round(accuracy(classifier, get_task("shape"), eval_n), 4)
    classifier.save(Path(out), card)
    return classifier, card
