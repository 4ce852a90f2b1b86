"""The two audits the audit's claims rest on, each timed as a whole command:

    python benchmarks/audit_quick.py OUT

runs `genlens audit --classifier C --task shortcut --quick` for world-cnn-shortcut and world-cnn
and prints one JSON line per classifier: wall seconds, what each method answered, whether it
agrees with the ground truth, and the units selective for the background pattern.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CLASSIFIERS = ("world-cnn-shortcut", "world-cnn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    for spec in CLASSIFIERS:
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "genlens", "audit", "--classifier", spec, "--task", "shortcut", "--quick",
             "--report", str(args.out / spec), "--overwrite", "--json"],
            check=True, capture_output=True, text=True,
        )
        result = json.loads(done.stdout)
        print(json.dumps({
            "classifier": spec,
            "wall_seconds": round(time.perf_counter() - t0, 1),
            "relies_on": result["truth"]["relies_on"],
            "answers": {m: v["answer"] for m, v in result["verdicts"].items()},
            "agree": {m: v["agrees"] for m, v in result["verdicts"].items()},
            "pattern_units": result["linking"]["counts"]["selective"]["background_pattern"],
            "parts_seconds": result["seconds"],
        }), flush=True)


if __name__ == "__main__":
    main()
