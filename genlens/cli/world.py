"""`genlens world render`: write labelled world images with their concepts and captions."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.options import MAX_COUNT
from genlens.cli.app import app, emit
from genlens.cli.outputs import claim_folder, mark_run
from genlens.world import TASKS, get_task
from genlens.world.files import write_sample

world_app = typer.Typer(no_args_is_help=True, help="The concept world: render labelled images.")
app.add_typer(world_app, name="world")


@world_app.command("render")
def render_command(
    out: Path = typer.Option(..., "--out", help="Folder to write images/ and concepts.jsonl to."),
    task: str = typer.Option("shape", "--task", help=f"One of: {', '.join(TASKS)}."),
    n: int = typer.Option(16, "--n", help="Number of images.", min=0, max=MAX_COUNT),
    seed: int = options.Seed,
    size: int = typer.Option(32, "--size", help="Image side in pixels.", min=0, max=MAX_COUNT),
    split: str = typer.Option("test", "--split", help="train or test: independent scenes (every task draws both splits alike)."),
    masks: bool = typer.Option(False, "--masks", help="Also write masks/*.png (0 background, k+1 object k).", metavar=""),
    overwrite: bool = options.Overwrite,
    as_json: bool = options.Json,
):
    """Render N images of a task; the same arguments write byte-identical files. An earlier render
    in --out is replaced; any other non-empty folder only with --overwrite."""
    claim_folder(out, "world render", overwrite, clear=False)
    sample = get_task(task).sample(n, seed=seed, split=split, size=size)
    jsonl = write_sample(sample, out, overwrite=True, masks=masks)
    mark_run(out, "world render")
    emit(
        {"out": str(out), "concepts": str(jsonl), "task": task, "n": n, "seed": seed, "size": size, "split": split},
        as_json,
        lambda o: print(f"wrote {o['n']} images and {o['concepts']}"),
    )
