"""What an MSE-trained generator tends to: each caption's conditional mean image, read by the probes and
the reader.

An under-trained denoiser predicts the average of the images its caption allows (the notes' "hidden
Gaussian structure"). For each of N held-out captions, render K scenes with the caption's concepts and
fresh jitter inside the caption's position bin, objects turned at random (the world) or upright, average
them, and read the averages as `genlens eval diffusion` reads generated images:

    python benchmarks/conditional_means.py --n 256 --k 64 [--probes DIR --reader SPEC] [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from genlens.measure.fidelity import concept_retention
from genlens.measure.probes import ConceptProbe, probe_truth
from genlens.measure.reader import load_reader
from genlens.world.renderer import render
from genlens.world.scenes import BIN_CENTRES, SINGLE_JITTER
from genlens.world.seeds import held_out


def conditional_means(n: int, k: int, upright: bool, seed: int = 0) -> tuple[torch.Tensor, list[dict]]:
    """(n mean images of k renders per held-out caption, the captions' probe truths)."""
    sample = held_out(n)
    rng = np.random.default_rng(seed)
    scenes = sample.scenes[np.repeat(np.arange(n), k)]
    bins = np.clip((scenes.xy * 3).astype(int), 0, 2)
    scenes.xy = (np.asarray(BIN_CENTRES)[bins] + rng.uniform(-1, 1, scenes.xy.shape) * SINGLE_JITTER).astype(np.float32)
    turned = rng.uniform(0, 360, scenes.rotation.shape)
    scenes.rotation = (np.zeros_like(turned) if upright else turned).astype(np.float32)
    images, _ = render(scenes, 32)
    return images.view(n, k, *images.shape[1:]).mean(1), [probe_truth(r) for r in sample.records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--probes", default=None)
    parser.add_argument("--reader", default="world-vit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    probes, reader = ConceptProbe.load(args.probes), load_reader(args.reader)
    out = {}
    for mode in ("turned", "upright"):
        means, truth = conditional_means(args.n, args.k, upright=mode == "upright")
        read = concept_retention(probes.predict_names(means), truth)
        out[mode] = {"probes": {c: round(v, 3) for c, v in read.items()}, "reader": reader.report(means, truth)["agreement"]}
    if args.json:
        print(json.dumps(out))
        return
    for mode, o in out.items():
        print(f"{mode:8s} " + ", ".join(f"{c} {v}" for c, v in o["probes"].items()) + f"; reader (shape) {o['reader']}")


if __name__ == "__main__":
    main()
