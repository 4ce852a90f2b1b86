"""Scene descriptions: a batch of scenes as arrays, sampled from a seeded generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genlens.world import concepts
from genlens.world.shapes import BOUNDING_RADIUS

#: Where single objects are centred within each third of the canvas, before jitter.
BIN_CENTRES = (0.2, 0.5, 0.8)
#: Half the spacing of bin centres: an object whose bounding radius plus jitter stays under it
#: cannot touch an object in a neighbouring bin.
HALF_SPACING = 0.15
SINGLE_JITTER = 0.05


@dataclass
class SceneBatch:
    """N scenes of up to K objects, one array per concept (indices into the vocabularies)."""

    pattern: np.ndarray  # (N,) int
    background: np.ndarray  # (N,) int
    present: np.ndarray  # (N, K) bool
    shape: np.ndarray  # (N, K) int
    color: np.ndarray  # (N, K) int
    size: np.ndarray  # (N, K) int
    xy: np.ndarray  # (N, K, 2) float, centres in [0, 1]^2
    rotation: np.ndarray  # (N, K) float, degrees

    def __len__(self) -> int:
        return len(self.pattern)

    def __getitem__(self, index) -> "SceneBatch":
        """The scenes at index (a slice or an index array), as a new batch."""
        return SceneBatch(**{f: getattr(self, f)[index] for f in self.__dataclass_fields__})

    @property
    def radius(self) -> np.ndarray:
        """(N, K) object radii as a fraction of the canvas side."""
        return np.asarray(list(concepts.SIZES.values()), dtype=np.float32)[self.size]

    def records(self) -> list[dict]:
        """One concept record per scene: background and objects, in the vocabularies' words."""
        shapes, colors, sizes = concepts.SHAPES, list(concepts.COLORS), list(concepts.SIZES)
        out = []
        for i in range(len(self)):
            objects = []
            for k in np.flatnonzero(self.present[i]):
                x, y = (float(v) for v in self.xy[i, k])
                objects.append(
                    {
                        "shape": shapes[self.shape[i, k]],
                        "color": colors[self.color[i, k]],
                        "size": sizes[self.size[i, k]],
                        "position": concepts.POSITION_BINS[concepts.position_bin(x, y)],
                        "x": round(x, 4),
                        "y": round(y, 4),
                        "rotation": round(float(self.rotation[i, k]), 2),
                    }
                )
            out.append(
                {
                    "background": {
                        "pattern": concepts.PATTERNS[self.pattern[i]],
                        "color": list(concepts.BACKGROUND_COLORS)[self.background[i]],
                    },
                    "objects": objects,
                }
            )
        return out


def sample_scenes(
    rng: np.random.Generator,
    n: int,
    n_objects: int = 1,
    shapes: np.ndarray | None = None,
    patterns: np.ndarray | None = None,
) -> SceneBatch:
    """Draw n scenes with n_objects objects each, every concept uniform unless given.

    Objects sit in distinct 3 x 3 bins. With several objects, sizes are limited to those whose
    bounding circle fits half the bin spacing, so objects never overlap.
    """
    if not 1 <= n_objects <= 9:
        raise ValueError(f"a scene holds 1 to 9 objects, got {n_objects}")
    radii = np.asarray(list(concepts.SIZES.values()))
    if n_objects == 1:
        allowed_sizes = np.arange(len(radii))
        jitter = np.full(len(radii), SINGLE_JITTER)
    else:
        allowed_sizes = np.flatnonzero(radii * BOUNDING_RADIUS < HALF_SPACING)
        jitter = np.clip(HALF_SPACING - radii * BOUNDING_RADIUS, 0.0, SINGLE_JITTER)
    k = n_objects
    bins = np.argsort(rng.random((n, 9)), axis=1)[:, :k]
    size = allowed_sizes[rng.integers(0, len(allowed_sizes), (n, k))]
    centres = np.asarray(BIN_CENTRES)
    offset = rng.uniform(-1.0, 1.0, (n, k, 2)) * jitter[size][..., None]
    xy = np.stack([centres[bins % 3], centres[bins // 3]], axis=-1) + offset
    return SceneBatch(
        pattern=rng.integers(0, len(concepts.PATTERNS), n) if patterns is None else np.asarray(patterns),
        background=rng.integers(0, len(concepts.BACKGROUND_COLORS), n),
        present=np.ones((n, k), dtype=bool),
        shape=rng.integers(0, len(concepts.SHAPES), (n, k)) if shapes is None else np.asarray(shapes).reshape(n, k),
        color=rng.integers(0, len(concepts.COLORS), (n, k)),
        size=size,
        xy=xy.astype(np.float32),
        rotation=rng.uniform(0.0, 360.0, (n, k)).astype(np.float32),
    )
