"""DEPICT's synthetic protocol on the world's `depict6` scenes: concept-bottleneck tasks with known
importances, permutation in caption space, and the oracle that permutes at the bottleneck."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from genlens.classifiers.architectures import world_cnn
from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.measure.perturbations import ROBUSTNESS_CHECKS, Augmentation, perturb
from genlens.world.seeds import EVAL_SEED, step_seed
from genlens.permutation.generation import GenerationCache
from genlens.permutation.importance import Permutations, predict, run_permutations
from genlens.permutation.table import ConceptTable
from genlens.training.loop import TrainSettings, fit
from genlens.world import get_task
from genlens.world.captions import caption
from genlens.world.renderer import render
from genlens.world.scenes import SceneBatch
from genlens.world.tasks import Depict6Task


def train_concept_predictor(
    out: Path, settings: TrainSettings, augmentation: Augmentation | None = None
) -> tuple[Classifier, dict]:
    """The shared concept predictor of the bottleneck tasks: six presence logits from a depict6 image,
    trained through blur and noise (`augmentation`, Augmentation() by default) as the probes are, so
    that it reads generated images as it reads renders."""
    task = get_task("depict6")
    augmentation = augmentation or Augmentation()
    torch.manual_seed(settings.seed)
    widths = [16, 32, 64]
    config = ClassifierConfig("world-cnn", list(task.concept_names), arch_kwargs={"widths": widths}, task="depict6")
    model = Classifier(world_cnn(6, widths=widths), config)

    def batch(step: int, process: int, device: torch.device):
        seed = step_seed(settings.seed, step, process)
        s = task.sample(settings.batch_size, seed=seed, split="train")
        return augmentation(s.images, torch.Generator().manual_seed(seed)).to(device), indicators(s).to(device)

    def loss(m, b):
        return F.binary_cross_entropy_with_logits(m(b[0]), b[1])

    result = fit(model, batch, loss, settings, Path(out), description="train depict6 concept predictor")
    model = model.cpu().eval()
    accuracy = {name: presence_accuracy(model, 2000, blur, noise) for name, (blur, noise) in ROBUSTNESS_CHECKS.items()}
    card = result.card(
        "concept-predictor", task="depict6", test_accuracy=accuracy.pop("clean"), robustness=accuracy,
        augmentation=asdict(augmentation),
    )
    return model, card


@torch.no_grad()
def presence_accuracy(predictor, n: int, blur: float = 0.0, noise: float = 0.0) -> dict[str, float]:
    """Per concept, the share of n fresh depict6 test renders (blurred by sigma `blur` pixels and given
    pixel noise of sd `noise` first) in which the predictor reads the concept's presence as drawn."""
    task = get_task("depict6")
    held = task.sample(n, seed=EVAL_SEED, split="test")
    images = perturb(held.images, blur, noise, torch.Generator().manual_seed(EVAL_SEED))
    acc = ((predict(predictor, images) > 0).float() == indicators(held)).float().mean(0)
    return {c: round(v, 4) for c, v in zip(task.concept_names, acc.tolist())}


def indicators(sample) -> torch.Tensor:
    """(N, 6) float presence of the depict6 concepts in a world sample's records."""
    names = get_task("depict6").concept_names
    return torch.tensor([[r["indicators"][c] for c in names] for r in sample.records], dtype=torch.float32)


@dataclass
class SceneTable(ConceptTable):
    """depict6 scenes as a concept table: one yes/no column per concept (slot j of a scene is concept
    j); a row is the scene with that presence, its caption the world's caption of it."""

    scenes: SceneBatch | None = None

    @classmethod
    def of(cls, scenes: SceneBatch) -> "SceneTable":
        names = get_task("depict6").concept_names
        truth = get_task("depict6").indicators(scenes)
        columns = {c: ["yes" if v else "no" for v in truth[:, j]] for j, c in enumerate(names)}
        template = " ".join("{" + c + "}" for c in names)
        return cls(columns, np.zeros(len(truth), int), template, scenes=scenes)

    def _variant(self) -> SceneBatch:
        present = np.stack([np.asarray(self.columns[c]) == "yes" for c in self.concepts], 1)
        return replace(self.scenes, present=present)

    def captions(self) -> list[str]:
        return [caption(r, 0) for r in self._variant().records()]

    def rows(self) -> list[SceneBatch]:
        variant = self._variant()
        return [variant[i : i + 1] for i in range(len(self))]


