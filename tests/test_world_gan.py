import torch

from genlens.linking import load_generator
from genlens.linking.gan_training import GANSettings, train_gan
from genlens.linking.world_gan import StyleGenerator, WorldGAN, WorldGANConfig
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
    assert torch.equal(images, gan.synthesize(a))


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
