"""Caption read-back of a world base sampled with critic guidance (generators.critic_guidance), read
as `genlens eval diffusion` reads it: the probes and the independent reader, on held-out captions.

    python benchmarks/critic_guidance.py BASE CRITIC --n 256 [--strength S --iterations K --below B] [--guidance G] [--grid PNG]

--strength 0 is the base alone. The critic is asked for what each caption names (world.caption_reading);
the read-back compares with the scenes' records. One generator per batch, seeded as caption_fidelity seeds it.
"""

from __future__ import annotations

import argparse
import json

import torch

from genlens.generators.base_model import load_base
from genlens.generators.critic import WorldCritic
from genlens.generators.critic_guidance import CriticGuidance, concept_targets, critic_steer
from genlens.measure.fidelity import concept_retention
from genlens.measure.probes import ConceptProbe, probe_truth
from genlens.measure.reader import load_reader
from genlens.world.caption_reading import caption_truth
from genlens.world.seeds import held_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("critic")
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--strength", type=float, default=CriticGuidance.strength)
    parser.add_argument("--iterations", type=int, default=CriticGuidance.iterations)
    parser.add_argument("--below", type=float, default=CriticGuidance.below, help="guide only below this share of the schedule")
    parser.add_argument("--guidance", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--reader", default="world-vit")
    parser.add_argument("--grid", default=None, help="a PNG of the first 32 images")
    args = parser.parse_args()
    pipe, critic = load_base(args.base), WorldCritic.load(args.critic)
    sample = held_out(args.n, size=pipe.image_size)
    truth = [probe_truth(r) for r in sample.records]
    targets = concept_targets(critic, [caption_truth(c) for c in sample.captions])  # what each caption asks for
    generator, parts = torch.Generator().manual_seed(0), []
    for i in range(0, args.n, 64):
        steer = None
        if args.strength > 0:
            batch = {c: v[i : i + 64] for c, v in targets.items()}
            steer = critic_steer(critic, batch, CriticGuidance(args.strength, args.iterations, args.below), pipe.decode_samples,
                                 pipe.scheduler.config.num_train_timesteps)
        parts.append(pipe(sample.captions[i : i + 64], steps=args.steps, guidance=args.guidance, generator=generator, steer=steer,
                          critic_guidance=0.0))  # the critic given here guides, not one the base folder registers
    images = torch.cat(parts)
    read = concept_retention(ConceptProbe.load().predict_names(images), truth)
    out = {
        "base": args.base, "n": args.n, "strength": args.strength, "iterations": args.iterations, "below": args.below, "guidance": args.guidance,
        "probes": {c: round(v, 3) for c, v in read.items()}, "reader": load_reader(args.reader).report(images, truth),
    }
    print(json.dumps(out))
    if args.grid:
        from torchvision.utils import save_image

        save_image(images[:32], args.grid, nrow=8)


if __name__ == "__main__":
    main()
