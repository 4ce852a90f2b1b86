"""Generative components in diffusers format: base diffusion, feature ControlNet, GAN."""
