"""Critic guidance moves clean samples towards what the critic reads as the caption's concepts, on
pixel and latent bases alike."""

import subprocess
import sys

import torch
import torch.nn.functional as F

from genlens.generators.autoencoder import world_autoencoder
from genlens.generators.base_model import new_world_pipeline
from genlens.generators.critic import WorldCritic
from genlens.generators.critic_guidance import UNNAMED, CriticGuidance, concept_targets, critic_steer
from genlens.generators.guidance import pixels
from genlens.generators.pipeline import WorldDiffusionPipeline


def _loss(critic, images, targets):
    logits = critic(images)
    return sum(F.cross_entropy(logits[c], v) for c, v in targets.items()).item()


def test_steering_lowers_the_critics_loss_for_the_named_concepts_and_nothing_else_moves_at_zero():
    torch.manual_seed(0)
    critic = WorldCritic().eval()
    targets = concept_targets(critic, [{"shape": "star", "color": "red"}, {"shape": "heart", "color": "blue"}])
    assert set(targets) == {"shape", "color"} and targets["shape"].tolist() == [3, 4]
    clean = torch.rand(2, 3, 32, 32) * 2 - 1
    steered = critic_steer(critic, targets, CriticGuidance(0.05, 8), pixels)(clean, 500)
    assert _loss(critic, pixels(steered), targets) < _loss(critic, pixels(clean), targets)
    assert torch.equal(critic_steer(critic, targets, CriticGuidance(0.0, 8), pixels)(clean, 500), clean)
    late = critic_steer(critic, targets, CriticGuidance(0.05, 8, below=0.5), pixels)
    assert torch.equal(late(clean, torch.tensor(500)), clean)
    assert torch.equal(late(clean, torch.tensor(499)), steered)


def test_a_sample_whose_caption_names_nothing_the_critic_reads_is_left_as_it_is():
    torch.manual_seed(0)
    critic = WorldCritic().eval()
    targets = concept_targets(critic, [{"shape": "star"}, {}])
    assert targets["shape"].tolist() == [3, UNNAMED]
    clean = torch.rand(2, 3, 32, 32) * 2 - 1
    steered = critic_steer(critic, targets, CriticGuidance(0.05, 4), pixels)(clean, 500)
    assert not torch.equal(steered[0], clean[0]) and torch.equal(steered[1], clean[1])


def test_a_latent_base_samples_with_critic_guidance_through_its_decoder():
    torch.manual_seed(0)
    vae = world_autoencoder(block_out_channels=(8, 8, 8)).eval()
    pipe = new_world_pipeline(sample_size=8, text_width=32, block_out_channels=(32, 32), vae=vae, caption_words=True)
    critic = WorldCritic().eval()
    targets = concept_targets(critic, [{"shape": "star"}])
    plain = pipe(["a small red star in the centre on a plain black background"], steps=2, generator=torch.Generator().manual_seed(1))
    steer = critic_steer(critic, targets, CriticGuidance(0.05, 2), pipe.decode_samples)
    guided = pipe(["a small red star in the centre on a plain black background"], steps=2,
                  generator=torch.Generator().manual_seed(1), steer=steer)
    assert guided.shape == plain.shape == (1, 3, 32, 32) and not torch.equal(guided, plain)


def test_a_base_folder_carries_its_critic_and_strength_and_guides_by_what_the_caption_names(tmp_path):
    from genlens.generators.base_model import load_base
    from genlens.generators.diffusion_training import save_pipeline

    torch.manual_seed(0)
    pipe = new_world_pipeline(sample_size=8, text_width=32, block_out_channels=(32, 32), caption_words=True)
    guided_pipe = WorldDiffusionPipeline(**pipe.base_components | {"critic": WorldCritic().eval(), "critic_guidance": 0.05})
    save_pipeline(guided_pipe, tmp_path / "base", {"kind": "base"}, dtype=torch.float16)
    base = load_base(tmp_path / "base")
    assert isinstance(base.critic, WorldCritic) and base.config.critic_guidance == 0.05
    fresh = subprocess.run(  # a new process loads the folder with nothing of genlens imported before
        [sys.executable, "-c", f"from genlens.generators.base_model import load_base; print(type(load_base({str(tmp_path / 'base')!r}).critic).__name__)"],
        capture_output=True, text=True,
    )
    assert fresh.stdout.strip() == "WorldCritic", fresh.stderr
    assert base.with_controlnet(None).config.critic_guidance == 0.05

    def draw(prompt, **options):
        return base([prompt], steps=2, generator=torch.Generator().manual_seed(1), **options)

    star = "a small red star in the centre on a plain black background"
    assert not torch.equal(draw(star), draw(star, critic_guidance=0.0))
    assert torch.equal(draw(star, critic_guidance=0.0), WorldDiffusionPipeline(**{**base.base_components, "critic": None})(
        [star], steps=2, generator=torch.Generator().manual_seed(1)))
    nothing = "a high-quality, detailed, and professional image"
    assert torch.equal(draw(nothing), draw(nothing, critic_guidance=0.0))
