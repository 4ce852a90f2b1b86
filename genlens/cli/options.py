"""Options shared by every command, so their names and help read the same everywhere."""

from __future__ import annotations

import typer

Device = typer.Option("auto", "--device", help="auto, cpu or cuda.")
#: Bounds every numeric option is checked against (a usage error, exit 2, beyond them): counts and
#: steps, seeds (what torch and numpy generators take), and rates, weights and scales.
MAX_COUNT, MAX_SEED, MAX_SCALE = 10_000_000, 2**32 - 1, 1e6

Seed = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed; the same seed gives the same result.")
Steps = typer.Option(20, "--steps", help="Sampling steps.", min=0, max=MAX_COUNT)
Sampler = typer.Option("dpm", "--sampler", help="dpm (DPM-Solver++) or ddim.")
CriticGuidance = typer.Option(
    None, "--critic-guidance", min=0.0, max=MAX_SCALE,
    help="Strength of the base's critic guidance towards what each caption names (default: the base's own; 0: off).",
)
CaptionGuidance = typer.Option(
    None, "--guidance", min=0.0, max=MAX_SCALE, help="Classifier-free guidance scale (default: the base's own; 1: off).",
)
Reader = typer.Option("world-vit", "--reader", help="Independent reader beside the probes (a classifier naming one concept's values), or none.")
Blur = typer.Option(0.0, "--blur", help="Gaussian blur of the renders first, sigma in pixels.", min=0.0, max=MAX_SCALE)
Noise = typer.Option(0.0, "--noise", help="Gaussian pixel noise of the renders first, sd (images in [0, 1]).", min=0.0, max=MAX_SCALE)
Json = typer.Option(False, "--json", help="Print one JSON object on stdout and nothing else there.", metavar="")
Overwrite = typer.Option(False, "--overwrite", help="Replace an existing output folder.", metavar="")
RandomInit = typer.Option(False, "--random-init", help="Build torchvision/timm models without pretrained weights.", metavar="")
#: The user's own weights for a timm:/torchvision: classifier (see classifiers.user_models).
Weights = typer.Option(
    None, "--weights", help="Your weights for a timm:NAME or torchvision:NAME classifier (.safetensors, or a .pt/.pth state dict)."
)
#: The rest of a shell glob after `--images a.jpg` (b.jpg c.jpg ...), so that `--images dir/*.jpg` works.
MoreImages = typer.Argument(None, hidden=True, metavar="[MORE_IMAGES]...")


def image_list(first: list | None, more: list | None) -> list:
    """--images values and the paths a shell glob left after them; paths without --images are an error."""
    from genlens.errors import GenlensError

    if more and not first:
        raise GenlensError(f"unexpected argument '{more[0]}'; give image files with --images PATH ...")
    return list(first or []) + list(more or [])


def load_model(spec: str, weights, device: str):
    """The model option group loaded: (the spec with the user's weights, the classifier on its
    device, that device)."""
    from genlens.classifiers.loader import load_classifier
    from genlens.classifiers.user_models import with_weights
    from genlens.device import resolve_device

    spec = with_weights(spec, weights)
    dev = resolve_device(device)
    return spec, load_classifier(spec, device=dev), dev


def report_option(*files: str):
    """--report FOLDER: where report.html (and the named files) go."""
    return typer.Option(None, "--report", help="Folder for " + " and ".join(["report.html", *files]) + ".")
