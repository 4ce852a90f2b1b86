"""Options shared by every command, so their names and help read the same everywhere."""

from __future__ import annotations

import typer

Device = typer.Option("auto", "--device", help="auto, cpu or cuda.")
Seed = typer.Option(0, "--seed", help="Random seed; the same seed gives the same result.")
Json = typer.Option(False, "--json", help="Print one JSON object on stdout and nothing else there.")
Overwrite = typer.Option(False, "--overwrite", help="Replace an existing output folder.")
RandomInit = typer.Option(False, "--random-init", help="Build torchvision/timm models without pretrained weights.")
