"""Training images for inverters: fresh world renders, or a user's folder of images."""

from __future__ import annotations

from pathlib import Path

import torch

from genlens.world.seeds import step_seed
from genlens.errors import GenlensError
from genlens.images import image_paths, load_image
from genlens.world import get_task


class WorldImages:
    """Fresh `shape`-task renders for every step (infinite, deterministic per step)."""

    def __init__(self, size: int, seed: int = 0):
        self.size, self.seed = size, seed

    def batch(self, n: int, step: int, process: int = 0) -> torch.Tensor:
        return self.masked_batch(n, step, process)[0]

    def masked_batch(self, n: int, step: int, process: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """The step's images and their (N, K, H, W) object masks."""
        sample = get_task("shape").sample(n, seed=step_seed(self.seed, step, process), split="train", size=self.size)
        return sample.images, sample.masks


class FolderImages:
    """Images from an ImageFolder tree or a flat folder, resized to size, drawn with a seeded
    generator per step, flipped horizontally half of the time."""

    def __init__(self, folder: Path, size: int, seed: int = 0):
        if not Path(folder).is_dir():
            raise GenlensError(f"--data must be a folder of images, got {folder}")
        self.paths = image_paths([Path(folder)])
        self.size, self.seed = size, seed

    def batch(self, n: int, step: int, process: int = 0) -> torch.Tensor:
        g = torch.Generator().manual_seed(step_seed(self.seed, step, process))
        idx = torch.randint(0, len(self.paths), (n,), generator=g).tolist()
        flips = (torch.rand(n, generator=g) < 0.5).tolist()
        images = [load_image(self.paths[i], self.size) for i in idx]
        return torch.stack([im.flip(-1) if f else im for im, f in zip(images, flips)])

    def masked_batch(self, n: int, step: int, process: int = 0) -> tuple[torch.Tensor, None]:
        """The step's images; a user's images come without object masks."""
        return self.batch(n, step, process), None
