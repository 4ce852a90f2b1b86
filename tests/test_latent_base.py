"""The generators' critic, the world autoencoder and a latent world base trained on it, at tiny scale."""

import pytest
import torch

from genlens.inversion.protocol import SamplingConfig

from genlens.generators.autoencoder import AutoencoderLoss, train_autoencoder, world_autoencoder
from genlens.generators.base_design import BaseDesign
from genlens.generators.base_model import load_base, new_world_pipeline
from genlens.generators.critic import WorldCritic, feature_error
from genlens.generators.denoising_loss import LossSettings
from genlens.generators.diffusion_training import train_diffusion
from genlens.training.loop import TrainSettings


def _settings(steps: int) -> TrainSettings:
    return TrainSettings(steps=steps, batch_size=8, lr=1e-3, warmup=1, checkpoint_every=100, device="cpu")


def test_feature_error_is_zero_on_the_target_and_grows_with_the_change():
    critic = WorldCritic().eval()
    x = torch.rand(4, 3, 32, 32)
    assert feature_error(critic, x, x).abs().max() < 1e-6
    small, large = feature_error(critic, x + 0.01, x), feature_error(critic, x.flip(0), x)
    assert (small < large).all()


def test_critic_round_trips(tmp_path):
    critic = WorldCritic()
    critic.save(tmp_path / "critic", {"kind": "critic"})
    loaded = WorldCritic.load(tmp_path / "critic")
    x = torch.rand(2, 3, 32, 32)
    critic.eval()
    assert torch.allclose(critic(x)["shape"], loaded(x)["shape"], atol=1e-5)
    assert not any(p.requires_grad for p in loaded.parameters())


def test_autoencoder_trains_saves_its_scale_and_a_latent_base_samples_images(tmp_path):
    torch.manual_seed(0)
    vae, card = train_autoencoder(tmp_path / "ae", _settings(4), WorldCritic(), AutoencoderLoss())
    assert card["kind"] == "autoencoder" and card["scaling_factor"] > 0
    assert vae.encode(torch.zeros(1, 3, 32, 32)).latent_dist.mean.shape == (1, 8, 8, 8)
    pipe = new_world_pipeline(
        sample_size=8, text_width=32, block_out_channels=(32, 32), attention_levels=2, vae=vae, caption_words=True
    )
    before = {k: v.clone() for k, v in vae.state_dict().items()}
    train_diffusion(tmp_path / "base", _settings(2), pipeline=pipe)
    assert all(torch.equal(before[k], v) for k, v in vae.state_dict().items())  # the VAE stays frozen
    base = load_base(tmp_path / "base")
    assert not base.pixel_space and base.image_size == 32
    images = base(["a small red star in the centre on a plain black background"], steps=2,
                  generator=torch.Generator().manual_seed(0))
    assert images.shape == (1, 3, 32, 32) and 0 <= images.min() and images.max() <= 1


def test_the_feature_term_changes_pixel_and_latent_bases(tmp_path):
    def trained(weight, folder, latent):
        torch.manual_seed(0)
        if latent:
            pipe = new_world_pipeline(sample_size=8, text_width=32, block_out_channels=(32, 32), vae=world_autoencoder())
        else:
            pipe = new_world_pipeline(text_width=32, block_out_channels=(32, 32, 32), caption_words=True)
        train_diffusion(folder, _settings(2), pipeline=pipe, loss_settings=LossSettings(feature_weight=weight),
                        critic=WorldCritic())
        return next(pipe.unet.parameters()).detach().clone()

    # on a latent base the term reaches the UNet through the frozen VAE's decoder
    for latent in (False, True):
        assert not torch.allclose(trained(0.0, tmp_path / f"a{latent}", latent), trained(1.0, tmp_path / f"b{latent}", latent))


@pytest.mark.parametrize("pose", [False, True], ids=["caption-words", "pose"])
def test_an_inverter_trains_and_samples_on_a_caption_words_base(tmp_path, pose):
    from genlens.classifiers.architectures import world_cnn
    from genlens.classifiers.classifier import Classifier, ClassifierConfig
    from genlens.inversion.data import WorldImages
    from genlens.inversion.training import train_inverter

    torch.manual_seed(0)
    pipe = new_world_pipeline(text_width=32, block_out_channels=(32, 32, 32), caption_words=True, pose=pose)
    if pose:  # a pose base trained on scenes whose objects share one angle, then reloaded
        train_diffusion(tmp_path / "base", _settings(2), pipeline=pipe, design=BaseDesign(pose="shared"))
    else:
        pipe.save_pretrained(tmp_path / "base")
    classifier = Classifier(
        world_cnn(5, widths=(8, 16, 16)), ClassifierConfig("world-cnn", list("abcde"), arch_kwargs={"widths": [8, 16, 16]})
    ).eval()
    base = load_base(tmp_path / "base")
    assert base.reads_pose == pose
    inverter, _ = train_inverter(classifier, "layer2", base, str(tmp_path / "base"), WorldImages(32), tmp_path / "inv",
                                 TrainSettings(steps=2, batch_size=4, warmup=1, device="cpu", checkpoint_every=1))
    assert inverter.controlnet.config.class_embed_type == "projection"  # the ControlNet hears the bag of words too
    samples = inverter.invert(torch.rand(2, 3, 32, 32), samples=1, sampling=SamplingConfig(steps=2))
    assert samples.shape == (2, 1, 3, 32, 32)


@pytest.mark.parametrize("layer", ["layer2", "layer3"])
def test_an_inverter_trains_and_samples_on_a_latent_base_that_hears_the_pose(tmp_path, layer):
    from genlens.classifiers.architectures import world_cnn
    from genlens.classifiers.classifier import Classifier, ClassifierConfig
    from genlens.inversion.data import WorldImages
    from genlens.inversion.training import train_inverter

    torch.manual_seed(0)
    vae = world_autoencoder(block_out_channels=(8, 8, 8)).eval()
    new_world_pipeline(sample_size=8, text_width=32, block_out_channels=(32, 32), vae=vae, caption_words=True,
                       pose=True).save_pretrained(tmp_path / "base")
    base = load_base(tmp_path / "base")
    assert base.reads_pose and not base.pixel_space
    classifier = Classifier(
        world_cnn(5, widths=(8, 16, 16)), ClassifierConfig("world-cnn", list("abcde"), arch_kwargs={"widths": [8, 16, 16]})
    ).eval()
    inverter, card = train_inverter(classifier, layer, base, str(tmp_path / "base"), WorldImages(32), tmp_path / "inv",
                                    TrainSettings(steps=2, batch_size=4, warmup=1, device="cpu", checkpoint_every=1))
    assert card["loss"]["feature_weight"] > 0  # the feature term reads the decoded clean estimate
    samples = inverter.invert(torch.rand(2, 3, 32, 32), samples=1, sampling=SamplingConfig(steps=2))
    assert samples.shape == (2, 1, 3, 32, 32) and samples.min() >= 0 and samples.max() <= 1
