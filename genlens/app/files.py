"""What the explorer may read: files under the folders named on the command line, and uploads
that are images of a bounded size."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from genlens.errors import GenlensError

#: Largest upload (bytes) and largest decoded image side (pixels) the explorer accepts.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 4096
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


class Folders:
    """The folders a user named: a relative name resolves inside one of them or not at all."""

    def __init__(self, roots: list[Path] | None = None):
        self.roots = [Path(r).resolve() for r in roots or []]
        for root in self.roots:
            if not root.is_dir():
                raise GenlensError(f"--folder {root} is not a folder")

    def resolve(self, name: str) -> Path:
        """The file `name` (relative to a named folder, or absolute inside one), after resolving
        links and '..': a path that leaves every named folder is refused."""
        if not self.roots:
            raise GenlensError("no folder was named: start `genlens serve --folder DIR` to pick files")
        name = (name or "").strip()
        if not name:
            raise GenlensError("give a file name inside the named folders")
        for root in self.roots:
            candidate = (root / name).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        raise GenlensError(f"'{name}' is not a file inside the named folders")

    def images(self, limit: int = 500) -> list[str]:
        """Image files under the folders, as the names `resolve` takes (the first `limit`)."""
        found = []
        for root in self.roots:
            for path in sorted(root.rglob("*")):
                if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and path.resolve().is_relative_to(root):
                    found.append(str(path.relative_to(root)))
                    if len(found) >= limit:
                        return found
        return found


def checked_image(path: str | Path) -> Image.Image:
    """An RGB image from an upload or a picked file, or a one-line error: not an image, over the size
    limit, or decoded larger than MAX_SIDE on a side."""
    path = Path(path)
    if not path.is_file():
        raise GenlensError("the image is missing")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise GenlensError(f"the image is over the {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB limit")
    try:
        with Image.open(path) as image:
            if image.format not in IMAGE_FORMATS:
                raise GenlensError(f"{image.format} is not an accepted image type ({', '.join(sorted(IMAGE_FORMATS))})")
            if max(image.size) > MAX_SIDE:
                raise GenlensError(f"the image is {image.size[0]}x{image.size[1]}; the largest side accepted is {MAX_SIDE}")
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise GenlensError(f"not a readable image: {e}") from None
