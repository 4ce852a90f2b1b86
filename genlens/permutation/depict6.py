"""DEPICT's synthetic protocol on the world's `depict6` scenes: concept-bottleneck tasks with known
importances, permutation in caption space, and the oracle that permutes at the bottleneck."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from genlens.classifiers.architectures import world_cnn
from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.world.seeds import EVAL_SEED, step_seed
from genlens.permutation.generation import GenerationCache
from genlens.permutation.importance import SEED_STRIDE, predict
from genlens.training.loop import TrainSettings, fit
from genlens.world import get_task
from genlens.world.captions import caption
from genlens.world.renderer import render
from genlens.world.scenes import SceneBatch
from genlens.world.tasks import Depict6Task


def train_concept_predictor(out: Path, settings: TrainSettings) -> tuple[Classifier, dict]:
    """The shared concept predictor of the bottleneck tasks: six presence logits from a depict6 image."""
    task = get_task("depict6")
    torch.manual_seed(settings.seed)
    widths = [16, 32, 64]
    config = ClassifierConfig("world-cnn", list(task.concept_names), arch_kwargs={"widths": widths}, task="depict6")
    model = Classifier(world_cnn(6, widths=widths), config)

    def batch(step: int, process: int, device: torch.device):
        s = task.sample(settings.batch_size, seed=step_seed(settings.seed, step, process), split="train")
        return s.images.to(device), indicators(s).to(device)

    def loss(m, b):
        return F.binary_cross_entropy_with_logits(m(b[0]), b[1])

    result = fit(model, batch, loss, settings, Path(out), description="train depict6 concept predictor")
    model = model.cpu().eval()
    held = task.sample(2000, seed=EVAL_SEED, split="test")
    with torch.no_grad():
        acc = ((predict(model, held.images) > 0).float() == indicators(held)).float().mean(0)
    accuracy = {c: round(v, 4) for c, v in zip(task.concept_names, acc.tolist())}
    card = result.card("concept-predictor", task="depict6", test_accuracy=accuracy)
    return model, card


def indicators(sample) -> torch.Tensor:
    """(N, 6) float presence of the depict6 concepts in a world sample's records."""
    names = get_task("depict6").concept_names
    return torch.tensor([[r["indicators"][c] for c in names] for r in sample.records], dtype=torch.float32)


def stack_scenes(parts: list[SceneBatch]) -> SceneBatch:
    fields = SceneBatch.__dataclass_fields__
    return SceneBatch(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


class SceneRenderer:
    """Exact generation for depict6 rows (each row a one-scene SceneBatch)."""

    batch_size = 256

    def generate(self, captions, rows, seeds) -> torch.Tensor:
        return render(stack_scenes(rows))[0]


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
    directly, as often as DEPICT permutes each concept.

    With cache (the default) the tasks share one set of generated images (they permute the same
    table); without, each task generates its own, which is what the cache saves."""
    from sklearn.metrics import roc_auc_score

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    depict6 = get_task("depict6")
    weights = rng.uniform(0, 1, (tasks, 6))
    scenes = depict6.scenes(np.random.default_rng([seed, 1]), rows, "test")
    truth = depict6.indicators(scenes)  # (rows, 6) 0/1
    real = render(scenes)[0]
    seeds = [SEED_STRIDE * seed + i for i in range(rows)]
    generated = 0

    def generated_concepts(cache_for) -> tuple[np.ndarray, dict]:
        """Concept predictions on images of the unpermuted and of every permuted table."""

        def concepts_of(present: np.ndarray) -> np.ndarray:
            nonlocal generated
            variant = replace(scenes, present=present)
            captions = [caption(r, 0) for r in variant.records()]
            store = cache_for()
            before = store.generated
            images = store(captions, [variant[i : i + 1] for i in range(rows)], seeds)
            generated += store.generated - before
            return torch.sigmoid(predict(predictor, images)).numpy()

        base = concepts_of(scenes.present)
        permuted = {
            (j, r): concepts_of(_permuted_presence(scenes.present, truth, j, np.random.default_rng([seed, 2, j, r])))
            for j in range(6)
            for r in range(repeats)
        }
        return base, permuted

    c_real = torch.sigmoid(predict(predictor, real)).numpy()
    if cache:
        shared = GenerationCache(generator)
        c_base, c_perm = generated_concepts(lambda: shared)
    thresholds = [Depict6Task(weights=tuple(w)).threshold for w in weights]
    pearsons, oracle = [], []
    for k, w in enumerate(weights):
        y = (truth @ w > thresholds[k]).astype(int)
        if len(np.unique(y)) < 2:
            continue
        if not cache:  # every task generates its own images, as without a cache
            c_base, c_perm = generated_concepts(lambda: GenerationCache(generator))
        base = roc_auc_score(y, c_base @ w)
        drops = [np.mean([base - roc_auc_score(y, c_perm[(j, r)] @ w) for r in range(repeats)]) for j in range(6)]
        gt = w * c_real.std(0)
        pearsons.append(np.corrcoef(drops, gt)[0, 1])
        base_real = roc_auc_score(y, c_real @ w)
        oracle_drops = []
        for j in range(6):  # as many permutations as DEPICT's, so that the two differ only in where they permute
            drop = []
            for r in range(repeats):
                shuffled = c_real.copy()
                shuffled[:, j] = np.random.default_rng([seed, 3, k, j, r]).permutation(shuffled[:, j])
                drop.append(base_real - roc_auc_score(y, shuffled @ w))
            oracle_drops.append(np.mean(drop))
        oracle.append(np.corrcoef(oracle_drops, gt)[0, 1])
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
        "generated_images": generated,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _permuted_presence(present: np.ndarray, truth: np.ndarray, j: int, rng: np.random.Generator) -> np.ndarray:
    """Presence with concept j's column shuffled across rows (slot j of a depict6 scene is concept j)."""
    out = present.copy()
    out[:, j] = truth[rng.permutation(len(truth)), j].astype(bool)
    return out
