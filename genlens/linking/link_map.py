"""The linking map: standardised classifier features to a generator's latent, linear, fitted by
ridge regression with cross-validated strength (or ordinary least squares, the paper's default)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn

from genlens.artifacts import WEIGHTS_FILE, save_folder
from genlens.errors import GenlensError

#: Ridge strengths tried by cross-validation (on standardised features).
RIDGE_ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-2, 4, 13))


@dataclass
class LinkConfig:
    """What a link connects and how it was fitted; stored as config.json."""

    classifier: str
    layer: str
    generator: str
    feature_dim: int
    latent_dim: int
    method: str = "ridge"  # "ridge" (cross-validated alpha) or "ols"
    alpha: float = 0.0
    kind: str = "link"
    class_names: list[str] = field(default_factory=list)


class LinkMap(nn.Module):
    """latent = ((features - mean) / std) @ weight.T + bias; differentiable in the features."""

    def __init__(self, config: LinkConfig):
        super().__init__()
        self.config = config
        d, l = config.feature_dim, config.latent_dim
        self.register_buffer("mean", torch.zeros(d))
        self.register_buffer("std", torch.ones(d))
        self.register_buffer("weight", torch.zeros(l, d))
        self.register_buffer("bias", torch.zeros(l))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.shape[-1] != self.config.feature_dim:
            raise GenlensError(
                f"the link expects {self.config.feature_dim} features at {self.config.layer}, got {features.shape[-1]}"
            )
        z = (features.to(self.weight.dtype) - self.mean) / self.std
        return z @ self.weight.T + self.bias

    def save(self, folder: Path, card: dict | None = None) -> Path:
        """Write config.json, model.safetensors and card.json atomically."""
        return save_folder(folder, asdict(self.config), self, card)

    @classmethod
    def load(cls, folder: str | Path) -> "LinkMap":
        folder = Path(folder)
        try:
            config = json.loads((folder / "config.json").read_text())
            if config.get("kind") != "link":
                raise GenlensError(f"'{folder}' is not a link folder (its config has kind {config.get('kind')!r})")
            link = cls(LinkConfig(**config))
            link.load_state_dict(load_file(folder / WEIGHTS_FILE))
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise GenlensError(f"cannot read link folder '{folder}': {e}") from None
        return link.eval()


def fit_link(features: torch.Tensor, latents: torch.Tensor, config: LinkConfig) -> LinkMap:
    """A LinkMap fitted on (features, latents); config.method "ridge" picks alpha from RIDGE_ALPHAS by
    leave-one-out error (scikit-learn's RidgeCV), "ols" fits ordinary least squares. Constant
    features keep a std of 1, so they contribute nothing."""
    from sklearn.linear_model import LinearRegression, RidgeCV

    x = features.double().numpy()
    y = latents.double().numpy()
    mean, std = x.mean(0), x.std(0)
    std = np.where(std > 1e-8, std, 1.0)
    z = (x - mean) / std
    if config.method == "ridge":
        model = RidgeCV(alphas=RIDGE_ALPHAS).fit(z, y)
        config.alpha = float(model.alpha_)
    elif config.method == "ols":
        model = LinearRegression().fit(z, y)
        config.alpha = 0.0
    else:
        raise GenlensError(f"unknown link method '{config.method}', expected ridge or ols")
    link = LinkMap(config)
    link.mean.copy_(torch.from_numpy(mean))
    link.std.copy_(torch.from_numpy(std))
    link.weight.copy_(torch.from_numpy(np.atleast_2d(model.coef_)))
    link.bias.copy_(torch.from_numpy(np.atleast_1d(model.intercept_)))
    return link.eval()
