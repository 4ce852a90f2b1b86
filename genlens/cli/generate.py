"""`genlens generate`: the base model's own verb, captions to images."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.options import MAX_COUNT
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.outputs import claim_folder, mark_run
from genlens.device import resolve_device
from genlens.errors import GenlensError


def read_captions(captions: list[str] | None, captions_file: Path | None) -> list[str]:
    """The captions given on the command line or, one per line, in a file (blank lines skipped)."""
    if bool(captions) == (captions_file is not None):
        raise GenlensError("give captions with --caption TEXT (repeatable) or --captions FILE, not both")
    if captions_file is not None:
        try:
            lines = Path(captions_file).read_text().splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise GenlensError(f"cannot read captions from {captions_file}: {e}") from None
        captions = [line.strip() for line in lines if line.strip()]
        if not captions:
            raise GenlensError(f"{captions_file} holds no caption")
    return list(captions)


@app.command("generate")
@run_options()
def generate_command(
    caption: list[str] = typer.Option(None, "--caption", help="A caption; repeat for several."),
    captions_file: Path = typer.Option(None, "--captions", help="A text file, one caption per line."),
    n_per_caption: int = typer.Option(1, "--n-per-caption", help="Images per caption.", min=0, max=MAX_COUNT),
    base: str = typer.Option("world", "--base", help="'world' (the shipped base), a pipeline folder or hub id."),
    steps: int = options.Steps,
    sampler: str = options.Sampler,
    guidance: float = options.CaptionGuidance,
    critic_guidance: float = options.CriticGuidance,
    out: Path = typer.Option(..., "--out", help="Output folder: images/, generated.jsonl, grid.png."),
    run: Run = Run(),
):
    """Generate images from captions with a base model: DIR/images/*.png, DIR/generated.jsonl (file,
    caption, seed per image; that caption and seed alone draw the image again) and DIR/grid.png."""
    from genlens.generators.base_model import load_base
    from genlens.generators.generate import check_vocabulary, generate
    from genlens.generators.samplers import check_sampling
    from genlens.report.html import image_grid
    from genlens.training.checkpoint import atomic_dir, publish_dir
    from genlens.world.renderer import to_uint8

    texts = read_captions(caption, captions_file)
    if n_per_caption < 1:
        raise GenlensError(f"--n-per-caption must be at least 1, got {n_per_caption}")
    check_sampling(steps, sampler, guidance)
    claim_folder(out, "generate", run.overwrite, clear=False)
    pipe = load_base(base, resolve_device(run.device))
    check_vocabulary(pipe.tokenizer, texts)
    t0 = time.perf_counter()
    images, records = generate(pipe, texts, n_per_caption, steps, sampler, guidance, run.seed, critic_guidance=critic_guidance)
    seconds = round(time.perf_counter() - t0, 2)

    from PIL import Image

    tmp = atomic_dir(out.resolve())
    (tmp / "images").mkdir()
    pixels = to_uint8(images)
    with (tmp / "generated.jsonl").open("w") as f:
        for i, (record, p) in enumerate(zip(records, pixels)):
            name = f"images/{i:05d}.png"
            Image.fromarray(p).save(tmp / name)
            f.write(json.dumps({"file": name, **record}) + "\n")
    image_grid(images, columns=n_per_caption if n_per_caption > 1 else min(8, len(images))).save(tmp / "grid.png")
    if out.exists() and not out.is_dir():
        out.unlink()
    publish_dir(tmp, out.resolve())
    mark_run(out, "generate")
    emit(
        {"images": len(images), "out": str(out), "seconds": seconds},
        run.as_json,
        lambda o: print(f"{o['images']} images in {o['seconds']} s -> {out}"),
    )
