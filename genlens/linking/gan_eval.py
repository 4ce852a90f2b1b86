"""How good the world GAN is: whether two classifiers see the conditioning class, whether every
concept value appears, and how far its images are from real renders in two feature spaces."""

from __future__ import annotations

import torch

from genlens.world.seeds import EVAL_SEED
from genlens.measure.image_quality import frechet_distance, penultimate_space
from genlens.world import get_task

#: The classifiers that read the conditioning class (neither was trained against the GAN).
AGREEMENT_READERS = ("world-cnn", "world-vit")
TRUNCATIONS = (1.0, 0.7)


def evaluate_gan(gan, n: int = 1000, seed: int = EVAL_SEED, probes=None, task: str = "shape") -> dict:
    """{"agreement": {truncation: {reader: share}}, "coverage": {concept: {"values", "missing"}},
    "frechet": {"probes", "observer"}} on n samples per truncation, classes cycling evenly."""
    from genlens.classifiers.loader import load_classifier
    from genlens.measure.probes import ConceptProbe

    readers = {spec: load_classifier(spec) for spec in AGREEMENT_READERS}
    probes = probes or ConceptProbe.load()
    classes = torch.arange(n) % gan.num_classes
    out = {"n": n, "agreement": {}}
    samples = {}
    for truncation in TRUNCATIONS:
        images = gan.synthesize(gan.sample_latent(n, seed, classes, truncation))
        samples[truncation] = images
        out["agreement"][str(truncation)] = {
            spec: round(float((r.predict(images) == classes).float().mean()), 4) for spec, r in readers.items()
        }
    read = probes.predict(samples[1.0])
    coverage = {}
    for concept, values in probes.config.concepts.items():
        seen = torch.bincount(read[concept], minlength=len(values))
        coverage[concept] = {
            "values": {v: int(c) for v, c in zip(values, seen.tolist())},
            "missing": [v for v, c in zip(values, seen.tolist()) if c == 0],
        }
    out["coverage"] = coverage
    out["all_values_appear"] = all(not c["missing"] for c in coverage.values())
    real = get_task(task).sample(n, seed=seed, split="test").images
    out["frechet"] = {
        "probes": round(frechet_distance(real, samples[1.0], penultimate_space(probes)), 3),
        "observer": round(frechet_distance(real, samples[1.0], penultimate_space(readers["world-vit"])), 3),
    }
    return out
