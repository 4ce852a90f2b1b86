"""Building a standalone HTML page: headings, paragraphs, tables and embedded PNG images."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genlens.world.renderer import to_uint8

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}img.grid{image-rendering:pixelated;border:1px solid #ccc}figure{margin:1em 0}
figcaption{font-size:.9em;color:#555}"""


def image_grid(images: torch.Tensor, columns: int, scale: int = 4, pad: int = 1) -> Image.Image:
    """(N, 3, H, W) images in [0, 1] tiled row-major into one PIL image, upscaled by scale."""
    pixels = to_uint8(images)
    n, h, w, _ = pixels.shape
    rows = (n + columns - 1) // columns
    canvas = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), 255, np.uint8)
    for i, p in enumerate(pixels):
        r, c = divmod(i, columns)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = p
    grid = Image.fromarray(canvas)
    return grid.resize((grid.width * scale, grid.height * scale), Image.NEAREST)


def png_data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class HtmlReport:
    """Accumulates sections and writes one standalone .html file."""

    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def image(self, image: Image.Image, caption: str = "") -> None:
        self.parts.append(
            f'<figure><img class="grid" src="{png_data_uri(image)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def svg(self, svg: str, caption: str = "") -> None:
        """A chart (an SVG string from genlens.report.charts) with a caption."""
        self.parts.append(f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>")

    def table(self, header: list[str], rows: list[list]) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
        self.parts.append(f"<table><tr>{head}</tr>{body}</table>")

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        page = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(self.parts)}</body></html>"
        )
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(page)
        tmp.replace(path)
        return path


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)
