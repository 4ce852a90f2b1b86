"""The independent reader: a classifier that no generator or inverter was trained against, reading
one concept of generated images beside the probes (world-vit reads the object's shape), so that a
figure about generated images never rests on one instrument alone."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlens.errors import GenlensError
from genlens.world import concepts

#: The shipped reader of the object's shape.
DEFAULT_READER = "world-vit"


@dataclass
class Reader:
    """A classifier and the probe concept its classes name."""

    spec: str
    classifier: object
    concept: str

    @torch.no_grad()
    def read(self, images: torch.Tensor) -> list[str]:
        """The class name the reader gives each image in [0, 1] (resized to the reader's input size)."""
        from genlens.images import resize

        predicted = self.classifier.eval().predict(resize(images, self.classifier.input_size))
        return [self.classifier.class_names[int(i)] for i in predicted]

    def agreement(self, images: torch.Tensor, truth: list[dict[str, str]]) -> float:
        """Share of images whose reading equals truth[i][concept]."""
        read = self.read(images)
        return round(sum(r == t[self.concept] for r, t in zip(read, truth)) / max(1, len(read)), 4)

    def report(self, images: torch.Tensor, truth: list[dict[str, str]]) -> dict:
        """{"spec", "concept", "agreement"}: what the figures print beside the probes."""
        return {"spec": self.spec, "concept": self.concept, "agreement": self.agreement(images, truth)}


def load_reader(spec: str | None = DEFAULT_READER, device="cpu") -> Reader | None:
    """The reader for `--reader`: a classifier spec whose class names are the values of one probe
    concept (the shape for world-vit), or None for 'none'."""
    from genlens.classifiers.loader import load_classifier

    if spec in (None, "none"):
        return None
    classifier = load_classifier(spec, device=device)
    names = set(classifier.class_names)
    for concept, values in concepts.PROBE_CONCEPTS.items():
        if names <= set(values):
            return Reader(spec, classifier, concept)
    raise GenlensError(f"reader {spec} must name the values of one concept ({', '.join(concepts.PROBE_CONCEPTS)})")
