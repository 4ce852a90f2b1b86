"""Inverting a batch of images and measuring the samples: grids, per-image rows and a summary."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

from genlens.inversion.feature_steering import FeatureSteering
from genlens.inversion.inverter import FeatureInverter
from genlens.measure.fidelity import (
    concept_retention,
    diversity,
    feature_cosine,
    topk_agreement,
)
from genlens.measure.observer import observer_agreement
from genlens.progress import progress_bar
from genlens.report.html import image_grid


def invert_and_measure(
    inverter: FeatureInverter,
    images: torch.Tensor,
    out: Path,
    records: list[dict] | None = None,
    samples: int = 1,
    steps: int = 20,
    sampler: str = "dpm",
    guidance: float = 1.75,
    seed: int = 0,
    batch_size: int = 64,
    probes=None,
    observer=None,
    steering: FeatureSteering | None = None,
    sources: list[str] | None = None,
) -> dict:
    """Invert images, write out/grids/NNNNN.png (source | samples) and out/results.jsonl, return the summary.
    Each result names its source (sources[i], e.g. the input file) when given.

    With world records, concept retention compares the probes' reading of each sample with the
    source's true concepts. With an observer (a classifier), the summary adds its top-1 agreement.
    """
    out = Path(out)
    (out / "grids").mkdir(parents=True, exist_ok=True)
    layer = inverter.config.layer
    cosines, agreements, observed, rows, all_samples, predicted, truth = [], [], [], [], [], [], []
    seconds = 0.0
    with progress_bar() as bar:
        task = bar.add_task("invert", total=len(images), info="")
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            maps = inverter.feature_maps(chunk)
            t0 = time.perf_counter()
            generated = inverter.invert_maps(
                maps,
                samples=samples,
                steps=steps,
                sampler=sampler,
                guidance=guidance,
                seed=seed + start,
                steering=steering,
            )
            seconds += time.perf_counter() - t0
            flat = generated.flatten(0, 1)
            gen_maps = inverter.feature_maps(flat).cpu()
            src_maps = maps.cpu().repeat_interleave(samples, 0)
            cos = feature_cosine(src_maps, gen_maps).view(len(chunk), samples)
            with torch.no_grad():
                src_logits = inverter.classifier(chunk.to(inverter.device)).cpu().repeat_interleave(samples, 0)
                gen_logits = inverter.classifier(flat.to(inverter.device)).cpu()
            agree = topk_agreement(src_logits, gen_logits).view(len(chunk), samples)
            if observer is not None:
                observed.append(observer_agreement(observer, chunk.repeat_interleave(samples, 0), flat))
            if probes is not None and records is not None:
                from genlens.measure.probes import probe_truth

                predicted += probes.predict_names(flat)
                truth += [probe_truth(records[start + i]) for i in range(len(chunk)) for _ in range(samples)]
            for i in range(len(chunk)):
                n = start + i
                image_grid(torch.cat([chunk[i : i + 1].cpu(), generated[i]]), samples + 1).save(
                    out / "grids" / f"{n:05d}.png"
                )
                rows.append(
                    {
                        "id": n,
                        **({"source": sources[n]} if sources is not None else {}),
                        "grid": f"grids/{n:05d}.png",
                        "feature_cosine": [round(v, 4) for v in cos[i].tolist()],
                        "top1_agreement": agree[i].tolist(),
                    }
                )
            cosines.append(cos)
            agreements.append(agree)
            all_samples.append(generated)
            bar.update(task, advance=len(chunk))
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = {
        "classifier": inverter.config.classifier,
        "layer": layer,
        "pooled": inverter.config.pooled,
        "n": len(images),
        "samples": samples,
        "steps": steps,
        "sampler": sampler,
        "guidance": guidance,
        "feature_cosine": round(float(torch.cat(cosines).mean()), 4),
        "top1_agreement": round(float(torch.cat(agreements).mean()), 4),
        "observer": getattr(observer, "spec", None),
        "observer_agreement": round(float(torch.cat(observed).mean()), 4) if observed else None,
        "steering": asdict(steering) if steering is not None and steering.active else None,
        "concept_retention": {c: round(v, 4) for c, v in concept_retention(predicted, truth).items()}
        if truth
        else None,
        "diversity": round(diversity(torch.cat(all_samples)), 4),
        "seconds_per_image": round(seconds / (len(images) * samples), 4),
    }
    return summary
