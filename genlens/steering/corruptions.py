"""Inputs a classifier was not trained on: common corruptions at five severities, out-of-distribution
world scenes, and PGD adversarial examples."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from genlens.errors import GenlensError
from genlens.measure.perturbations import gaussian_blur

#: Each corruption's parameter at severities 1-5, CIFAR-10-C's for 32-px images (Hendrycks &
#: Dietterich 2019): noise sd, blur sigma in px, contrast kept, JPEG quality.
SEVERITIES: dict[str, tuple[float, ...]] = {
    "noise": (0.04, 0.06, 0.08, 0.09, 0.10),
    "blur": (0.4, 0.6, 0.7, 0.8, 1.0),
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),
    "jpeg": (80, 65, 58, 50, 40),
}
#: Out-of-distribution world scenes (see `ood_scenes`).
OOD_KINDS = ("object-color", "background-color", "two-objects")
#: The colours no object or background of the world has.
UNSEEN_OBJECT = (1.0, 0.6, 0.8)  # pink
UNSEEN_BACKGROUND = (0.1, 0.45, 0.2)  # green


def corrupt(images: torch.Tensor, kind: str, severity: int, seed: int = 0) -> torch.Tensor:
    """images (N, 3, S, S) in [0, 1] under `kind` at severity 1-5."""
    if kind not in SEVERITIES:
        raise GenlensError(f"unknown corruption '{kind}': one of {', '.join(SEVERITIES)}")
    if not 1 <= severity <= 5:
        raise GenlensError(f"severities run from 1 to 5, got {severity}")
    p = SEVERITIES[kind][severity - 1]
    if kind == "noise":
        g = torch.Generator().manual_seed(seed)
        return (images + p * torch.randn(images.shape, generator=g).to(images.device)).clamp(0, 1)
    if kind == "blur":
        return gaussian_blur(images, p).clamp(0, 1)
    if kind == "contrast":
        mean = images.mean((1, 2, 3), keepdim=True)
        return ((images - mean) * p + mean).clamp(0, 1)
    out = []
    for pixels in (images.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy():
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=int(p))
        out.append(np.asarray(Image.open(buffer).convert("RGB")))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().div(255).to(images.device)


def ood_sample(kind: str, n: int, seed: int = 0, size: int = 32):
    """(images, records) of n held-out scenes made out of distribution: the object in a colour no
    object has (`object-color`), the background mixed half-and-half with a colour no background has
    (`background-color`), or a second object beside the first (`two-objects`; the label is the first's)."""
    from genlens.world.renderer import render
    from genlens.world.scenes import sample_scenes
    from genlens.world.seeds import EVAL_SEED, held_out

    if kind not in OOD_KINDS:
        raise GenlensError(f"unknown out-of-distribution kind '{kind}': one of {', '.join(OOD_KINDS)}")
    if kind == "two-objects":
        scenes = sample_scenes(np.random.default_rng([EVAL_SEED + seed, 2]), n, n_objects=2)
        images, _ = render(scenes, size)
        return images, scenes.records()
    scenes = held_out(n, seed=seed, size=size).scenes
    images, cover = render(scenes, size, soft_masks=True)
    cover = cover[:, :1]
    records = scenes.records()
    if kind == "object-color":
        colour = torch.tensor(UNSEEN_OBJECT).view(1, 3, 1, 1)
        images = images * (1 - cover) + colour * cover
        for r in records:
            r["objects"][0]["color"] = "pink"
    else:
        colour = torch.tensor(UNSEEN_BACKGROUND).view(1, 3, 1, 1)
        images = images * cover + (0.5 * images + 0.5 * colour) * (1 - cover)
        for r in records:
            r["background"]["color"] = "green"
    return images.clamp(0, 1), records


def pgd(classifier, images: torch.Tensor, labels: torch.Tensor, epsilon: float, steps: int = 10, seed: int = 0) -> torch.Tensor:
    """Untargeted L-inf PGD (Madry et al.): a random start in the epsilon ball, then `steps` signed
    gradient steps of epsilon / 4 on the cross-entropy, projected back to the ball and [0, 1]."""
    if epsilon <= 0:
        return images.clone()
    g = torch.Generator().manual_seed(seed)
    x = (images + (torch.rand(images.shape, generator=g).to(images.device) * 2 - 1) * epsilon).clamp(0, 1)
    classifier.eval()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            loss = torch.nn.functional.cross_entropy(classifier(x), labels)
            (grad,) = torch.autograd.grad(loss, x)
        x = torch.min(torch.max(x + epsilon / 4 * grad.sign(), images - epsilon), images + epsilon).clamp(0, 1)
    return x.detach()
