"""Does a world base model learn the caption's place words? Text-encoder depth against what the UNet hears.

Where an object goes is settled at the noisiest timesteps, where the best prediction of the clean
image is the average scene that the caption describes. Each configuration is trained from scratch on
those timesteps only (t >= 900 of 1000, where a few hundred steps suffice), then asked for a large red
circle at each of the nine places: a place counts as learnt when the red of the predicted clean image
(averaged over 16 noises) has its centre of mass in the named ninth of the image.

Run: python benchmarks/place_words.py [--steps 250] [--layers 0 1 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from genlens.generators.base_model import new_world_pipeline
from genlens.generators.coordinates import with_coordinates
from genlens.generators.diffusion_training import TextToImage, world_captioned_batch
from genlens.generators.text import world_text_encoder
from genlens.world.concepts import POSITION_BINS, POSITION_PHRASES, position_bin

FIRST_TIMESTEP = 900


def train_high_noise(layers: int, steps: int, batch: int = 32, seed: int = 0):
    """A new world pipeline whose text encoder has `layers` layers, trained at t >= FIRST_TIMESTEP."""
    torch.manual_seed(seed)
    pipe = new_world_pipeline()
    pipe.text_encoder = world_text_encoder(pipe.tokenizer, pipe.unet.config.cross_attention_dim, layers=layers)
    model = TextToImage(pipe.unet, pipe.text_encoder)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    scheduler, tokenizer = pipe.scheduler, pipe.tokenizer
    for step in range(steps):
        images, captions, weights, _ = world_captioned_batch(batch, seed * 100_000 + step, 32, object_weight=3.0)
        ids = tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length, return_tensors="pt")
        g = torch.Generator().manual_seed(step)
        t = torch.randint(FIRST_TIMESTEP, scheduler.config.num_train_timesteps, (batch,), generator=g)
        noisy, target = _renoise(scheduler, images * 2 - 1, t, g)
        states = model.text_encoder(ids.input_ids)[0]
        prediction = model.unet(with_coordinates(noisy, pipe.unet.config), t, encoder_hidden_states=states).sample
        loss = ((prediction - target) ** 2 * weights).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return pipe


def _renoise(scheduler, clean, t, generator):
    noise = torch.randn(clean.shape, generator=generator)
    return scheduler.add_noise(clean, noise, t), scheduler.get_velocity(clean, noise, t)


@torch.no_grad()
def place_accuracy(pipe, noises: int = 16) -> dict:
    """Share of the nine places where the predicted red object lands in the named ninth, and the mean
    absolute change of the prediction when only the place words (or only the colour word) change."""
    x = torch.randn(noises, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    t = torch.full((noises,), pipe.scheduler.config.num_train_timesteps - 1)
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")

    def clean(caption: str) -> torch.Tensor:
        states = pipe.encode_prompt([caption] * noises)
        return -pipe.unet(with_coordinates(x, pipe.unet.config), t, encoder_hidden_states=states).sample

    hits, predictions = 0, {}
    for index, place in enumerate(POSITION_BINS):
        predictions[place] = clean(f"a large red circle {POSITION_PHRASES[place]} on a plain black background")
        red = (predictions[place][:, 0] - predictions[place][:, 1]).mean(0).clamp(min=0)
        cx, cy = float((red * xs).sum() / red.sum()) + 0.5, float((red * ys).sum() / red.sum()) + 0.5
        hits += position_bin(cx / 32, cy / 32) == index
    blue = clean(f"a large blue circle {POSITION_PHRASES['top left']} on a plain black background")
    return {
        "places_learnt": hits / len(POSITION_BINS),
        "place_change": round(float((predictions["top left"] - predictions["bottom right"]).abs().mean()), 4),
        "colour_change": round(float((predictions["top left"] - blue).abs().mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--layers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for layers in args.layers:
        start = time.perf_counter()
        pipe = train_high_noise(layers, args.steps)
        rows.append({"text_layers": layers, **place_accuracy(pipe), "seconds": round(time.perf_counter() - start, 1)})
        if not args.json:
            print(rows[-1], flush=True)
    if args.json:
        print(json.dumps({"steps": args.steps, "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
