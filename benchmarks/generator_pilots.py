"""Pilots of world-base designs, each trained from scratch and read back the same way.

    python benchmarks/generator_pilots.py a OUT --critic CRITIC --steps 800
    python benchmarks/generator_pilots.py b-autoencoder OUT --critic CRITIC --ae-steps 600 [--adversarial-weight W --adversarial-start S]
    python benchmarks/generator_pilots.py gate OUT --probes PROBES
    python benchmarks/generator_pilots.py b-base OUT --steps 1000 [--autoencoder AE --critic CRITIC]
    python benchmarks/generator_pilots.py critic OUT --steps 700 [--world VARIANT] [--crisp]
    python benchmarks/generator_pilots.py readers OUT --steps 700 --world large   (probes and a shape reader)
    python benchmarks/generator_pilots.py eval OUT [--probes P --reader R] [--world VARIANT] [--guidance G]
    python benchmarks/generator_pilots.py estimate-critic OUT --critic CRITIC --steps 400   (reads OUT/base)
    python benchmarks/generator_pilots.py robust-critic OUT [--critic INIT] --steps 400 --epsilon 0.5 [--attack-steps 3]

a: pixel base (the shipped UNet) with the critic's feature term on the predicted clean image, EMA,
   masked caption padding and the caption's bag of words.
b: latent base: a world autoencoder (gated on its reconstructions' read-back), then a UNet on its
   8 x 8 x 8 latents with cross-attention at every level, masked padding and the bag of words;
   with --critic, also the critic's feature term on the predicted clean latent decoded by the VAE (B2).
estimate-critic: the critic fine-tuned to read OUT/base's own clean estimates (decoded, at timesteps
   uniform over the schedule) of fresh renders, so that critic guidance asks a reader of the estimates
   it moves (a noise-aware critic) rather than one of clean renders; saved to OUT/estimate-critic.
--pose upright trains a base on the same scenes with every object at rotation 0 (a caption then names
all that varies in the object but a 1.6-px jitter; the shipped probes and world-vit read upright objects,
a subset of the world); --pose shared tells the base each scene's rotation (generators.pose). --world
large changes the world every command of the process sees: single objects' radii scaled by --scale
(multi-object scenes keep theirs); large objects need readers of their own (`readers`). Each pilot prints its card; read it back with `genlens eval diffusion --base OUT/base --probes PROBES`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from genlens.generators.autoencoder import AutoencoderLoss, train_autoencoder
from genlens.generators.base_design import BaseDesign
from genlens.generators.latent_base_training import latent_world_pipeline
from genlens.generators.critic import WorldCritic
from genlens.generators.denoising_loss import LossSettings
from genlens.generators.diffusion_training import train_diffusion
from genlens.measure.generation import reconstruction_fidelity
from genlens.measure.probes import ConceptProbe
from genlens.measure.reader import load_reader
from genlens.training.loop import TrainSettings


def use_world(variant: str, scale: float) -> None:
    """Change the world of this process: `standard` (as shipped) or `large` (see the docstring)."""
    from genlens.world import scenes

    if variant == "large":
        radius = scenes.SceneBatch.radius.fget
        scenes.SceneBatch.radius = property(lambda b: radius(b) * (scale if b.present.shape[1] == 1 else 1.0))


def train_readers(out: Path, steps: int) -> dict:
    """Robust probes and a shape reader (world-cnn's architecture, its own seed) for this process's world."""
    from genlens.classifiers.training import train_classifier
    from genlens.measure.probe_training import train_probes

    probes = train_probes(out / "probes", TrainSettings(steps=steps, batch_size=128, lr=2e-3, seed=4), eval_n=1000)[1]
    reader = train_classifier("shape", "world-cnn", out / "reader", TrainSettings(steps=steps, batch_size=128, lr=2e-3, seed=41))[1]
    return {"probes": probes["robustness"] | {"clean": probes["test_accuracy"]}, "reader": reader["test_accuracy"]}


def evaluate(out: Path, probes: Path | None, reader: str, guidance: float) -> dict:
    """Caption read-back of OUT/base, as `genlens eval diffusion --n 256` (20 DPM-Solver++ steps)."""
    from genlens.generators.base_model import load_base
    from genlens.inversion.protocol import SamplingConfig
    from genlens.measure.generation import caption_fidelity

    result = caption_fidelity(load_base(str(out / "base")), ConceptProbe.load(probes), 256,
                              SamplingConfig(guidance=guidance), reader=load_reader(reader))
    return {"guidance": guidance, "accuracy": result["accuracy"], "reader": result["reader"]}


def base_settings(steps: int, seed: int, precision: str = "auto") -> TrainSettings:
    return TrainSettings(
        steps=steps, batch_size=64, lr=1e-3, warmup=100, weight_decay=0.0, max_grad_norm=1.0,
        checkpoint_every=100, ema_decay=0.999, seed=seed, mixed_precision=precision,
    )


def pilot_a(out: Path, critic: Path | None, steps: int, feature_weight: float, pose: str) -> dict:
    """The pixel base; without a critic, without the feature term (the control A0). With pose
    "shared" the base hears the objects' pose (generators.pose)."""
    design = BaseDesign(caption_words=True, max_length=64, pose=pose)
    if critic is None:
        return train_diffusion(out / "base", base_settings(steps, 5), design=design)[1]
    _, card = train_diffusion(
        out / "base", base_settings(steps, 5), design=design,
        loss_settings=LossSettings(feature_weight=feature_weight), critic=WorldCritic.load(critic),
    )
    return card


def pilot_b_autoencoder(out: Path, critic: Path, ae_steps: int, loss: AutoencoderLoss, latent_channels: int = 8) -> dict:
    ae_settings = TrainSettings(steps=ae_steps, batch_size=64, lr=1e-3, warmup=50, weight_decay=0.0,
                                max_grad_norm=1.0, checkpoint_every=100, seed=15)
    return train_autoencoder(out / "autoencoder", ae_settings, WorldCritic.load(critic), loss, latent_channels)[1]


def pilot_b_base(
    out: Path, steps: int, autoencoder: Path | None, critic: Path | None, feature_weight: float, pose: str, precision: str = "auto"
) -> dict:
    from diffusers import AutoencoderKL

    vae = AutoencoderKL.from_pretrained(autoencoder or out / "autoencoder").eval()
    design = BaseDesign(caption_words=True, max_length=64, pose=pose)
    pipe = latent_world_pipeline(vae, design)
    if critic is None:
        return train_diffusion(out / "base", base_settings(steps, 5, precision), pipeline=pipe, design=design)[1]
    return train_diffusion(
        out / "base", base_settings(steps, 5, precision), pipeline=pipe, design=design,
        loss_settings=LossSettings(feature_weight=feature_weight), critic=WorldCritic.load(critic),
    )[1]


def pilot_estimate_critic(out: Path, critic_dir: Path, steps: int) -> dict:
    import torch
    import torch.nn.functional as F

    from genlens.generators.base_model import load_base
    from genlens.generators.coordinates import with_coordinates
    from genlens.generators.denoising_loss import predicted_clean
    from genlens.generators.diffusion_training import noise_batch
    from genlens.measure.probes import concept_targets
    from genlens.training.loop import fit
    from genlens.world import get_task
    from genlens.world.seeds import step_seed

    pipe, task = load_base(str(out / "base")), get_task("shape")
    pipe.unet.requires_grad_(False)
    critic = WorldCritic.load(critic_dir).requires_grad_(True)
    settings = TrainSettings(steps=steps, batch_size=64, lr=5e-4, warmup=20, checkpoint_every=100, seed=17)

    def batch(step: int, process: int, device):
        seed = step_seed(settings.seed, step, process)
        sample, g = task.sample(settings.batch_size, seed=seed, split="train"), torch.Generator().manual_seed(seed)
        with torch.no_grad():
            clean = pipe.encode_images(sample.images, g)
            noisy, _, t = noise_batch(pipe.scheduler, clean, g)
            poses = torch.as_tensor(sample.scenes.rotation[:, 0]) if pipe.reads_pose else None
            cond = pipe.caption_conditioning(sample.captions, poses)
            prediction = pipe.unet(with_coordinates(noisy, pipe.unet.config), t, **cond).sample
            estimates = pipe.decode_samples(predicted_clean(pipe.scheduler, noisy, prediction, t))
        targets = {c: torch.as_tensor(v, dtype=torch.long) for c, v in concept_targets(sample.scenes).items()}
        return estimates.to(device), {c: v.to(device) for c, v in targets.items()}

    def loss(model, data):
        images, targets = data
        logits = model(images)
        return sum(F.cross_entropy(logits[c], targets[c]) for c in logits)

    result = fit(critic, batch, loss, settings, out / "estimate-critic", description="train estimate critic")
    card = result.card("critic", reads="the base's clean estimates", base=str(out / "base"), init=str(critic_dir))
    critic.cpu().eval().save(out / "estimate-critic", card)
    return card


def pgd_l2(model, images: torch.Tensor, targets: dict, epsilon: float, steps: int) -> torch.Tensor:
    """Images moved within an L2 ball of radius epsilon (per image, [0, 1] pixels) to raise the model's
    summed cross-entropy over its concepts (projected gradient ascent, Madry et al. 2018)."""
    was_training, alpha = model.training, 2.5 * epsilon / steps
    model.eval()
    delta = torch.zeros_like(images, requires_grad=True)
    for _ in range(steps):
        logits = model((images + delta).clamp(0, 1))
        loss = sum(F.cross_entropy(logits[c], targets[c]) for c in logits)
        (grad,) = torch.autograd.grad(loss, delta)
        norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
        step = delta.detach() + alpha * grad / norm
        scale = (epsilon / step.flatten(1).norm(dim=1).clamp_min(1e-12)).clamp(max=1.0).view(-1, 1, 1, 1)
        delta = (step * scale).requires_grad_(True)
    model.train(was_training)
    return (images + delta.detach()).clamp(0, 1)


def pilot_robust_critic(out: Path, critic_dir: Path | None, steps: int, epsilon: float, attack_steps: int) -> dict:
    """A critic trained on adversarial examples (L2 PGD) of blurred and noised renders, from critic_dir's
    weights if given: a robust classifier's gradients change what a person sees (Santurkar et al. 2019,
    Kawar et al. 2022), so its guidance should move the shape rather than the critic's own blind spots."""
    from genlens.measure.perturbations import Augmentation
    from genlens.measure.probe_training import robustness
    from genlens.measure.probes import concept_targets
    from genlens.training.loop import fit
    from genlens.world import get_task
    from genlens.world.seeds import step_seed

    torch.manual_seed(16)
    critic = WorldCritic.load(critic_dir).requires_grad_(True) if critic_dir else WorldCritic()
    settings = TrainSettings(steps=steps, batch_size=128, lr=2e-3 if critic_dir is None else 5e-4, weight_decay=0.05,
                             warmup=50, checkpoint_every=100, seed=18)
    task, augmentation = get_task("shape"), Augmentation()

    def batch(step: int, process: int, device):
        seed = step_seed(settings.seed, step, process)
        sample = task.sample(settings.batch_size, seed=seed, split="train")
        images = augmentation(sample.images, torch.Generator().manual_seed(seed))
        targets = {c: torch.as_tensor(v, dtype=torch.long, device=device) for c, v in concept_targets(sample.scenes).items()}
        return images.to(device), targets

    def loss(model, data):
        images, targets = data
        logits = model(pgd_l2(model, images, targets, epsilon, attack_steps))
        return sum(F.cross_entropy(logits[c], targets[c]) for c in logits)

    result = fit(critic, batch, loss, settings, out / "robust-critic", description="train robust critic")
    critic = critic.cpu().eval()
    accuracy = robustness(critic, 1000)
    card = result.card("critic", epsilon=epsilon, attack_steps=attack_steps, init=str(critic_dir),
                       test_accuracy=accuracy.pop("clean"), robustness=accuracy)
    critic.save(out / "robust-critic", card)
    return card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pilot", choices=["a", "b-autoencoder", "gate", "b-base", "critic", "readers", "eval", "estimate-critic", "robust-critic"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--critic", type=Path)
    parser.add_argument("--probes", type=Path)
    parser.add_argument("--autoencoder", type=Path, help="a trained autoencoder folder (default OUT/autoencoder)")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--ae-steps", type=int, default=1500)
    parser.add_argument("--feature-weight", type=float, default=0.3)
    parser.add_argument("--perceptual-weight", type=float, default=AutoencoderLoss.perceptual_weight)
    parser.add_argument("--adversarial-weight", type=float, default=0.0, help="the patch discriminator's weight (0: none)")
    parser.add_argument("--adversarial-start", type=int, default=0, help="the step the discriminator joins at")
    parser.add_argument("--world", choices=["standard", "large"], default="standard")
    parser.add_argument("--scale", type=float, default=1.5, help="radius factor of single objects in the large world")
    parser.add_argument("--epsilon", type=float, default=0.5, help="robust-critic: the L2 radius of its adversarial examples")
    parser.add_argument("--attack-steps", type=int, default=3, help="robust-critic: PGD steps per batch")
    parser.add_argument("--precision", choices=["auto", "no", "bf16"], default="auto", help="b-base: mixed precision of the UNet")
    parser.add_argument("--latent-channels", type=int, default=8, help="b-autoencoder: channels of its 8 x 8 latents")
    parser.add_argument("--crisp", action="store_true", help="critic: trained on renders as they are (no blur, no noise)")
    parser.add_argument("--reader", default="world-vit")
    parser.add_argument("--guidance", type=float, default=1.0)
    parser.add_argument("--pose", choices=["world", "upright", "shared"], default="world",
                        help="how the base's training objects are turned (generators.pose.POSES)")
    args = parser.parse_args()
    use_world(args.world, args.scale)
    if args.pilot == "critic":
        from genlens.generators.critic import train_critic

        from genlens.measure.perturbations import Augmentation

        settings = TrainSettings(steps=args.steps, batch_size=128, lr=2e-3, seed=16)
        crisp = Augmentation(p_blur=0.0, p_noise=0.0) if args.crisp else None
        result = train_critic(args.out / "critic", settings, augmentation=crisp)[1]
    elif args.pilot == "readers":
        result = train_readers(args.out, args.steps)
    elif args.pilot == "estimate-critic":
        result = pilot_estimate_critic(args.out, args.critic, args.steps)
    elif args.pilot == "robust-critic":
        result = pilot_robust_critic(args.out, args.critic, args.steps, args.epsilon, args.attack_steps)
    elif args.pilot == "eval":
        result = evaluate(args.out, args.probes, args.reader, args.guidance)
    elif args.pilot == "a":
        result = pilot_a(args.out, args.critic, args.steps, args.feature_weight, args.pose)
    elif args.pilot == "b-autoencoder":
        loss = AutoencoderLoss(perceptual_weight=args.perceptual_weight, adversarial_weight=args.adversarial_weight,
                               adversarial_start=args.adversarial_start)
        result = pilot_b_autoencoder(args.out, args.critic, args.ae_steps, loss, args.latent_channels)
    elif args.pilot == "b-base":
        result = pilot_b_base(args.out, args.steps, args.autoencoder, args.critic, args.feature_weight, args.pose, args.precision)
    else:
        from diffusers import AutoencoderKL

        vae = AutoencoderKL.from_pretrained(args.out / "autoencoder").eval()
        result = reconstruction_fidelity(vae, ConceptProbe.load(args.probes), reader=load_reader(args.reader))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
