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
