"""Time and read a full unit sweep: every unit of a link, both modes, the default 50 sources x 7 steps.

    python benchmarks/link_units.py LINK_DIR [--faithful]

Prints the sweep's seconds and label counts per mode (the figures BENCHMARKS.md records).
"""

from __future__ import annotations

import json
import subprocess
import sys


def main() -> None:
    args = ["genlens", "link", "units", "--link", sys.argv[1], "--json", *sys.argv[2:]]
    out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    print(json.dumps({"seconds": out["seconds"], "counts": {m: r["counts"] for m, r in out["modes"].items()}}))


if __name__ == "__main__":
    main()
