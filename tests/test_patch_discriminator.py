"""The autoencoder's patch discriminator: each network learns from its own loss only, and an
adversarial autoencoder trains and saves the autoencoder alone."""

import torch
from safetensors.torch import load_file
from torch import nn

from genlens.generators.autoencoder import AutoencoderLoss, train_autoencoder, world_autoencoder
from genlens.generators.critic import WorldCritic
from genlens.generators.patch_discriminator import (
    PatchDiscriminator, adaptive_weight, discriminator_loss, generator_loss,
)
from genlens.training.loop import TrainSettings


def test_the_discriminator_judges_patches():
    assert PatchDiscriminator()(torch.rand(2, 3, 32, 32)).shape == (2, 1, 8, 8)


def test_each_loss_moves_its_own_network_only():
    torch.manual_seed(0)
    discriminator, decoder = PatchDiscriminator(), nn.Conv2d(3, 3, 1)
    real, decoded = torch.rand(2, 3, 32, 32), decoder(torch.rand(2, 3, 32, 32))
    generator_loss(discriminator, decoded).backward()
    assert all(p.grad is None for p in discriminator.parameters())
    assert decoder.weight.grad is not None and decoder.weight.grad.abs().sum() > 0
    decoder.zero_grad(set_to_none=True)
    discriminator_loss(discriminator, real, decoder(torch.rand(2, 3, 32, 32))).backward()
    assert decoder.weight.grad is None
    assert all(p.grad is not None for p in discriminator.parameters())


def test_the_adaptive_weight_is_the_ratio_of_gradient_norms():
    w = torch.ones(3, requires_grad=True)
    assert torch.isclose(adaptive_weight((4 * w).sum(), (2 * w).sum(), w), torch.tensor(2.0), rtol=1e-3)


def test_an_adversarial_autoencoder_trains_both_networks_and_saves_the_autoencoder(tmp_path):
    settings = TrainSettings(steps=3, batch_size=4, lr=1e-3, warmup=1, checkpoint_every=100, device="cpu")
    loss = AutoencoderLoss(adversarial_weight=0.5, adversarial_start=1)
    vae, card = train_autoencoder(tmp_path / "ae", settings, WorldCritic(), loss)
    assert card["loss"]["adversarial_weight"] == 0.5
    saved = (tmp_path / "ae" / "diffusion_pytorch_model.safetensors").exists()
    assert saved and not any("discriminator" in k for k in vae.state_dict())
    checkpoint = sorted((tmp_path / "ae" / "checkpoints").iterdir())[-1] / "model.safetensors"
    trained = {k.removeprefix("discriminator."): v for k, v in load_file(checkpoint).items() if k.startswith("discriminator.")}
    torch.manual_seed(settings.seed)
    world_autoencoder()
    untrained = PatchDiscriminator().state_dict()
    assert trained.keys() == untrained.keys()
    assert any(not torch.equal(trained[k], untrained[k]) for k in trained)
