"""Where a world base model loses an object's shape: the probes' shape accuracy on the clean image the
model predicts from held-out images noised to each timestep, with their true captions and with none.

    python benchmarks/shape_by_noise.py [BASE_DIR] [--n 128] [--json]

A model that reads the caption's shape word keeps the shape (accuracy near 1) at every timestep where
the noisy image still shows where and how large the object is; without the caption the shape must
come from the pixels alone. The noisy input's own accuracy is printed beside as the floor.
"""

from __future__ import annotations

import argparse
import json

import torch

from genlens.world.seeds import EVAL_SEED
from genlens.generators.base_model import load_base
from genlens.generators.coordinates import with_coordinates
from genlens.generators.denoising_loss import predicted_clean
from genlens.shipped import WORLD_BASE
from genlens.measure.probes import ConceptProbe, probe_truth
from genlens.world import get_task

TIMESTEPS = (50, 150, 300, 450, 600, 750, 900)


def shape_accuracy(probes: ConceptProbe, images: torch.Tensor, truth: list[str]) -> float:
    said = probes.predict_names(((images + 1) / 2).clamp(0, 1))
    return sum(s["shape"] == t for s, t in zip(said, truth)) / len(truth)


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default=WORLD_BASE)
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pipe, probes = load_base(args.base), ConceptProbe.load()
    sample = get_task("shape").sample(args.n, seed=EVAL_SEED, split="test", size=pipe.image_size)
    truth = [probe_truth(r)["shape"] for r in sample.records]
    clean = sample.images * 2 - 1
    rows = []
    for t_value in TIMESTEPS:
        noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(t_value))
        t = torch.full((len(clean),), t_value)
        noisy = pipe.scheduler.add_noise(clean, noise, t)
        row = {"t": t_value, "alpha_bar": round(float(pipe.scheduler.alphas_cumprod[t_value]), 3)}
        row["noisy_input"] = shape_accuracy(probes, noisy, truth)
        for name, captions in (("with_caption", sample.captions), ("without_caption", [""] * len(clean))):
            states = pipe.encode_prompt(captions)
            v = pipe.unet(with_coordinates(noisy, pipe.unet.config), t, encoder_hidden_states=states).sample
            row[name] = shape_accuracy(probes, predicted_clean(pipe.scheduler, noisy, v, t), truth)
        rows.append(row)
    if args.json:
        print(json.dumps({"base": str(args.base), "n": args.n, "rows": rows}))
        return
    print("t      alpha-bar  noisy input  with caption  without caption")
    for r in rows:
        print(
            f"{r['t']:<6} {r['alpha_bar']:<10} {r['noisy_input']:<12.3f} "
            f"{r['with_caption']:<13.3f} {r['without_caption']:.3f}"
        )


if __name__ == "__main__":
    main()
