"""Training and sampling throughput of world base-diffusion UNets (with and without a feature ControlNet).

Run: python benchmarks/diffusion_speed.py [--batch 32] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from genlens.generators.base_model import new_world_pipeline
from genlens.generators.coordinates import with_coordinates
from genlens.generators.diffusion_training import noise_batch, world_captioned_batch
from genlens.generators.feature_controlnet import FeatureControlNet

# (channels, levels with cross-attention): the shipped world UNet is (32, 64, 64) attending at 8x8 only
CONFIGS = {
    "(64,128,128), attention at 16 and 8 px": ((64, 128, 128), 2),
    "(32,64,64), attention at 16 and 8 px": ((32, 64, 64), 2),
    "(32,64,64), attention at 8 px (shipped)": ((32, 64, 64), 1),
}


def measure(config, batch: int, controlnet: bool, repeats: int = 3) -> dict:
    torch.manual_seed(0)
    channels, attention_levels = config
    pipe = new_world_pipeline(block_out_channels=channels, attention_levels=attention_levels)
    images, captions, _, _ = world_captioned_batch(batch, 0, 32)
    ids = pipe.tokenizer(
        captions, padding="max_length", truncation=True, max_length=pipe.tokenizer.model_max_length, return_tensors="pt"
    ).input_ids
    noisy, target, t = noise_batch(pipe.scheduler, images * 2 - 1, torch.Generator().manual_seed(0))
    noisy = with_coordinates(noisy, pipe.unet.config)
    cn = FeatureControlNet.from_base(pipe.unet, 128) if controlnet else None
    params = list(cn.parameters()) if cn else list(pipe.unet.parameters()) + list(pipe.text_encoder.parameters())
    opt = torch.optim.AdamW(params, 1e-4)
    fmap = torch.randn(batch, 128, 8, 8)
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        states = pipe.text_encoder(ids)[0]
        extra = {}
        if cn is not None:
            down, mid = cn(noisy, t, encoder_hidden_states=states, controlnet_cond=fmap, return_dict=False)
            extra = {"down_block_additional_residuals": down, "mid_block_additional_residual": mid}
        loss = F.mse_loss(pipe.unet(noisy, t, encoder_hidden_states=states, **extra).sample, target)
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
    train = batch / sorted(times[1:])[len(times[1:]) // 2]
    t0 = time.perf_counter()
    with torch.no_grad():
        pipe(captions[:16], steps=20, sampler="dpm")
    sample = 16 / (time.perf_counter() - t0)
    unet_m = sum(p.numel() for p in pipe.unet.parameters()) / 1e6
    return {
        "unet_params_m": round(unet_m, 2),
        "controlnet": controlnet,
        "train_images_per_s": round(train, 1),
        "sample_images_per_s_20_steps": round(sample, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [{"config": name, **measure(c, args.batch, cn)} for name, c in CONFIGS.items() for cn in (False, True)]
    if args.json:
        print(json.dumps({"threads": torch.get_num_threads(), "batch": args.batch, "rows": rows}))
    else:
        for r in rows:
            print(r)


if __name__ == "__main__":
    main()
