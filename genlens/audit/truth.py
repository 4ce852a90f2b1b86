"""The world's ground truth for an audit: the concept a task's label depends on, its shortcut, and
what the classifier relies on, measured exactly by permuting each concept in exact renders."""

from __future__ import annotations

from genlens.errors import GenlensError

#: Per single-object world task: the concept its label depends on and the shortcut that agrees with it.
TASK_TRUTH: dict[str, dict] = {
    "shape": {"label_concept": "shape", "shortcut": None},
    "shortcut": {"label_concept": "shape", "shortcut": "background_pattern"},
}


def task_truth(task: str) -> dict:
    """{"task", "label_concept", "shortcut"} for a single-object world task."""
    if task not in TASK_TRUTH:
        raise GenlensError(f"the audit's ground truth covers the tasks {', '.join(TASK_TRUTH)}, not '{task}'")
    return {"task": task, **TASK_TRUTH[task]}


def relied_on(classifier, task: str, rows: int, repeats: int, seed: int) -> dict:
    """What the classifier relies on: permutation importance with the renderer as the generator,
    every permuted row drawn exactly, so the ranking has no generator error. {"relies_on": the
    top concept, "ranking": [{concept, drop, ci95}], "metric", "baseline"}."""
    from genlens.permutation.generation import RendererGenerator
    from genlens.permutation.run import depict
    from genlens.permutation.world_table import world_table
    from genlens.world.seeds import EVAL_SEED

    table, _ = world_table(task, rows, EVAL_SEED + seed, size=classifier.input_size)
    result, _ = depict(classifier, table, table.labels, RendererGenerator(classifier.input_size), repeats=repeats, seed=seed)
    ranking = [{k: r[k] for k in ("concept", "drop", "ci95")} for r in result["importance"]]
    return {
        "relies_on": ranking[0]["concept"],
        "ranking": ranking,
        "metric": result["metric"],
        "baseline": result["baseline"]["generated"],
    }
