"""A word-level tokenizer over the world's caption vocabulary and a small CLIP text encoder."""

from __future__ import annotations

import re

from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import CLIPTextConfig, CLIPTextModel, PreTrainedTokenizerFast

from genlens.world import concepts
from genlens.world.captions import EMPTY_TEMPLATE, MULTI_TEMPLATES, SINGLE_TEMPLATES

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[BOS]", "[EOS]")
MAX_LENGTH = 80


def world_vocabulary() -> list[str]:
    """Every word and punctuation mark a world caption can contain, sorted."""
    text = " ".join(
        [
            *SINGLE_TEMPLATES,
            *MULTI_TEMPLATES,
            EMPTY_TEMPLATE,
            " and ".join(concepts.SHAPES),
            " ".join(concepts.COLORS),
            " ".join(concepts.SIZES),
            " ".join(concepts.POSITION_PHRASES.values()),
            " ".join(concepts.PATTERN_ADJECTIVES.values()),
            " ".join(concepts.BACKGROUND_COLORS),
            "a high-quality, detailed, and professional image",
        ]
    )
    words = re.findall(r"\w+|[^\w\s]", re.sub(r"\{\w+\}", " ", text))
    return sorted(set(words))


def world_tokenizer(max_length: int = MAX_LENGTH) -> PreTrainedTokenizerFast:
    """A transformers fast tokenizer: words of world_vocabulary(), [BOS] ... [EOS], padded with [PAD]."""
    vocab = {t: i for i, t in enumerate((*SPECIAL_TOKENS, *world_vocabulary()))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    tok.post_processor = processors.TemplateProcessing(
        single="[BOS] $A [EOS]", special_tokens=[("[BOS]", vocab["[BOS]"]), ("[EOS]", vocab["[EOS]"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        bos_token="[BOS]",
        eos_token="[EOS]",
        model_max_length=max_length,
    )


def world_text_encoder(
    tokenizer: PreTrainedTokenizerFast,
    hidden_size: int = 128,
    layers: int = 0,
    heads: int = 4,
    mask_padding: bool = False,
    pose_features: int = 0,
) -> CLIPTextModel:
    """A randomly initialised CLIPTextModel sized for the world's captions.

    No transformer layers by default: each token's state is its word and place in the caption,
    normalised. Trained jointly with the world UNet, one or two self-attention layers let the colour
    word swamp every token's state, and the UNet never learns the place words (BENCHMARKS.md).
    """
    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        max_position_embeddings=tokenizer.model_max_length,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        projection_dim=hidden_size,
        mask_padding=mask_padding,  # saved in config.json; read by generators.conditioning
        pose_features=pose_features,  # likewise; read by generators.pose
    )
    return CLIPTextModel(config)
