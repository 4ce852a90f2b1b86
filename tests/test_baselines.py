"""The classical inversion baselines and the comparison that measures every method alike."""

import pytest
import torch

from genlens.classifiers.loader import load_classifier
from genlens.features import FeatureExtractor
from genlens.inversion.comparison import compare, reading
from genlens.inversion.protocol import Inverter
from genlens.inversion.data import WorldImages
from genlens.inversion.decoder import DecoderInverter
from genlens.inversion.decoder_training import train_decoder
from genlens.inversion.optimization import OptimizationConfig, OptimizationInverter
from genlens.measure.fidelity import feature_cosine
from genlens.training.loop import TrainSettings
from genlens.world import get_task


def _held_out(n=6, seed=0):
    return get_task("shape").sample(n, seed=10_000_019 + seed, split="test")


def test_optimization_matches_features_better_than_an_unrelated_image():
    classifier = load_classifier("world-cnn")
    method = OptimizationInverter(classifier, "layer3", OptimizationConfig(steps=60))
    sources, unrelated = _held_out().images, _held_out(seed=1).images
    out = method.invert(sources, samples=2)
    assert out.shape == (6, 2, 3, 32, 32) and 0 <= out.min() and out.max() <= 1
    maps = method.feature_maps(sources)
    achieved = feature_cosine(maps, method.feature_maps(out[:, 0])).mean()
    floor = feature_cosine(maps, method.feature_maps(unrelated)).mean()
    assert achieved > floor + 0.3
    assert not torch.equal(out[:, 0], out[:, 1])  # samples start from different noise


def test_decoder_trains_saves_and_reloads_to_the_same_images(tmp_path):
    classifier = load_classifier("world-cnn")
    settings = TrainSettings(steps=40, batch_size=16, lr=2e-3, warmup=4, device="cpu", checkpoint_every=100)
    inverter, card = train_decoder(classifier, "layer2", WorldImages(32, 0), tmp_path / "dec", settings)
    assert card["validation"]["n"] == 256 and card["steps"] == 40
    sources = _held_out(4).images
    reloaded = DecoderInverter.load(tmp_path / "dec")
    assert torch.allclose(inverter.invert(sources), reloaded.invert(sources), atol=1e-5)
    assert reloaded.invert(sources, samples=3).shape == (4, 3, 3, 32, 32)


class _Copier(Inverter):
    """A perfect method: returns the images whose maps it was given (in the loop's batches)."""

    def __init__(self, images):
        self.images, self.given = images, 0

    def invert_maps(self, maps, samples=1, sampling=None):
        start, self.given = self.given, self.given + len(maps)
        return self.images[start : start + len(maps), None].expand(-1, samples, -1, -1, -1)


def test_comparison_puts_a_perfect_method_at_the_reference_and_chance_below():
    classifier = load_classifier("world-cnn")
    sample, unrelated = _held_out(8), _held_out(8, seed=1).images
    metrics, outcomes = compare(classifier, "layer3", {"copy": _Copier(sample.images)}, sample.images, unrelated)
    assert set(metrics) == {"reference", "chance", "copy"}
    for key in ("feature_cosine", "top1_agreement", "ssim"):
        assert metrics["copy"][key] == metrics["reference"][key] == 1.0
        assert metrics["chance"][key] < 0.9
    assert metrics["copy"]["psnr"] == 100.0 and metrics["chance"]["psnr"] < 20
    maps = FeatureExtractor(classifier, ["layer3"])(sample.images)["layer3"]
    assert maps.shape[0] == outcomes["copy"].samples.shape[0]
    assert any("copy" in line for line in reading(metrics))


