"""Writing a rendered WorldSample to a folder: images/*.png and concepts.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from genlens.errors import GenlensError
from genlens.training.checkpoint import atomic_dir, publish_dir
from genlens.world.renderer import to_uint8
from genlens.world.tasks import WorldSample


def object_label_map(masks) -> "np.ndarray":
    """(K, H, W) object masks to one (H, W) uint8 map: 0 background, k + 1 for object k."""
    label_map = np.zeros(masks.shape[1:], dtype=np.uint8)
    for k, mask in enumerate(masks):
        label_map[mask.numpy()] = k + 1
    return label_map


def write_sample(sample: WorldSample, out: Path, overwrite: bool = False, masks: bool = False) -> Path:
    """Write sample to out (images/, concepts.jsonl, and masks/ if asked); returns the jsonl path.

    The folder is assembled beside out and renamed into place, so a failed write leaves nothing
    half-done. An existing out is replaced only with overwrite=True.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise GenlensError(f"{out} already exists; pass --overwrite to replace it")
    tmp = atomic_dir(out)
    (tmp / "images").mkdir()
    pixels = to_uint8(sample.images)
    width = max(5, len(str(len(sample) - 1)))
    lines = []
    for i, (array, record, caption) in enumerate(zip(pixels, sample.records, sample.captions)):
        name = f"images/{i:0{width}d}.png"
        Image.fromarray(array).save(tmp / name, optimize=False)
        entry = {
            "id": i,
            "file": name,
            "label": int(sample.labels[i]),
            "class": sample.class_names[int(sample.labels[i])],
            "concepts": record,
            "caption": caption,
        }
        if masks:
            mask_name = f"masks/{i:0{width}d}.png"
            (tmp / "masks").mkdir(exist_ok=True)
            Image.fromarray(object_label_map(sample.masks[i])).save(tmp / mask_name)
            entry["mask"] = mask_name
        lines.append(json.dumps(entry, sort_keys=True))
    (tmp / "concepts.jsonl").write_text("\n".join(lines) + "\n")
    publish_dir(tmp, out)
    return out / "concepts.jsonl"
