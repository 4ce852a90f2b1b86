import copy

import pytest
import torch

from genlens.linking import load_generator
from genlens.linking.gan_training import GANSettings, GANState, discriminator_step, generator_step, train_gan
from genlens.linking.world_gan import StyleGenerator, WorldGAN, WorldGANConfig, minibatch_spread
from genlens.training.loop import TrainSettings
from safetensors.torch import load_file

TINY = dict(z_dim=8, w_dim=16, mapping_layers=2, channels=[16, 16, 8, 8], d_channels=[8, 8, 16, 16])


def test_world_gan_latents_are_deterministic_and_truncate_to_the_class_mean():
    gan = WorldGAN(StyleGenerator(WorldGANConfig(**TINY)))
    gan.generator.w_avg.normal_()
    a = gan.sample_latent(6, seed=3, classes=[2] * 6)
    assert torch.equal(a, gan.sample_latent(6, seed=3, classes=[2] * 6)) and a.shape == (6, 16)
    assert not torch.equal(a, gan.sample_latent(6, seed=4, classes=[2] * 6))
    assert torch.allclose(gan.sample_latent(6, seed=3, classes=[2] * 6, truncation=1e-6), gan.generator.w_avg[2].expand(6, -1), atol=1e-4)
    images = gan.synthesize(a)
    assert images.shape == (6, 3, 32, 32) and images.min() >= 0 and images.max() <= 1
    from genlens.report.html import image_grid

    assert image_grid(images, 3).size[0] > 0  # differentiable images still make a picture
    assert torch.equal(images, gan.synthesize(a))


