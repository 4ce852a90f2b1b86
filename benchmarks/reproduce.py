"""Train a shipped model again from its recipe and compare its fp16 weights with the shipped ones.

    python benchmarks/reproduce.py depict6-concepts [--out DIR]

prints one JSON line: the recipe, seconds, how many tensors are byte-identical, and the largest
difference among the rest.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from genlens.recipes import RECIPES, train_one
from genlens.shipped import shipped


def weight_files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*.safetensors") if "checkpoints" not in p.parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=list(RECIPES))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="genlens-reproduce-"))
    t0 = time.perf_counter()
    train_one(args.name, root / args.name, root, args.device)
    seconds = round(time.perf_counter() - t0, 1)
    ours, theirs = root / args.name, shipped(args.name)
    same, total, largest = 0, 0, 0.0
    for rel in weight_files(theirs):
        a, b = load_file(theirs / rel), load_file(ours / rel)
        for key, tensor in a.items():
            total += 1
            if torch.equal(tensor, b[key]):
                same += 1
            else:
                largest = max(largest, float((tensor.float() - b[key].float()).abs().max()))
    print(json.dumps({"name": args.name, "seconds": seconds, "tensors": total, "identical": same, "largest_difference": largest}))


if __name__ == "__main__":
    main()
