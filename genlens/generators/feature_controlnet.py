"""The feature ControlNet of FeatInv: diffusers' ControlNetModel whose image hint encoder is
replaced by an encoder of a classifier layer's feature map."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers import ControlNetModel, ModelMixin, UNet2DConditionModel
from diffusers.configuration_utils import ConfigMixin, FrozenDict, register_to_config
from torch import nn

from genlens.generators.whitening import whiten, zca


class FeatureEncoder(ModelMixin, ConfigMixin):
    """Feature map (N, C, h, w) -> hint (N, out_channels, grid, grid).

    Bilinear resizing to the UNet's grid, then conv3x3 - SiLU - conv3x3 - SiLU - zero-initialised
    conv3x3, as in FeatInv. A map whose side (feature_size) is a multiple k > 1 of the grid's is
    folded instead, each k x k patch into k^2 C channels (pixel unshuffle), so that nothing it
    holds is averaged away. pooled=True first averages the map over locations and broadcasts the
    vector over the grid (the paper's non-spatial comparison). whitened=True first maps the channels
    to whitened coordinates (whitening.py) with the mean and matrix set by set_whitening.
    """

    @register_to_config
    def __init__(
        self,
        feature_channels: int,
        grid_size: int = 32,
        out_channels: int = 64,
        hidden_channels: int = 128,
        pooled: bool = False,
        feature_size: int | None = None,
        whitened: bool = False,
    ):
        super().__init__()
        if whitened:
            self.register_buffer("whitening_mean", torch.zeros(feature_channels))
            self.register_buffer("whitening_matrix", torch.eye(feature_channels))
        self.fold = fold_factor(feature_size, grid_size, pooled)
        self.conv_in = nn.Conv2d(feature_channels * self.fold**2, hidden_channels, 3, padding=1)
        self.conv_mid = nn.Conv2d(hidden_channels, hidden_channels, 3, padding=1)
        self.conv_out = nn.Conv2d(hidden_channels, out_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        g = self.config.grid_size
        if self.config.whitened:
            fmap = whiten(fmap, self.whitening_mean, self.whitening_matrix)
        if self.config.pooled:
            fmap = fmap.mean((2, 3), keepdim=True).expand(-1, -1, g, g)
        elif self.fold > 1:
            fmap = F.pixel_unshuffle(fmap, self.fold)
        elif fmap.shape[-2:] != (g, g):
            fmap = F.interpolate(fmap, size=(g, g), mode="bilinear", align_corners=False)
        x = F.silu(self.conv_in(fmap))
        x = F.silu(self.conv_mid(x))
        return self.conv_out(x)

    def set_whitening(self, maps: torch.Tensor) -> None:
        """Whiten by the channel statistics of (N, C, h, w) maps (a whitened encoder only)."""
        if not self.config.whitened:
            raise ValueError("this feature encoder was built without whitening")
        mean, matrix = zca(maps)
        self.whitening_mean.copy_(mean)
        self.whitening_matrix.copy_(matrix)


def fold_factor(feature_size: int | None, grid_size: int, pooled: bool = False) -> int:
    """How many map cells a side of one grid cell folds (1: the map is resized instead)."""
    if pooled or not feature_size or feature_size <= grid_size or feature_size % grid_size:
        return 1
    return feature_size // grid_size


class FeatureControlNet(ControlNetModel):
    """A ControlNetModel conditioned on a feature map; saves and loads with save_pretrained /
    from_pretrained like any diffusers model (the encoder's settings live in its config).

    Call it like a ControlNetModel with `controlnet_cond` = the feature map (N, C, h, w).
    """

    @register_to_config
    def __init__(
        self,
        feature_channels: int = 128,
        feature_hidden_channels: int = 128,
        pooled: bool = False,
        feature_grid_size: int = 32,
        feature_size: int | None = None,
        feature_whitened: bool = False,
        **controlnet_kwargs,
    ):
        controlnet_kwargs.setdefault("conditioning_embedding_out_channels", (16,))
        super().__init__(**controlnet_kwargs)
        self.controlnet_cond_embedding = FeatureEncoder(
            feature_channels,
            grid_size=feature_grid_size,
            out_channels=self.config.block_out_channels[0],
            hidden_channels=feature_hidden_channels,
            pooled=pooled,
            feature_size=feature_size,
            whitened=feature_whitened,
        )
        # register_to_config records the catch-all itself; the parent has registered its contents.
        self._internal_dict = FrozenDict({k: v for k, v in self._internal_dict.items() if k != "controlnet_kwargs"})

    @staticmethod
    def _get_init_keys(input_class):
        # from_config passes only keys that __init__ names: ours, plus ControlNetModel's behind **controlnet_kwargs
        keys = ConfigMixin._get_init_keys(input_class)
        if issubclass(input_class, FeatureControlNet):
            keys = (keys | ConfigMixin._get_init_keys(ControlNetModel)) - {"controlnet_kwargs"}
        return keys

    @classmethod
    def from_base(
        cls, unet: UNet2DConditionModel, feature_channels: int, feature_hidden_channels: int = 128, pooled: bool = False,
        feature_size: int | None = None, feature_whitened: bool = False,
    ) -> "FeatureControlNet":
        """A ControlNet copied from unet (its encoder half, weights included) with a fresh feature encoder
        for maps of feature_channels (and side feature_size: a multiple of the UNet's grid is folded;
        feature_whitened: the encoder whitens the map, by statistics set on controlnet_cond_embedding)."""
        plain = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(16,))
        config = {k: v for k, v in plain.config.items() if not k.startswith("_")}
        # from_unet does not copy how many heads pool the caption into the timestep embedding
        config["addition_embed_type_num_heads"] = unet.config.get("addition_embed_type_num_heads", 64)
        model = cls(
            feature_channels=feature_channels,
            feature_hidden_channels=feature_hidden_channels,
            pooled=pooled,
            feature_grid_size=unet.config.sample_size,
            feature_size=feature_size,
            feature_whitened=feature_whitened,
            **config,
        )
        state = {k: v for k, v in plain.state_dict().items() if not k.startswith("controlnet_cond_embedding.")}
        missing, unexpected = model.load_state_dict(state, strict=False)
        assert not unexpected and all(k.startswith("controlnet_cond_embedding.") for k in missing)
        return model


def control_residuals(controlnet, x, t, caption: dict, fmaps: torch.Tensor):
    """A feature ControlNet's (down, mid) residuals for the UNet's caption keyword arguments."""
    return controlnet(
        x,
        t,
        encoder_hidden_states=caption["encoder_hidden_states"],
        class_labels=caption.get("class_labels"),
        controlnet_cond=fmaps,
        return_dict=False,
    )
