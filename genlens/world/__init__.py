"""The concept world: a procedural renderer whose every concept is known."""

from genlens.world.renderer import render, to_uint8
from genlens.world.scenes import SceneBatch, sample_scenes
from genlens.world.tasks import (
    TASKS,
    Depict6Task,
    ShapeTask,
    ShortcutTask,
    Task,
    WorldSample,
    get_task,
)

__all__ = [
    "TASKS",
    "Depict6Task",
    "SceneBatch",
    "ShapeTask",
    "ShortcutTask",
    "Task",
    "WorldSample",
    "get_task",
    "render",
    "sample_scenes",
    "to_uint8",
]
