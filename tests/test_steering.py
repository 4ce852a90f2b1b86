"""Concept steering on a linear toy whose answer is known in closed form, and the steer command."""

import json

import pytest
import torch
from toy_linear import ToyInverter, toy_classifier

from genlens.errors import GenlensError
from genlens.inversion.protocol import SamplingConfig
from genlens.measure.probes import ConceptProbe
from genlens.steering.directions import concept_direction, parse_kind
from genlens.steering.regions import region_mask
from genlens.steering.study import SteeringSettings, steer_study
from genlens.steering.sweep import steer_maps
from genlens.world import concepts
from genlens.world.edits import parse_concept_value, with_value
from genlens.world.renderer import render
from genlens.world.seeds import held_out


@pytest.fixture(scope="module")
def toy():
    classifier = toy_classifier()
    scenes = held_out(32).scenes
    red, cover = render(with_value(scenes, "color", "red"), soft_masks=True)
    blue, _ = render(with_value(scenes, "color", "blue"))
    return classifier, ToyInverter(classifier), red, blue, cover


def _colour_axis(classifier) -> torch.Tensor:
    """The toy layer's exact red -> blue change at a fully covered location."""
    rgb = torch.tensor(concepts.COLORS["blue"]) - torch.tensor(concepts.COLORS["red"])
    return classifier.net.embed.weight[:, :, 0, 0].detach() @ (rgb / 0.25)


def test_the_mean_direction_is_the_exact_colour_axis_and_the_cav_close_to_it(toy):
    classifier = toy[0]
    exact = _colour_axis(classifier)
    mean = concept_direction(classifier, "embed", "color", "blue", "mean", "red", n=64).vector
    cav = concept_direction(classifier, "embed", "color", "blue", "cav", "red", n=64).vector
    pca = concept_direction(classifier, "embed", "color", "blue", "pca:1", "red", n=64).vector
    cos = lambda a, b: float(a @ b / a.norm() / b.norm())  # noqa: E731
    assert cos(mean, exact) > 0.999 and abs(float(mean.norm() / exact.norm()) - 1) < 0.02
    assert cos(cav, exact) > 0.85
    assert float(pca @ exact) > 0  # signed towards the target value
    # the toy's features have rank 3: a fourth component carries nothing
    assert concept_direction(classifier, "embed", "color", "blue", "pca:4", "red", n=64).norm < 1e-3


def test_alpha_one_on_the_object_turns_the_red_maps_into_the_blue_renders_maps(toy):
    classifier, inverter, red, blue, cover = toy
    direction = concept_direction(classifier, "embed", "color", "blue", "mean", "red", n=64)
    maps = inverter.feature_maps(red)
    steered = steer_maps(maps, direction, 1.0, region_mask("object", tuple(maps.shape[2:]), len(maps), cover))
    torch.testing.assert_close(steered, inverter.feature_maps(blue), atol=1e-4, rtol=0)
    inside = region_mask("box:0,0,8,8", tuple(maps.shape[2:]), len(maps))
    boxed = steer_maps(maps, direction, 1.0, inside)
    assert torch.equal(boxed[..., 8:, :], maps[..., 8:, :]) and not torch.equal(boxed[..., :8, :8], maps[..., :8, :8])


def test_steering_the_toy_moves_only_the_colour_and_the_random_control_moves_nothing(toy):
    _, inverter, red, _, cover = toy
    settings = SteeringSettings("color", "blue", "mean", "red", [1.0, 0.0, 1.5], "object", direction_n=64)
    result, strips = steer_study(inverter, red, settings, SamplingConfig(), ConceptProbe.load(), None, cover)
    steered, control = result["steered"], result["control"]
    assert steered["alphas"] == [0.0, 1.0, 1.5] and strips["direction"].shape[:3] == (3, 32, 1)
    assert steered["on_target"][0] == 0.0 and steered["on_target"][1] == 1.0
    assert steered["off_target_max"][1] <= 0.05
    assert steered["changed"]["background_color"] == [0.0, 0.0, 0.0] and result["monotonic"]
    assert control["on_target"] == [0.0, 0.0, 0.0] and max(control["changed"]["color"]) == 0.0
    assert result["noise_floor"]["color"] == 0.0  # the toy inverter is deterministic
    everywhere = steer_study(inverter, red, settings.__class__(**{**settings.__dict__, "region": "all", "control": False}),
                             SamplingConfig(), ConceptProbe.load(), None, cover)[0]
    assert everywhere["steered"]["changed"]["background_color"][1] > 0.3  # the whole map: the background turns too


def test_the_class_direction_raises_the_target_class_through_the_head(toy):
    classifier, inverter, red, _, cover = toy
    settings = SteeringSettings("shape", "square", "class", "circle", [0.0, 2.0], "all", control=False, direction_n=32)
    result, _ = steer_study(inverter, red, settings, SamplingConfig(), None, None, cover)
    probability = result["steered"]["logits"]["mean_probability"]
    assert probability[1] > probability[0]
    with pytest.raises(GenlensError, match="a class of the classifier"):
        concept_direction(classifier, "embed", "color", "blue", "class", "red", n=8)


def test_bad_concepts_regions_and_kinds_are_one_line_errors():
    with pytest.raises(GenlensError, match="not a value of color"):
        parse_concept_value("color=pink")
    with pytest.raises(GenlensError, match="CONCEPT=VALUE"):
        parse_concept_value("hue=red")
    with pytest.raises(GenlensError, match="off the 16 x 16 grid"):
        region_mask("box:0,0,20,4", (16, 16), 2)
    with pytest.raises(GenlensError, match="needs world sources"):
        region_mask("object", (16, 16), 2)
    with pytest.raises(GenlensError, match="unknown direction"):
        parse_kind("pcb:1")
    with pytest.raises(GenlensError, match="empty"):
        SteeringSettings("color", "blue", alphas=[]).checked_alphas()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--concept", "color=pink"], "not a value of color"),
        (["--concept", "color=blue", "--region", "box:0,0,99,99"], "off the"),
        (["--concept", "color=blue", "--alphas", ","], "--alphas is empty"),
        (["--direction", "cav"], "needs --concept"),
    ],
)
def test_steer_rejects_bad_input_with_one_line_and_exit_2(cli_here, tmp_path, args, message):
    code, _, err = cli_here("steer", "--classifier", "world-cnn", "--layer", "layer2", "--world", "2", *args, "--report", str(tmp_path / "r"))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_steer_command_writes_the_report_and_the_figures(cli_here, tmp_path):
    code, out, err = cli_here(
        "steer", "--classifier", "world-cnn", "--layer", "layer2", "--concept", "color=blue", "--from", "red",
        "--region", "object", "--alphas", "0,2", "--world", "2", "--steps", "1", "--direction-n", "16",
        "--reader", "none", "--report", str(tmp_path / "r"), "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["direction"]["from"] == "red" and result["steered"]["alphas"] == [0.0, 2.0]
    assert set(result["noise_floor"]) == set(concepts.PROBE_CONCEPTS) and "control" in result
    assert json.loads((tmp_path / "r" / "steering.json").read_text())["steered"] == result["steered"]
    assert "Steering color towards blue from red" in (tmp_path / "r" / "report.html").read_text()
