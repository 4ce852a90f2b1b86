"""The built-in world architectures, built from torchvision and timm classes."""

from __future__ import annotations

from typing import Callable

import torch
from timm.layers import PatchEmbed
from torch import nn
from torchvision.models.resnet import BasicBlock


class WorldCNN(nn.Module):
    """A small ResNet for 32 x 32 images: a 3x3 stem and three stages of torchvision BasicBlocks.

    Spatial maps: stem and layer1 at full resolution, layer2 at 1/2, layer3 (the last spatial
    layer) at 1/4; then global average pooling (`pool`) and the linear head `fc`.
    """

    def __init__(self, num_classes: int = 5, widths: tuple[int, ...] = (32, 64, 128), in_chans: int = 3):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)
        )
        stages, prev = [], widths[0]
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or prev != width:
                down = nn.Sequential(nn.Conv2d(prev, width, 1, stride, bias=False), nn.BatchNorm2d(width))
            stages.append(BasicBlock(prev, width, stride, down))
            prev = width
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.layer3(self.layer2(self.layer1(self.stem(x))))))


class ConvStemPatchEmbed(PatchEmbed):
    """timm's PatchEmbed whose linear patch projection follows a 3x3 convolution (an "early
    convolution" stem): still one token per 4 x 4 patch, but a small ViT trained from scratch
    learns shapes several times faster with it."""

    def __init__(self, *args, stem_channels: int = 32, **kwargs):
        super().__init__(*args, **kwargs)
        self.proj = nn.Sequential(
            nn.Conv2d(self.proj.in_channels, stem_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(stem_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(stem_channels, self.proj.out_channels, self.patch_size, self.patch_size),
        )


def world_vit(
    num_classes: int = 5,
    img_size: int = 32,
    embed_dim: int = 96,
    depth: int = 6,
    num_heads: int = 3,
    patch_size: int = 4,
    conv_stem: bool = False,
) -> nn.Module:
    """A small timm VisionTransformer with a class token, patch size 4 (an 8 x 8 grid at 32 px);
    conv_stem puts a 3x3 convolution before the patch projection."""
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(
        img_size=img_size,
        patch_size=patch_size,
        num_classes=num_classes,
        embed_dim=embed_dim,
        depth=depth,
        num_heads=num_heads,
        mlp_ratio=2.0,
        global_pool="token",
        class_token=True,
        embed_layer=ConvStemPatchEmbed if conv_stem else PatchEmbed,
    )


def world_cnn(num_classes: int = 5, img_size: int = 32, **kwargs) -> nn.Module:
    return WorldCNN(num_classes=num_classes, **kwargs)


#: Architecture name -> builder(num_classes, img_size, **kwargs).
ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {"world-cnn": world_cnn, "world-vit": world_vit}


def build_net(arch: str, num_classes: int, img_size: int = 32, **kwargs) -> nn.Module:
    """A fresh, randomly initialised network: a world architecture, `timm:NAME` or
    `torchvision:NAME` (no pretrained weights: a network trained here, from scratch)."""
    from genlens.errors import GenlensError

    if arch in ARCHITECTURES:
        return ARCHITECTURES[arch](num_classes=num_classes, img_size=img_size, **kwargs)
    if arch.startswith("timm:"):
        import timm

        if not timm.is_model(arch[5:]):
            raise GenlensError(f"timm has no model '{arch[5:]}'")
        return timm.create_model(arch[5:], pretrained=False, num_classes=num_classes, **kwargs)
    if arch.startswith("torchvision:"):
        import torchvision

        try:
            builder = torchvision.models.get_model_builder(arch.split(":", 1)[1])
        except ValueError:
            raise GenlensError(f"torchvision has no model '{arch.split(':', 1)[1]}'") from None
        return builder(weights=None, num_classes=num_classes, **kwargs)
    raise GenlensError(f"unknown architecture '{arch}': one of {', '.join(ARCHITECTURES)}, timm:NAME or torchvision:NAME")
