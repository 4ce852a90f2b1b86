import torch

from genlens.world.seeds import EVAL_SEED
from genlens.measure.generation import caption_fidelity, scene_fidelity
from genlens.measure.probes import ConceptProbe
from genlens.world import get_task


class RenderingPipe:
    """A stand-in generator that draws exactly the scene each caption describes (or a shuffled one)."""

    image_size = 32

    def __init__(self, n, shuffle=False, task="shape"):
        sample = get_task(task).sample(n, seed=EVAL_SEED, split="test")
        images = (
            sample.images[torch.randperm(n, generator=torch.Generator().manual_seed(0))] if shuffle else sample.images
        )
        self.lookup = dict(zip(sample.captions, images))

    def __call__(self, prompts, **kwargs):
        return torch.stack([self.lookup[p] for p in prompts])


def test_faithful_generator_scores_high_and_a_shuffled_one_low():
    probes = ConceptProbe.load()
    good = caption_fidelity(RenderingPipe(64), probes, n=64, batch_size=16)["accuracy"]
    bad = caption_fidelity(RenderingPipe(64, shuffle=True), probes, n=64, batch_size=16)["accuracy"]
    assert min(good.values()) >= 0.9
    assert max(bad.values()) < 0.6


def test_scene_fidelity_reads_each_depict6_concept_as_captioned_and_not_when_shuffled():
    from genlens.classifiers.loader import load_folder
    from genlens.shipped import weights_root

    predictor = load_folder(weights_root() / "depict6-concepts").eval()
    good = scene_fidelity(RenderingPipe(64, task="depict6"), predictor, n=64, batch_size=16)["presence"]
    bad = scene_fidelity(RenderingPipe(64, shuffle=True, task="depict6"), predictor, n=64, batch_size=16)["presence"]
    assert set(good) == set(get_task("depict6").concept_names)
    assert min(good.values()) >= 0.95
    assert max(bad.values()) < 0.75  # presence is a coin flip per concept: about 0.5 when shuffled


def test_the_reader_names_its_concept_and_reads_renders_as_drawn(monkeypatch):
    import pytest

    import genlens.classifiers.loader as loader
    from genlens.errors import GenlensError
    from genlens.measure.probes import probe_truth
    from genlens.measure.reader import load_reader

    reader = load_reader("world-vit")
    assert reader.concept == "shape" and load_reader("none") is None
    sample = get_task("shape").sample(200, seed=EVAL_SEED, split="test")
    truth = [probe_truth(r) for r in sample.records]
    assert reader.agreement(sample.images, truth) > 0.95
    assert reader.agreement(sample.images.flip(0), truth) < 0.5  # it follows the pixels

    class Pets:
        class_names = ["cat", "dog"]

    monkeypatch.setattr(loader, "load_classifier", lambda spec, device="cpu": Pets())
    with pytest.raises(GenlensError, match="one concept"):
        load_reader("pets")


def test_the_concept_predictor_reads_presence_through_blur_and_noise():
    from genlens.classifiers.loader import load_folder
    from genlens.measure.perturbations import ROBUSTNESS_CHECKS
    from genlens.permutation.depict6 import presence_accuracy
    from genlens.shipped import weights_root

    predictor = load_folder(weights_root() / "depict6-concepts").eval()
    for name, (blur, noise) in ROBUSTNESS_CHECKS.items():
        assert min(presence_accuracy(predictor, 256, blur, noise).values()) >= 0.95, name
