"""Plain-English captions built from concept records, with a few paraphrase templates."""

from __future__ import annotations

import numpy as np

from genlens.world.concepts import PATTERN_ADJECTIVES, POSITION_PHRASES

#: Templates for one object; {background} is e.g. "striped gray".
SINGLE_TEMPLATES: tuple[str, ...] = (
    "a {size} {color} {shape} {position} on a {background} background",
    "a {background} background with a {size} {color} {shape} {position}",
    "a picture of a {size} {color} {shape} {position}, on a {background} background",
)
#: Templates for several objects; {objects} is a list joined with commas and "and".
MULTI_TEMPLATES: tuple[str, ...] = (
    "{objects} on a {background} background",
    "a {background} background with {objects}",
    "a picture of {objects}, on a {background} background",
)
EMPTY_TEMPLATE = "an empty {background} background"


def describe_background(background: dict) -> str:
    return f"{PATTERN_ADJECTIVES[background['pattern']]} {background['color']}"


def describe_object(obj: dict) -> str:
    return f"a {obj['size']} {obj['color']} {obj['shape']} {POSITION_PHRASES[obj['position']]}"


def caption(record: dict, template: int = 0) -> str:
    """The caption of one concept record with the given paraphrase template."""
    background = describe_background(record["background"])
    objects = record["objects"]
    if not objects:
        return EMPTY_TEMPLATE.format(background=background)
    if len(objects) == 1:
        obj = objects[0]
        return SINGLE_TEMPLATES[template % len(SINGLE_TEMPLATES)].format(
            background=background,
            size=obj["size"],
            color=obj["color"],
            shape=obj["shape"],
            position=POSITION_PHRASES[obj["position"]],
        )
    parts = [describe_object(o) for o in objects]
    listed = ", ".join(parts[:-1]) + " and " + parts[-1]
    return MULTI_TEMPLATES[template % len(MULTI_TEMPLATES)].format(background=background, objects=listed)


def captions(records: list[dict], rng: np.random.Generator) -> list[str]:
    """Captions for records, each with a template drawn from rng."""
    templates = rng.integers(0, len(SINGLE_TEMPLATES), len(records))
    return [caption(r, int(t)) for r, t in zip(records, templates)]
