"""A user's labelled images: an ImageFolder tree (one subfolder per class), split once into a
training part drawn per step and a held-out part the card's accuracy is measured on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genlens.errors import GenlensError
from genlens.images import IMAGE_SUFFIXES, load_image
from genlens.world.seeds import step_seed

#: The share of each class's images held out for the test accuracy (at least one per class).
HELD_OUT = 0.1


class LabelledFolder:
    """(image, label) pairs of folder/CLASS/*.png, resized to size; class names in sorted order."""

    def __init__(self, folder: Path, size: int, seed: int = 0):
        folder = Path(folder)
        if not folder.is_dir():
            raise GenlensError(f"--data must be a folder with one subfolder of images per class, got {folder}")
        self.class_names: list[str] = []
        train, test = [], []
        rng = np.random.default_rng(seed)
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            files = sorted(q for q in sub.rglob("*") if q.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                continue
            label = len(self.class_names)
            self.class_names.append(sub.name)
            order = rng.permutation(len(files))
            cut = max(1, round(HELD_OUT * len(files))) if len(files) > 1 else 0
            test += [(files[i], label) for i in order[:cut]]
            train += [(files[i], label) for i in order[cut:]]
        if len(self.class_names) < 2:
            raise GenlensError(f"--data {folder} needs at least two class subfolders holding images")
        self.train, self.test, self.size, self.seed = train, test, size, seed

    def batch(self, n: int, step: int, process: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """The step's n training images (flipped horizontally half of the time) and labels."""
        g = torch.Generator().manual_seed(step_seed(self.seed, step, process))
        picks = torch.randint(0, len(self.train), (n,), generator=g).tolist()
        flips = (torch.rand(n, generator=g) < 0.5).tolist()
        images = [load_image(self.train[i][0], self.size) for i in picks]
        images = [im.flip(-1) if f else im for im, f in zip(images, flips)]
        return torch.stack(images), torch.tensor([self.train[i][1] for i in picks])

    def held_out(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every held-out image and its label."""
        return torch.stack([load_image(p, self.size) for p, _ in self.test]), torch.tensor([lab for _, lab in self.test])
