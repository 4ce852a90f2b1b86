"""The shared training loop: gradient clipping and the shipped recipes' bookkeeping."""

import pytest
import torch

from genlens.recipes import GROUPS, RECIPES
from genlens.errors import GenlensError
from genlens.training.loop import TrainSettings, fit


def _one_sgd_step(tmp_path, monkeypatch, max_grad_norm):
    monkeypatch.setattr(torch.optim, "AdamW", torch.optim.SGD)  # a step proportional to the gradient
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1, bias=False)
    before = model.weight.detach().clone()
    settings = TrainSettings(
        steps=1, batch_size=8, lr=0.1, warmup=1, weight_decay=0.0, device="cpu", max_grad_norm=max_grad_norm
    )
    x = torch.full((8, 4), 100.0)
    fit(model, lambda s, p, d: x, lambda m, b: m(b).pow(2).mean(), settings, tmp_path)
    return (model.weight.detach() - before).norm().item()


def test_gradient_clipping_bounds_the_step(tmp_path, monkeypatch):
    assert _one_sgd_step(tmp_path / "a", monkeypatch, None) > 1.0
    assert abs(_one_sgd_step(tmp_path / "b", monkeypatch, 1e-3) - 0.1 * 1e-3) < 1e-6


def test_every_recipe_belongs_to_a_group_and_inverters_follow_their_base():
    from genlens.shipped import SHIPPED_BASES

    names = list(RECIPES)
    assert {RECIPES[n].group for n in names} == set(GROUPS)
    for n in names:
        if RECIPES[n].group == "inverters":
            assert names.index(n) > names.index(SHIPPED_BASES[RECIPES[n].base])


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"grad_accum": 0}, "grad_accum"),
        ({"checkpoint_every": 0}, "checkpoint_every"),
        ({"steps": 0}, "steps"),
        ({"lr": -1e-3}, "learning rate"),
        ({"schedule": "linear"}, "schedule"),
    ],
)
def test_settings_no_run_can_use_are_refused_when_made(bad, message):
    with pytest.raises(GenlensError, match=message):
        TrainSettings(**bad)
    assert TrainSettings(lr=0.0, schedule="constant").lr == 0.0  # a frozen phase is allowed


def _linear_fit(folder, ema_decay):
    """20 steps of a linear regression; returns the model's final weights."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    target = torch.tensor([[1.0, -2.0, 0.5, 3.0]])

    def batch(step, process, device):
        x = torch.randn(16, 4, generator=torch.Generator().manual_seed(step))
        return x, x @ target.T

    settings = TrainSettings(steps=20, batch_size=16, lr=0.05, warmup=1, ema_decay=ema_decay, checkpoint_every=5)
    fit(model, batch, lambda m, b: (m(b[0]) - b[1]).pow(2).mean(), settings, folder)
    return model.weight.detach().clone()


def test_ema_ends_on_the_average_and_a_resumed_run_continues_it(tmp_path):
    import shutil

    averaged = _linear_fit(tmp_path / "a", 0.9)
    assert not torch.allclose(averaged, _linear_fit(tmp_path / "b", None), atol=1e-3)  # the average lags
    shutil.rmtree(tmp_path / "a" / "checkpoints" / "step-0000020")  # as if killed after step 15's checkpoint
    assert torch.allclose(_linear_fit(tmp_path / "a", 0.9), averaged, atol=1e-6)


def test_published_folders_follow_the_umask(tmp_path):
    import os
    import stat

    from safetensors.torch import save_file

    from genlens.training.checkpoint import atomic_dir, publish_dir

    mask = os.umask(0o022)
    try:
        tmp = atomic_dir(tmp_path / "model")
        save_file({"w": torch.zeros(2)}, tmp / "model.safetensors")
        publish_dir(tmp, tmp_path / "model")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "model" / "model.safetensors").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "model").stat().st_mode) == 0o755


def test_a_run_resumes_only_with_the_settings_and_facts_it_started_with(tmp_path):
    from genlens.classifiers.architectures import world_cnn

    def batch(step, process, device):
        g = torch.Generator().manual_seed(step)
        return torch.randn(4, 3, 8, 8, generator=g), torch.randint(0, 2, (4,), generator=g)

    def loss(model, data):
        return torch.nn.functional.cross_entropy(model(data[0]), data[1])

    settings = TrainSettings(steps=2, batch_size=4, lr=1e-3, warmup=0, checkpoint_every=1)
    fit(world_cnn(2, widths=(4, 4, 4)), batch, loss, settings, tmp_path, run={"task": "shape"})
    longer = TrainSettings(steps=3, batch_size=4, lr=1e-3, warmup=0, checkpoint_every=1)
    fit(world_cnn(2, widths=(4, 4, 4)), batch, loss, longer, tmp_path, run={"task": "shape"})  # extending is fine
    with pytest.raises(GenlensError, match="lr=0.001"):
        fit(world_cnn(2, widths=(4, 4, 4)), batch, loss, TrainSettings(steps=4, batch_size=4, lr=0.5, warmup=0), tmp_path,
            run={"task": "shape"})
    with pytest.raises(GenlensError, match="task='shape'"):
        fit(world_cnn(2, widths=(4, 4, 4)), batch, loss, TrainSettings(steps=4, batch_size=4, lr=1e-3, warmup=0), tmp_path,
            run={"task": "shortcut"})


def test_train_defaults_runs_a_recipe_object_and_reproduces_its_weights(tmp_path, monkeypatch, cli_here):
    import json
    from dataclasses import replace

    from safetensors.torch import load_file

    import genlens.recipes as recipes

    tiny = replace(RECIPES["world-cnn"], settings=replace(RECIPES["world-cnn"].settings, steps=2, batch_size=8, warmup=1))
    monkeypatch.setitem(recipes.RECIPES, "world-cnn", tiny)
    for run in ("a", "b"):
        code, _, err = cli_here("train", "defaults", "--name", "world-cnn", "--out", str(tmp_path / run), "--device", "cpu")
        assert code == 0, err
    card = json.loads((tmp_path / "a" / "world-cnn" / "card.json").read_text())
    assert card["reproduce"] == "genlens train defaults --name world-cnn" and card["steps"] == 2
    assert not (tmp_path / "a" / "world-cnn" / "checkpoints").exists()
    a, b = (load_file(tmp_path / r / "world-cnn" / "model.safetensors") for r in ("a", "b"))
    assert all(t.dtype == torch.float16 for t in a.values() if t.is_floating_point())
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
