"""Train one shipped inverter recipe with another feature-matching weight, for the ablation in BENCHMARKS.md.

    python benchmarks/inverter_feature_loss.py inverters/world-cnn-layer3 0 --root DIR [--whitened [--whitened-loss]] [--steps N]

trains into DIR/ablation/NAME-wW[-whitened[-loss]][-sN] with the recipe's seed (and steps unless given), on the base, probes and classifiers
found in DIR (else the shipped ones), and prints the card; measure it with
`genlens invert --inverter DIR/ablation/... --world 256 --samples 1 --steps 20 --json`.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import replace
from pathlib import Path

from genlens.recipes import RECIPES, train_one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="an inverter recipe, e.g. inverters/world-cnn-layer3")
    parser.add_argument("weight", type=float, help="feature-matching weight (0: FeatInv's loss)")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--whitened", action="store_true", help="the ControlNet reads the map whitened")
    parser.add_argument("--whitened-loss", action="store_true", help="with --whitened: the feature term whitened alike")
    parser.add_argument("--steps", type=int, help="training steps (the recipe's by default)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    recipe = replace(RECIPES[args.name], feature_weight=args.weight, whitened=args.whitened, whitened_loss=args.whitened_loss)
    if args.steps:
        recipe = replace(recipe, settings=replace(recipe.settings, steps=args.steps))
    RECIPES[args.name] = recipe
    suffix = ("-whitened" if args.whitened else "") + ("-loss" if args.whitened_loss else "")
    suffix += f"-s{args.steps}" if args.steps else ""
    out = args.root / "ablation" / f"{args.name.split('/')[-1]}-w{args.weight:g}{suffix}"
    card = train_one(args.name, out, args.root, args.device)
    shutil.rmtree(out / "checkpoints", ignore_errors=True)
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
