import torch

from genlens.measure.image_quality import FeatureSpace, frechet_distance, psnr, ssim


def _pooled_colours() -> FeatureSpace:
    return FeatureSpace(lambda x: torch.nn.functional.avg_pool2d(x, 8), 3 * 4 * 4)


def test_identical_images_are_perfect_and_shuffled_ones_are_not():
    torch.manual_seed(0)
    images = torch.rand(6, 3, 32, 32)
    shuffled = images.roll(1, 0)
    assert torch.allclose(ssim(images, images), torch.ones(6))
    assert torch.equal(psnr(images, images), torch.full((6,), 100.0))
    assert ssim(images, shuffled).max() < 0.2
    assert psnr(images, shuffled).max() < 12  # two uniform images differ by 1/6 in mean square: 7.8 dB


def test_psnr_of_a_known_error():
    images = torch.full((1, 3, 8, 8), 0.5)
    assert abs(psnr(images, images + 0.1).item() - 20.0) < 1e-3  # MSE 0.01 -> 20 dB


def test_frechet_distance_is_zero_for_one_set_and_grows_with_a_shift():
    torch.manual_seed(1)
    images = torch.rand(96, 3, 32, 32)
    space = _pooled_colours()
    same = frechet_distance(images, images, space)
    shifted = frechet_distance(images, (images * 0.5 + 0.25), space)
    far = frechet_distance(images, (images * 0.5 + 0.5), space)
    assert abs(same) < 1e-4
    assert 0.01 < shifted < far
