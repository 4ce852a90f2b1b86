"""BigGAN (pytorch-pretrained-biggan) as a linking generator: the latent is BigGAN's conditioning
vector [z, class embedding], so a link reaches both the noise and the class."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from genlens.errors import GenlensError
from genlens.linking.generator import check_classes


class BigGANGenerator:
    """A BigGAN generator at a fixed batch-norm truncation; sample_latent truncates z to
    [-2, 2] * truncation like BigGAN's own sampler."""

    differentiable = True

    def __init__(self, model, truncation: float = 0.4, class_names: tuple[str, ...] | None = None):
        if not 0 < truncation <= 1:
            raise GenlensError(f"BigGAN's truncation must lie in (0, 1], got {truncation}")
        self.model, self.truncation = model.eval(), truncation
        config = model.config
        self.num_classes = config.num_classes
        self.latent_dim = config.z_dim + model.embeddings.out_features
        self.class_names = tuple(class_names or (str(i) for i in range(config.num_classes)))

    @torch.no_grad()
    def sample_latent(self, n, seed, classes=None, truncation: float = 1.0) -> torch.Tensor:
        from scipy.stats import truncnorm

        c = check_classes(classes, n, self.num_classes)
        rng = np.random.default_rng([seed, 11])
        if c is None:
            c = torch.as_tensor(rng.integers(0, self.num_classes, n))
        z = truncnorm.rvs(-2, 2, size=(n, self.model.config.z_dim), random_state=rng) * truncation
        embed = self.model.embeddings.weight.T[c.to(self.model.embeddings.weight.device)]
        return torch.cat([torch.as_tensor(z, dtype=torch.float32), embed.float().cpu()], 1)

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        device = self.model.embeddings.weight.device
        out = [self.model.generator(latent[i : i + 32].to(device), self.truncation).float().cpu()
               for i in range(0, len(latent), 32)]
        return (torch.cat(out) + 1) / 2


def load_biggan(folder: str | Path, device="cpu") -> BigGANGenerator:
    """A BigGAN from a folder with pytorch-pretrained-biggan's config.json and its weights as
    model.safetensors or pytorch_model.bin (read with weights_only, never unpickled), plus an optional
    genlens.json: {"truncation": ..., "class_names": [...]}."""
    try:
        from pytorch_pretrained_biggan import BigGAN, BigGANConfig
    except ImportError:
        raise GenlensError('BigGAN needs pytorch-pretrained-biggan: pip install "genlens[biggan]"') from None
    folder = Path(folder)
    try:
        config = BigGANConfig.from_json_file(folder / "config.json")
        model = BigGAN(config)
        if (folder / "model.safetensors").is_file():
            from safetensors.torch import load_file

            state = load_file(folder / "model.safetensors")
        else:
            state = torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or [k for k in missing if not k.endswith(("_u", "_v", "num_batches_tracked"))]:
            raise GenlensError(f"'{folder}' holds weights of another BigGAN shape ({len(missing)} missing, {len(unexpected)} unexpected)")
        extra = json.loads((folder / "genlens.json").read_text()) if (folder / "genlens.json").is_file() else {}
    except (OSError, json.JSONDecodeError, RuntimeError, KeyError) as e:
        raise GenlensError(f"cannot load BigGAN from '{folder}': {str(e).splitlines()[0]}") from None
    return BigGANGenerator(model.to(device), extra.get("truncation", 0.4), extra.get("class_names"))
