"""Fine-tune a world base model under other loss settings and read its captions back, for recipe pilots.

    python benchmarks/base_finetune.py BASE_DIR OUT_DIR --steps 300 --object-weight 8

continues BASE_DIR's training for --steps at a constant learning rate (so that two pilots differ only
in the setting under test), then prints the probes' accuracy on images generated from 256 held-out
captions (DPM-Solver++ 20 steps, guidance 1), as `genlens train defaults` records for the base.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from genlens.generators.base_model import load_base
from genlens.generators.denoising_loss import LossSettings
from genlens.generators.diffusion_training import train_diffusion
from genlens.measure.generation import caption_fidelity
from genlens.measure.probes import ConceptProbe
from genlens.training.loop import TrainSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--object-weight", type=float, default=LossSettings.object_weight)
    parser.add_argument("--timesteps", type=int, nargs=2, default=None, help="train on [low, high) only")
    parser.add_argument("--range-share", type=float, default=1.0, help="share of samples from --timesteps")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--n", type=int, default=256)
    args = parser.parse_args()
    settings = TrainSettings(
        steps=args.steps,
        batch_size=64,
        lr=args.lr,
        warmup=20,
        schedule="constant",
        weight_decay=0.0,
        max_grad_norm=1.0,
        checkpoint_every=100,
        seed=args.seed,
    )
    pipe, card = train_diffusion(
        args.out,
        settings,
        pipeline=load_base(args.base),
        loss_settings=LossSettings(
            object_weight=args.object_weight, timestep_range=args.timesteps, range_share=args.range_share
        ),
    )
    fidelity = caption_fidelity(pipe, ConceptProbe.load(), n=args.n)
    accuracy = fidelity["accuracy"]
    row = {
        "object_weight": args.object_weight,
        "timesteps": args.timesteps,
        "range_share": args.range_share,
        "steps": args.steps,
        "seconds": card["seconds"],
    }
    print(json.dumps({**row, **accuracy}))


if __name__ == "__main__":
    main()
