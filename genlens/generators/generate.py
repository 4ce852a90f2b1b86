"""Text to images with a base pipeline: every image from its own seed, so that any one of them can
be drawn again alone (`genlens generate --caption C --seed S`) and reads the same bytes on the CPU."""

from __future__ import annotations

import torch

from genlens.errors import GenlensError
from genlens.progress import progress_bar


def check_vocabulary(tokenizer, captions: list[str]) -> None:
    """Refuse captions with a word the tokenizer cannot represent (its unknown token)."""
    unk = tokenizer.unk_token_id
    if unk is None:
        return
    for caption in captions:
        if not caption.strip():
            raise GenlensError("a caption is empty")
        words = caption.split()
        for word in words:
            if unk in tokenizer(word, add_special_tokens=False).input_ids:
                raise GenlensError(f"the word '{word}' in '{caption}' is outside the base model's vocabulary")


@torch.no_grad()
def generate(
    pipe,
    captions: list[str],
    n_per_caption: int = 1,
    steps: int = 20,
    sampler: str = "dpm",
    guidance: float | None = None,
    seed: int = 0,
    batch_size: int = 64,
    critic_guidance: float | None = None,
) -> tuple[torch.Tensor, list[dict]]:
    """n_per_caption images for each caption, image k drawn from seed + k (k counts every image, in
    order), at classifier-free guidance `guidance` and the base's critic guidance at critic_guidance
    (None: the base's own for either); returns (N, 3, S, S) images in [0, 1] and one {"caption", "seed"}
    record per image."""
    records = []
    for caption in captions:
        for _ in range(n_per_caption):
            records.append({"caption": caption, "seed": seed + len(records)})
    parts = []
    with progress_bar() as bar:
        task = bar.add_task("generate", total=len(records), info="")
        for i in range(0, len(records), batch_size):
            chunk = records[i : i + batch_size]
            generators = [torch.Generator().manual_seed(r["seed"]) for r in chunk]
            parts.append(
                pipe([r["caption"] for r in chunk], steps=steps, sampler=sampler, guidance=guidance,
                     generator=generators, critic_guidance=critic_guidance).cpu()
            )
            bar.update(task, advance=len(chunk))
    return torch.cat(parts), records
