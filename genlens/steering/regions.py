"""Where on a feature map an edit applies: the whole grid, a box of cells, the object, or a mask."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from genlens.errors import GenlensError

#: What --region takes.
REGION_HELP = "all, box:ROW0,COL0,ROW1,COL1 (grid cells, end exclusive), object (world sources) or mask:FILE.png"


def object_masks(masks: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """(N, H, W) share of each grid cell that each scene's first object covers, from bool masks or
    (better, exact at the edges) the renderer's soft masks (N, K, S, S)."""
    first = masks[:, 0].float().unsqueeze(1)
    return F.adaptive_avg_pool2d(first, grid).squeeze(1)


def box_mask(spec: str, grid: tuple[int, int]) -> torch.Tensor:
    """(H, W) mask of the cells ROW0 <= r < ROW1, COL0 <= c < COL1 from "ROW0,COL0,ROW1,COL1"."""
    try:
        r0, c0, r1, c1 = (int(v) for v in spec.split(","))
    except ValueError:
        raise GenlensError(f"box '{spec}' is not ROW0,COL0,ROW1,COL1") from None
    h, w = grid
    if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
        raise GenlensError(f"box {spec} is off the {h} x {w} grid (rows 0..{h}, columns 0..{w}, end exclusive)")
    mask = torch.zeros(h, w)
    mask[r0:r1, c0:c1] = 1.0
    return mask


def file_mask(path: Path, grid: tuple[int, int]) -> torch.Tensor:
    """(H, W) mask from an image file (any non-black pixel is in), resized to the grid."""
    from genlens.images import load_images

    image = load_images([Path(path)], max(grid))[0].mean(0, keepdim=True)
    mask = F.adaptive_avg_pool2d(image.unsqueeze(0), grid)[0, 0]
    if mask.max() <= 0:
        raise GenlensError(f"mask {path} is empty (all black)")
    return (mask > 0.5 * mask.max()).float()


def region_mask(spec: str, grid: tuple[int, int], n: int, masks: torch.Tensor | None = None) -> torch.Tensor:
    """(N, 1, H, W) weights of `spec` (see REGION_HELP) for n maps of the grid; `masks` are the
    sources' object masks (N, K, S, S), needed for "object"."""
    spec = spec.strip()
    if spec == "all":
        mask = torch.ones(grid)
    elif spec.startswith("box:"):
        mask = box_mask(spec[4:], grid)
    elif spec.startswith("mask:"):
        mask = file_mask(Path(spec[5:]), grid)
    elif spec == "object":
        if masks is None:
            raise GenlensError("--region object needs world sources (--world N): their object masks")
        return object_masks(masks, grid).unsqueeze(1)
    else:
        raise GenlensError(f"unknown region '{spec}': {REGION_HELP}")
    return mask.expand(n, 1, *grid).clone()
