import pytest
import torch
from tiny_models import tiny_world_pipeline

from genlens.errors import GenlensError
from genlens.generators.base_model import load_base
from genlens.generators.coordinates import coordinate_grid, reads_coordinates, with_coordinates
from genlens.generators.feature_controlnet import FeatureControlNet, FeatureEncoder
from genlens.generators.text import world_tokenizer
from genlens.generators.whitening import whiten, zca
from genlens.world import get_task


def test_tokenizer_knows_every_caption_word():
    tok = world_tokenizer()
    captions = [c for t in ("shape", "shortcut", "depict6") for c in get_task(t).sample(200, seed=1).captions]
    ids = tok(captions, padding="max_length", truncation=True, max_length=tok.model_max_length).input_ids
    assert all(tok.unk_token_id not in row for row in ids)
    assert all(row[-1] == tok.pad_token_id or row[-1] == tok.eos_token_id for row in ids)  # nothing truncated away
    assert tok.decode(ids[0], skip_special_tokens=True).replace(" ,", ",") == captions[0]


def test_pipeline_round_trip_and_clipped_sampling(tmp_path):
    pipe = tiny_world_pipeline()
    pipe.save_pretrained(tmp_path / "p")
    loaded = load_base(tmp_path / "p")
    prompts = ["a small red star in the centre on a plain black background"] * 2
    for sampler in ("dpm", "ddim"):
        a = pipe(prompts, steps=3, sampler=sampler, guidance=2.0, generator=torch.Generator().manual_seed(0))
        b = loaded(prompts, steps=3, sampler=sampler, guidance=2.0, generator=torch.Generator().manual_seed(0))
        assert a.shape == (2, 3, 32, 32) and torch.isfinite(a).all() and a.min() >= 0 and a.max() <= 1
        torch.testing.assert_close(a, b)


def test_world_unet_reads_pixel_coordinates_and_other_bases_do_not():
    grid = coordinate_grid(1, 4)
    assert grid.shape == (1, 2, 4, 4)
    torch.testing.assert_close(grid[0, 0, 0], torch.tensor([-0.75, -0.25, 0.25, 0.75]))  # x grows rightwards
    torch.testing.assert_close(grid[0, 1, :, 0], torch.tensor([-0.75, -0.25, 0.25, 0.75]))  # y grows downwards
    pipe = tiny_world_pipeline()
    x = torch.randn(2, 3, 32, 32)
    assert reads_coordinates(pipe.unet.config)
    extended = with_coordinates(x, pipe.unet.config)
    assert extended.shape == (2, 5, 32, 32) and torch.equal(extended[:, :3], x)
    assert torch.equal(extended[0, 3:], extended[1, 3:]) and extended[:, 3].std() > 0.5
    latent = {"in_channels": 4, "out_channels": 4}  # Stable Diffusion 1.x
    assert with_coordinates(torch.randn(2, 4, 8, 8), latent).shape == (2, 4, 8, 8)
    # the model's output depends on the coordinate channels: they are wired into the first convolution
    t, states = torch.tensor([500, 500]), torch.randn(2, 80, 32)
    with torch.no_grad():
        pipe.unet.conv_in.weight[:, 3:].normal_()
        same = pipe.unet(extended, t, encoder_hidden_states=states).sample
        moved = pipe.unet(torch.cat([x, extended[:, 3:].flip(-1)], 1), t, encoder_hidden_states=states).sample
    assert same.shape == (2, 3, 32, 32) and (same - moved).abs().max() > 1e-3


@torch.no_grad()
def test_every_level_of_the_world_unet_hears_the_timestep_and_caption_embedding():
    from diffusers import UNet2DConditionModel

    from genlens.generators.base_model import world_unet

    def finest_block_output(unet, emb):
        x = torch.randn(1, unet.config.block_out_channels[0], 32, 32, generator=torch.Generator().manual_seed(0))
        return unet.down_blocks[0].resnets[0](x, emb)

    unet = world_unet()
    emb_a, emb_b = torch.randn(2, 1, unet.time_embedding.linear_2.out_features).unbind(0)
    assert (finest_block_output(unet, emb_a) - finest_block_output(unet, emb_b)).abs().max() > 1e-2
    # with one channel per norm group and an additive embedding, the next norm cancels it exactly
    one_per_group = UNet2DConditionModel(**{**unet.config, "norm_num_groups": 32, "resnet_time_scale_shift": "default"})
    torch.testing.assert_close(finest_block_output(one_per_group, emb_a), finest_block_output(one_per_group, emb_b))


