"""World GAN pilot in a world autoencoder's latent space: the style-based generator draws the
8 x 8 x 8 latents of a frozen world autoencoder (`generator_pilots.py b-autoencoder`), whose decoder
turns them into images; the discriminator, the losses and the measurement are the world GAN's.

    python benchmarks/latent_gan_pilot.py OUT --autoencoder AE --steps 1500

An object's shape is a local code in those latents (the autoencoder's reconstructions read back at
shape 0.996), so the generator is asked for an 8 x 8 code rather than outlines at 32 px.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import torch

from genlens.linking import gan_training
from genlens.linking.gan_training import GANSettings, train_gan
from genlens.linking.world_gan import ModulatedConv, StyleGenerator, WorldGANConfig
from genlens.recipes import RECIPES


def decoded_generator(autoencoder: Path):
    """A StyleGenerator class whose synthesis draws (scaled) latents of the autoencoder and decodes them."""
    from diffusers import AutoencoderKL

    vae = AutoencoderKL.from_pretrained(autoencoder).eval().requires_grad_(False)
    latent_channels, scaling = vae.config.latent_channels, vae.config.scaling_factor

    class DecodedStyleGenerator(StyleGenerator):
        def __init__(self, config: WorldGANConfig):
            super().__init__(config)
            for block, width in zip(self.blocks, config.channels):
                block.to_rgb = ModulatedConv(width, latent_channels, config.w_dim, kernel=1, demodulate=False)
            self.decoder, self.post_quant_conv = vae.decoder, vae.post_quant_conv

        def latents(self, w: torch.Tensor) -> torch.Tensor:
            x, code = self.const.expand(len(w), -1, -1, -1), None
            for block in self.blocks:
                x, code = block(x, code, w)
            return code

        def synthesis(self, w: torch.Tensor, clamp: bool = True) -> torch.Tensor:
            images = self.decoder(self.post_quant_conv(self.latents(w) / scaling))
            images = images.clamp(-1, 1) if clamp else images
            return (images + 1) / 2

    return DecodedStyleGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--autoencoder", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--r1-gamma", type=float, default=GANSettings.r1_gamma)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--eval-n", type=int, default=200)
    args = parser.parse_args()
    gan_training.StyleGenerator = decoded_generator(args.autoencoder)
    recipe = RECIPES["world-gan"]
    settings = replace(recipe.settings, steps=args.steps, lr=args.lr or recipe.settings.lr)
    gan = GANSettings(task=recipe.task, r1_gamma=args.r1_gamma)
    config = WorldGANConfig(channels=[128, 128])
    _, card = train_gan(args.out, settings, gan, config, eval_n=args.eval_n)
    print(json.dumps({"design": vars(args) | {"out": str(args.out)}, "metrics": card.get("metrics"), "seconds": card["seconds"]}, default=str))


if __name__ == "__main__":
    main()