def test_eval_inversion_cli_with_the_shipped_decoder(cli, tmp_path):
    import json

    out = cli(
        "eval",
        "inversion",
        "--classifier",
        "world-cnn",
        "--layer",
        "layer3",
        "--methods",
        "decoder",
        "--n",
        "16",
        "--report",
        str(tmp_path / "r"),
        "--json",
        check=True,
    )
    result = json.loads(out.stdout)
    methods = result["methods"]
    assert set(methods) == {"reference", "chance", "decoder"}
    assert methods["decoder"]["feature_cosine"] > methods["chance"]["feature_cosine"] + 0.3
    assert methods["decoder"]["diversity"] == 0.0  # deterministic
    assert result["observer"] == "world-vit" and methods["reference"]["observer_agreement"] == 1.0
    assert methods["chance"]["observer_agreement"] < 0.6
    assert methods["reference"]["frechet_distance_observer"] < 1e-3 < methods["chance"]["frechet_distance_observer"]
    assert (tmp_path / "r" / "report.html").exists() and result["reading"]
    bad = cli(
        "eval", "inversion", "--classifier", "world-cnn", "--layer", "layer3", "--methods", "nonsense", "--n", "4"
    )
    assert bad.returncode == 2 and "unknown method" in bad.stderr


def test_reading_says_when_a_baseline_lead_is_not_seen_by_the_probes_and_which_is_most_natural():
    def row(cosine, top1, shape, frechet):
        return {
            "feature_cosine": cosine,
            "top1_agreement": top1,
            "concept_retention": {"shape": shape},
            "frechet_distance": frechet,
        }

    metrics = {
        "reference": row(1.0, 1.0, 1.0, 0.0),
        "chance": row(0.15, 0.2, 0.2, 0.4),
        "featinv": row(0.8, 0.7, 0.67, 8.5),
        "decoder": row(0.9, 1.0, 0.45, 13.1),
        "optimization": row(0.84, 0.83, 0.9, 12.7),
    }
    lines = reading(metrics)
    assert any(line.startswith("decoder's images are read as the source's class") for line in lines)
    assert not any(line.startswith("optimization's images") for line in lines)  # the probes agree with it
    assert any("Closest to real images" in line and "featinv" in line for line in lines)


def test_reading_names_a_lead_the_observer_classifier_does_not_see():
    def row(top1, observed):
        return {
            "feature_cosine": 0.5,
            "top1_agreement": top1,
            "observer_agreement": observed,
            "concept_retention": None,
        }

    metrics = {
        "reference": row(1.0, 1.0),
        "chance": row(0.2, 0.2),
        "featinv": row(0.7, 0.52),
        "featinv-steered": row(1.0, 0.52),
        "optimization": row(0.8, 0.2),
        "decoder": row(0.9, 0.8),
    }
    lines = reading(metrics)
    assert any(
        line.startswith("featinv-steered's images") and "observer classifier no more often" in line for line in lines
    )
    assert any(line.startswith("optimization's images") and "observer classifier less often" in line for line in lines)
    assert not any(line.startswith("decoder's images") for line in lines)  # the observer agrees with its lead
    assert any("observer" in line and "decoder's images (0.8" in line for line in lines)


def test_observer_agreement_and_its_choice():
    from genlens.errors import GenlensError
    from genlens.measure.observer import load_observer, observer_agreement

    observer = load_observer("auto", "world-cnn")
    assert observer.spec == "world-vit" and load_observer("none", "world-cnn") is None
    assert load_observer("auto", "timm:resnet18") is None
    with pytest.raises(GenlensError, match="another classifier"):
        load_observer("world-cnn", "world-cnn")
    sample = _held_out(16)
    assert observer_agreement(observer, sample.images, sample.images).mean() == 1.0
    shuffled = observer_agreement(observer, sample.images, sample.images.roll(1, 0)).mean()
    assert shuffled < 0.6


def test_eval_inversion_compares_by_default_what_is_shipped_for_the_layer():
    from genlens.inversion.methods import shipped_methods

    assert shipped_methods("world-cnn", "layer3") == ["featinv", "featinv-pooled", "optimization", "decoder"]
    assert shipped_methods("world-cnn", "layer2") == ["featinv", "optimization", "decoder"]  # no pooled layer2
    assert shipped_methods("world-cnn", "layer1") == ["optimization"]
