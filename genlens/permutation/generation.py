"""Generation for DEPICT: text-to-image pipelines or the world renderer, behind a (caption, seed) cache."""

from __future__ import annotations

import torch

from genlens.progress import progress_bar


class PipelineGenerator:
    """Any text-to-image pipeline of genlens (the world model, SD 1.x): one image per (caption, seed),
    at classifier-free guidance `guidance` (None: the pipeline's own)."""

    def __init__(self, pipe, steps: int = 20, sampler: str = "dpm", guidance: float | None = None, batch_size: int = 64):
        self.pipe, self.steps, self.sampler, self.guidance, self.batch_size = pipe, steps, sampler, guidance, batch_size

    def generate(self, captions: list[str], rows: list[dict], seeds: list[int]) -> torch.Tensor:
        generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
        return self.pipe(
            captions, steps=self.steps, sampler=self.sampler, guidance=self.guidance, generator=generators
        ).cpu()


class RendererGenerator:
    """The world renderer as a generator: each caption's row rendered exactly (DEPICT's ideal generator
    and its upper bound). A row is a dict of probe-concept values (placement and rotation from its
    seed) or a one-scene SceneBatch (the depict6 protocol's rows)."""

    def __init__(self, size: int = 32, batch_size: int = 256):
        self.size, self.batch_size = size, batch_size

    def generate(self, captions: list[str], rows: list, seeds: list[int]) -> torch.Tensor:
        import numpy as np

        from genlens.permutation.world_table import scenes_from_rows
        from genlens.world.renderer import render
        from genlens.world.scenes import SceneBatch

        if rows and isinstance(rows[0], SceneBatch):
            fields = SceneBatch.__dataclass_fields__
            scenes = SceneBatch(**{f: np.concatenate([getattr(r, f) for r in rows]) for f in fields})
        else:
            scenes = scenes_from_rows(rows, seeds)
        return render(scenes, self.size)[0]


def load_caption_generator(spec: str, steps: int = 20, device="cpu", size: int = 32):
    """DEPICT's generator for a spec: 'renderer' (exact world renders at size), else a base model
    ('world', a folder or a hub id) sampled with steps solver steps."""
    if spec == "renderer":
        return RendererGenerator(size)
    from genlens.generators.base_model import load_base

    return PipelineGenerator(load_base(spec, device=device), steps=steps)


class GenerationCache:
    """Images by (caption, seed): each pair is generated once, in batches, whatever asks for it again.

    With a finite caption space and `pool` seeds per caption, rows that share a caption draw from the
    same pool of images, so permutation repeats mostly reuse generation.
    """

    def __init__(self, generator, pool: int | None = None):
        self.generator, self.pool = generator, pool
        self.images: dict[tuple[str, int], torch.Tensor] = {}
        self.generated = 0

    def seed_for(self, row_seed: int) -> int:
        return row_seed % self.pool if self.pool else row_seed

    def __call__(self, captions: list[str], rows: list[dict], seeds: list[int], description: str = "generate"):
        """(N, 3, S, S) images for the rows, generating only the (caption, seed) pairs not seen yet."""
        keys = [(c, self.seed_for(s)) for c, s in zip(captions, seeds)]
        todo = {}
        for key, row in zip(keys, rows):
            if key not in self.images and key not in todo:
                todo[key] = row
        if todo:
            items = list(todo.items())
            batch = getattr(self.generator, "batch_size", 64)
            with progress_bar() as bar:
                task = bar.add_task(description, total=len(items), info=f"{len(self.images)} cached")
                for start in range(0, len(items), batch):
                    chunk = items[start : start + batch]
                    images = self.generator.generate(
                        [k[0] for k, _ in chunk], [r for _, r in chunk], [k[1] for k, _ in chunk]
                    )
                    for (key, _), image in zip(chunk, images):
                        self.images[key] = image
                    self.generated += len(chunk)
                    bar.update(task, advance=len(chunk))
        return torch.stack([self.images[k] for k in keys])