def bench_depict(
    predictor: Classifier,
    generator,
    tasks: int = 100,
    rows: int = 400,
    repeats: int = 3,
    seed: int = 0,
    bootstrap: int = 1000,
    cache: bool = True,
) -> dict:
    """Pearson correlation between caption-space importances and the standardised coefficients of
    `tasks` bottleneck tasks y = w . c(x), w ~ U[0, 1]^6, averaged over tasks, with a bootstrap
    interval over tasks; also the oracle that permutes the predicted concepts of the real images
    directly, as often as DEPICT permutes each concept. The permuted tables and their images come
    from run_permutations, as in `genlens permute`; each task reads the shared predictor's concepts
    through its own linear bottleneck.

    With cache (the default) the tasks share one set of generated images (they permute the same
    table); without, each task generates its own, which is what the cache saves.

    The protocol's steps (tasks, permutations, oracle) read in order; each is a call.
    """
    from sklearn.metrics import roc_auc_score

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    depict6 = get_task("depict6")
    weights = rng.uniform(0, 1, (tasks, 6))
    scenes = depict6.scenes(np.random.default_rng([seed, 1]), rows, "test")
    truth = depict6.indicators(scenes)  # (rows, 6) 0/1
    table = SceneTable.of(scenes)
    c_real = torch.sigmoid(predict(predictor, render(scenes)[0])).numpy()
    caches = []

    def permutations() -> Permutations:
        caches.append(GenerationCache(generator))
        return run_permutations(predictor, table, caches[-1], repeats, seed)

    runs = permutations() if cache else None
    thresholds = [Depict6Task(weights=tuple(w)).threshold for w in weights]
    pearsons, oracle = [], []
    for k, w in enumerate(weights):
        y = (truth @ w > thresholds[k]).astype(int)
        if len(np.unique(y)) < 2:
            continue
        task_runs = runs if cache else permutations()
        concepts_of = lambda logits: torch.sigmoid(logits).numpy() @ w  # noqa: E731
        base = roc_auc_score(y, concepts_of(task_runs.baseline_logits))
        drops = [np.mean([base - roc_auc_score(y, concepts_of(lg)) for lg in task_runs.logits[c]]) for c in table.concepts]
        gt = w * c_real.std(0)
        pearsons.append(np.corrcoef(drops, gt)[0, 1])
        oracle.append(np.corrcoef(_oracle_drops(c_real, y, w, repeats, [seed, 3, k]), gt)[0, 1])
    pearsons, oracle = np.asarray(pearsons), np.asarray(oracle)
    boot = np.random.default_rng([seed, 4]).choice(pearsons, (bootstrap, len(pearsons))).mean(1)
    return {
        "tasks": int(len(pearsons)),
        "rows": rows,
        "repeats": repeats,
        "pearson": round(float(np.nanmean(pearsons)), 4),
        "ci95": [round(float(v), 4) for v in np.nanpercentile(boot, [2.5, 97.5])],
        "oracle_pearson": round(float(np.nanmean(oracle)), 4),
        "cache": cache,
        "generated_images": sum(c.generated for c in caches),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _oracle_drops(c_real: np.ndarray, y: np.ndarray, w: np.ndarray, repeats: int, seed: list[int]) -> list[float]:
    """Each concept's AUROC drop when the real images' predicted concept is shuffled at the
    bottleneck itself, as many times as DEPICT permutes it."""
    from sklearn.metrics import roc_auc_score

    base = roc_auc_score(y, c_real @ w)
    drops = []
    for j in range(c_real.shape[1]):
        drop = []
        for r in range(repeats):
            shuffled = c_real.copy()
            shuffled[:, j] = np.random.default_rng([*seed, j, r]).permutation(shuffled[:, j])
            drop.append(base - roc_auc_score(y, shuffled @ w))
        drops.append(float(np.mean(drop)))
    return drops
