"""Scenes with one concept set to a value: the same scenes, differing in that concept alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from genlens.errors import GenlensError
from genlens.world import concepts
from genlens.world.scenes import BIN_CENTRES, SceneBatch

#: Concepts of a scene's first object; the others belong to the background.
OBJECT_CONCEPTS = ("shape", "color", "size", "position")


def parse_concept_value(text: str) -> tuple[str, str]:
    """("color", "blue") from "color=blue", checked against the world's vocabularies."""
    concept, sep, value = text.partition("=")
    concept, value = concept.strip(), value.strip()
    if not sep or concept not in concepts.PROBE_CONCEPTS:
        raise GenlensError(f"'{text}' is not CONCEPT=VALUE with CONCEPT one of {', '.join(concepts.PROBE_CONCEPTS)}")
    check_value(concept, value)
    return concept, value


def check_value(concept: str, value: str) -> None:
    """Raise a one-line error unless value is one of the concept's values."""
    values = concepts.PROBE_CONCEPTS[concept]
    if value not in values:
        raise GenlensError(f"'{value}' is not a value of {concept}: one of {', '.join(values)}")


def with_value(scenes: SceneBatch, concept: str, value: str) -> SceneBatch:
    """A copy of scenes whose first object (or background) has `concept` = value, all else kept;
    a new position keeps the object's offset from its bin's centre."""
    check_value(concept, value)
    index = concepts.PROBE_CONCEPTS[concept].index(value)
    if concept == "background_pattern":
        return replace(scenes, pattern=np.full_like(scenes.pattern, index))
    if concept == "background_color":
        return replace(scenes, background=np.full_like(scenes.background, index))
    if concept == "position":
        xy = scenes.xy.copy()
        centres = np.asarray(BIN_CENTRES, dtype=np.float32)
        bins = np.asarray([[concepts.position_bin(float(x), float(y)) for x, y in row] for row in scenes.xy])
        offset = scenes.xy[:, 0] - np.stack([centres[bins[:, 0] % 3], centres[bins[:, 0] // 3]], -1)
        xy[:, 0] = np.asarray([centres[index % 3], centres[index // 3]], dtype=np.float32) + offset
        return replace(scenes, xy=xy)
    field = {"shape": "shape", "color": "color", "size": "size"}[concept]
    array = getattr(scenes, field).copy()
    array[:, 0] = index
    return replace(scenes, **{field: array})
