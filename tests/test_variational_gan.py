import torch

from genlens.generators.critic import WorldCritic
from genlens.linking import load_generator
from genlens.linking.variational_gan import (
    VariationalGAN, VariationalSettings, fit_prior, maximum_mean_discrepancy, train_variational_gan,
    variational_loss,
)
from genlens.linking.world_gan import WorldGANConfig
from genlens.training.loop import TrainSettings
from genlens.world import get_task

TINY = dict(z_dim=8, w_dim=16, mapping_layers=2, channels=[16, 16, 8, 8], d_channels=[8, 8, 16, 16], projected_input=True)


def _tiny_critic() -> WorldCritic:
    torch.manual_seed(0)
    return WorldCritic(widths=(4, 8, 8)).eval().requires_grad_(False)


def _loss_on_four_renders(model, seed=3, **weights) -> float:
    """The variational loss of model on four renders (uniform pixel weights, no perceptual term)."""
    sample = get_task("shape").sample(4, seed=1)
    settings = VariationalSettings(**{"perceptual_weight": 0.0, "prior_class_weight": 0.0, **weights})
    loss = variational_loss(
        model, sample.images, sample.images * 2 - 1, sample.labels, torch.ones(4, 1, 32, 32), seed, _tiny_critic(),
        "shape", settings,
    )
    return float(loss.detach())


def test_the_kl_term_is_zero_when_the_posterior_is_the_prior_and_grows_with_the_mean():
    torch.manual_seed(0)
    model = VariationalGAN(WorldGANConfig(**TINY))
    out = model.encoder.out
    with torch.no_grad():
        out.weight.zero_(), out.bias.zero_()
    assert abs(_loss_on_four_renders(model, kl_weight=1.0) - _loss_on_four_renders(model, kl_weight=0.0)) < 1e-6
    with torch.no_grad():
        out.bias[:8] = 2.0  # the mean of z at 2 in every dimension: KL = 8 * 2^2 / 2 = 16 nats
    assert abs(_loss_on_four_renders(model, kl_weight=1.0) - _loss_on_four_renders(model, kl_weight=0.0) - 16.0) < 1e-3


def test_prior_samples_move_each_class_mean_w():
    torch.manual_seed(0)
    model = VariationalGAN(WorldGANConfig(**TINY))
    sample = get_task("shape").sample(16, seed=1)
    ones = torch.ones(16, 1, 32, 32)
    variational_loss(model, sample.images, sample.images * 2 - 1, sample.labels, ones, 3, _tiny_critic(), "shape", VariationalSettings(w_avg_beta=0.0))
    assert (model.generator.w_avg.abs().sum(1) > 0).sum() >= 3


def test_variational_training_reconstructs_resumes_and_loads_as_a_generator(tmp_path):
    settings = TrainSettings(steps=40, batch_size=8, lr=2e-3, warmup=0, weight_decay=0.0, schedule="constant",
                             checkpoint_every=20, seed=2)
    critic = _tiny_critic()
    config = WorldGANConfig(**TINY)
    gan, card = train_variational_gan(tmp_path / "a", settings, critic, config=config, eval_n=0)
    assert card["kind"] == "world-gan" and card["objective"] == "variational" and card["steps"] == 40
    # a killed run resumes from its checkpoint to the same weights
    partial = TrainSettings(**{**settings.__dict__, "steps": 20})
    train_variational_gan(tmp_path / "b", partial, critic, config=config, eval_n=0)
    (tmp_path / "b" / "model.safetensors").unlink()
    resumed, _ = train_variational_gan(tmp_path / "b", settings, critic, config=config, eval_n=0)
    for a, b in zip(gan.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)
    loaded = load_generator(str(tmp_path / "a"))
    latent = loaded.sample_latent(5, seed=1, classes=[0, 1, 2, 3, 4])
    images = loaded.synthesize(latent)
    assert images.shape == (5, 3, 32, 32) and 0 <= images.min() and images.max() <= 1


def test_the_fitted_prior_is_each_class_aggregate_posterior():
    torch.manual_seed(0)
    model = VariationalGAN(WorldGANConfig(**TINY)).eval()
    out = model.encoder.out
    with torch.no_grad():  # every posterior N(3, e^-4): the fitted prior must find it, N(0, I) misses it
        out.weight.zero_(), out.bias.zero_()
        out.bias[:8], out.bias[8:] = 3.0, -4.0
    fit_prior(model, get_task("shape"), n=300, seed=1)
    generator = model.generator
    assert torch.allclose(generator.prior_mean, torch.full_like(generator.prior_mean, 3.0), atol=0.05)
    scale = torch.diagonal(generator.prior_scale, dim1=1, dim2=2)
    assert torch.allclose(scale, torch.full_like(scale, 0.1353), atol=0.03)
    z = generator.prior(torch.randn(500, 8), torch.full((500,), 2))
    assert (z - 3).abs().max() < 1.0
    classes = torch.full((1000,), 2)
    w = generator.mapping(generator.prior(torch.randn(1000, 8), classes), classes).mean(0)
    assert torch.allclose(generator.w_avg[2], w, atol=0.05)


def test_the_mmd_is_near_zero_between_samples_of_one_gaussian_and_large_between_two():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, 16, generator=g), torch.randn(64, 16, generator=g)
    same = float(maximum_mean_discrepancy(a, b))
    assert abs(same) < 0.05
    assert float(maximum_mean_discrepancy(a + 1, b)) > 10 * max(same, 0.01)
    assert float(maximum_mean_discrepancy(a * 0.3, b)) > 10 * max(same, 0.01)


def test_a_wasserstein_autoencoder_takes_the_encoders_mean_as_z():
    torch.manual_seed(0)
    model = VariationalGAN(WorldGANConfig(**TINY))
    # two seeds: a deterministic encoder leaves only the MMD's prior draw (weighted ~0 here) to differ
    a = _loss_on_four_renders(model, seed=3, kl_weight=0.0, mmd_weight=1e-12)
    assert abs(a - _loss_on_four_renders(model, seed=4, kl_weight=0.0, mmd_weight=1e-12)) < 1e-6
    assert _loss_on_four_renders(model, seed=3, kl_weight=0.0, mmd_weight=1.0) > a
