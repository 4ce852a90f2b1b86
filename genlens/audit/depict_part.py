"""The audit's DEPICT part: the task's concepts ranked by the classifier's drop when each is
permuted across captions, images drawn by a text-conditioned generator, with its own checks."""

from __future__ import annotations


def depict_answer(classifier, task: str, settings, device, probes, reader) -> tuple[dict, object]:
    """(result, runs) as `genlens permute --world TASK` gives them, sized by settings."""
    from genlens.permutation.generation import load_caption_generator
    from genlens.permutation.run import depict
    from genlens.permutation.world_table import world_table
    from genlens.world.seeds import EVAL_SEED

    table, real = world_table(task, settings.depict_rows, EVAL_SEED + settings.seed, size=classifier.input_size)
    generator = load_caption_generator(settings.generator, settings.depict_steps, device, classifier.input_size)
    result, runs = depict(
        classifier, table, table.labels, generator, real, probes,
        repeats=settings.depict_repeats, seed=settings.seed, reader=reader,
    )
    result["generator"] = settings.generator
    result.pop("generated_images", None)
    return result, runs
