import torch

from genlens.measure.fidelity import (
    concept_retention,
    diversity,
    feature_cosine,
    feature_cosine_median_location,
    topk_agreement,
)


def test_identical_maps_score_one_and_shuffled_ones_less():
    torch.manual_seed(0)
    maps = torch.randn(8, 16, 4, 4)
    assert torch.allclose(feature_cosine(maps, maps), torch.ones(8))
    assert torch.allclose(feature_cosine_median_location(maps, maps), torch.ones(8))
    shuffled = maps[torch.roll(torch.arange(8), 1)]
    assert feature_cosine(maps, shuffled).mean() < 0.5
    assert feature_cosine_median_location(maps, shuffled).mean() < 0.5


def test_median_location_cosine_ignores_a_few_ruined_locations():
    torch.manual_seed(1)
    maps = torch.randn(2, 8, 4, 4)
    damaged = maps.clone()
    damaged[:, :, 0, 0] = -maps[:, :, 0, 0] * 50  # one location of 16 reversed and huge
    assert feature_cosine(maps, damaged).max() < 0.5
    assert torch.allclose(feature_cosine_median_location(maps, damaged), torch.ones(2))


def test_agreement_retention_and_diversity():
    logits = torch.tensor([[3.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    other = torch.tensor([[2.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    assert topk_agreement(logits, logits).tolist() == [1.0, 1.0]
    assert topk_agreement(logits, other, k=1).tolist() == [0.0, 1.0]
    assert topk_agreement(logits, other, k=2).tolist() == [1.0, 1.0]
    truth = [{"shape": "star", "color": "red"}, {"shape": "heart", "color": "blue"}]
    said = [{"shape": "star", "color": "blue"}, {"shape": "heart", "color": "blue"}]
    assert concept_retention(said, truth) == {"shape": 1.0, "color": 0.5}
    same = torch.rand(3, 1, 3, 8, 8).expand(3, 4, 3, 8, 8)
    assert diversity(same) == 0.0 and diversity(torch.rand(3, 4, 3, 8, 8)) > 0.1