@pytest.mark.parametrize("design", [{}, {"spectral_norm": True, "loss": "hinge"}])
def test_each_player_step_moves_only_its_own_network_and_the_spread_sees_collapse(design):
    from accelerate import Accelerator

    torch.manual_seed(0)
    loss = design.pop("loss", "nonsaturating")
    state = GANState(WorldGANConfig(**TINY, **design))
    optimizer = torch.optim.Adam(state.parameters(), lr=1e-2, betas=(0.0, 0.99))
    snapshot = lambda module: [p.detach().clone() for p in module.parameters()]
    moved = lambda before, module: any(not torch.equal(a, p) for a, p in zip(before, module.parameters()))
    images, classes = torch.rand(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    z, fake_classes = torch.randn(4, 8), torch.tensor([4, 3, 2, 1])
    g, d = snapshot(state.generator), snapshot(state.discriminator)
    discriminator_step(state, optimizer, Accelerator(cpu=True), images, classes, z, fake_classes, GANSettings(loss=loss), step=0)
    assert moved(d, state.discriminator) and not moved(g, state.generator)
    g, d = snapshot(state.generator), snapshot(state.discriminator)
    generator_step(state, optimizer, Accelerator(cpu=True), z, fake_classes, loss=loss)
    assert moved(g, state.generator) and not moved(d, state.discriminator)
    assert all(p.requires_grad for p in state.discriminator.parameters())
    same = torch.ones(8, 2, 4, 4)
    assert minibatch_spread(same, 4).abs().max() == 0 and minibatch_spread(torch.randn(8, 2, 4, 4), 4).min() > 0


def _settings(steps):
    return TrainSettings(steps=steps, batch_size=4, lr=2e-3, warmup=0, weight_decay=0.0, schedule="constant",
                         checkpoint_every=2, seed=5)


def test_gan_training_resumes_to_the_same_weights_and_loads_as_a_generator(tmp_path):
    config = WorldGANConfig(**TINY)
    gan = GANSettings(r1_every=2)
    train_gan(tmp_path / "straight", _settings(4), gan, config, eval_n=0)
    train_gan(tmp_path / "resumed", _settings(2), gan, config, eval_n=0)
    # a longer run into the same folder resumes from step 2 (a killed run does the same)
    (tmp_path / "resumed" / "card.json").unlink()
    train_gan(tmp_path / "resumed", _settings(4), gan, config, eval_n=0)
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(tmp_path / "resumed" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    # and the resumed run really starts from the checkpoint: a changed checkpoint changes the result
    from safetensors.torch import save_file

    train_gan(tmp_path / "tampered", _settings(2), gan, config, eval_n=0)
    (tmp_path / "tampered" / "card.json").unlink()
    checkpoint = next((tmp_path / "tampered" / "checkpoints").glob("step-*")) / "model.safetensors"
    state = load_file(checkpoint)
    state["generator.const"] += 1.0
    save_file(state, checkpoint)
    train_gan(tmp_path / "tampered", _settings(4), gan, config, eval_n=0)
    c = load_file(tmp_path / "tampered" / "model.safetensors")
    assert not torch.equal(a["const"], c["const"])
    loaded = load_generator(str(tmp_path / "straight"))
    assert loaded.latent_dim == 16 and loaded.num_classes == 5
    assert loaded.synthesize(loaded.sample_latent(2, seed=0)).shape == (2, 3, 32, 32)


def test_biggan_state_dicts_load_as_a_generator(tmp_path):
    import json

    from pytorch_pretrained_biggan import BigGAN, BigGANConfig
    from safetensors.torch import save_file

    config = BigGANConfig(z_dim=16, class_embed_dim=16, channel_width=4, num_classes=3,
                          layers=[(True, 16, 8), (True, 8, 4), (True, 4, 2), (False, 2, 1)], attention_layer_position=1,
                          n_stats=51)
    model = BigGAN(config).eval()
    with torch.no_grad():  # the package leaves its last batch norm's affine parameters uninitialised
        model.generator.bn.weight.fill_(1.0)
        model.generator.bn.bias.zero_()
    (tmp_path / "config.json").write_text(config.to_json_string())
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, tmp_path / "model.safetensors")
    (tmp_path / "genlens.json").write_text(json.dumps({"truncation": 0.5, "class_names": ["a", "b", "c"]}))
    gan = load_generator(f"biggan:{tmp_path}")
    assert gan.latent_dim == 32 and gan.class_names == ("a", "b", "c")
    latents = gan.sample_latent(4, seed=1, classes=[2, 2, 0, 1])
    assert torch.equal(latents, gan.sample_latent(4, seed=1, classes=[2, 2, 0, 1]))
    assert torch.allclose(latents[0, 16:], model.embeddings.weight[:, 2])
    images = gan.synthesize(latents)
    assert images.shape == (4, 3, 32, 32) and 0 <= images.min() and images.max() <= 1
    with torch.no_grad():
        expected = (model(latents[:, :16], torch.eye(3)[[2, 2, 0, 1]], 0.5) + 1) / 2
    assert torch.allclose(images, expected, atol=1e-5)


def test_a_critic_adds_its_reading_of_the_class_to_the_generator_loss_and_w_can_set_the_layout():
    from accelerate import Accelerator

    from genlens.generators.critic import WorldCritic

    torch.manual_seed(0)
    state = GANState(WorldGANConfig(**TINY, projected_input=True))
    z, classes = torch.randn(4, 8), torch.tensor([0, 1, 2, 3])
    critic = WorldCritic(widths=(4, 4, 4)).eval()
    losses = {}
    for name, extra in (("plain", None), ("critic", (critic, "shape", 1.0))):
        s = copy.deepcopy(state)
        optimizer = torch.optim.Adam(s.parameters(), lr=1e-3)
        losses[name] = float(generator_step(s, optimizer, Accelerator(cpu=True), z, classes, extra)[0])
    images = state.generator(z, classes, clamp=False)
    expected = torch.nn.functional.cross_entropy(critic(images)["shape"], classes)
    assert abs(losses["critic"] - losses["plain"] - float(expected.detach())) < 1e-3
    # with the projected input, two latents give two different 4x4 inputs
    assert state.generator.project is not None and not torch.equal(*state.generator.project(torch.randn(2, 16)))


def test_the_discriminators_rate_is_its_own_share_of_the_generators(tmp_path):
    from genlens.training.checkpoint import latest_checkpoint

    config = WorldGANConfig(**TINY)
    train_gan(tmp_path / "g", _settings(2), GANSettings(r1_every=2, d_lr_ratio=0.0), config, eval_n=0)
    state = load_file(latest_checkpoint(tmp_path / "g" / "checkpoints") / "model.safetensors")
    torch.manual_seed(5)  # the run's seed: the networks as they were built
    initial = GANState(config).state_dict()
    for key, value in initial.items():
        if key.startswith("discriminator."):
            assert torch.equal(state[key], value), key  # a rate of 0 leaves it where it started
    assert any(not torch.equal(state[k], v) for k, v in initial.items() if k.startswith("generator."))


def test_the_mode_seeking_term_is_the_inverse_ratio_of_image_to_latent_distance():
    from accelerate import Accelerator

    state = GANState(WorldGANConfig(**TINY, projected_input=True))
    z, classes = torch.randn(4, 8), torch.tensor([0, 1, 0, 1])
    losses = {}
    for weight in (0.0, 2.0):
        s = copy.deepcopy(state)
        optimizer = torch.optim.Adam(s.parameters(), lr=1e-3)
        losses[weight] = float(generator_step(s, optimizer, Accelerator(cpu=True), z, classes, mode_seeking=weight)[0])
    images = state.generator(z, classes, clamp=False).detach()
    ratio = ((images[:2] - images[2:]).abs().flatten(1).mean(1) / (z[:2] - z[2:]).abs().mean(1)).mean()
    assert abs(losses[2.0] - losses[0.0] - 2.0 / (float(ratio) + 1e-5)) < 1e-3 * max(1.0, losses[2.0])
