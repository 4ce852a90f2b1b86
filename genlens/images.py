"""Loading users' image files as classifier input, with documented conversions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from genlens.errors import GenlensError
from genlens.progress import stderr

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def warn(message: str) -> None:
    """One warning line on stderr."""
    stderr.print(f"[yellow]warning:[/] {message}", highlight=False)


#: Grayscale modes wider than 8 bits, and the value that stands for white in each (PIL's "I" holds
#: 16-bit PNGs too; "F" is taken to be in [0, 1]).
WIDE_GREY: dict[str, float] = {"I;16": 65535.0, "I;16L": 65535.0, "I;16B": 65535.0, "I;16N": 65535.0, "I": 65535.0, "F": 1.0}


def load_image(path: Path | str, size: int) -> torch.Tensor:
    """(3, size, size) float image in [0, 1].

    Grayscale, palette and RGBA images are converted to RGB (alpha composited on black), and an
    image of another size is resized with antialiasing, each with a warning. A missing or
    unreadable file raises GenlensError.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            if mode in WIDE_GREY:
                warn(f"{path}: converting {mode} (high bit depth grayscale) image to RGB")
                grey = np.asarray(im, dtype=np.float32) / WIDE_GREY[mode]
                array = np.repeat(grey.clip(0, 1)[..., None], 3, axis=2)
            elif mode != "RGB":
                warn(f"{path}: converting {mode} image to RGB")
                if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
                    rgba = im.convert("RGBA")
                    im = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
                im = im.convert("RGB")
            if mode not in WIDE_GREY:
                array = np.asarray(im, dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise GenlensError(f"image not found: {path}") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise GenlensError(f"cannot read image {path}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'no detail'}") from None
    image = torch.from_numpy(array).permute(2, 0, 1)
    if image.shape[1:] != (size, size):
        warn(f"{path}: resizing {image.shape[2]}x{image.shape[1]} to the model's {size}x{size}")
        image = resize(image[None], size)[0]
    return image.clamp(0, 1)


def resize(images: torch.Tensor, size: int | None) -> torch.Tensor:
    """(N, C, H, W) images at size x size (bilinear, antialiased); as given when already that size or size is None."""
    if size is None or images.shape[-2:] == (size, size):
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def image_paths(paths: list[Path]) -> list[Path]:
    """Files as given, and the image files inside any folder given (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in IMAGE_SUFFIXES))
        else:
            out.append(p)
    if not out:
        raise GenlensError("no images given")
    return out


def load_images(paths: list[Path], size: int) -> torch.Tensor:
    """(N, 3, size, size) from files and folders of images."""
    return torch.stack([load_image(p, size) for p in image_paths(paths)])
