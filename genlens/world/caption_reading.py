"""World captions read back into concept records: the inverse of `world.captions`, so that a caption a
user writes can say what it asks for (critic guidance, read-back figures) without a record beside it."""

from __future__ import annotations

import re

from genlens.world.concepts import (
    BACKGROUND_COLORS,
    COLORS,
    PATTERN_ADJECTIVES,
    POSITION_PHRASES,
    SHAPES,
    SIZES,
)


def _either(words) -> str:
    return "(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


_PATTERN_OF = {adjective: pattern for pattern, adjective in PATTERN_ADJECTIVES.items()}
_POSITION_OF = {phrase: position for position, phrase in POSITION_PHRASES.items()}
_BACKGROUND = re.compile(rf"\b{_either(_PATTERN_OF)} {_either(BACKGROUND_COLORS)} background\b")
_OBJECT = re.compile(rf"\ba {_either(SIZES)} {_either(COLORS)} {_either(SHAPES)} {_either(_POSITION_OF)}")


def read_caption(text: str) -> dict:
    """The concept record a world caption names: {"objects": [{shape, color, size, position}, ...],
    "background": {pattern, color} or {}}. Parts a caption does not name in the world's phrasing are
    left out (an empty object list for a caption that names none)."""
    text = " ".join(text.lower().split())
    background = _BACKGROUND.search(text)
    objects = [
        {"size": size, "color": color, "shape": shape, "position": _POSITION_OF[phrase]}
        for size, color, shape, phrase in _OBJECT.findall(text)
    ]
    named = {"pattern": _PATTERN_OF[background[1]], "color": background[2]} if background else {}
    return {"objects": objects, "background": named}


def caption_truth(text: str) -> dict[str, str]:
    """The probe concepts (probe vocabulary) a caption names unambiguously: its object's shape,
    colour, size and position when it names exactly one object, and its background's pattern and
    colour when it names one."""
    record = read_caption(text)
    truth = {}
    if len(record["objects"]) == 1:
        truth.update(record["objects"][0])
    if record["background"]:
        truth.update(background_pattern=record["background"]["pattern"], background_color=record["background"]["color"])
    return truth
