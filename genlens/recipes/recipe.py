"""What every shipped model's recipe is: a group, fixed settings, and `train(out, root, device) -> card`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from genlens.training.loop import TrainSettings


class Recipe:
    """One shipped model's recipe. Subclasses are dataclasses with `settings` and implement `train`,
    which writes fp16 weights and a card (with `facts` added) into out and returns the card; models
    it builds on are looked up in root."""

    group: str
    settings: TrainSettings

    def train(self, out: Path, root: Path, device: str, facts: dict) -> dict:
        raise NotImplementedError

    def settings_on(self, device: str) -> TrainSettings:
        """The recipe's settings with the device a run asked for."""
        return replace(self.settings, device=device)


def in_root(root: Path, name: str) -> Path | None:
    """root/name if it was trained there, else None (the shipped one)."""
    return root / name if (root / name).is_dir() else None


def root_classifier(root: Path, spec: str):
    """The classifier `spec` as trained in root if it is there, else the shipped one, under its spec."""
    from genlens.classifiers.loader import load_classifier

    folder = in_root(root, spec)
    classifier = load_classifier(str(folder) if folder else spec)
    classifier.spec = spec
    return classifier
