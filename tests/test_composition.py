"""Composite maps on the linear toy (whose inverter is exact), and the compose command."""

import json

import pytest
import torch
from toy_linear import ToyInverter, toy_classifier

from genlens.errors import GenlensError
from genlens.inversion.protocol import SamplingConfig
from genlens.measure.probes import ConceptProbe, probe_truth
from genlens.steering import composition as ops
from genlens.steering.composition_study import CompositionSettings, compose_study
from genlens.steering.directions import ConceptDirection
from genlens.world.edits import with_value
from genlens.world.renderer import render
from genlens.world.seeds import held_out


@pytest.fixture(scope="module")
def pairs():
    a = with_value(held_out(24).scenes, "position", "left")
    b = with_value(held_out(24, seed=1).scenes, "position", "right")
    return render(a)[0], render(b)[0], [probe_truth(r) for r in a.records()], [probe_truth(r) for r in b.records()]


def test_mixing_takes_each_half_and_each_channel_group_from_its_source():
    a, b = torch.zeros(2, 4, 4, 4), torch.ones(2, 4, 4, 4)
    mixed = ops.mix(a, b, ops.half_mask((4, 4), "left"))
    assert mixed[..., :2].sum() == 0 and mixed[..., 2:].min() == 1
    swapped = ops.mix_channels(a, b, [1, 3])
    assert swapped[:, [1, 3]].min() == 1 and swapped[:, [0, 2]].max() == 0
    assert ops.channel_groups(5, 2) == [[0, 1, 2], [3, 4]]
    with pytest.raises(GenlensError, match="--groups"):
        ops.channel_groups(4, 9)
    with pytest.raises(GenlensError, match="unknown half"):
        ops.half_mask((4, 4), "middle")


def test_ablating_a_direction_removes_exactly_its_component():
    maps = torch.randn(3, 8, 5, 5)
    direction = ConceptDirection("mean", "x", torch.randn(8))
    out = ops.ablate_direction(maps, direction)
    unit = direction.vector / direction.vector.norm()
    assert (out * unit.view(1, -1, 1, 1)).sum(1).abs().max() < 1e-5
    rest = maps - (maps * unit.view(1, -1, 1, 1)).sum(1, keepdim=True) * unit.view(1, -1, 1, 1)
    torch.testing.assert_close(out, rest)


def test_halves_of_two_toy_maps_invert_to_each_sources_object_on_its_side(pairs):
    a, b, truth_a, truth_b = pairs
    inverter = ToyInverter(toy_classifier())
    result, strips = compose_study(inverter, a, b, truth_a, truth_b, CompositionSettings(groups=1), SamplingConfig(), ConceptProbe.load())
    assert result["halves"]["both"] == 1.0 and result["halves"]["left_is_a"]["object"] == 1.0
    first, last = result["interpolate"][0]["sides"], result["interpolate"][-1]["sides"]
    assert all(s["a"] == 1.0 for s in first.values()) and all(s["b"] == 1.0 for s in last.values())
    assert result["channels"][0]["sides"]["color"]["b"] == 1.0  # every channel from B: B's image
    assert strips["halves"].shape == (24, 3, 3, 32, 32)
    # the swapped halves put the wrong object on each side: the measure sees it
    swapped, _ = compose_study(inverter, b, a, truth_a, truth_b, CompositionSettings(modes=("halves",)), SamplingConfig(), ConceptProbe.load())
    assert swapped["halves"]["both"] < 0.1


def test_compose_command_reports_and_rejects_bad_modes(cli_here, tmp_path):
    code, _, err = cli_here("compose", "--classifier", "world-cnn", "--layer", "layer2", "--modes", "halves,twirl", "--report", str(tmp_path / "x"))
    assert code == 2 and "--modes" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli_here(
        "compose", "--classifier", "world-cnn", "--layer", "layer2", "--world", "2", "--modes", "halves,ablate", "--steps", "1",
        "--ablate-concept", "color=blue", "--reader", "none", "--report", str(tmp_path / "r"), "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert set(result) >= {"halves", "ablate", "a_alone", "ablate_direction"} and len(result["ablate"]) == 2
    assert result["ablate_direction"]["direction"]["concept"] == "color"
    assert "Left half of A" in (tmp_path / "r" / "report.html").read_text()
