"""`genlens eval classifier|probes`: accuracy on fresh held-out world renders."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.classifiers.loader import load_classifier
from genlens.classifiers.training import EVAL_SEED, accuracy
from genlens.cli import options
from genlens.cli.app import app, emit
from genlens.device import resolve_device
from genlens.world import TASKS, get_task

eval_app = typer.Typer(no_args_is_help=True, help="Measure models on fresh world renders.")
app.add_typer(eval_app, name="eval")


@eval_app.command("classifier")
def eval_classifier(
    spec: str = typer.Argument(..., help="Classifier spec."),
    task: str = typer.Option("shape", "--task", help=f"One of: {', '.join(TASKS)}."),
    n: int = typer.Option(1000, "--n", help="Number of test images."),
    seed: int = typer.Option(EVAL_SEED, "--seed", help="Render seed of the test images."),
    random_init: bool = options.RandomInit,
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Accuracy of a classifier on N fresh test renders of TASK."""
    classifier = load_classifier(spec, random_init=random_init, device=resolve_device(device))
    acc = accuracy(classifier, get_task(task), n, seed=seed)
    emit(
        {"model": spec, "task": task, "n": n, "accuracy": round(acc, 4)},
        as_json,
        lambda o: print(f"{spec} on {task}: accuracy {o['accuracy']:.4f} (n={n})"),
    )


@eval_app.command("probes")
def eval_probes(
    n: int = typer.Option(1000, "--n", help="Number of test images."),
    seed: int = typer.Option(EVAL_SEED, "--seed", help="Render seed of the test images."),
    probes: Path = typer.Option(None, "--probes", help="A probes folder; the shipped probes by default."),
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Per-concept accuracy of the concept probes on N fresh test renders."""
    from genlens.measure.probe_training import probe_accuracy
    from genlens.measure.probes import ConceptProbe

    acc = probe_accuracy(ConceptProbe.load(probes).to(resolve_device(device)), n, seed=seed)
    emit({"n": n, "accuracy": acc}, as_json, lambda o: [print(f"{c:20s} {v:.4f}") for c, v in o["accuracy"].items()])


@eval_app.command("diffusion")
def eval_diffusion(
    base: str = typer.Option("world", "--base", help="'world' (shipped) or a pipeline folder."),
    n: int = typer.Option(256, "--n", help="Held-out captions, one image each."),
    steps: int = typer.Option(20, "--steps"),
    sampler: str = typer.Option("dpm", "--sampler"),
    guidance: float = typer.Option(1.0, "--guidance"),
    seed: int = options.Seed,
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Per-concept share of generated images that the probes read as their caption says."""
    from genlens.generators.base_model import load_base
    from genlens.generators.samplers import check_sampling
    from genlens.inversion.inverter import resolve_base
    from genlens.measure.generation import caption_fidelity
    from genlens.measure.probes import ConceptProbe

    check_sampling(steps, sampler, guidance)
    dev = resolve_device(device)
    result = caption_fidelity(
        load_base(resolve_base(base), dev), ConceptProbe.load().to(dev), n, steps, sampler, guidance, seed
    )
    out = {
        "base": base,
        "n": n,
        "steps": steps,
        "sampler": sampler,
        "guidance": guidance,
        "accuracy": result["accuracy"],
    }
    emit(out, as_json, lambda o: [print(f"{c:20s} {v:.4f}") for c, v in o["accuracy"].items()])