def test_not_a_pipeline_is_a_clear_error(tmp_path):
    with pytest.raises(GenlensError, match="not a text-to-image"):
        load_base(tmp_path)


@torch.no_grad()
def test_feature_controlnet_starts_as_a_no_op_and_round_trips(tmp_path):
    pipe = tiny_world_pipeline()
    cn = FeatureControlNet.from_base(pipe.unet, feature_channels=16, feature_hidden_channels=16)
    fmap = torch.randn(2, 16, 8, 8)
    x, t, states = torch.randn(2, 3, 32, 32), torch.tensor([5, 900]), torch.randn(2, 80, 32)
    x = with_coordinates(x, pipe.unet.config)
    down, mid = cn(x, t, encoder_hidden_states=states, controlnet_cond=fmap, return_dict=False)
    assert all(float(d.abs().max()) == 0 for d in (*down, mid))  # zero convolutions: the base is untouched at start
    torch.nn.init.normal_(cn.controlnet_cond_embedding.conv_out.weight)
    for block in cn.controlnet_down_blocks:
        torch.nn.init.normal_(block.weight, std=0.01)
    cn.save_pretrained(tmp_path / "cn")
    loaded = FeatureControlNet.from_pretrained(tmp_path / "cn")
    a = cn(x, t, encoder_hidden_states=states, controlnet_cond=fmap, return_dict=False)[0][0]
    b = loaded(x, t, encoder_hidden_states=states, controlnet_cond=fmap, return_dict=False)[0][0]
    assert float(a.abs().max()) > 0
    torch.testing.assert_close(a, b)


def test_pooled_encoder_ignores_where_features_are_spatial_one_does_not():
    torch.manual_seed(0)
    fmap = torch.randn(1, 8, 4, 4)
    shuffled = fmap.flatten(2)[:, :, torch.randperm(16)].view(1, 8, 4, 4)
    for pooled in (True, False):
        enc = FeatureEncoder(8, grid_size=16, out_channels=4, hidden_channels=8, pooled=pooled)
        torch.nn.init.normal_(enc.conv_out.weight)
        same = torch.allclose(enc(fmap), enc(shuffled), atol=1e-5)
        assert same == pooled


@torch.no_grad()
def test_whitening_gives_correlated_channels_of_any_scale_identity_covariance_and_round_trips(tmp_path):
    torch.manual_seed(0)
    rotation = torch.linalg.qr(torch.randn(6, 6))[0]
    mixing = torch.diag(torch.tensor([10.0, 3.0, 1.0, 0.5, 0.4, 0.3])) @ rotation  # variances 1,100 apart, mixed
    maps = (torch.randn(64, 5, 5, 6) @ mixing).movedim(-1, 1) + 3.0  # (N, 6, 5, 5)
    mean, matrix = zca(maps)
    white = whiten(maps, mean, matrix).movedim(1, -1).reshape(-1, 6).double()
    torch.testing.assert_close(torch.cov(white.T), torch.eye(6, dtype=torch.float64), atol=1e-3, rtol=0)
    torch.testing.assert_close(white.mean(0), torch.zeros(6, dtype=torch.float64), atol=1e-3, rtol=0)

    pipe = tiny_world_pipeline()
    cn = FeatureControlNet.from_base(pipe.unet, feature_channels=6, feature_hidden_channels=8, feature_whitened=True)
    cn.controlnet_cond_embedding.set_whitening(maps)
    cn.save_pretrained(tmp_path / "cn")
    loaded = FeatureControlNet.from_pretrained(tmp_path / "cn").controlnet_cond_embedding
    torch.testing.assert_close(loaded.whitening_matrix, matrix)
    with pytest.raises(ValueError, match="without whitening"):
        FeatureEncoder(6).set_whitening(maps)


