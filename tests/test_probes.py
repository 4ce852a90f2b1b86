import numpy as np
import pytest

from genlens.measure.probe_training import probe_accuracy
from genlens.measure.probes import ConceptProbe, concept_targets
from genlens.world import concepts, get_task


def test_targets_match_the_records():
    sample = get_task("shape").sample(50, seed=4)
    targets = concept_targets(sample.scenes)
    for i, record in enumerate(sample.records):
        obj = record["objects"][0]
        assert concepts.SHAPES[targets["shape"][i]] == obj["shape"]
        assert list(concepts.COLORS)[targets["color"][i]] == obj["color"]
        assert concepts.POSITION_BINS[targets["position"][i]] == obj["position"]
        assert concepts.PATTERNS[targets["background_pattern"][i]] == record["background"]["pattern"]


def test_shipped_probes_read_every_concept():
    accuracy = probe_accuracy(ConceptProbe.load(), 1000)
    assert set(accuracy) == set(concepts.PROBE_CONCEPTS)
    for concept, value in accuracy.items():
        assert value >= 0.95, (concept, value)


def test_probes_follow_the_image_not_the_record():
    # Swap the images of two halves: predictions must follow the pixels.
    probe = ConceptProbe.load()
    sample = get_task("shape").sample(200, seed=8)
    names = probe.predict_names(sample.images.flip(0))
    truth = [r["objects"][0]["shape"] for r in reversed(sample.records)]
    assert np.mean([n["shape"] == t for n, t in zip(names, truth)]) >= 0.9


def test_missing_probes_folder_is_a_clear_error(tmp_path):
    from genlens.errors import GenlensError

    with pytest.raises(GenlensError, match="is not a concept probes folder"):
        ConceptProbe.load(tmp_path)
