"""World GAN design pilots: one design per run, the recipe's settings otherwise.

    python benchmarks/gan_pilots.py OUT --steps 1000 [--critic DIR] [--projected-input] [--r1-gamma G]

trains into OUT (checkpoints every 250 steps, resumable) and prints the card's figures; read a
checkpoint on the way with `genlens eval gan --gan OUT` once finished.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from genlens.linking.gan_training import GANSettings, train_gan
from genlens.linking.world_gan import WorldGANConfig
from genlens.recipes import RECIPES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--critic", default=None)
    parser.add_argument("--critic-weight", type=float, default=1.0)
    parser.add_argument("--projected-input", action="store_true")
    parser.add_argument("--r1-gamma", type=float, default=GANSettings.r1_gamma)
    parser.add_argument("--spectral-norm", action="store_true")
    parser.add_argument("--loss", default="nonsaturating", choices=["nonsaturating", "hinge"])
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--d-lr-ratio", type=float, default=1.0)
    parser.add_argument("--mode-seeking", type=float, default=0.0)
    parser.add_argument("--eval-n", type=int, default=200)
    args = parser.parse_args()
    recipe = RECIPES["world-gan"]
    settings = replace(recipe.settings, steps=args.steps, lr=args.lr or recipe.settings.lr)
    gan = GANSettings(task=recipe.task, critic=args.critic, critic_weight=args.critic_weight,
                      r1_gamma=args.r1_gamma, loss=args.loss, d_lr_ratio=args.d_lr_ratio,
                      mode_seeking=args.mode_seeking)
    config = WorldGANConfig(projected_input=args.projected_input, spectral_norm=args.spectral_norm)
    _, card = train_gan(args.out, settings, gan, config, eval_n=args.eval_n)
    print(json.dumps({"design": vars(args) | {"out": str(args.out)}, "metrics": card.get("metrics"), "seconds": card["seconds"]}, default=str))


if __name__ == "__main__":
    main()
