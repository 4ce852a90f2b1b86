"""How faithfully a text-conditioned generator renders the concepts its captions name."""

from __future__ import annotations

import torch

from genlens.inversion.protocol import SamplingConfig
from genlens.world.seeds import held_out
from genlens.measure.fidelity import concept_retention
from genlens.measure.probes import ConceptProbe, probe_truth


#: A base's read-back as it samples by default: its own guidance and critic guidance (20 DPM-Solver++ steps, seed 0).
AS_SHIPPED = SamplingConfig()


def _generated(pipe, captions: list[str], sampling: SamplingConfig, batch_size: int):
    """One image per caption, in batches, every batch drawing from one generator seeded with the seed."""
    generator = torch.Generator().manual_seed(sampling.seed)
    batches = [captions[i : i + batch_size] for i in range(0, len(captions), batch_size)]
    return torch.cat([
        pipe(b, steps=sampling.steps, sampler=sampling.sampler, guidance=sampling.guidance, generator=generator,
             critic_guidance=sampling.critic_guidance).cpu()
        for b in batches
    ])


@torch.no_grad()
def caption_fidelity(
    pipe,
    probes: ConceptProbe,
    n: int = 256,
    sampling: SamplingConfig = AS_SHIPPED,
    batch_size: int = 64,
    reader=None,
) -> dict:
    """Generate one image per held-out single-object caption; per concept, the share of images the
    probes read as the caption says, and the share the independent reader (measure.reader, if given)
    reads as the caption says. Returns {"n", "accuracy": {concept: share}, "reader", "images", "captions"}."""
    sample = held_out(n, seed=sampling.seed, size=pipe.image_size)
    images = _generated(pipe, sample.captions, sampling, batch_size)
    truth = [probe_truth(r) for r in sample.records]
    accuracy = concept_retention(probes.predict_names(images), truth)
    return {
        "n": n,
        "accuracy": {c: round(v, 4) for c, v in accuracy.items()},
        "reader": None if reader is None else reader.report(images, truth),
        "images": images,
        "captions": sample.captions,
    }


@torch.no_grad()
def scene_fidelity(
    pipe,
    predictor,
    n: int = 256,
    sampling: SamplingConfig = AS_SHIPPED,
    batch_size: int = 64,
) -> dict:
    """Generate one image per held-out `depict6` caption (up to six objects: red, green or blue
    circles and squares); per concept, the share of images in which the concept predictor
    (permutation.depict6) reads its presence or absence as the caption says.
    Returns {"n", "presence": {concept: share}, "images", "captions"}."""
    from genlens.permutation.depict6 import indicators
    from genlens.permutation.importance import predict
    from genlens.world import get_task

    sample = held_out(n, task="depict6", seed=sampling.seed, size=pipe.image_size)
    images = _generated(pipe, sample.captions, sampling, batch_size)
    read = (predict(predictor, images) > 0).float()
    agree = (read == indicators(sample)).float().mean(0)
    names = get_task("depict6").concept_names
    return {
        "n": n,
        "presence": {c: round(v, 4) for c, v in zip(names, agree.tolist())},
        "images": images,
        "captions": sample.captions,
    }


@torch.no_grad()
def reconstruction_fidelity(vae, probes: ConceptProbe, n: int = 512, reader=None, batch_size: int = 128) -> dict:
    """How much of each concept survives an autoencoder: the probes' (and the reader's) reading of
    the reconstructions (encoder mean, decoded) of n held-out renders against the true concepts,
    and the pixel MSE. Returns {"n", "mse", "accuracy": {concept: share}, "reader"}."""
    sample = held_out(n)
    parts = []
    for i in range(0, n, batch_size):
        x = sample.images[i : i + batch_size] * 2 - 1
        parts.append(((vae.decode(vae.encode(x).latent_dist.mean).sample + 1) / 2).clamp(0, 1))
    images = torch.cat(parts)
    truth = [probe_truth(r) for r in sample.records]
    return {
        "n": n,
        "mse": round(float(((images - sample.images) ** 2).mean()), 5),
        "accuracy": {c: round(v, 4) for c, v in concept_retention(probes.predict_names(images), truth).items()},
        "reader": None if reader is None else reader.report(images, truth),
    }
