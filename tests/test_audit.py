"""genlens audit: each method's answer set beside the world's ground truth, with a verdict that
would say so when a method's answer were wrong."""

import json

import pytest

from genlens.audit import AuditSettings, audit
from genlens.audit.inversion_part import is_kept
from genlens.audit.verdicts import depict_verdict, inversion_verdict, linking_verdict

#: Every part at its smallest honest size: DEPICT through exact renders, a few inversions and sweeps.
TINY = AuditSettings(
    depict_rows=60, depict_repeats=1, generator="renderer", truth_rows=120, truth_repeats=1,
    inversion_images=8, inversion_samples=1, link_pairs=400, sweep_sources=8, sweep_population=200,
    sweep_null=8, counterfactual_sources=1,
)


def _ranking(*concepts):
    return [{"concept": c, "drop": 0.5 - 0.1 * i, "ci95": [0.4 - 0.1 * i, 0.6 - 0.1 * i]} for i, c in enumerate(concepts)]


def test_verdicts_say_disagree_when_a_method_names_another_concept():
    depict = {"importance": _ranking("shape", "background_pattern"), "checks": {"passed": True}}
    assert depict_verdict(depict, "shape")["agrees"]
    assert not depict_verdict(depict, "background_pattern")["agrees"]
    layers = [{"layer": "layer3", "method": "featinv", "retention": {"shape": 0.35, "background_pattern": 0.95},
               "chance": {"shape": 0.2, "background_pattern": 0.2}, "kept": ["background_pattern"]}]
    candidates = ["shape", "background_pattern"]
    assert inversion_verdict(layers, "background_pattern", candidates)["agrees"]
    assert not inversion_verdict(layers, "shape", candidates)["agrees"]  # the pattern survives better
    assert not inversion_verdict(layers, "shape", ["shape"])["agrees"]  # alone, 0.35 is a lift of 0.19 < 0.25
    layers[0]["retention"]["shape"] = 0.4
    assert inversion_verdict(layers, "shape", ["shape"])["agrees"]  # lift 0.25
    assert is_kept(0.6, "shape") and not is_kept(0.59, "shape")
    counts = {"selective": {"shape": 5, "x": 1, "y": 2, "background_pattern": 1}, "superposed": 0, "silent": 9}
    linking = {"counts": counts, "influence": {"shape": 0.05, "position": 0.08, "background_pattern": 0.30}}
    assert linking_verdict(linking, "background_pattern")["agrees"]  # one unit the head reads outweighs five
    assert not linking_verdict(linking, "shape")["agrees"]
    tie = {"counts": counts, "influence": {"shape": 0.1, "background_pattern": 0.1}}
    assert linking_verdict(tie, "shape")["answer"] is None


@pytest.fixture(scope="module")
def audits():
    from genlens.classifiers.loader import load_classifier

    shortcut = audit(load_classifier("world-cnn-shortcut"), "shortcut", ["layer3"], TINY)
    shape = audit(load_classifier("world-cnn"), "shortcut", settings=TINY, parts=("depict", "linking"))
    return {"world-cnn-shortcut": shortcut, "world-cnn": shape}


def test_the_shortcut_model_is_found_relying_on_the_pattern_by_every_method(audits):
    result, _ = audits["world-cnn-shortcut"]
    assert result["truth"]["relies_on"] == "background_pattern" and result["truth"]["shortcut"] == "background_pattern"
    assert result["depict"]["importance"][0]["concept"] == "background_pattern"
    assert "background_pattern" in result["inversion"][0]["kept"]
    assert result["verdicts"]["depict"]["agrees"] and result["verdicts"]["inversion"]["agrees"]


def test_the_shape_model_is_found_relying_on_the_shape_and_has_fewer_pattern_units(audits):
    shape_model, _ = audits["world-cnn"]
    shortcut_model, _ = audits["world-cnn-shortcut"]
    assert shape_model["truth"]["relies_on"] == "shape"
    assert shape_model["depict"]["importance"][0]["concept"] == "shape"
    assert shape_model["verdicts"]["depict"]["agrees"]
    pattern = lambda r: r["linking"]["counts"]["selective"]["background_pattern"]  # noqa: E731
    assert pattern(shortcut_model) > pattern(shape_model)
    pairs = shortcut_model["linking"]["counterfactuals"]
    assert len(pairs) == 5 * 4 and {p["source"] for p in pairs} == set(load_names())


def load_names():
    from genlens.world import concepts

    return concepts.SHAPES


def test_the_report_and_its_json_twin_hold_every_part(audits, tmp_path):
    from genlens.report.audit import audit_report

    result, figures = audits["world-cnn-shortcut"]
    page = audit_report(result, figures, tmp_path).read_text()
    twin = json.loads((tmp_path / "audit.json").read_text())
    assert twin["verdicts"] == result["verdicts"]
    for heading in ("Ground truth and verdicts", "DEPICT", "Inversions", "Linking in Style", "Counterfactuals"):
        assert heading in page
    assert page.count("data:image/png") >= 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["--task", "depict6"], "ground truth covers"),
        (["--layers", "nosuch"], "nosuch"),
        (["--inversion", "magic"], "unknown --inversion"),
        (["--layers", ","], "at least one layer"),
    ],
)
def test_bad_audit_input_is_one_line_and_exit_2(cli_fast, tmp_path, args, message):
    r = cli_fast("audit", "--classifier", "world-cnn", "--report", str(tmp_path / "r"), *args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
