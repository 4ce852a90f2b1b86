"""The world GAN: a small style-based, class-conditional generator (mapping network to W, modulated
convolutions from 4 to 32 px, skip connections to RGB, or to an autoencoder's latents that its
decoder, part of the generator, turns into the image) and a residual discriminator with projection.
Its latent for linking is W, the mapping network's output."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from genlens.artifacts import WEIGHTS_FILE, save_folder
from genlens.errors import GenlensError
from genlens.world import concepts


@dataclass
class WorldGANConfig:
    """The generator's and discriminator's shape; stored as config.json."""

    kind: str = "world-gan"
    class_names: list[str] = field(default_factory=lambda: list(concepts.SHAPES))
    z_dim: int = 64
    w_dim: int = 128
    mapping_layers: int = 4
    channels: list[int] = field(default_factory=lambda: [128, 128, 64, 32])  # at 4, 8, 16, 32 px
    d_channels: list[int] = field(default_factory=lambda: [32, 64, 128, 128])  # at 32, 16, 8, 4 px
    mbstd_group: int = 4  # the discriminator sees the spread of groups of this many images (0: off)
    projected_input: bool = False  # add a projection of w to the constant 4x4 input (the layout then varies with w)
    spectral_norm: bool = False  # the discriminator's layers spectrally normalised (SNGAN) instead of equalised
    # An AutoencoderKL's config: the generator draws its (scaled) latents and its decoder, part of
    # the generator, makes the image (None: the generator draws pixels).
    autoencoder: dict | None = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def code_size(self) -> int:
        """The side of what the synthesis blocks draw: the image, or the autoencoder's latents."""
        return 4 * 2 ** (len(self.channels) - 1)

    @property
    def code_channels(self) -> int:
        return 3 if self.autoencoder is None else self.autoencoder["latent_channels"]

    @property
    def image_size(self) -> int:
        if self.autoencoder is None:
            return self.code_size
        return self.code_size * 2 ** (len(self.autoencoder["block_out_channels"]) - 1)


class EqualLinear(nn.Module):
    """A linear layer with its weights scaled at run time by 1/sqrt(fan_in) (equalised learning rate)."""

    def __init__(self, d_in: int, d_out: int, bias_init: float = 0.0, lr_mul: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_out, d_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((d_out,), float(bias_init)))
        self.scale, self.lr_mul = lr_mul / math.sqrt(d_in), lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class EqualConv2d(nn.Module):
    """A convolution with weights scaled at run time by 1/sqrt(fan_in), like EqualLinear: Adam's
    steps are then the same share of every layer's weights, which keeps the discriminator from
    outpacing the generator."""

    def __init__(self, c_in: int, c_out: int, kernel: int, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        self.scale, self.padding, self.lr_mul = 1 / math.sqrt(c_in * kernel * kernel), kernel // 2, 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class MappingNetwork(nn.Module):
    """(z, class) -> w: the normalised latent and class embedding through an MLP (lr multiplier 0.01)."""

    def __init__(self, config: WorldGANConfig):
        super().__init__()
        self.embed = nn.Embedding(config.num_classes, config.z_dim)
        dims = [2 * config.z_dim] + [config.w_dim] * config.mapping_layers
        self.layers = nn.ModuleList(EqualLinear(a, b, lr_mul=0.01) for a, b in zip(dims, dims[1:]))

    def forward(self, z: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        x = torch.cat([_normalise(z), _normalise(self.embed(classes))], 1)
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2) * math.sqrt(2)
        return x


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


class ModulatedConv(nn.Module):
    """A convolution whose input channels are scaled by a style from w, then demodulated (StyleGAN2)."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, kernel: int = 3, demodulate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.style = EqualLinear(w_dim, c_in, bias_init=1.0)
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.scale, self.demodulate, self.padding = 1 / math.sqrt(c_in * kernel * kernel), demodulate, kernel // 2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        style = self.style(w)  # (N, C_in)
        weight = self.weight * self.scale
        # modulate the activations, not the weights: one batched convolution (StyleGAN2's unfused path)
        out = F.conv2d(x * style[:, :, None, None], weight, padding=self.padding)
        if self.demodulate:
            energy = style.pow(2) @ weight.pow(2).sum((2, 3)).T  # (N, C_out)
            out = out * torch.rsqrt(energy + 1e-8)[:, :, None, None]
        return out + self.bias[None, :, None, None]


class SynthesisBlock(nn.Module):
    """Upsample x2, two modulated convolutions, and this resolution's RGB added to the upsampled RGB."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, first: bool = False, out_channels: int = 3):
        super().__init__()
        self.first = first
        self.conv0 = None if first else ModulatedConv(c_in, c_out, w_dim)
        self.conv1 = ModulatedConv(c_out if not first else c_in, c_out, w_dim)
        self.to_rgb = ModulatedConv(c_out, out_channels, w_dim, kernel=1, demodulate=False)

    def forward(self, x, rgb, w):
        if not self.first:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = F.leaky_relu(self.conv0(x, w), 0.2) * math.sqrt(2)
        x = F.leaky_relu(self.conv1(x, w), 0.2) * math.sqrt(2)
        out = self.to_rgb(x, w)
        if rgb is not None:
            out = out + F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False)
        return x, out


