"""`genlens eval classifier|probes`: accuracy on fresh held-out world renders."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.classifiers.loader import load_classifier
from genlens.classifiers.training import accuracy
from genlens.world.seeds import EVAL_SEED
from genlens.cli import options
from genlens.cli.options import MAX_COUNT, MAX_SEED
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.device import resolve_device
from genlens.errors import GenlensError
from genlens.world import TASKS, get_task

eval_app = typer.Typer(no_args_is_help=True, help="Measure models on fresh world renders.")
app.add_typer(eval_app, name="eval")


@eval_app.command("classifier")
def eval_classifier(
    spec: str = typer.Argument(..., help="Classifier spec."),
    task: str = typer.Option("shape", "--task", help=f"One of: {', '.join(TASKS)}."),
    n: int = typer.Option(1000, "--n", help="Number of test images.", min=0, max=MAX_COUNT),
    seed: int = typer.Option(EVAL_SEED, "--seed", help="Render seed of the test images.", min=0, max=MAX_SEED),
    blur: float = options.Blur,
    noise: float = options.Noise,
    random_init: bool = options.RandomInit,
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Accuracy of a classifier on N fresh test renders of TASK, blurred and noised if asked."""
    if n < 1:
        raise GenlensError(f"--n must be at least 1, got {n}")
    classifier = load_classifier(spec, random_init=random_init, device=resolve_device(device))
    acc = accuracy(classifier, get_task(task), n, seed=seed, blur=blur, noise=noise)
    emit(
        {"model": spec, "task": task, "n": n, "blur": blur, "noise": noise, "accuracy": round(acc, 4)},
        as_json,
        lambda o: print(f"{spec} on {task}: accuracy {o['accuracy']:.4f} (n={n})"),
    )


@eval_app.command("probes")
def eval_probes(
    n: int = typer.Option(1000, "--n", help="Number of test images.", min=0, max=MAX_COUNT),
    seed: int = typer.Option(EVAL_SEED, "--seed", help="Render seed of the test images.", min=0, max=MAX_SEED),
    probes: Path = typer.Option(None, "--probes", help="A probes folder; the shipped probes by default."),
    blur: float = options.Blur,
    noise: float = options.Noise,
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Per-concept accuracy of the concept probes on N fresh test renders, blurred and noised if asked."""
    from genlens.measure.probe_training import probe_accuracy
    from genlens.measure.probes import ConceptProbe

    if n < 1 or blur < 0 or noise < 0:
        raise GenlensError(f"--n must be at least 1 and --blur, --noise at least 0, got {n}, {blur}, {noise}")
    acc = probe_accuracy(ConceptProbe.load(probes).to(resolve_device(device)), n, seed=seed, blur=blur, noise=noise)
    emit(
        {"n": n, "blur": blur, "noise": noise, "accuracy": acc},
        as_json,
        lambda o: [print(f"{c:20s} {v:.4f}") for c, v in o["accuracy"].items()],
    )


@eval_app.command("diffusion")
@run_options(overwrite=False)
def eval_diffusion(
    base: str = typer.Option("world", "--base", help="'world' (the shipped base) or a pipeline folder."),
    n: int = typer.Option(256, "--n", help="Held-out captions, one image each.", min=0, max=MAX_COUNT),
    scenes: int = typer.Option(
        None, "--scenes", help="Held-out depict6 captions read by the concept predictor (default: --n; 0: none).", min=0, max=MAX_COUNT
    ),
    steps: int = options.Steps,
    sampler: str = options.Sampler,
    guidance: float = options.CaptionGuidance,
    critic_guidance: float = options.CriticGuidance,
    probes: Path = typer.Option(None, "--probes", help="A probes folder; the shipped probes by default."),
    reader: str = options.Reader,
    run: Run = Run(),
):
    """Per-concept share of generated images that the probes read as their caption says, beside the
    share that an independent reader (world-vit: the shape) reads so; and on multi-object depict6
    captions, the share in which the depict6 concept predictor reads each concept's presence so."""
    from genlens.classifiers.loader import load_folder
    from genlens.generators.base_model import load_base
    from genlens.generators.samplers import check_sampling
    from genlens.inversion.protocol import SamplingConfig
    from genlens.measure.generation import caption_fidelity, scene_fidelity
    from genlens.measure.probes import ConceptProbe
    from genlens.measure.reader import load_reader
    from genlens.shipped import weights_root

    check_sampling(steps, sampler, guidance)
    if n < 1:
        raise GenlensError(f"--n must be at least 1, got {n}")
    dev = resolve_device(run.device)
    pipe = load_base(base, dev)
    sampling = SamplingConfig(steps, sampler, guidance, run.seed, critic_guidance)
    result = caption_fidelity(pipe, ConceptProbe.load(probes).to(dev), n, sampling, reader=load_reader(reader, dev))
    guidance_in_force, critic_in_force = pipe.sampling_guidance(guidance, critic_guidance)
    out = {
        "base": base,
        "n": n,
        "steps": steps,
        "sampler": sampler,
        "guidance": guidance_in_force,
        "critic_guidance": critic_in_force,
        "accuracy": result["accuracy"],
        "reader": result["reader"],
        "scenes": None,
    }
    scenes = n if scenes is None else scenes
    if scenes:
        predictor = load_folder(weights_root() / "depict6-concepts").to(dev).eval()
        read = scene_fidelity(pipe, predictor, scenes, sampling)
        out["scenes"] = {"n": scenes, "presence": read["presence"]}
    emit(out, run.as_json, _print_fidelity)


def _print_fidelity(o: dict) -> None:
    for c, v in o["accuracy"].items():
        print(f"{c:20s} {v:.4f}")
    if o["reader"]:
        r = o["reader"]
        print(f"{r['concept'] + ' (' + r['spec'] + ')':20s} {r['agreement']:.4f}")
    if o.get("scenes"):
        print(f"depict6 captions (n = {o['scenes']['n']}), presence read as captioned:")
        for c, v in o["scenes"]["presence"].items():
            print(f"  {c:18s} {v:.4f}")


def _show_gan(o: dict) -> None:
    for truncation, readers in o["agreement"].items():
        print(f"truncation {truncation}: " + ", ".join(f"{k} agrees with the class {v}" for k, v in readers.items()))
    missing = {k: v["missing"] for k, v in o["coverage"].items() if v["missing"]}
    print("every concept value appears" if not missing else f"missing values: {missing}")
    print(f"Fréchet distance to real renders: probes {o['frechet']['probes']}, observer {o['frechet']['observer']}")


@eval_app.command("gan")
@run_options(overwrite=False)
def eval_gan_command(
    gan: str = typer.Option("world-gan", "--gan", help="world-gan (shipped) or a GAN folder."),
    n: int = typer.Option(1000, "--n", help="Samples per truncation.", min=0, max=MAX_COUNT),
    run: Run = Run(),
):
    """Measure a world GAN: world-cnn's and world-vit's agreement with the conditioning class at
    truncation 1 and 0.7, which concept values appear, and Fréchet distances to real renders."""
    from genlens.linking.gan_eval import evaluate_gan
    from genlens.linking.generator import load_generator

    if n < 10:
        raise GenlensError(f"--n must be at least 10, got {n}")
    generator = load_generator(gan, resolve_device(run.device))
    emit({"gan": gan, **evaluate_gan(generator, n=n, seed=EVAL_SEED + run.seed)}, run.as_json, _show_gan)
