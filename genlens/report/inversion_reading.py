"""Sentences on what an inversion's figures show about a layer, for the demo and reports.

A concept the inverter's samples carry shows that the layer's map holds it. A concept they do not carry
shows only that this inverter did not recover it: the map may hold it all the same (a decoder or a
better inverter may find it), so it is never called discarded."""

from __future__ import annotations

from pathlib import Path

#: Retention at or above which a concept counts as carried, and below which as not recovered.
CARRIED, NOT_RECOVERED = 0.9, 0.6


def _names(concepts: list[str]) -> str:
    return ", ".join(c.replace("_", " ") for c in concepts)


def retention_sentence(retention: dict[str, float], drawn: dict[str, float] | None = None) -> str:
    """What the samples carry (>= 0.9: the layer holds it) and do not recover (< 0.6: open). A concept
    the base model draws from a caption less than 90% of the time (drawn: its caption read-back) is
    named as the base's limit."""
    drawn = drawn or {}
    carried = [c for c, v in retention.items() if v >= CARRIED]
    low = [c for c, v in retention.items() if v < NOT_RECOVERED]
    undrawn = [c for c in low if drawn.get(c, 1.0) < CARRIED]
    missed = [c for c in low if c not in undrawn]
    if carried:
        sentence = f"The samples carry {_names(carried)}, so this layer's map holds {'it' if len(carried) == 1 else 'them'}."
    else:
        sentence = "The samples carry no concept reliably."
    if missed:
        sentence += (
            f" They do not recover {_names(missed)}: this inverter does not, which does not show that the "
            "layer lacks it (compare the decoder baseline with `genlens eval inversion`)."
        )
    if undrawn:
        figures = ", ".join(f"{drawn[c]:.2f}" for c in undrawn)
        sentence += (
            f" The base model draws {_names(undrawn)} poorly (caption read-back {figures}), so the low share of "
            f"{_names(undrawn)} here shows the base's limit, not the layer's."
        )
    return sentence


def classifier_figures_caveat(summary: dict) -> str:
    """Why feature cosine and top-1 agreement must not speak alone, with the summary's own figures."""
    shape = (summary.get("concept_retention") or {}).get("shape")
    others = []
    if shape is not None:
        others.append(f"the probes read the source's shape in {shape:.2f}")
    if summary.get("observer_agreement") is not None:
        others.append(f"{summary['observer']} agrees with the source's class in {summary['observer_agreement']:.2f}")
    tail = f"; here {' and '.join(others)}." if others else "."
    return (
        f"Feature cosine ({summary['feature_cosine']:.3f}) and top-1 agreement ({summary['top1_agreement']:.3f}) "
        "say what the inverted classifier sees, not what the image shows: a sample that loses the object on "
        "a low-contrast source can score both near 1. Read them with the concepts and the observer" + tail
    )


def mark_columns(rows_image, columns: int):
    """rows_image (a stack of source | samples grids) with a header strip naming the source column."""
    from PIL import Image, ImageDraw

    cell = rows_image.width // columns
    header = Image.new("RGB", (rows_image.width, 18), "white")
    draw = ImageDraw.Draw(header)
    draw.rectangle([0, 0, cell - 1, 17], fill=(40, 40, 40))
    draw.text((4, 3), "source", fill="white")
    draw.text((cell + 4, 3), "samples ->", fill="black")
    out = Image.new("RGB", (rows_image.width, rows_image.height + 18), "white")
    out.paste(header, (0, 0))
    out.paste(rows_image, (0, 18))
    return out


def read_back(card: Path) -> dict[str, float]:
    """A base model's caption read-back per concept, from its card ({} when unknown)."""
    import json

    return json.loads(card.read_text()).get("caption_probe_accuracy", {}) if card.is_file() else {}
