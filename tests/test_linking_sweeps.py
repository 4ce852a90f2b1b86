import numpy as np
import torch

from genlens.linking.sweeps import SweepSettings, directions, edited_features, follow, match_null, sweep_values
from genlens.linking.unit_reading import endpoint_changes, label_units
from genlens.measure.morphology import morphology, object_masks
from genlens.world import get_task


def _population(n=400, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, d, generator=g, dtype=torch.float64)
    base[:, 1] = base[:, 0] * 0.8 + 0.2 * base[:, 1]  # unit 1 follows unit 0
    return base


def test_replace_sets_one_unit_and_conditional_moves_its_correlates():
    pop = _population()
    dirs = directions([0], 6, null=0, seed=0)
    values = sweep_values(pop, dirs, SweepSettings(steps=3))
    sources = pop[:5]
    replaced = edited_features(sources, dirs, values, dirs)[0]  # (steps, N, D)
    assert torch.allclose(replaced[:, :, 0], values[0][:, None].expand(3, 5))
    assert torch.equal(replaced[:, :, 1:], sources[None, :, 1:].expand(3, -1, -1))
    followed = edited_features(sources, dirs, values, follow(pop, dirs))[0]
    assert torch.allclose(followed[:, :, 0], values[0][:, None].expand(3, 5))
    moved = (followed[-1] - followed[0]).abs().mean(0)
    assert moved[1] > 0.5 * moved[0] and moved[2:].max() < 0.2 * moved[0]


def test_null_directions_move_the_features_as_far_as_the_median_unit():
    pop = _population() * torch.tensor([1.0, 1, 3, 0.5, 1, 1], dtype=torch.float64)
    dirs = directions([0, 1, 2, 3, 4, 5], 6, null=10, seed=1)
    for movement in (dirs, follow(pop, dirs)):
        values = match_null(sweep_values(pop, dirs, SweepSettings()), movement, 6)
        span = (values[:, -1] - values[:, 0]) * movement.norm(dim=1)
        assert torch.allclose(span[6:], span[:6].median().expand(10))


def test_labels_follow_effects_against_the_null():
    rng = np.random.default_rng(0)
    n_units, n_null, n = 3, 40, 60
    shape = rng.random((n_units + n_null, n)) < 0.1
    size = rng.random((n_units + n_null, n)) < 0.1
    shape[0], shape[1], size[1] = True, True, True  # unit 0: shape; unit 1: shape and size; unit 2: like the null
    changes = {"probe:shape": shape.astype(float), "probe:size": size.astype(float)}
    records = label_units(changes, n_units)
    assert records[0]["label"] == "selective" and records[0]["concepts"] == ["shape"]
    assert records[1]["label"] == "superposed" and set(records[1]["concepts"]) == {"shape", "size"}
    assert records[2]["label"] == "silent"


def test_endpoint_changes_are_flips_and_circular_distances():
    first = {"probe:shape": np.array([0, 1]), "morphology:hue": np.array([0.95, 0.2])}
    last = {"probe:shape": np.array([0, 2]), "morphology:hue": np.array([0.05, 0.4])}
    out = endpoint_changes(first, last)
    assert out["probe:shape"].tolist() == [0.0, 1.0]
    assert np.allclose(out["morphology:hue"], [0.1, 0.2])


def test_morphology_reads_the_object_from_pixels_alone():
    sample = get_task("shape").sample(200, seed=4)
    masks = object_masks(sample.images)
    truth = sample.masks[:, 0].numpy()
    iou = (masks & truth).sum((1, 2)) / (masks | truth).sum((1, 2))
    assert np.median(iou) > 0.8
    stats = morphology(sample.images, masks)
    assert np.nanmedian(np.abs(stats["x"] - sample.scenes.xy[:, 0, 0])) < 0.02
    assert np.nanmedian(np.abs(stats["y"] - sample.scenes.xy[:, 0, 1])) < 0.02
    large, small = sample.scenes.size[:, 0] == 2, sample.scenes.size[:, 0] == 0
    assert np.nanmean(stats["area"][large]) > 1.8 * np.nanmean(stats["area"][small])
