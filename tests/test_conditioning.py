"""What a caption gives a UNet: padding masks and the bag of words, and bases built with them."""

import torch

from genlens.generators.base_model import new_world_pipeline
from genlens.generators.conditioning import bag_of_words, tokenize, unet_conditioning
from genlens.generators.text import world_tokenizer


def test_bag_of_words_counts_words_and_ignores_special_tokens():
    tok = world_tokenizer()
    ids, mask = tokenize(tok, ["a red star and a red heart"])
    bag = bag_of_words(ids, len(tok), tok.all_special_ids)
    vocab = tok.get_vocab()
    assert bag[0, vocab["red"]] == 2 and bag[0, vocab["a"]] == 2 and bag[0, vocab["star"]] == 1
    assert bag[0, tok.pad_token_id] == 0 and bag[0].sum() == 7
    assert mask[0].sum() == 9  # seven words, [BOS] and [EOS]


def test_a_caption_words_base_ignores_its_padding():
    torch.manual_seed(0)
    pipe = new_world_pipeline(text_width=32, block_out_channels=(32, 32, 32), caption_words=True, max_length=40)
    ids, mask = tokenize(pipe.tokenizer, ["a small red star in the centre on a plain black background"])
    caption = unet_conditioning(pipe.unet, pipe.text_encoder, pipe.tokenizer, ids, mask)
    assert set(caption) == {"encoder_hidden_states", "encoder_attention_mask", "class_labels"}
    x, t = torch.randn(1, 5, 32, 32), torch.tensor([500])
    with torch.no_grad():
        out = pipe.unet(x, t, **caption).sample
        # garbage in the padded positions' states changes nothing when they are masked
        states = caption["encoder_hidden_states"].clone()
        states[0, int(mask.sum()) :] = torch.randn_like(states[0, int(mask.sum()) :]) * 10
        same = pipe.unet(x, t, **{**caption, "encoder_hidden_states": states}).sample
        unmasked = pipe.unet(x, t, encoder_hidden_states=states, class_labels=caption["class_labels"]).sample
    assert torch.allclose(out, same, atol=1e-5)
    assert not torch.allclose(out, unmasked, atol=1e-3)


def test_the_first_world_base_layout_gets_token_states_alone():
    pipe = new_world_pipeline(text_width=32, block_out_channels=(32, 32, 32))
    ids, mask = tokenize(pipe.tokenizer, ["a red star"])
    assert set(unet_conditioning(pipe.unet, pipe.text_encoder, pipe.tokenizer, ids, mask)) == {"encoder_hidden_states"}


def test_a_pose_base_hears_the_angle_and_an_empty_prompt_has_none():
    from genlens.generators.pose import POSE_FEATURES, draw_poses, pose_features

    feats = pose_features(torch.tensor([0.0, 90.0, 360.0]))
    assert feats.shape == (3, POSE_FEATURES) and torch.allclose(feats[0], feats[2], atol=1e-5)
    assert not torch.allclose(feats[0], feats[1])
    torch.manual_seed(0)
    pipe = new_world_pipeline(text_width=32, block_out_channels=(32, 32, 32), caption_words=True, max_length=40, pose=True)
    assert pipe.reads_pose and not new_world_pipeline(text_width=32, block_out_channels=(32, 32, 32), caption_words=True).reads_pose
    ids, mask = tokenize(pipe.tokenizer, ["a small red star in the centre on a plain black background"] * 2)
    turned = unet_conditioning(pipe.unet, pipe.text_encoder, pipe.tokenizer, ids, mask, torch.tensor([0.0, 40.0]))
    labels = turned["class_labels"]
    assert labels.shape[1] == len(pipe.tokenizer) + POSE_FEATURES and not torch.allclose(labels[0], labels[1])
    unknown = unet_conditioning(pipe.unet, pipe.text_encoder, pipe.tokenizer, ids, mask, torch.tensor([float("nan")] * 2))
    assert (unknown["class_labels"][:, -POSE_FEATURES:] == 0).all()
    with torch.no_grad():
        x, t = torch.randn(2, 5, 32, 32), torch.tensor([500, 500])
        out = pipe.unet(x, t, **turned).sample
    assert not torch.allclose(out[0], out[1], atol=1e-4)  # same caption and noise, another pose
    angles = draw_poses(["a red star", "", "a blue heart"], torch.Generator().manual_seed(1))
    assert torch.isnan(angles[1]) and ((angles[[0, 2]] >= 0) & (angles[[0, 2]] < 360)).all()
    # sampling draws each image's pose from its seed, after its noise: same seed, same image
    prompts = ["a small red star in the centre on a plain black background", "a large blue heart on the left on a plain white background"]
    a = pipe(prompts, steps=2, generator=torch.Generator().manual_seed(3))
    b = pipe(prompts, steps=2, generator=torch.Generator().manual_seed(3))
    c = pipe(prompts, steps=2, generator=torch.Generator().manual_seed(3), poses=torch.tensor([10.0, 200.0]))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_training_batches_turn_objects_as_asked():
    import numpy as np

    from genlens.generators.diffusion_training import world_captioned_batch

    images, captions, weights, poses = world_captioned_batch(16, 3, 32, pose="world")
    assert images.shape == (16, 3, 32, 32) and len(captions) == 16 and weights.shape == (16, 1, 32, 32)
    assert torch.isnan(poses[12:]).all() and not torch.isnan(poses[:12]).any()  # six objects, six angles
    up = world_captioned_batch(16, 3, 32, pose="upright")
    assert (up[3] == 0).all() and up[1] == captions and not torch.equal(up[0], images)
    shared = world_captioned_batch(16, 3, 32, pose="shared")
    assert torch.equal(shared[3][:12], poses[:12]) and not torch.isnan(shared[3]).any()
    assert torch.equal(shared[0][:12], images[:12]) and shared[1] == captions
    assert np.unique(shared[3][12:].numpy()).size == 4
