"""Blur and noise of world images, and the probes measured through them."""

import torch
from torchvision.transforms.functional import gaussian_blur as torchvision_blur

from genlens.measure.perturbations import Augmentation, gaussian_blur, perturb


def test_blur_matches_torchvision_and_sigma_zero_keeps_the_image():
    images = torch.rand(3, 3, 32, 32)
    assert torch.allclose(gaussian_blur(images, 1.0), torchvision_blur(images, [7, 7], [1.0, 1.0]), atol=1e-5)
    mixed = gaussian_blur(images, torch.tensor([0.0, 1.0, 0.0]))
    assert torch.equal(mixed[0], images[0]) and torch.equal(mixed[2], images[2])
    assert not torch.allclose(mixed[1], images[1])


def test_perturb_is_seeded_and_bounded():
    images = torch.rand(2, 3, 16, 16)
    a = perturb(images, 0.7, 0.05, torch.Generator().manual_seed(1))
    b = perturb(images, 0.7, 0.05, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    assert 0.02 < (a - gaussian_blur(images, 0.7)).std() < 0.06


def test_augmentation_leaves_some_images_clean_and_perturbs_others():
    images = torch.rand(64, 3, 16, 16)
    out = Augmentation(p_blur=0.5, p_noise=0.5)(images, torch.Generator().manual_seed(0))
    changed = (out - images).flatten(1).abs().amax(1) > 1e-6
    assert 0 < changed.sum() < 64