@torch.no_grad()
def test_a_map_finer_than_the_grid_is_folded_so_that_changes_inside_a_cell_reach_the_hint():
    torch.manual_seed(0)
    fmap = torch.randn(1, 8, 16, 16)
    swapped = fmap.clone()
    swapped[..., 0, 0], swapped[..., 1, 1] = fmap[..., 1, 1], fmap[..., 0, 0]  # the same 2 x 2 cell, its mean kept
    folded = FeatureEncoder(8, grid_size=8, out_channels=4, hidden_channels=8, feature_size=16)
    resized = FeatureEncoder(8, grid_size=8, out_channels=4, hidden_channels=8)
    for enc in (folded, resized):
        torch.nn.init.normal_(enc.conv_out.weight)
    assert folded.conv_in.in_channels == 32 and folded(fmap).shape == (1, 4, 8, 8)
    assert not torch.allclose(folded(fmap), folded(swapped), atol=1e-5)
    assert torch.allclose(resized(fmap), resized(swapped), atol=1e-5)  # bilinear halving averages the cell
    assert FeatureEncoder(8, grid_size=8, feature_size=12).conv_in.in_channels == 8  # not a multiple: resized


def test_denoising_loss_weights_timesteps_and_object_pixels():
    from genlens.generators.base_model import training_scheduler
    from genlens.generators.denoising_loss import denoising_loss, object_weights, snr_weights

    scheduler = training_scheduler()
    prediction, target = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    t = torch.tensor([10, 900])
    plain = denoising_loss(prediction, target, t, scheduler)
    assert plain == pytest.approx(torch.nn.functional.mse_loss(prediction, target).item(), rel=1e-6)
    a = scheduler.alphas_cumprod[t]
    snr = a / (1 - a)  # about 4000 at t = 10, 0.03 at t = 900
    w = snr_weights(scheduler, t, 5.0)
    assert torch.allclose(w, torch.stack([5 / (snr[0] + 1), snr[1] / (snr[1] + 1)]))
    masks = torch.zeros(2, 1, 8, 8, dtype=torch.bool)
    masks[:, 0, 3:5, 3:5] = True
    weights = object_weights(masks, 4.0)
    assert weights[0, 0, 2:6, 2:6].eq(4).all() and weights.eq(4).sum() == 2 * 16 and weights.eq(1).sum() == 2 * 48
    error_on_object = torch.zeros(2, 3, 8, 8)
    error_on_object[:, :, 3:5, 3:5] = 1.0
    weighted = denoising_loss(error_on_object, torch.zeros_like(error_on_object), t, scheduler, None, weights)
    assert weighted == pytest.approx(4 * 4 / (4 * 16 + 48))  # vs 4 / 64 unweighted


@pytest.mark.parametrize("prediction_type", ["v_prediction", "epsilon"])
def test_predicted_clean_undoes_the_noise_given_the_true_target(prediction_type):
    from diffusers import DDPMScheduler

    from genlens.generators.denoising_loss import predicted_clean
    from genlens.generators.diffusion_training import noise_batch

    scheduler = DDPMScheduler(beta_schedule="squaredcos_cap_v2", prediction_type=prediction_type)
    clean = torch.rand(4, 3, 8, 8) * 2 - 1
    noisy, target, t = noise_batch(scheduler, clean, torch.Generator().manual_seed(0))
    torch.testing.assert_close(predicted_clean(scheduler, noisy, target, t), clean, atol=2e-3, rtol=0)
    assert not torch.allclose(predicted_clean(scheduler, noisy, torch.zeros_like(target), t), clean, atol=0.1)


def test_noise_batch_draws_timesteps_from_the_range_asked_for():
    from genlens.generators.base_model import training_scheduler
    from genlens.generators.diffusion_training import noise_batch

    clean = torch.zeros(256, 3, 4, 4)
    _, _, everywhere = noise_batch(training_scheduler(), clean, torch.Generator().manual_seed(0))
    _, _, middle = noise_batch(training_scheduler(), clean, torch.Generator().manual_seed(0), (150, 500))
    assert everywhere.min() < 150 and everywhere.max() >= 500
    assert middle.min() >= 150 and middle.max() < 500
    _, _, mixed = noise_batch(training_scheduler(), clean, torch.Generator().manual_seed(0), (150, 500), 0.5)
    inside = ((mixed >= 150) & (mixed < 500)).float().mean()
    assert 0.5 < inside < 0.85  # half from the range, and a third of the other half lands there too
