"""The latent world base's one-run recipe: four stages, a killed run resumes at its stage, and the
folder it writes guides sampling with its own critic."""

import json

import torch

from genlens.generators.base_model import load_base
from genlens.generators.critic import WorldCritic
from genlens.generators.latent_base_training import STAGES, LatentBaseStages, train_latent_base
from genlens.training.loop import TrainSettings


def _tiny(seed: int) -> TrainSettings:
    return TrainSettings(steps=2, batch_size=8, lr=1e-3, warmup=1, checkpoint_every=100, device="cpu", seed=seed)


def _stages() -> LatentBaseStages:
    return LatentBaseStages(base=_tiny(5), guide_critic=_tiny(16), term_critic=_tiny(16), autoencoder=_tiny(15))


def test_the_stages_train_once_and_the_folder_guides_with_its_crisp_critic(tmp_path):
    pipe, card = train_latent_base(tmp_path / "base", _stages())
    assert card["design"] == "latent" and set(card["stages"]) == {"guide_critic", "term_critic", "autoencoder", "base"}
    assert card["seconds"] == round(sum(s["seconds"] for s in card["stages"].values()), 1)
    guide = json.loads((tmp_path / "base" / STAGES / "guide-critic" / "card.json").read_text())
    assert guide["augmentation"]["p_blur"] == 0 and guide["augmentation"]["p_noise"] == 0
    base = load_base(tmp_path / "base")
    assert isinstance(base.critic, WorldCritic) and base.config.critic_guidance == 0.01 and base.guidance_scale == 4.0
    assert not base.pixel_space
    crisp = WorldCritic.load(tmp_path / "base" / STAGES / "guide-critic")
    assert all(torch.equal(a, b) for a, b in zip(base.critic.state_dict().values(), crisp.state_dict().values()))
    # a second run finds every stage finished: nothing is trained again
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "base" / STAGES).glob("*/card.json")}
    _, again = train_latent_base(tmp_path / "base", _stages())
    assert again["seconds"] == card["seconds"]
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / "base" / STAGES).glob("*/card.json")}
