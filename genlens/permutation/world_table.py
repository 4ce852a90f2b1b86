"""World data as a concept table, and the scenes behind its rows (what the renderer generator draws)."""

from __future__ import annotations

import numpy as np

from genlens.world import concepts, get_task
from genlens.world.scenes import BIN_CENTRES, SINGLE_JITTER, SceneBatch

#: The world's single-object caption (the first of its templates), over the probe concepts.
WORLD_TEMPLATE = "a {size} {color} {shape} {position} on a {background_pattern} {background_color} background"
WORLD_WORDS = {"position": concepts.POSITION_PHRASES, "background_pattern": concepts.PATTERN_ADJECTIVES}


def world_table(task: str, n: int, seed: int, split: str = "test", size: int = 32):
    """(ConceptTable, real images) for n renders of a single-object world task."""
    from genlens.measure.probes import probe_truth
    from genlens.permutation.table import ConceptTable

    sample = get_task(task).sample(n, seed=seed, split=split, size=size)
    truths = [probe_truth(r) for r in sample.records]
    columns = {c: [t[c] for t in truths] for c in concepts.PROBE_CONCEPTS}
    return ConceptTable(columns, sample.labels.numpy(), WORLD_TEMPLATE, WORLD_WORDS), sample.images


def scenes_from_rows(rows: list[dict[str, str]], seeds: list[int]) -> SceneBatch:
    """One single-object scene per row of probe-concept values; placement and rotation from its seed."""
    n = len(rows)
    xy, rotation = np.zeros((n, 1, 2), np.float32), np.zeros((n, 1), np.float32)
    for i, (row, seed) in enumerate(zip(rows, seeds)):
        rng = np.random.default_rng(seed)
        b = concepts.POSITION_BINS.index(row["position"])
        xy[i, 0] = np.asarray([BIN_CENTRES[b % 3], BIN_CENTRES[b // 3]]) + rng.uniform(-1, 1, 2) * SINGLE_JITTER
        rotation[i, 0] = rng.uniform(0, 360)
    index = {c: list(v) for c, v in concepts.PROBE_CONCEPTS.items()}
    return SceneBatch(
        pattern=np.asarray([index["background_pattern"].index(r["background_pattern"]) for r in rows]),
        background=np.asarray([index["background_color"].index(r["background_color"]) for r in rows]),
        present=np.ones((n, 1), bool),
        shape=np.asarray([[index["shape"].index(r["shape"])] for r in rows]),
        color=np.asarray([[index["color"].index(r["color"])] for r in rows]),
        size=np.asarray([[index["size"].index(r["size"])] for r in rows]),
        xy=xy,
        rotation=rotation,
    )
