"""`genlens layers` and `genlens predict`: inspect a classifier and run it on image files."""

from __future__ import annotations

from pathlib import Path

import torch
import typer
from rich.console import Console
from rich.table import Table

from genlens.classifiers.loader import load_classifier
from genlens.cli import options
from genlens.classifiers.user_models import with_weights
from genlens.cli.app import app, emit
from genlens.device import resolve_device
from genlens.features import list_layers
from genlens.errors import GenlensError
from genlens.images import image_paths, load_image
from genlens.progress import stderr


@app.command("layers")
def layers_command(
    spec: str = typer.Argument(..., help="Classifier: world-cnn, world-vit, torchvision:NAME, timm:NAME or a folder."),
    weights: Path = options.Weights,
    random_init: bool = options.RandomInit,
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """List every layer of a classifier with its output shape (C, H, W for spatial and token maps)."""
    spec = with_weights(spec, weights)
    classifier = load_classifier(spec, random_init=random_init, device=resolve_device(device))
    shapes = list_layers(classifier)
    result = {
        "model": spec,
        "input_size": classifier.input_size,
        "layers": [{"name": n, "shape": list(s)} for n, s in shapes],
    }

    def show(o):
        table = Table(title=f"{spec} ({o['input_size']} px input)")
        table.add_column("layer")
        table.add_column("shape")
        for layer in o["layers"]:
            table.add_row(layer["name"], " x ".join(map(str, layer["shape"])))
        Console().print(table)

    emit(result, as_json, show)


@app.command("predict")
def predict_command(
    spec: str = typer.Argument(..., help="Classifier spec."),
    weights: Path = options.Weights,
    images: list[Path] = typer.Argument(..., help="Image files or folders of images."),
    random_init: bool = options.RandomInit,
    device: str = options.Device,
    as_json: bool = options.Json,
):
    """Classify image files (converted to RGB and resized to the model's input size, with a warning).
    Unreadable files are listed under "unreadable" (one error line each) and make the exit code 2; the
    readable ones are classified all the same."""
    spec = with_weights(spec, weights)
    classifier = load_classifier(spec, random_init=random_init, device=resolve_device(device))
    readable, loaded, unreadable = [], [], []
    for path in image_paths(images):
        try:
            loaded.append(load_image(path, classifier.input_size))
            readable.append(path)
        except GenlensError as e:
            unreadable.append({"file": str(path), "error": str(e)})
    if not readable:
        raise GenlensError(unreadable[0]["error"] if len(unreadable) == 1 else f"none of the {len(unreadable)} images is readable")
    with torch.no_grad():
        probs = classifier.eval()(torch.stack(loaded).to(classifier.mean.device)).softmax(1).cpu()
    result = {
        "model": spec,
        "predictions": [
            {"file": str(p), "class": classifier.class_names[int(q.argmax())], "probability": round(float(q.max()), 4)}
            for p, q in zip(readable, probs)
        ],
        "unreadable": unreadable,
    }
    emit(
        result,
        as_json,
        lambda o: [print(f"{r['file']}\t{r['class']}\t{r['probability']:.3f}") for r in o["predictions"]],
    )
    for bad in unreadable:
        stderr.print(f"[red]error:[/] {bad['error']}", highlight=False, soft_wrap=True)
    if unreadable:
        raise typer.Exit(2)
