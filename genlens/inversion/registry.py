"""The shipped inverters inside the package, found by (classifier, layer, pooled)."""

from __future__ import annotations

import json
from pathlib import Path

from genlens.errors import GenlensError
from genlens.inversion.inverter import CONFIG_FILE


def inverters_root() -> Path:
    from genlens.shipped import weights_root

    return weights_root() / "inverters"


def shipped_inverters() -> list[dict]:
    """[{classifier, layer, pooled, path}] of every shipped inverter."""
    out = []
    for config in sorted(inverters_root().glob(f"*/{CONFIG_FILE}")):
        c = json.loads(config.read_text())
        out.append(
            {"classifier": c["classifier"], "layer": c["layer"], "pooled": c["pooled"], "path": str(config.parent)}
        )
    return out


def find_inverter(classifier: str, layer: str, pooled: bool = False) -> Path:
    """The folder of the shipped inverter for (classifier, layer, pooled), or a clear error."""
    for entry in shipped_inverters():
        if (entry["classifier"], entry["layer"], entry["pooled"]) == (classifier, layer, pooled):
            return Path(entry["path"])
    have = ", ".join(f"{e['classifier']} {e['layer']}{' (pooled)' if e['pooled'] else ''}" for e in shipped_inverters())
    raise GenlensError(
        f"no shipped inverter for {classifier} layer {layer}{' (pooled)' if pooled else ''}; "
        f"shipped: {have or 'none'}; train one with `genlens train inverter`"
    )
