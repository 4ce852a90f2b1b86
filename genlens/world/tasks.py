"""Labelled tasks over the world: which scenes are drawn and what their label is."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from genlens.errors import GenlensError
from genlens.world import concepts
from genlens.world.captions import captions as make_captions
from genlens.world.renderer import render
from genlens.world.scenes import SceneBatch, sample_scenes

SPLITS = ("train", "test")


@dataclass
class WorldSample:
    """Rendered images with everything known about them."""

    images: torch.Tensor  # (N, 3, H, W) float in [0, 1]
    labels: torch.Tensor  # (N,) long
    masks: torch.Tensor  # (N, K, H, W) bool
    records: list[dict]
    captions: list[str]
    class_names: tuple[str, ...]
    scenes: SceneBatch

    def __len__(self) -> int:
        return len(self.labels)


def _rng(seed: int, split: str, stream: int) -> np.random.Generator:
    """Independent generators per (seed, split, stream), so train and test never share a scene."""
    return np.random.default_rng([seed, SPLITS.index(split), stream])


class Task:
    """A task draws scenes for a split and labels them."""

    name: str = ""
    class_names: tuple[str, ...] = ()

    def scenes(self, rng: np.random.Generator, n: int, split: str) -> SceneBatch:
        raise NotImplementedError

    def labels(self, scenes: SceneBatch) -> np.ndarray:
        raise NotImplementedError

    def annotate(self, records: list[dict], scenes: SceneBatch) -> None:
        """Add task-specific concepts to the records (in place)."""

    def sample(
        self, n: int, seed: int = 0, split: str = "test", size: int = 32, rotation: float | np.ndarray | None = None
    ) -> WorldSample:
        """Render n labelled images of this task, deterministic in (n, seed, split, size).

        rotation (degrees) turns every object of scene i to rotation[i] (a number: every scene alike;
        0: upright, the pose each shape is defined in) and leaves every other draw as it is: the same
        scenes, in that pose. None keeps the world's own uniform rotation of each object.
        """
        if split not in SPLITS:
            raise GenlensError(f"unknown split '{split}', expected one of {', '.join(SPLITS)}")
        if n < 1:
            raise GenlensError(f"the number of images must be at least 1, got {n}")
        scenes = self.scenes(_rng(seed, split, 0), n, split)
        if rotation is not None:
            scenes.rotation[:] = np.broadcast_to(np.asarray(rotation, dtype=np.float32).reshape(-1, 1), scenes.rotation.shape)
        return self.from_scenes(scenes, size, _rng(seed, split, 1))

    def from_scenes(self, scenes: SceneBatch, size: int = 32, caption_rng: np.random.Generator | None = None) -> WorldSample:
        """Render given scenes (edited ones, say) with this task's labels, records and captions."""
        images, masks = render(scenes, size)
        records = scenes.records()
        self.annotate(records, scenes)
        return WorldSample(
            images=images,
            labels=torch.as_tensor(self.labels(scenes), dtype=torch.long),
            masks=masks,
            records=records,
            captions=make_captions(records, caption_rng if caption_rng is not None else np.random.default_rng(0)),
            class_names=self.class_names,
            scenes=scenes,
        )


class ShapeTask(Task):
    """One object per scene; label = its shape; every other concept independent."""

    name = "shape"
    class_names = concepts.SHAPES

    def scenes(self, rng, n, split):
        return sample_scenes(rng, n)

    def labels(self, scenes):
        return scenes.shape[:, 0]


@dataclass
class ShortcutTask(ShapeTask):
    """Label = shape, but the background pattern agrees with it with probability `agreement`.

    Shape i goes with pattern i; otherwise the pattern is drawn from the other patterns. Both
    splits carry the shortcut; the `shape` task's test split is the shortcut-free control.
    """

    agreement: float = 0.95
    name = "shortcut"

    def scenes(self, rng, n, split):
        shapes = rng.integers(0, len(concepts.SHAPES), n)
        agree = rng.random(n) < self.agreement
        other = (shapes + rng.integers(1, len(concepts.PATTERNS), n)) % len(concepts.PATTERNS)
        return sample_scenes(rng, n, shapes=shapes, patterns=np.where(agree, shapes, other))


DEPICT6_CONCEPTS: tuple[tuple[str, str], ...] = tuple(
    (color, shape) for color in ("red", "green", "blue") for shape in ("circle", "square")
)


@dataclass
class Depict6Task(Task):
    """DEPICT's synthetic protocol: six concepts (red, green, blue x circle, square), each present
    with probability 0.5 in distinct bins without overlap; label = w . s above its median.

    The median is exact: s is uniform on {0, 1}^6, so it is the median of w . s over all 64 states.
    """

    weights: tuple[float, ...] = field(
        default_factory=lambda: tuple(np.random.default_rng(0).uniform(0, 1, 6).round(4).tolist())
    )
    presence: float = 0.5
    name = "depict6"
    class_names = ("below", "above")

    @property
    def concept_names(self) -> tuple[str, ...]:
        return tuple(f"{c} {s}" for c, s in DEPICT6_CONCEPTS)

    @property
    def threshold(self) -> float:
        states = (np.arange(64)[:, None] >> np.arange(6)[None]) & 1
        return float(np.median(states @ np.asarray(self.weights)))

    def indicators(self, scenes: SceneBatch) -> np.ndarray:
        """(N, 6) 0/1 presence of each concept."""
        out = np.zeros((len(scenes), 6), dtype=np.int64)
        shapes, colors = concepts.SHAPES, list(concepts.COLORS)
        for j, (color, shape) in enumerate(DEPICT6_CONCEPTS):
            hit = scenes.present & (scenes.shape == shapes.index(shape)) & (scenes.color == colors.index(color))
            out[:, j] = hit.any(1)
        return out

    def scenes(self, rng, n, split):
        present = rng.random((n, 6)) < self.presence
        base = sample_scenes(rng, n, n_objects=6)
        shapes, colors = concepts.SHAPES, list(concepts.COLORS)
        base.shape[:] = [shapes.index(s) for _, s in DEPICT6_CONCEPTS]
        base.color[:] = [colors.index(c) for c, _ in DEPICT6_CONCEPTS]
        base.present = present
        base.pattern[:] = 0
        base.background[:] = 0
        return base

    def labels(self, scenes):
        return (self.indicators(scenes) @ np.asarray(self.weights) > self.threshold).astype(np.int64)

    def annotate(self, records, scenes):
        for record, row in zip(records, self.indicators(scenes)):
            record["indicators"] = dict(zip(self.concept_names, (int(v) for v in row)))


TASKS: dict[str, type[Task]] = {"shape": ShapeTask, "shortcut": ShortcutTask, "depict6": Depict6Task}


def get_task(name: str) -> Task:
    """The task called name, with its default parameters."""
    if name not in TASKS:
        raise GenlensError(f"unknown task '{name}', expected one of {', '.join(TASKS)}")
    return TASKS[name]()
