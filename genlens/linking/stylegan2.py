"""StyleGAN2 (the stylegan2-ada-pytorch layout) as a linking generator, from a state dict in
safetensors: the latent is W, as Linking in Style links into a style-based GAN's W.

A user converts NVlabs weights once, in an environment that has their code:

    G = legacy.load_network_pkl(f)["G_ema"]
    safetensors.torch.save_file({k: v.contiguous() for k, v in G.state_dict().items()}, "DIR/model.safetensors")
    json.dump(G.init_kwargs, open("DIR/config.json", "w"))

and genlens loads DIR with the spec `stylegan2:DIR`, never unpickling anything. This module is the
architecture written from the paper (Karras et al. 2020, "Analyzing and Improving the Image Quality of
StyleGAN"): an 8-layer mapping network with equalised learning rate, modulated and demodulated 3x3
convolutions, [1, 3, 3, 1] low-pass upsampling, the skip generator's RGB outputs summed across
resolutions. Noise inputs use the stored constant noise, so synthesis is deterministic.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genlens.errors import GenlensError
from genlens.linking.generator import draw_classes_and_noise

LRELU_GAIN = math.sqrt(2)


@dataclass
class StyleGAN2Config:
    """The generator's shape, as stylegan2-ada-pytorch's G.init_kwargs names it."""

    z_dim: int = 512
    c_dim: int = 0
    w_dim: int = 512
    img_resolution: int = 256
    img_channels: int = 3
    mapping_layers: int = 8
    channel_base: int = 32768
    channel_max: int = 512
    conv_clamp: float | None = None

    @classmethod
    def from_init_kwargs(cls, kwargs: dict) -> StyleGAN2Config:
        """The config of a G.init_kwargs dict (unknown keys ignored; only the skip architecture)."""
        mapping, synthesis = kwargs.get("mapping_kwargs") or {}, kwargs.get("synthesis_kwargs") or {}
        if synthesis.get("architecture", "skip") != "skip":
            raise GenlensError(f"only the skip StyleGAN2 generator is supported, not '{synthesis['architecture']}'")
        try:
            return cls(
                z_dim=int(kwargs["z_dim"]), c_dim=int(kwargs.get("c_dim", 0)), w_dim=int(kwargs["w_dim"]),
                img_resolution=int(kwargs["img_resolution"]), img_channels=int(kwargs.get("img_channels", 3)),
                mapping_layers=int(mapping.get("num_layers", 8)),
                channel_base=int(synthesis.get("channel_base", 32768)),
                channel_max=int(synthesis.get("channel_max", 512)),
                conv_clamp=synthesis.get("conv_clamp"),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise GenlensError(f"a StyleGAN2 config needs z_dim, w_dim and img_resolution ({e})") from None

    def channels(self, resolution: int) -> int:
        return min(self.channel_base // resolution, self.channel_max)

    @property
    def resolutions(self) -> list[int]:
        log2 = int(math.log2(self.img_resolution))
        if self.img_resolution < 4 or 2**log2 != self.img_resolution:
            raise GenlensError(f"a StyleGAN2 resolution is a power of two >= 4, got {self.img_resolution}")
        return [2**i for i in range(2, log2 + 1)]


def lowpass_filter(taps=(1.0, 3.0, 3.0, 1.0)) -> torch.Tensor:
    """The 2-D separable low-pass kernel, normalised to sum 1."""
    f = torch.tensor(taps)
    f = torch.outer(f, f)
    return f / f.sum()


def upsample(x: torch.Tensor, kernel: torch.Tensor, margin: int = 0) -> torch.Tensor:
    """2x upsampling: zeros between samples, then the low-pass kernel at gain 4; the result is
    margin samples larger on each side than twice the input (for a following unpadded convolution)."""
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, 2 * h, 2 * w)
    up[:, :, ::2, ::2] = x
    k = kernel.shape[-1]
    up = F.pad(up, [(k + 1) // 2 + margin, (k - 2) // 2 + margin] * 2)
    weight = (kernel * 4).to(x).flip([0, 1]).expand(c, 1, k, k)
    return F.conv2d(up, weight, groups=c)


class EqualLinear(nn.Module):
    """A linear layer with equalised learning rate (weights scaled by lr / sqrt(fan-in) at run time)."""

    def __init__(self, fan_in: int, fan_out: int, lr_multiplier: float = 1.0, bias_init: float = 0.0, lrelu: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fan_out, fan_in) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((fan_out,), float(bias_init)))
        self.weight_gain, self.bias_gain, self.lrelu = lr_multiplier / math.sqrt(fan_in), lr_multiplier, lrelu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        return F.leaky_relu(x, 0.2) * LRELU_GAIN if self.lrelu else x


def normalise(x: torch.Tensor) -> torch.Tensor:
    return x * (x.square().mean(1, keepdim=True) + 1e-8).rsqrt()


class Mapping(nn.Module):
    """z (and the class's embedding) to w; w_avg is the tracked mean of w, the truncation centre."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        self.config = config
        embed = config.w_dim if config.c_dim else 0
        if config.c_dim:
            self.embed = EqualLinear(config.c_dim, embed)
        widths = [config.z_dim + embed] + [config.w_dim] * config.mapping_layers
        for i in range(config.mapping_layers):
            setattr(self, f"fc{i}", EqualLinear(widths[i], widths[i + 1], lr_multiplier=0.01, lrelu=True))
        self.register_buffer("w_avg", torch.zeros(config.w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        x = normalise(z)
        if self.config.c_dim:
            x = torch.cat([x, normalise(self.embed(c))], 1)
        for i in range(self.config.mapping_layers):
            x = getattr(self, f"fc{i}")(x)
        return x


def modulated_conv(
    x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool, flip: bool = False, padding: int = 0
) -> torch.Tensor:
    """Each sample's convolution with the weight scaled by its styles per input channel (and
    normalised per output channel when demodulating), as one grouped convolution."""
    n = x.shape[0]
    w = weight[None] * styles[:, None, :, None, None]
    if demodulate:
        w = w * (w.square().sum([2, 3, 4]) + 1e-8).rsqrt()[:, :, None, None, None]
    if flip:
        w = w.flip([3, 4])
    out = F.conv2d(x.reshape(1, -1, *x.shape[2:]), w.reshape(-1, *w.shape[2:]), padding=padding, groups=n)
    return out.reshape(n, -1, *out.shape[2:])


class SynthesisLayer(nn.Module):
    """A modulated 3x3 convolution (after 2x upsampling when up), constant noise, bias, leaky ReLU."""

    def __init__(self, cin: int, cout: int, w_dim: int, resolution: int, up: bool, conv_clamp: float | None):
        super().__init__()
        self.up, self.conv_clamp = up, conv_clamp
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("resample_filter", lowpass_filter())

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        # Upsampling layers filter the zero-padded input and convolve (the kernel flipped); the others
        # correlate with zero padding, as the reference implementation does.
        if self.up:
            x = modulated_conv(upsample(x, self.resample_filter, margin=1), self.weight, self.affine(w), True, flip=True)
        else:
            x = modulated_conv(x, self.weight, self.affine(w), True, padding=1)
        x = x + self.noise_const * self.noise_strength
        x = F.leaky_relu(x + self.bias[:, None, None], 0.2) * LRELU_GAIN
        return x if self.conv_clamp is None else x.clamp(-self.conv_clamp, self.conv_clamp)


class ToRGB(nn.Module):
    """A modulated 1x1 convolution to colour, without demodulation."""

    def __init__(self, cin: int, channels: int, w_dim: int, conv_clamp: float | None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(channels, cin, 1, 1))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.weight_gain = 1 / math.sqrt(cin)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = modulated_conv(x, self.weight, self.affine(w) * self.weight_gain, demodulate=False)
        x = x + self.bias[:, None, None]
        return x if self.conv_clamp is None else x.clamp(-self.conv_clamp, self.conv_clamp)


class SynthesisBlock(nn.Module):
    """One resolution: (the 4x4 constant, or upsample + conv0), conv1, and its RGB output added to
    the upsampled image so far."""

    def __init__(self, config: StyleGAN2Config, resolution: int):
        super().__init__()
        cout, clamp = config.channels(resolution), config.conv_clamp
        self.first = resolution == 4
        if self.first:
            self.const = nn.Parameter(torch.randn(cout, 4, 4))
        else:
            self.conv0 = SynthesisLayer(config.channels(resolution // 2), cout, config.w_dim, resolution, True, clamp)
        self.conv1 = SynthesisLayer(cout, cout, config.w_dim, resolution, False, clamp)
        self.torgb = ToRGB(cout, config.img_channels, config.w_dim, clamp)
        self.register_buffer("resample_filter", lowpass_filter())

    def forward(self, x, img, w):
        if self.first:
            x = self.const[None].expand(w.shape[0], -1, -1, -1)
        else:
            x = self.conv0(x, w)
        x = self.conv1(x, w)
        rgb = self.torgb(x, w)
        return x, rgb if img is None else upsample(img, self.resample_filter) + rgb


class Synthesis(nn.Module):
    """w (one vector per image, every layer's style) to images in about [-1, 1]."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        self.resolutions = config.resolutions
        for r in self.resolutions:
            setattr(self, f"b{r}", SynthesisBlock(config, r))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        x = img = None
        for r in self.resolutions:
            x, img = getattr(self, f"b{r}")(x, img, w)
        return img


class StyleGAN2(nn.Module):
    """The generator: mapping and synthesis, under the reference's parameter names."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        self.config = config
        self.mapping = Mapping(config)
        self.synthesis = Synthesis(config)


class StyleGAN2Generator:
    """A StyleGAN2 as a linking generator: latents are w (truncated towards w_avg), images in [0, 1]."""

    differentiable = True

    def __init__(self, model: StyleGAN2, class_names: tuple[str, ...] | None = None):
        self.model = model.eval().requires_grad_(False)
        config = model.config
        self.latent_dim, self.num_classes = config.w_dim, max(1, config.c_dim)
        self.class_names = tuple(class_names or (str(i) for i in range(self.num_classes)))
        if len(self.class_names) != self.num_classes:
            raise GenlensError(f"{len(self.class_names)} class names for a generator of {self.num_classes} classes")

    @property
    def device(self) -> torch.device:
        return self.model.mapping.w_avg.device

    @torch.no_grad()
    def sample_latent(self, n, seed, classes=None, truncation: float = 1.0) -> torch.Tensor:
        c, z = draw_classes_and_noise(n, seed, classes, self.num_classes, self.model.config.z_dim, truncation)
        onehot = F.one_hot(c, self.num_classes).float() if self.model.config.c_dim else None
        w = self.model.mapping(z.to(self.device), None if onehot is None else onehot.to(self.device))
        return self.model.mapping.w_avg.lerp(w, truncation).cpu()

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        out = [self.model.synthesis(latent[i : i + 16].to(self.device)).float().cpu() for i in range(0, len(latent), 16)]
        return ((torch.cat(out) + 1) / 2).clamp(0, 1)


def load_stylegan2(folder: str | Path, device="cpu") -> StyleGAN2Generator:
    """The StyleGAN2 in folder: config.json (G.init_kwargs), model.safetensors (G_ema's state dict)
    and an optional genlens.json {"class_names": [...]}."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    try:
        config = StyleGAN2Config.from_init_kwargs(json.loads((folder / "config.json").read_text()))
        state = load_file(folder / "model.safetensors")
        extra = json.loads((folder / "genlens.json").read_text()) if (folder / "genlens.json").is_file() else {}
    except (OSError, json.JSONDecodeError, SafetensorError) as e:
        raise GenlensError(f"cannot load StyleGAN2 from '{folder}': {str(e).splitlines()[0]}") from None
    model = StyleGAN2(config)
    missing, unexpected = model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    missing = [k for k in missing if not k.endswith("resample_filter")]
    if missing or unexpected:
        raise GenlensError(
            f"'{folder}' holds weights of another StyleGAN2 shape ({len(missing)} missing, {len(unexpected)} unexpected,"
            f" e.g. {(missing or unexpected)[0]})"
        )
    return StyleGAN2Generator(model.to(device), extra.get("class_names"))
