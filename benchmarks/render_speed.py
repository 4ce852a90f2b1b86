"""Images per second of the world renderer (in memory), per task and resolution.

Run: python benchmarks/render_speed.py [--n 4000] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from genlens.world import get_task


def measure(task: str, size: int, n: int, repeats: int = 3) -> float:
    get_task(task).sample(64, seed=0, size=size)  # warm-up
    best = 0.0
    for r in range(repeats):
        t0 = time.perf_counter()
        get_task(task).sample(n, seed=r + 1, size=size)
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [
        {"task": t, "size": s, "images_per_second": round(measure(t, s, args.n))}
        for t in ("shape", "shortcut", "depict6")
        for s in (32, 64)
    ]
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
        "torch": torch.__version__,
        "n": args.n,
        "rows": rows,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for r in rows:
            print(f"{r['task']:9s} {r['size']:3d}px  {r['images_per_second']:7d} images/s")


if __name__ == "__main__":
    main()
