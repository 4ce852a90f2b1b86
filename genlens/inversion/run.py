"""Inverting a batch of images and measuring the samples: grids, per-image rows and a summary."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from genlens.inversion.loop import invert_batches
from genlens.inversion.protocol import Inverter, SamplingConfig
from genlens.measure.inversion_fidelity import inversion_fidelity, read_pairs
from genlens.report.html import image_grid


def invert_and_measure(
    inverter: Inverter,
    images: torch.Tensor,
    out: Path,
    records: list[dict] | None = None,
    samples: int = 1,
    sampling: SamplingConfig | None = None,
    batch_size: int = 64,
    probes=None,
    observer=None,
    sources: list[str] | None = None,
) -> dict:
    """Invert images, write out/grids/NNNNN.png (source | samples) and out/results.jsonl, return the summary.
    Each result names its source (sources[i], e.g. the input file) when given.

    With world records and probes, concept retention compares the probes' reading of each sample with
    the source's true concepts, and each result lists its truth and the concepts each sample lost.
    With an observer (a classifier), the summary adds its top-1 agreement.
    """
    from genlens.measure.probes import probe_truth

    sampling = sampling or SamplingConfig()
    out = Path(out)
    (out / "grids").mkdir(parents=True, exist_ok=True)
    outcome = invert_batches(inverter, inverter.feature_maps(images).cpu(), samples, sampling, batch_size)
    readings = read_pairs(inverter.classifier, inverter.layer, images, outcome.samples)
    truth = [probe_truth(r) for r in records] if records is not None else None
    read = probes.predict_names(outcome.samples.flatten(0, 1).float()) if probes is not None and truth is not None else None
    figures = inversion_fidelity(
        inverter.classifier, inverter.layer, images, outcome.samples, outcome.seconds, truth, probes, observer,
        readings=readings, read_concepts=read,
    )
    rows = []
    for n in range(len(images)):
        image_grid(torch.cat([images[n : n + 1].cpu(), outcome.samples[n]]), samples + 1).save(out / "grids" / f"{n:05d}.png")
        rows.append(
            {
                "id": n,
                **({"source": sources[n]} if sources is not None else {}),
                "grid": f"grids/{n:05d}.png",
                "feature_cosine": [round(v, 4) for v in readings.cosine[n].tolist()],
                "top1_agreement": readings.top1[n].tolist(),
                **(_concepts(truth[n], read[n * samples : (n + 1) * samples]) if read is not None else {}),
            }
        )
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    steering = getattr(inverter, "steering", None)
    return {
        "classifier": inverter.classifier_spec,
        "layer": inverter.layer,
        "pooled": inverter.pooled,
        "n": len(images),
        "samples": samples,
        "steps": sampling.steps,
        "sampler": sampling.sampler,
        "guidance": inverter.guidance(sampling),
        "observer": getattr(observer, "spec", None),
        "steering": asdict(steering) if steering is not None else None,
        **figures,
    }


def _concepts(truth: dict[str, str], read: list[dict[str, str]]) -> dict:
    """A result's true concepts and, per sample, the concepts the probes read otherwise: {concept: read value}."""
    return {"truth": truth, "lost": [{c: r[c] for c in truth if r[c] != truth[c]} for r in read]}
