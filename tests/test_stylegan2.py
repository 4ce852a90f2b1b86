import json

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from genlens.errors import GenlensError
from genlens.linking.generator import LatentGenerator, load_generator
from genlens.linking.stylegan2 import StyleGAN2, StyleGAN2Config, lowpass_filter, modulated_conv, upsample

#: G.init_kwargs of a tiny class-conditional stylegan2-ada-pytorch generator (16 px).
INIT_KWARGS = {
    "z_dim": 8, "c_dim": 3, "w_dim": 8, "img_resolution": 16, "img_channels": 3,
    "mapping_kwargs": {"num_layers": 2}, "synthesis_kwargs": {"channel_base": 64, "channel_max": 8, "conv_clamp": 256},
}
#: Parameter names of that generator in the reference implementation's state dict (a sample).
REFERENCE_KEYS = [
    "mapping.embed.weight", "mapping.embed.bias", "mapping.fc0.weight", "mapping.fc1.bias", "mapping.w_avg",
    "synthesis.b4.const", "synthesis.b4.conv1.weight", "synthesis.b4.conv1.affine.weight",
    "synthesis.b4.conv1.noise_const", "synthesis.b4.conv1.noise_strength", "synthesis.b4.torgb.affine.bias",
    "synthesis.b8.conv0.weight", "synthesis.b8.conv0.resample_filter", "synthesis.b16.torgb.weight",
    "synthesis.b16.resample_filter",
]


def _folder(tmp_path, seed=0):
    torch.manual_seed(seed)
    model = StyleGAN2(StyleGAN2Config.from_init_kwargs(INIT_KWARGS))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    state["mapping.w_avg"] = torch.randn(8) * 0.1
    for k in state:
        if k.endswith("noise_strength"):
            state[k] = torch.tensor(0.1)
    save_file(state, tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps(INIT_KWARGS))
    return tmp_path, state


def test_a_converted_state_dict_loads_under_the_reference_names_and_generates_deterministically(tmp_path):
    folder, state = _folder(tmp_path)
    assert set(REFERENCE_KEYS) <= set(state)
    gan = load_generator(f"stylegan2:{folder}")
    assert isinstance(gan, LatentGenerator) and gan.latent_dim == 8 and gan.num_classes == 3
    w = gan.sample_latent(6, seed=1, classes=[0, 1, 2, 0, 1, 2])
    assert torch.equal(w, gan.sample_latent(6, seed=1, classes=[0, 1, 2, 0, 1, 2]))
    images = gan.synthesize(w)
    assert images.shape == (6, 3, 16, 16) and images.min() >= 0 and images.max() <= 1
    assert torch.equal(images, gan.synthesize(w))
    # The class reaches w; truncation pulls w towards w_avg.
    z_same = gan.sample_latent(2, seed=1, classes=[0, 1])
    assert not torch.allclose(z_same[0], gan.sample_latent(2, seed=1, classes=[1, 1])[0])
    half = gan.sample_latent(6, seed=1, classes=[0, 1, 2, 0, 1, 2], truncation=0.5)
    w_avg = state["mapping.w_avg"]
    assert torch.allclose(half, w_avg + 0.5 * (w - w_avg), atol=1e-5)
    # Linking optimises through synthesis.
    latent = w[:2].clone().requires_grad_(True)
    gan.synthesize(latent).mean().backward()
    assert latent.grad is not None and latent.grad.abs().sum() > 0


def test_modulated_convolution_equals_scaling_the_input_and_demodulating_the_output():
    torch.manual_seed(0)
    x, weight, styles = torch.randn(3, 4, 6, 6), torch.randn(5, 4, 3, 3), torch.rand(3, 4) + 0.5
    fused = modulated_conv(x, weight, styles, demodulate=True, padding=1)
    scaled = F.conv2d(x * styles[:, :, None, None], weight, padding=1)
    norms = ((weight[None] * styles[:, None, :, None, None]).square().sum([2, 3, 4]) + 1e-8).rsqrt()
    assert torch.allclose(fused, scaled * norms[:, :, None, None], atol=1e-5)


def test_upsampling_keeps_a_constant_away_from_the_border_and_doubles_the_grid():
    up = upsample(torch.full((1, 2, 6, 6), 3.0), lowpass_filter())
    assert up.shape == (1, 2, 12, 12)
    assert torch.allclose(up[..., 2:-2, 2:-2], torch.full_like(up[..., 2:-2, 2:-2], 3.0))
    assert upsample(torch.ones(1, 1, 4, 4), lowpass_filter(), margin=1).shape == (1, 1, 10, 10)


def test_other_shapes_and_architectures_are_refused_in_one_line(tmp_path):
    folder, state = _folder(tmp_path)
    del state["synthesis.b16.torgb.weight"]
    save_file(state, folder / "model.safetensors")
    with pytest.raises(GenlensError, match="another StyleGAN2 shape"):
        load_generator(f"stylegan2:{folder}")
    resnet = dict(INIT_KWARGS, synthesis_kwargs={"architecture": "resnet"})
    (folder / "config.json").write_text(json.dumps(resnet))
    with pytest.raises(GenlensError, match="only the skip"):
        load_generator(f"stylegan2:{folder}")
    with pytest.raises(GenlensError, match="cannot load StyleGAN2"):
        load_generator(f"stylegan2:{tmp_path / 'missing'}")
