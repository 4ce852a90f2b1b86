"""World GAN pilot: the style-based generator trained as a class-conditional VAE's decoder
(linking.variational_gan), measured like the adversarial pilots by evaluate_gan.

    python benchmarks/variational_gan_pilot.py OUT --steps 2400 [--latent] [--upright] [--kl 1e-3] [--mmd 1.0]
        [--z-dim 16] [--prior-class 0.1] [--perceptual 1.0] [--object-weight 10]
    python benchmarks/variational_gan_pilot.py OUT --measure [--n 200] [--fitted-prior 5000]

--measure reads the run's latest checkpoint, fits its prior (--fitted-prior N renders, 0: N(0, I))
and writes OUT/pilot-STEP-N.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from diffusers import AutoencoderKL
from safetensors.torch import load_file

import genlens
from genlens.generators.critic import WorldCritic
from genlens.linking.gan_eval import evaluate_gan
from genlens.linking.variational_gan import VariationalGAN, VariationalSettings, fit_prior, train_variational_gan
from genlens.linking.world_gan import WorldGAN, WorldGANConfig
from genlens.training.checkpoint import latest_checkpoint
from genlens.training.loop import TrainSettings
from genlens.world import get_task

CRITIC = Path(genlens.__file__).parent / "weights" / "base-diffusion" / "critic"


def measure(out: Path, n: int, fitted_prior: int) -> dict:
    """evaluate_gan on the run's latest checkpoint, its prior fitted on fitted_prior renders (0: N(0, I))."""
    latest = latest_checkpoint(out / "checkpoints")
    info = json.loads((latest / "state.json").read_text())
    model = VariationalGAN(WorldGANConfig(**{k: v for k, v in info["run"]["config"].items() if k != "kind"}))
    model.load_state_dict(load_file(latest / "model.safetensors"))
    if fitted_prior:
        autoencoder = AutoencoderKL.from_pretrained(CRITIC.parent / "vae") if model.generator.decoder is not None else None
        upright = info["run"]["variational"].get("upright", False)
        deterministic = info["run"]["variational"].get("mmd_weight", 0) > 0
        fit_prior(model.eval(), get_task("shape"), fitted_prior, 31, autoencoder, upright, deterministic)
    gan, step = WorldGAN(model.generator), info["step"]
    report = {"step": step, "fitted_prior": fitted_prior, **evaluate_gan(gan, n=n)}
    (out / f"pilot-{step}-{fitted_prior}.json").write_text(json.dumps(report, indent=1))
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--steps", type=int, default=2400)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--kl", type=float, default=1e-3)
    parser.add_argument("--perceptual", type=float, default=1.0)
    parser.add_argument("--object-weight", type=float, default=10.0)
    parser.add_argument("--prior-class", type=float, default=0.0)
    parser.add_argument("--ema", type=float, default=None)
    parser.add_argument("--mmd", type=float, default=0.0, help="> 0: a Wasserstein autoencoder with this MMD weight")
    parser.add_argument("--z-dim", type=int, default=64)
    parser.add_argument("--upright", action="store_true", help="objects upright (the world turns them at random)")
    parser.add_argument("--latent", action="store_true", help="draw the shipped base's autoencoder latents")
    parser.add_argument("--fitted-prior", type=int, default=5000, help="renders for the prior fitted after training (0: N(0, I))")
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    if args.measure:
        r = measure(args.out, args.n, args.fitted_prior)
        print(json.dumps({k: r[k] for k in ("step", "fitted_prior", "agreement", "all_values_appear", "frechet")}))
        return
    settings = TrainSettings(steps=args.steps, batch_size=args.batch, lr=args.lr, warmup=0, weight_decay=0.0,
                             schedule="constant", checkpoint_every=200, ema_decay=args.ema, seed=31)
    variational = VariationalSettings(
        perceptual_weight=args.perceptual, kl_weight=args.kl, object_weight=args.object_weight,
        prior_class_weight=args.prior_class, mmd_weight=args.mmd, z_dim=args.z_dim, upright=args.upright,
        fitted_prior=args.fitted_prior,
    )
    autoencoder = AutoencoderKL.from_pretrained(CRITIC.parent / "vae") if args.latent else None
    _, card = train_variational_gan(args.out, settings, WorldCritic.load(CRITIC), variational, eval_n=args.n,
                                    autoencoder=autoencoder)
    print(json.dumps({"seconds": card["seconds"], **card["metrics"]["agreement"]}))


if __name__ == "__main__":
    main()
