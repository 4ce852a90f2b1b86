"""Morphology of the object in world-like images, read from the pixels alone (no masks needed):
area, centre, outline descriptors, colour and the background's brightness and texture."""

from __future__ import annotations

import numpy as np
import torch

#: The statistics `morphology` returns, one value per image. hue is an angle in turns ([0, 1), circular).
MORPHOLOGY: tuple[str, ...] = (
    "area", "x", "y", "eccentricity", "solidity", "luma", "hue", "background_luma", "background_entropy",
)
CIRCULAR = ("hue",)
#: RGB distance from both background colours above which a pixel belongs to the object.
OBJECT_DISTANCE = 0.25
#: Saturation (max - min over RGB, over max) above which a border pixel is taken for the object's: the
#: world's objects are saturated (0.83 or more), its backgrounds muted (0.68 or less).
SATURATED = 0.75


def saturation(pixels: torch.Tensor) -> torch.Tensor:
    """HSV saturation of (..., 3) RGB pixels."""
    high, low = pixels.max(-1).values, pixels.min(-1).values
    return (high - low) / high.clamp_min(1e-6)


def background_colours(images: torch.Tensor, iterations: int = 6) -> torch.Tensor:
    """(N, 2, 3): the two colours of each image's border (background and pattern), by 2-means over
    the border's muted pixels (an object touching the border is left out), started from the darkest
    and brightest of them."""
    border = torch.cat([images[..., 0, :], images[..., -1, :], images[..., 1:-1, 0], images[..., 1:-1, -1]], -1)
    pixels = border.transpose(1, 2)  # (N, P, 3)
    muted = saturation(pixels) <= SATURATED
    muted = muted | ~muted.any(1, keepdim=True)  # an all-saturated border counts as background
    luma = pixels.mean(-1)
    idx = torch.stack([luma.masked_fill(~muted, 9).argmin(1), luma.masked_fill(~muted, -9).argmax(1)], 1)
    centres = torch.gather(pixels, 1, idx[..., None].expand(-1, -1, 3))
    for _ in range(iterations):
        nearest = torch.cdist(pixels, centres).argmin(-1)  # (N, P)
        for k in range(2):
            member = ((nearest == k) & muted).float()[..., None]
            count = member.sum(1)
            mean = (pixels * member).sum(1) / count.clamp_min(1)
            centres[:, k] = torch.where(count > 0, mean, centres[:, k])
    return centres


def object_masks(images: torch.Tensor) -> np.ndarray:
    """(N, H, W) bool: the largest connected region of pixels far from both background colours."""
    from skimage.measure import label

    images = images.float().cpu()
    colours = background_colours(images)
    flat = images.flatten(2).transpose(1, 2)  # (N, HW, 3)
    far = torch.cdist(flat, colours).min(-1).values > OBJECT_DISTANCE
    far = far.view(len(images), *images.shape[2:]).numpy()
    masks = np.zeros_like(far)
    for i, m in enumerate(far):
        if m.any():
            regions = label(m, connectivity=1)
            largest = np.bincount(regions.ravel())[1:].argmax() + 1
            masks[i] = regions == largest
    return masks


def morphology(images: torch.Tensor, masks: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """{statistic: (N,) float} for images in [0, 1] (masks from object_masks unless given); object
    statistics are NaN where no object is found, area is 0 there. x and y are fractions of the side."""
    from skimage.color import rgb2hsv
    from skimage.filters.rank import entropy
    from skimage.measure import regionprops
    from skimage.morphology import dilation, disk

    images = images.float().cpu()
    masks = object_masks(images) if masks is None else np.asarray(masks, dtype=bool)
    pixels = images.permute(0, 2, 3, 1).numpy()
    n, h, w, _ = pixels.shape
    out = {k: np.full(n, np.nan) for k in MORPHOLOGY}
    grey = (pixels.mean(-1) * 255 + 0.5).astype(np.uint8)
    for i in range(n):
        m = masks[i]
        outside = ~dilation(m, disk(1)).astype(bool) if m.any() else np.ones_like(m)
        out["background_luma"][i] = pixels[i].mean(-1)[outside].mean() if outside.any() else np.nan
        out["background_entropy"][i] = entropy(grey[i], disk(1))[outside].mean() if outside.any() else np.nan
        out["area"][i] = m.sum()
        if not m.any():
            continue
        region = regionprops(m.astype(np.uint8))[0]
        cy, cx = region.centroid
        out["x"][i], out["y"][i] = (cx + 0.5) / w, (cy + 0.5) / h
        out["eccentricity"][i], out["solidity"][i] = region.eccentricity, region.solidity
        out["luma"][i] = pixels[i].mean(-1)[m].mean()
        hue = rgb2hsv(pixels[i][m][None])[0, :, 0] * 2 * np.pi
        out["hue"][i] = (np.arctan2(np.sin(hue).mean(), np.cos(hue).mean()) / (2 * np.pi)) % 1.0
    out["area"] = out["area"] / (h * w)
    return out


def change(before: np.ndarray, after: np.ndarray, statistic: str) -> np.ndarray:
    """|after - before| per image, circular (in turns, at most 0.5) for hue."""
    d = np.abs(np.asarray(after, float) - np.asarray(before, float))
    return np.minimum(d, 1 - d) if statistic in CIRCULAR else d
