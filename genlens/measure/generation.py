"""How faithfully a text-conditioned generator renders the concepts its captions name."""

from __future__ import annotations

import torch

from genlens.classifiers.training import EVAL_SEED
from genlens.measure.fidelity import concept_retention
from genlens.measure.probes import ConceptProbe, probe_truth
from genlens.world import get_task


@torch.no_grad()
def caption_fidelity(
    pipe,
    probes: ConceptProbe,
    n: int = 256,
    steps: int = 20,
    sampler: str = "dpm",
    guidance: float = 1.0,
    seed: int = 0,
    batch_size: int = 64,
) -> dict:
    """Generate one image per held-out single-object caption; per concept, the share of images the
    probes read as the caption says. Returns {"n", "accuracy": {concept: share}, "images"}."""
    sample = get_task("shape").sample(n, seed=EVAL_SEED + seed, split="test", size=pipe.image_size)
    generator = torch.Generator().manual_seed(seed)
    images = torch.cat(
        [
            pipe(
                sample.captions[i : i + batch_size],
                steps=steps,
                sampler=sampler,
                guidance=guidance,
                generator=generator,
            ).cpu()
            for i in range(0, n, batch_size)
        ]
    )
    truth = [probe_truth(r) for r in sample.records]
    accuracy = concept_retention(probes.predict_names(images), truth)
    return {
        "n": n,
        "accuracy": {c: round(v, 4) for c, v in accuracy.items()},
        "images": images,
        "captions": sample.captions,
    }
