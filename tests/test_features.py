import pytest
import timm
import torch
import torchvision

from genlens.classifiers.architectures import world_cnn, world_vit
from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.errors import GenlensError
from genlens.features import FeatureExtractor


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    return Classifier(world_cnn(5), ClassifierConfig(arch="world-cnn", class_names=list("abcde"))).eval()


@pytest.fixture(scope="module")
def images():
    torch.manual_seed(1)
    return torch.rand(6, 3, 32, 32)


def _no_hooks(model):
    return all(not m._forward_hooks for m in model.modules())


def test_unknown_layer_lists_valid_names(cnn):
    with pytest.raises(GenlensError) as e:
        FeatureExtractor(cnn, ["layer4"])
    assert "layer4" in str(e.value) and "layer3" in str(e.value) and "stem.0" in str(e.value)


def test_cnn_maps_shapes_and_pooled_vectors(cnn, images):
    fx = FeatureExtractor(cnn, ["layer2", "layer3", "pool", "fc"])
    out = fx(images)
    assert out["layer2"].shape == (6, 64, 16, 16) and out["layer3"].shape == (6, 128, 8, 8)
    torch.testing.assert_close(fx.pooled(images)["layer3"], out["pool"])
    torch.testing.assert_close(out["fc"], cnn(images))
    assert _no_hooks(cnn)


def test_inplace_activation_cannot_corrupt_a_captured_map(cnn, images):
    # BasicBlock adds the shortcut to bn2's output in place and applies an in-place ReLU.
    block = cnn.net.layer2
    got = FeatureExtractor(cnn, ["layer2.bn2"])(images)["layer2.bn2"]
    with torch.no_grad():
        x = cnn.net.layer1(cnn.net.stem(cnn.preprocess(images)))
        expected = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
    torch.testing.assert_close(got, expected)
    assert (got < 0).any()  # a map overwritten by the ReLU would have no negative values


def test_chunked_batches_match_one_batch(cnn, images):
    a = FeatureExtractor(cnn, "layer3", chunk_size=4)(images)["layer3"]
    b = FeatureExtractor(cnn, "layer3", chunk_size=256)(images)["layer3"]
    torch.testing.assert_close(a, b)


def test_hooks_are_removed_even_when_the_forward_fails(cnn):
    fx = FeatureExtractor(cnn, ["layer3"])
    with pytest.raises(RuntimeError):
        fx(torch.rand(2, 4, 32, 32))  # wrong channel count
    assert _no_hooks(cnn)


def test_logits_from_reproduces_and_responds_to_edits(cnn, images):
    fx = FeatureExtractor(cnn, ["layer3"])
    fmap = fx(images)["layer3"]
    with torch.no_grad():
        torch.testing.assert_close(fx.logits_from("layer3", fmap), cnn(images))
        assert not torch.allclose(fx.logits_from("layer3", fmap * 0), cnn(images))
    with pytest.raises(GenlensError, match="does not fit"):
        fx.logits_from("layer3", fmap[:, :10])
    assert _no_hooks(cnn)


def test_vit_tokens_become_a_grid_at_the_right_positions():
    # A non-square grid (4 x 6) with a class token and two register tokens: 3 prefix tokens.
    torch.manual_seed(0)
    net = timm.models.vision_transformer.VisionTransformer(
        img_size=(16, 24), patch_size=4, embed_dim=16, depth=2, num_heads=2, num_classes=3, reg_tokens=2
    ).eval()
    fx = FeatureExtractor(net, ["norm_pre", "blocks.1"])
    x = torch.rand(1, 3, 16, 24)
    base = fx(x)
    assert base["norm_pre"].shape == (1, 16, 4, 6) and base["blocks.1"].shape == (1, 16, 4, 6)
    x2 = x.clone()
    x2[:, :, 8:12, 20:24] += 1.0  # the patch in grid row 2, column 5
    diff = (fx(x2)["norm_pre"] - base["norm_pre"]).abs().sum(1)[0]
    changed = (diff > 1e-6).nonzero().tolist()
    assert changed == [[2, 5]]


def test_vit_logits_from_keeps_prefix_tokens_of_the_images():
    torch.manual_seed(0)
    net = Classifier(
        world_vit(5, depth=2, embed_dim=32, num_heads=2), ClassifierConfig("world-vit", list("abcde"))
    ).eval()
    x = torch.rand(3, 3, 32, 32)
    fx = FeatureExtractor(net, "blocks.0")
    with torch.no_grad():
        fmap = fx(x)["blocks.0"]
        assert fmap.shape == (3, 32, 8, 8)
        torch.testing.assert_close(fx.logits_from("blocks.0", fmap, images=x), net(x))


def test_torchvision_vit_and_swin_layouts():
    torch.manual_seed(0)
    vit = torchvision.models.VisionTransformer(
        image_size=32, patch_size=8, num_layers=1, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=3
    ).eval()
    out = FeatureExtractor(vit, "encoder.layers.encoder_layer_0")(torch.rand(2, 3, 32, 32))
    assert out["encoder.layers.encoder_layer_0"].shape == (2, 16, 4, 4)
    swin = torchvision.models.SwinTransformer(
        patch_size=[4, 4], embed_dim=8, depths=[1, 1], num_heads=[1, 2], window_size=[2, 2], num_classes=3
    ).eval()
    x = torch.rand(2, 3, 32, 32)
    maps = FeatureExtractor(swin, ["features.1", "norm", "avgpool"])(x)
    assert maps["features.1"].shape == (2, 8, 8, 8) and maps["norm"].shape == (2, 16, 4, 4)
    torch.testing.assert_close(maps["norm"].mean((2, 3)), maps["avgpool"].flatten(1))


def test_timm_swin_nhwc_stages_are_permuted():
    torch.manual_seed(0)
    swin = timm.models.swin_transformer.SwinTransformer(
        img_size=32, patch_size=4, embed_dim=8, depths=(1, 1), num_heads=(1, 2), window_size=4, num_classes=3
    ).eval()
    x = torch.rand(2, 3, 32, 32)
    raw = {}
    handle = swin.layers[1].register_forward_hook(lambda m, i, o: raw.setdefault("o", o.detach().clone()))
    maps = FeatureExtractor(swin, ["layers.1"])(x)
    swin(x)
    handle.remove()
    assert raw["o"].shape == (2, 4, 4, 16)
    torch.testing.assert_close(maps["layers.1"], raw["o"].permute(0, 3, 1, 2))


def test_layer_shapes_list_every_called_layer(cnn):
    shapes = dict(FeatureExtractor(cnn, "fc").layer_shapes())
    assert shapes["layer1"] == (32, 32, 32) and shapes["layer3"] == (128, 8, 8)
    assert shapes["pool"] == (128,) and shapes["fc"] == (5,)
