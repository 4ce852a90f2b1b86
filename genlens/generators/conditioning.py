"""What a caption gives a UNet: its token states, the mask of its padding, and its bag of words.

World captions are 14-19 tokens padded to the tokenizer's length, so without a mask most of the
cross-attention keys are padding. A text encoder whose config sets `mask_padding` has the padding
masked out of the UNet's cross-attention; a UNet with `class_embed_type="projection"` also receives
the caption's bag of words (the count of each vocabulary word) through its class embedding, the path
by which class-conditional diffusion models hear their label at every level. Bases without either
(Stable Diffusion 1.x, the first world base) get the token states alone."""

from __future__ import annotations

import torch

from genlens.generators.pose import pose_feature_count, pose_labels


def tokenize(tokenizer, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention mask), each (N, L), padded to the tokenizer's max length."""
    out = tokenizer(
        captions, padding="max_length", truncation=True, max_length=tokenizer.model_max_length, return_tensors="pt"
    )
    return out.input_ids, out.attention_mask


def bag_of_words(ids: torch.Tensor, vocab_size: int, ignore: list[int]) -> torch.Tensor:
    """(N, vocab_size) float counts of each token id in ids, ids in `ignore` (special tokens) left out."""
    counts = torch.zeros(len(ids), vocab_size, device=ids.device)
    counts.scatter_add_(1, ids, torch.ones_like(ids, dtype=counts.dtype))
    counts[:, ignore] = 0
    return counts


def masks_padding(text_encoder) -> bool:
    """Whether a text encoder's config asks for its padding to be masked out of cross-attention."""
    return bool(getattr(text_encoder.config, "mask_padding", False))


def unet_conditioning(
    unet, text_encoder, tokenizer, ids: torch.Tensor, mask: torch.Tensor, poses: torch.Tensor | None = None
) -> dict:
    """The caption keyword arguments of unet(sample, t, **conditioning): encoder_hidden_states, and
    encoder_attention_mask and class_labels where the text encoder and UNet use them. On a base
    with a pose (generators.pose), class_labels also carry the poses' features (angles in degrees;
    NaN or None: no pose)."""
    out = {"encoder_hidden_states": text_encoder(ids)[0]}
    if masks_padding(text_encoder):
        out["encoder_attention_mask"] = mask.to(out["encoder_hidden_states"].device)
    if unet.config.class_embed_type == "projection":
        pose = pose_feature_count(text_encoder)
        special = [i for i in tokenizer.all_special_ids if i is not None]
        labels = bag_of_words(ids, unet.config.projection_class_embeddings_input_dim - pose, special)
        if pose:
            labels = torch.cat([labels, pose_labels(poses, len(ids)).to(labels.device)], dim=1)
        out["class_labels"] = labels.to(out["encoder_hidden_states"].dtype)
    return out