class StyleGenerator(nn.Module):
    """w -> image in [0, 1]; `w_avg` holds each class's mean w (for truncation), tracked in training."""

    def __init__(self, config: WorldGANConfig):
        super().__init__()
        self.config = config
        self.mapping = MappingNetwork(config)
        ch = config.channels
        self.const = nn.Parameter(torch.randn(1, ch[0], 4, 4))
        self.project = EqualLinear(config.w_dim, ch[0] * 16) if config.projected_input else None
        out = config.code_channels
        self.blocks = nn.ModuleList(
            [SynthesisBlock(ch[0], ch[0], config.w_dim, first=True, out_channels=out)]
            + [SynthesisBlock(a, b, config.w_dim, out_channels=out) for a, b in zip(ch, ch[1:])]
        )
        self.register_buffer("w_avg", torch.zeros(config.num_classes, config.w_dim))
        # z's distribution per class as an affine map of N(0, I): the identity for a GAN, a VAE's
        # aggregate posterior fitted after training (linking.variational_gan.fit_prior)
        self.register_buffer("prior_mean", torch.zeros(config.num_classes, config.z_dim))
        self.register_buffer("prior_scale", torch.eye(config.z_dim).repeat(config.num_classes, 1, 1))
        self.decoder = self.post_quant_conv = None
        if config.autoencoder is not None:
            from diffusers import AutoencoderKL

            autoencoder = AutoencoderKL.from_config(config.autoencoder)
            self.decoder, self.post_quant_conv = autoencoder.decoder, autoencoder.post_quant_conv
            self.decoder.requires_grad_(False), self.post_quant_conv.requires_grad_(False)

    def prior(self, noise: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        """z for noise ~ N(0, I) of the given classes, under the generator's prior."""
        return self.prior_mean[classes] + torch.einsum("nij,nj->ni", self.prior_scale[classes], noise)

    def code(self, w: torch.Tensor) -> torch.Tensor:
        """What the synthesis blocks draw for w: the image in [-1, 1] (unclamped), or the
        autoencoder's scaled latents."""
        x, code = self.const.expand(len(w), -1, -1, -1), None
        if self.project is not None:
            x = x + self.project(w).view(len(w), -1, 4, 4)
        for block in self.blocks:
            x, code = block(x, code, w)
        return code

    def decode(self, code: torch.Tensor, clamp: bool = True) -> torch.Tensor:
        """Images in [0, 1] for codes; unclamped (clamp=False) for training, so that saturated
        pixels keep their gradient."""
        if self.decoder is not None:
            code = self.decoder(self.post_quant_conv(code / self.config.autoencoder["scaling_factor"]))
        code = code.clamp(-1, 1) if clamp else code
        return (code + 1) / 2

    def synthesis(self, w: torch.Tensor, clamp: bool = True) -> torch.Tensor:
        """Images for w, in [0, 1]; unclamped (clamp=False) for training."""
        return self.decode(self.code(w), clamp)

    def forward(self, z: torch.Tensor, classes: torch.Tensor, clamp: bool = True) -> torch.Tensor:
        return self.synthesis(self.mapping(z, classes), clamp)


class ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv0 = EqualConv2d(c_in, c_in, 3)
        self.conv1 = EqualConv2d(c_in, c_out, 3)
        self.skip = EqualConv2d(c_in, c_out, 1, bias=False)

    def forward(self, x):
        y = F.leaky_relu(self.conv0(x), 0.2) * math.sqrt(2)
        y = F.avg_pool2d(F.leaky_relu(self.conv1(y), 0.2) * math.sqrt(2), 2)
        return (self.skip(F.avg_pool2d(x, 2)) + y) / math.sqrt(2)


class ProjectionDiscriminator(nn.Module):
    """Residual blocks 32 -> 4 px, then a linear score plus the projection <embed(class), h>."""

    def __init__(self, config: WorldGANConfig):
        super().__init__()
        ch = config.d_channels
        self.from_rgb = EqualConv2d(3, ch[0], 1)
        self.blocks = nn.Sequential(*[ResidualBlock(a, b) for a, b in zip(ch, ch[1:])])
        self.mbstd_group = config.mbstd_group
        self.final = EqualConv2d(ch[-1] + (1 if config.mbstd_group else 0), ch[-1], 3)
        self.features = EqualLinear(ch[-1] * 16, ch[-1])
        self.score = EqualLinear(ch[-1], 1)
        self.embed = nn.Embedding(config.num_classes, ch[-1])
        if config.spectral_norm:
            for module in self.modules():
                if isinstance(module, (EqualConv2d, EqualLinear)):
                    module.scale = module.lr_mul = 1.0
                    nn.utils.parametrizations.spectral_norm(module, "weight")

    def forward(self, images: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.from_rgb(images * 2 - 1), 0.2) * math.sqrt(2)
        x = self.blocks(x)
        if self.mbstd_group:
            x = torch.cat([x, minibatch_spread(x, self.mbstd_group)], 1)
        x = F.leaky_relu(self.final(x), 0.2) * math.sqrt(2)
        h = F.leaky_relu(self.features(x.flatten(1)), 0.2) * math.sqrt(2)
        return self.score(h)[:, 0] + (self.embed(classes) * h).sum(1) / math.sqrt(h.shape[1])


def minibatch_spread(x: torch.Tensor, group: int) -> torch.Tensor:
    """One channel holding the mean standard deviation of x over groups of `group` images (StyleGAN's
    minibatch standard deviation): a discriminator that sees it can tell a collapsed batch."""
    n, c, h, w = x.shape
    g = math.gcd(n, group)
    spread = x.reshape(g, n // g, c, h, w).std(0, unbiased=False).mean((1, 2, 3))  # (n // g,)
    return spread.repeat(g)[:, None, None, None].expand(n, 1, h, w)


class WorldGAN:
    """The world GAN as a linking generator: latents are w; sample_latent maps fresh z per seed and
    pulls w towards its class's mean by truncation."""

    differentiable = True

    def __init__(self, generator: StyleGenerator):
        self.generator = generator.eval()
        self.latent_dim = generator.config.w_dim
        self.num_classes = generator.config.num_classes
        self.class_names = tuple(generator.config.class_names)

    @torch.no_grad()
    def sample_latent(self, n, seed, classes=None, truncation: float = 1.0) -> torch.Tensor:
        from genlens.linking.generator import draw_classes_and_noise

        c, z = draw_classes_and_noise(n, seed, classes, self.num_classes, self.generator.config.z_dim, truncation)
        device = self.generator.const.device
        w = self.generator.mapping(self.generator.prior(z.to(device), c.to(device)), c.to(device))
        avg = self.generator.w_avg[c.to(device)]
        return (avg + truncation * (w - avg)).cpu()

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        device = self.generator.const.device
        out = [self.generator.synthesis(latent[i : i + 256].to(device)).cpu() for i in range(0, len(latent), 256)]
        return torch.cat(out)

    def save(self, folder: Path, card: dict | None = None, dtype: torch.dtype | None = None) -> Path:
        """Write config.json, model.safetensors (floats cast to dtype if given) and card.json atomically."""
        return save_folder(folder, asdict(self.generator.config), self.generator, card, dtype)


def load_world_gan(folder: Path, device="cpu") -> WorldGAN:
    """The world GAN saved in folder (config.json + model.safetensors), in float32 on device."""
    folder = Path(folder)
    try:
        config = json.loads((folder / "config.json").read_text())
        config.pop("kind", None)
        generator = StyleGenerator(WorldGANConfig(**config))
        state = {k: v.float() for k, v in load_file(folder / WEIGHTS_FILE).items()}
        generator.load_state_dict(state)
    except (OSError, TypeError, RuntimeError, json.JSONDecodeError) as e:
        raise GenlensError(f"cannot load the world GAN from '{folder}': {str(e).splitlines()[0]}") from None
    return WorldGAN(generator.to(device))
