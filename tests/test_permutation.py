"""DEPICT's machinery with the world renderer as an exactly faithful generator."""

import numpy as np
import pytest
import torch

from genlens.classifiers.loader import load_classifier
from genlens.errors import GenlensError
from genlens.measure.probes import ConceptProbe
from genlens.measure.reader import load_reader
from genlens.permutation.generation import GenerationCache, RendererGenerator
from genlens.permutation.run import depict
from genlens.permutation.scoring import resolve_metric, score
from genlens.permutation.table import ConceptTable
from genlens.permutation.world_table import world_table


def test_a_shape_classifier_depends_on_shape_only():
    table, real = world_table("shortcut", 150, 10_000_019)
    result, runs = depict(
        load_classifier("world-cnn"),
        table,
        table.labels,
        RendererGenerator(),
        real,
        ConceptProbe.load(),
        repeats=2,
        reader=load_reader("world-vit"),
    )
    first, second = result["importance"][:2]
    assert first["concept"] == "shape" and first["ci95"][0] > second["ci95"][1] + 0.3
    assert result["checks"]["passed"] and result["baseline"]["generated"] > 0.95
    reader = result["checks"]["effective_generation"]["reader_shape"]
    assert reader["real"] > 0.95 and reader["generated"] > 0.95  # the renderer draws each row's shape
    change = result["checks"]["independent_permutation"]["change"]
    assert change["shape"]["shape"] > 0.5 and change["shape"]["color"] < 0.05
    assert result["generated_images"] >= 150 and result["seconds"] > 0  # what the run cost, in the JSON


def test_a_shortcut_classifier_depends_on_the_background_pattern_first():
    table, real = world_table("shortcut", 150, 10_000_019)
    result, _ = depict(
        load_classifier("world-cnn-shortcut"),
        table,
        table.labels,
        RendererGenerator(),
        real,
        ConceptProbe.load(),
        repeats=2,
    )
    first, second = result["importance"][:2]
    assert first["concept"] == "background_pattern" and first["ci95"][0] > second["ci95"][1]


def test_cache_generates_each_caption_and_seed_once():
    calls = []

    class Counting(RendererGenerator):
        def generate(self, captions, rows, seeds):
            calls.append(len(captions))
            return super().generate(captions, rows, seeds)

    table, _ = world_table("shape", 20, 1)
    cache = GenerationCache(Counting(), pool=2)
    rows = [table.row(i) for i in range(20)]
    a = cache(table.captions(), rows, list(range(20)))
    b = cache(table.captions(), rows, list(range(20)))
    assert torch.equal(a, b) and sum(calls) == cache.generated <= 20
    assert cache.generated == len({(c, s % 2) for c, s in zip(table.captions(), range(20))})


def test_table_errors_are_clear():
    with pytest.raises(GenlensError, match="lacks"):
        ConceptTable({"color": ["red", "blue"]}, np.array([0, 1]), "a {color} {shape}")
    with pytest.raises(GenlensError, match="empty"):
        ConceptTable({"color": []}, np.array([]), "a {color}")
    with pytest.raises(GenlensError, match="single value"):
        ConceptTable({"color": ["red", "red"]}, np.array([0, 1]), "a {color}").check_permutable()
    with pytest.raises(GenlensError, match="unknown metric"):
        resolve_metric("nonsense", 2)


def test_scores_on_known_logits():
    logits = torch.tensor([[0.0, 0.5], [0.0, 1.0], [1.0, 0.0], [0.0, 3.0]])  # P(1): .62, .73, .27, .95
    labels = np.array([0, 1, 1, 1])
    assert score("accuracy", labels, logits) == 0.5
    assert score("auroc", labels, logits) == pytest.approx(2 / 3)  # 2 of 3 positives above the negative
    assert score("balanced_accuracy", labels, logits) == pytest.approx((0 + 2 / 3) / 2)
    assert resolve_metric("auto", 2) == "auroc" and resolve_metric("auto", 5) == "accuracy"


def test_bench_depict_with_exact_generation_tracks_the_ground_truth():
    from genlens.classifiers.loader import load_folder
    from genlens.shipped import weights_root
    from genlens.permutation.depict6 import bench_depict
    from genlens.permutation.generation import RendererGenerator

    predictor = load_folder(weights_root() / "depict6-concepts")
    result = bench_depict(predictor, RendererGenerator(), tasks=30, rows=200, repeats=1, seed=0)
    assert result["tasks"] == 30 and result["ci95"][0] <= result["pearson"] <= result["ci95"][1]
    assert result["pearson"] > 0.85 and result["oracle_pearson"] > 0.85
    assert result["generated_images"] <= 200 * 7  # the 30 tasks share one set of generated images
    small = dict(tasks=3, rows=60, repeats=1, seed=1)
    cached = bench_depict(predictor, RendererGenerator(), **small)
    uncached = bench_depict(predictor, RendererGenerator(), cache=False, **small)
    assert uncached["pearson"] == cached["pearson"] and uncached["generated_images"] == 3 * cached["generated_images"]


def test_a_ragged_concept_table_is_a_clear_error(tmp_path):
    import pytest

    from genlens.errors import GenlensError
    from genlens.permutation.table import ConceptTable

    for text, fields in (("shape,label\ncircle,0\nsquare\n", 1), ("shape,label\ncircle,0\nsquare,1,9\n", 3)):
        (tmp_path / "t.csv").write_text(text)
        with pytest.raises(GenlensError, match=f"line 3: {fields} fields where the header has 2"):
            ConceptTable.from_csv(tmp_path / "t.csv", "a {shape}")
