"""How a model lays out its activations: token grids of ViTs and channels-last stages of Swins."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ActivationLayout:
    """What is needed to turn any layer's output into an NCHW map.

    grid: (H, W) of a token model's patch grid, None for models without tokens.
    prefix_tokens: tokens before the patch tokens (class, distillation, register tokens).
    channels_last: dotted-name prefixes whose 4-D outputs are NHWC.
    """

    grid: tuple[int, int] | None = None
    prefix_tokens: int = 0
    channels_last: tuple[str, ...] = ()

    @classmethod
    def of(cls, net: nn.Module) -> "ActivationLayout":
        """The layout of a timm or torchvision model, or of any module that follows their attributes."""
        grid, prefix = None, 0
        patch_embed = getattr(net, "patch_embed", None)
        if patch_embed is not None and getattr(patch_embed, "grid_size", None) is not None:
            grid = tuple(int(g) for g in patch_embed.grid_size)
            prefix = int(getattr(net, "num_prefix_tokens", 0))
        elif hasattr(net, "image_size") and hasattr(net, "patch_size") and hasattr(net, "class_token"):
            side = int(net.image_size) // int(net.patch_size)  # torchvision VisionTransformer
            grid, prefix = (side, side), 1
        channels_last: tuple[str, ...] = ()
        if getattr(net, "output_fmt", None) == "NHWC":  # timm Swin and kin: everything but the head
            channels_last = tuple(n for n, _ in net.named_children() if n != "head")
        elif type(net).__name__ == "SwinTransformer" and hasattr(net, "features"):  # torchvision Swin
            channels_last = ("features", "norm")
        if grid is not None and channels_last:
            grid = None  # Swin's patch grid is spatial already, never a token sequence
        return cls(grid=grid, prefix_tokens=prefix, channels_last=channels_last)

    def is_channels_last(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self.channels_last)

    def token_prefix(self, n_tokens: int) -> int | None:
        """How many prefix tokens a sequence of n_tokens carries, or None if it is not a patch sequence."""
        if self.grid is not None:
            prefix = n_tokens - self.grid[0] * self.grid[1]
            return prefix if prefix in (0, self.prefix_tokens) else None
        return None

    def to_map(self, name: str, out: torch.Tensor) -> torch.Tensor:
        """out as NCHW if it is a spatial or token map; otherwise unchanged (pooled vectors, logits)."""
        if out.dim() == 4 and self.is_channels_last(name):
            return out.permute(0, 3, 1, 2)
        if out.dim() == 3:
            prefix = self.token_prefix(out.shape[1])
            if prefix is not None:
                h, w = self.grid
                return out[:, prefix:].transpose(1, 2).reshape(out.shape[0], out.shape[2], h, w)
        return out

    def from_map(self, name: str, fmap: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
        """Put fmap (NCHW, or the layer's own shape) back in the layer's own layout; prefix tokens
        are taken from original, the layer's output on the same forward pass."""
        if original.dim() == 4 and self.is_channels_last(name):
            return fmap.permute(0, 2, 3, 1)
        if original.dim() == 3 and fmap.dim() == 4:
            prefix = self.token_prefix(original.shape[1])
            tokens = fmap.flatten(2).transpose(1, 2)
            return torch.cat([original[:, :prefix], tokens], 1)
        return fmap
