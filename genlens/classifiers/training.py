"""Training a world classifier on freshly rendered images, and measuring it on held-out ones."""

from __future__ import annotations

from dataclasses import asdict

from pathlib import Path

import torch
import torch.nn.functional as F

from genlens.classifiers.architectures import build_net
from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.classifiers.planted import TIE_WEIGHT, planted_targets, tie_loss
from genlens.training.loop import TrainSettings, fit
from genlens.world import Task, get_task
from genlens.world.seeds import EVAL_SEED, step_seed


@torch.no_grad()
def accuracy(
    classifier: Classifier, task: Task, n: int, seed: int = EVAL_SEED, split: str = "test", blur: float = 0.0, noise: float = 0.0
) -> float:
    """Share of n fresh renders of task's split that classifier labels correctly, the renders blurred by
    sigma `blur` pixels and given pixel noise of sd `noise` first (neither by default)."""
    from genlens.measure.perturbations import perturb

    sample = task.sample(n, seed=seed, split=split, size=classifier.input_size)
    images = perturb(sample.images, blur, noise, torch.Generator().manual_seed(seed))
    predictions = classifier.eval().predict(images)
    return float((predictions == sample.labels).float().mean())


def train_classifier(
    task_name: str | None,
    arch: str,
    out: Path,
    settings: TrainSettings,
    size: int = 32,
    eval_n: int = 2000,
    arch_kwargs: dict | None = None,
    planted: bool = False,
    data: Path | None = None,
    augmentation=None,
) -> tuple[Classifier, dict]:
    """Train arch (a world architecture, `timm:NAME` or `torchvision:NAME`, from scratch) on the
    world task task_name or on a user's ImageFolder tree `data`; save it to out (config, weights,
    card) and return it with its card.

    planted ties the first penultimate units to known concepts (classifiers.planted) as it learns;
    augmentation (measure.perturbations.Augmentation) blurs and noises the training images, so that
    the classifier reads soft images as a reader of generated ones must.

    One training run from setup to card, kept in one piece so that checkpointing and resume read in order.
    """
    from genlens.classifiers.image_folder import LabelledFolder

    folder = LabelledFolder(data, size, settings.seed) if data is not None else None
    task = get_task(task_name) if folder is None else None
    names = list(task.class_names) if task is not None else folder.class_names
    arch_kwargs = arch_kwargs or {}
    config = ClassifierConfig(arch=arch, class_names=names, input_size=size, arch_kwargs=arch_kwargs, task=task_name if task else None)
    torch.manual_seed(settings.seed)
    classifier = Classifier(build_net(arch, len(names), size, **arch_kwargs), config)

    head = [m for m in classifier.net.modules() if isinstance(m, torch.nn.Linear)][-1]
    captured = {}
    hook = head.register_forward_pre_hook(lambda _m, args: captured.__setitem__("features", args[0])) if planted else None

    def batch(step: int, process: int, device: torch.device):
        if folder is not None:
            images, labels = folder.batch(settings.batch_size, step, process)
            targets = torch.zeros(len(images), 0)
        else:
            sample = task.sample(
                settings.batch_size, seed=step_seed(settings.seed, step, process), split="train", size=size
            )
            images, labels = sample.images, sample.labels
            targets = planted_targets(sample.scenes) if planted else torch.zeros(len(sample), 0)
        if augmentation is not None:
            images = augmentation(images, torch.Generator().manual_seed(step_seed(settings.seed, step, process)))
        return images.to(device), labels.to(device), targets.to(device)

    def loss(model, batch_data):
        images, labels, targets = batch_data
        value = F.cross_entropy(model(images), labels)
        if planted:
            value = value + TIE_WEIGHT * tie_loss(captured.pop("features"), targets)
        return value

    source = task_name if folder is None else str(data)
    run = {"kind": "classifier", "task": task_name if folder is None else None, "data": None if folder is None else str(data),
           "arch": arch, "arch_kwargs": arch_kwargs, "planted": planted,
           "augmentation": None if augmentation is None else asdict(augmentation)}
    result = fit(classifier, batch, loss, settings, Path(out), description=f"train {arch} on {source}", run=run)
    if hook is not None:
        hook.remove()
    classifier = classifier.cpu().eval()
    if folder is not None:
        images, labels = folder.held_out()
        card = result.card("classifier", arch=arch, data=str(data), test_n=len(labels),
                           test_accuracy=round(float((classifier.predict(images) == labels).float().mean()), 4) if len(labels) else None)
    else:
        card = result.card("classifier", arch=arch, task=task_name, test_accuracy=round(accuracy(classifier, task, eval_n), 4), test_n=eval_n)
    card["augmentation"] = run["augmentation"]
    if planted:
        card["planted"] = planted_fit(classifier, task, eval_n)
    if task_name == "shortcut" and folder is None:
        card["shape_test_accuracy"] = round(accuracy(classifier, get_task("shape"), eval_n), 4)
    classifier.save(Path(out), card)
    return classifier, card


@torch.no_grad()
def planted_fit(classifier: Classifier, task: Task, n: int, seed: int = EVAL_SEED) -> dict:
    """{unit: correlation of its activation with its planted target} on n held-out renders."""
    from genlens.classifiers.planted import PLANTED_UNITS

    sample = task.sample(n, seed=seed, split="test", size=classifier.input_size)
    head = [m for m in classifier.net.modules() if isinstance(m, torch.nn.Linear)][-1]
    store = {}
    handle = head.register_forward_pre_hook(lambda _m, args: store.__setitem__("x", args[0]))
    try:
        classifier.eval()(sample.images)
    finally:
        handle.remove()
    targets = planted_targets(sample.scenes)
    out = {}
    for k, concept in PLANTED_UNITS.items():
        a, t = store["x"][:, k].float(), targets[:, k]
        out[f"{k}:{concept}"] = round(float(torch.corrcoef(torch.stack([a, t]))[0, 1]), 4)
    return out
