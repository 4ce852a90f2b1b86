"""Corruptions, out-of-distribution scenes, PGD, and the robustness study on the linear toy."""

import json

import pytest
import torch
from toy_linear import ToyInverter, toy_classifier

from genlens.classifiers.loader import load_classifier
from genlens.errors import GenlensError
from genlens.inversion.protocol import SamplingConfig
from genlens.measure.probes import ConceptProbe
from genlens.steering.corruptions import SEVERITIES, corrupt, ood_sample, pgd
from genlens.steering.robustness import RobustnessSettings, is_falling, robustness_study
from genlens.world.renderer import render
from genlens.world.seeds import held_out


def test_every_corruption_moves_images_further_at_each_severity():
    images = held_out(16).images
    for kind in SEVERITIES:
        distance = [float((corrupt(images, kind, s) - images).abs().mean()) for s in range(1, 6)]
        assert all(b > a for a, b in zip(distance, distance[1:])), (kind, distance)
    with pytest.raises(GenlensError, match="severities"):
        corrupt(images, "blur", 6)


def test_out_of_distribution_colours_change_only_their_part_of_the_image():
    sample = held_out(8)
    clean, cover = render(sample.scenes, soft_masks=True)
    recoloured, records = ood_sample("object-color", 8)
    outside = cover[:, 0] == 0
    assert torch.equal(recoloured.permute(0, 2, 3, 1)[outside], clean.permute(0, 2, 3, 1)[outside])
    assert not torch.equal(recoloured, clean) and records[0]["objects"][0]["color"] == "pink"
    two, records = ood_sample("two-objects", 4)
    assert all(len(r["objects"]) == 2 for r in records)


def test_pgd_stays_in_its_budget_and_breaks_the_shipped_classifier():
    classifier = load_classifier("world-cnn")
    sample = held_out(32)
    adversarial = pgd(classifier, sample.images, sample.labels, 8 / 255)
    assert (adversarial - sample.images).abs().max() <= 8 / 255 + 1e-6
    assert float((classifier.predict(sample.images) == sample.labels).float().mean()) > 0.9
    assert float((classifier.predict(adversarial) == sample.labels).float().mean()) < 0.2


def test_the_study_reads_every_condition_and_an_exact_inverter_keeps_every_label():
    classifier = toy_classifier()
    sample = held_out(8)
    settings = RobustnessSettings(corruptions=("noise",), severities=(1, 5), ood=("two-objects",), budgets=(4,), pgd_steps=2)
    result, strips = robustness_study(ToyInverter(classifier), sample.images, sample.labels, sample.records, settings,
                                      SamplingConfig(), ConceptProbe.load())
    assert result["clean"]["inversion_keeps_label"] == 1.0  # the toy inverts exactly
    assert result["clean"]["accuracy"] == round(float((classifier.predict(sample.images) == sample.labels).float().mean()), 4)
    assert result["clean"]["retention"]["color"] == 1.0
    assert [r["severity"] for r in result["corruptions"]["noise"]] == [1, 5] and "two-objects" in result["ood"]
    assert strips["pgd 4/255"].shape == (8, 2, 3, 32, 32)
    assert is_falling([0.9, 0.5, 0.52], 0.05) and not is_falling([0.9, 0.5, 0.7], 0.05)


@pytest.mark.parametrize("args, message", [(["--severities", "0,7"], "1 to 5"), (["--corruptions", "fog"], "unknown 'fog'"),
                                           (["--ood", "martian"], "unknown 'martian'")])
def test_robustness_rejects_bad_input_with_one_line(cli_here, tmp_path, args, message):
    code, _, err = cli_here("robustness", "--classifier", "world-cnn", "--layer", "layer3", *args, "--report", str(tmp_path / "r"))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_robustness_command_writes_its_report(cli_here, tmp_path):
    code, out, err = cli_here(
        "robustness", "--classifier", "world-cnn", "--layer", "layer3", "--world", "2", "--corruptions", "blur", "--severities", "1,5",
        "--ood", "none", "--budgets", "8", "--pgd-steps", "2", "--steps", "1", "--reader", "none", "--report", str(tmp_path / "r"), "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["falling"] == {"blur": result["falling"]["blur"]} and result["ood"] == {}
    assert json.loads((tmp_path / "r" / "robustness.json").read_text())["clean"] == result["clean"]
