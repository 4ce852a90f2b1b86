"""`genlens demo` idle and beside competing CPU load: whole-command wall time of each.

    python benchmarks/demo_under_load.py [--busy 2] [--n 100]

runs the demo once on an idle machine, then again while --busy processes spin on the CPU, and prints
one JSON line with both times and their ratio (the demo runs its jobs in one-thread processes, one per core).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPIN = "while True:\n    pass\n"


def demo_seconds(out: Path, n: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "genlens", "demo", "--out", str(out), "--n", str(n), "--json"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - t0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=2)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="genlens-demo-load-"))
    idle = demo_seconds(root / "idle", args.n)
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(args.busy)]
    try:
        time.sleep(65)  # let the one-minute load average see the competing processes
        loaded = demo_seconds(root / "loaded", args.n)
    finally:
        for s in spinners:
            s.kill()
    print(json.dumps({"idle_seconds": idle, "loaded_seconds": loaded, "busy_processes": args.busy,
                      "ratio": round(loaded / idle, 2)}))


if __name__ == "__main__":
    main()
