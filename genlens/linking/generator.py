"""The protocol every linking generator follows, and the loader that turns a spec into one."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import torch

from genlens.errors import GenlensError


@runtime_checkable
class LatentGenerator(Protocol):
    """A generator whose latent the linking map targets.

    sample_latent draws (n, latent_dim) latents, deterministic in seed, for the given class of each
    sample (None: classes drawn uniformly) at a truncation in (0, 1]; synthesize maps latents to
    (n, 3, S, S) images in [0, 1]. differentiable says whether synthesize carries gradients.
    """

    latent_dim: int
    num_classes: int
    class_names: tuple[str, ...]
    differentiable: bool

    def sample_latent(
        self, n: int, seed: int, classes: Sequence[int] | None = None, truncation: float = 1.0
    ) -> torch.Tensor: ...

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor: ...


def check_classes(classes: Sequence[int] | None, n: int, num_classes: int) -> torch.Tensor | None:
    """classes as a (n,) long tensor (a single int is repeated), validated against num_classes."""
    if classes is None:
        return None
    c = torch.as_tensor(classes, dtype=torch.long).flatten()
    if c.numel() == 1:
        c = c.repeat(n)
    if len(c) != n:
        raise GenlensError(f"{len(c)} classes given for {n} latents")
    if len(c) and (c.min() < 0 or c.max() >= num_classes):
        raise GenlensError(f"class indices must be 0 to {num_classes - 1}, got {c.min().item()} to {c.max().item()}")
    return c


def load_generator(spec: str, device: str | torch.device = "cpu") -> LatentGenerator:
    """The generator a spec names: `renderer` (the world renderer, scene parameters as latent),
    `world-gan` (the shipped world GAN), `biggan:DIR` (pytorch-pretrained-biggan weights),
    `stylegan2:DIR` (a stylegan2-ada-pytorch generator's state dict in safetensors, linking.stylegan2),
    `python:module:factory` (factory() returns a LatentGenerator), or a generator folder (a world
    GAN's, from `genlens train gan`)."""
    from genlens.linking.renderer_generator import RendererGenerator

    if spec == "renderer":
        return RendererGenerator()
    if spec == "world-gan":
        from genlens.shipped import weights_root

        folder = weights_root() / "world-gan"
        if not (folder / "config.json").is_file():
            raise GenlensError("the world GAN is not shipped with this install; train one with genlens train gan")
        spec = str(folder)
    if spec.startswith("python:"):
        return _from_factory(spec)
    if spec.startswith("stylegan2:"):
        from genlens.linking.stylegan2 import load_stylegan2

        return load_stylegan2(spec.split(":", 1)[1], device)
    if spec.startswith("biggan:"):
        from genlens.linking.biggan import load_biggan

        return load_biggan(spec.split(":", 1)[1], device)
    from genlens.linking.folders import load_generator_folder

    return load_generator_folder(spec, device)


def _from_factory(spec: str) -> LatentGenerator:
    from genlens.python_spec import call_factory

    generator = call_factory(spec, "generator")
    if not isinstance(generator, LatentGenerator):
        raise GenlensError(
            f"{spec} returned {type(generator).__name__}, which lacks the generator protocol "
            "(latent_dim, num_classes, class_names, differentiable, sample_latent, synthesize)"
        )
    return generator


def draw_classes_and_noise(
    n: int, seed: int, classes: Sequence[int] | None, num_classes: int, z_dim: int, truncation: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """A style-based GAN's (classes, z) for sample_latent: the given classes (checked) or uniform
    ones, then z ~ N(0, I), both from one generator seeded with seed; truncation must lie in (0, 1]."""
    if not 0 < truncation <= 1:
        raise GenlensError(f"truncation must lie in (0, 1], got {truncation}")
    g = torch.Generator().manual_seed(seed)
    c = check_classes(classes, n, num_classes)
    if c is None:
        c = torch.randint(0, num_classes, (n,), generator=g)
    return c, torch.randn(n, z_dim, generator=g)
