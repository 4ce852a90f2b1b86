"""A second classifier as an independent observer of inversions.

Top-1 agreement and feature cosine are measured by the very classifier whose features an inversion
matches, so a method that optimises that classifier (optimisation-based inversion, feature steering,
and to a lesser degree any training term through it) can raise them with changes no other model sees.
An observer of another architecture reads the sources and the inversions independently: it agrees
when the inversion shows what the source shows, not what the inverted classifier is sensitive to."""

from __future__ import annotations

import torch

from genlens.errors import GenlensError
from genlens.measure.fidelity import topk_agreement

#: Each shipped world classifier's observer: the other architecture.
WORLD_OBSERVERS = {
    "world-cnn": "world-vit", "world-cnn-shortcut": "world-vit", "world-cnn-planted": "world-vit", "world-vit": "world-cnn",
}


def default_observer(spec: str) -> str | None:
    """The shipped classifier of another architecture for a shipped world classifier, else None."""
    return WORLD_OBSERVERS.get(spec)


def load_observer(choice: str, classifier_spec: str, device="cpu"):
    """The observer classifier for `--observer`: 'auto' (default_observer, None where there is none),
    'none', or a classifier spec (which must differ from the inverted classifier's)."""
    from genlens.classifiers.loader import load_classifier

    if choice == "none":
        return None
    spec = default_observer(classifier_spec) if choice == "auto" else choice
    if spec is None:
        return None
    if spec == classifier_spec:
        raise GenlensError(f"the observer must be another classifier than {classifier_spec}")
    return load_classifier(spec, device=device)


@torch.no_grad()
def observer_agreement(observer, sources: torch.Tensor, samples: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """(N,) 1 where the observer labels samples[i] as it labels sources[i] (images in [0, 1], resized
    to the observer's input size)."""
    from genlens.images import resize

    device = next(observer.parameters()).device

    def logits(x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [observer(resize(x[i : i + batch_size], observer.input_size).to(device)).cpu() for i in range(0, len(x), batch_size)]
        )

    return topk_agreement(logits(sources), logits(samples), 1)
