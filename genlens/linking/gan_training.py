"""Training the world GAN on fresh renders: non-saturating loss, lazy R1 on real images, Adam with
betas (0, 0.99), an exponential moving average of the generator; checkpoints and resume."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genlens.world.seeds import step_seed
from genlens.linking.world_gan import ProjectionDiscriminator, StyleGenerator, WorldGAN, WorldGANConfig
from genlens.progress import progress_bar
from genlens.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from genlens.training.loop import TrainSettings, check_resumable, make_accelerator
from genlens.world import get_task


@dataclass
class GANSettings:
    """How the world GAN trains; the steps, batch, seed, device and checkpointing come from TrainSettings."""

    r1_gamma: float = 0.05
    r1_every: int = 16
    ema_images: int = 10_000  # half-life of the generator's average, in images
    ema_rampup: float = 0.05  # the half-life grows with the images seen: at most this share of them
    w_avg_beta: float = 0.995
    task: str = "shape"
    critic: str | None = None  # a generators' critic folder (generators.critic): its reading of the class
    critic_weight: float = 1.0  # weight of the critic's cross-entropy with the conditioning class
    loss: str = "nonsaturating"  # or "hinge" (SNGAN, BigGAN)
    d_lr_ratio: float = 1.0  # the discriminator's learning rate as a share of the generator's
    mode_seeking: float = 0.0  # weight of the mode-seeking term (Mao et al. 2019): images must differ as their z do


class GANState(nn.Module):
    """What a checkpoint holds: the generator, its moving average and the discriminator."""

    def __init__(self, config: WorldGANConfig):
        super().__init__()
        self.generator = StyleGenerator(config)
        self.average = copy.deepcopy(self.generator).requires_grad_(False)
        self.discriminator = ProjectionDiscriminator(config)


def train_gan(
    out: Path,
    settings: TrainSettings,
    gan: GANSettings | None = None,
    config: WorldGANConfig | None = None,
    eval_n: int = 1000,
) -> tuple[WorldGAN, dict]:
    """Train a world GAN (class = the task's label) and save the averaged generator to out with its
    card, measured by evaluate_gan on eval_n samples (none when eval_n is 0).

    One training run from setup to card, kept in one piece so that checkpointing and resume read in order.
    """
    gan = gan or GANSettings()
    config = config or WorldGANConfig(class_names=list(get_task(gan.task).class_names))
    accelerator = make_accelerator(settings)
    torch.manual_seed(settings.seed)
    state = GANState(config)
    g_params = list(state.generator.parameters())
    d_params = list(state.discriminator.parameters())
    optimizer = torch.optim.Adam(
        [{"params": g_params}, {"params": d_params, "lr": settings.lr * gan.d_lr_ratio}],
        lr=settings.lr, betas=(0.0, 0.99), eps=1e-8
    )
    checkpoints = Path(out) / "checkpoints"
    start, seconds_before, losses = 0, 0.0, {}
    latest = latest_checkpoint(checkpoints)
    run = {"kind": "world-gan", "gan": asdict(gan), "config": asdict(config)}
    if latest is not None:
        check_resumable(latest, settings, run)
        info = load_checkpoint(latest, state, optimizer)
        start, seconds_before, losses = info["step"], info.get("seconds", 0.0), info.get("losses", {})
    state, optimizer = accelerator.prepare(state, optimizer)
    model = accelerator.unwrap_model(state)
    device, task = accelerator.device, get_task(gan.task)
    critic = _class_critic(gan, task, config, device)
    t0 = time.perf_counter()
    with progress_bar() as bar:
        progress = bar.add_task("train world GAN", total=settings.steps, completed=start, info="")
        for step in range(start, settings.steps):
            seed = step_seed(settings.seed, step, accelerator.process_index)
            real = task.sample(settings.batch_size, seed=seed, split="train")
            images, classes = real.images.to(device), real.labels.to(device)
            g = torch.Generator().manual_seed(seed)
            z = torch.randn(settings.batch_size, config.z_dim, generator=g).to(device)
            fake_classes = torch.randint(0, config.num_classes, (settings.batch_size,), generator=g).to(device)

            d_loss = discriminator_step(model, optimizer, accelerator, images, classes, z, fake_classes, gan, step)
            g_loss, w = generator_step(model, optimizer, accelerator, z, fake_classes, critic, gan.loss, gan.mode_seeking)
            with torch.no_grad():
                track_class_means(model.generator, w, fake_classes, gan.w_avg_beta)
                _update_average(model, (step + 1) * settings.batch_size, settings.batch_size, gan)

            losses = {"d": round(float(d_loss.detach()), 4), "g": round(float(g_loss.detach()), 4)}
            bar.update(progress, advance=1, info=f"D {losses['d']:.3f} G {losses['g']:.3f}")
            done = step + 1
            if accelerator.is_main_process and (done % settings.checkpoint_every == 0 or done == settings.steps):
                save_checkpoint(
                    checkpoints, done, model, optimizer,
                    {"seconds": seconds_before + time.perf_counter() - t0, "losses": losses, "settings": asdict(settings), "run": run},
                )
    seconds = round(seconds_before + time.perf_counter() - t0, 1)
    average = model.average.cpu().eval()
    result = WorldGAN(average)
    card = {
        "kind": "world-gan",
        "task": gan.task,
        "steps": settings.steps,
        "images_seen": settings.steps * settings.batch_size,
        "seconds": seconds,
        "device": str(device),
        "final_losses": losses,
        "settings": asdict(settings),
        "gan": asdict(gan),
    }
    if eval_n:
        from genlens.linking.gan_eval import evaluate_gan

        card["metrics"] = evaluate_gan(result, n=eval_n, task=gan.task)
    result.save(Path(out), card)
    return result, card


def discriminator_step(model, optimizer, accelerator, images, classes, z, fake_classes, gan, step) -> torch.Tensor:
    """One step of the discriminator only: real up, fake down, R1 on real images every r1_every steps;
    returns its loss."""
    with torch.no_grad():
        fake = model.generator(z, fake_classes, clamp=False)
    r1 = gan.r1_gamma > 0 and step % gan.r1_every == 0
    images = images.detach().requires_grad_(r1)
    real_score = model.discriminator(images, classes)
    fake_score = model.discriminator(fake, fake_classes)
    if gan.loss == "hinge":
        d_loss = F.relu(1 + fake_score).mean() + F.relu(1 - real_score).mean()
    else:
        d_loss = F.softplus(fake_score).mean() + F.softplus(-real_score).mean()
    if r1:
        (grad,) = torch.autograd.grad(real_score.sum(), images, create_graph=True)
        d_loss = d_loss + gan.r1_gamma / 2 * grad.pow(2).sum((1, 2, 3)).mean() * gan.r1_every
    optimizer.zero_grad(set_to_none=True)
    accelerator.backward(d_loss)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return d_loss.detach()


def generator_step(
    model, optimizer, accelerator, z, fake_classes, critic=None, loss: str = "nonsaturating", mode_seeking: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """One non-saturating step of the generator only (the discriminator frozen meanwhile, so that
    the shared optimizer leaves it alone); returns the loss and the batch's w. With a critic
    (module, concept, weight), its cross-entropy between its reading of that concept and the
    conditioning class is added; with mode_seeking, the inverse ratio of the distance between the
    two halves' images to that between their z (a generator that ignores z pays for it)."""
    model.discriminator.requires_grad_(False)
    try:
        w = model.generator.mapping(z, fake_classes)
        images = model.generator.synthesis(w, clamp=False)
        score = model.discriminator(images, fake_classes)
        g_loss = -score.mean() if loss == "hinge" else F.softplus(-score).mean()
        if critic is not None:
            network, concept, weight = critic
            g_loss = g_loss + weight * F.cross_entropy(network(images)[concept], fake_classes)
        if mode_seeking > 0:
            half = len(z) // 2
            ratio = (images[:half] - images[half : 2 * half]).abs().flatten(1).mean(1) / (z[:half] - z[half : 2 * half]).abs().mean(1)
            g_loss = g_loss + mode_seeking / (ratio.mean() + 1e-5)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(g_loss)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    finally:
        model.discriminator.requires_grad_(True)
    return g_loss.detach(), w.detach()


def _class_critic(gan: GANSettings, task, config: WorldGANConfig, device):
    """(critic, concept, weight) when gan.critic names one that reads the task's classes, else None."""
    if gan.critic is None:
        return None
    from genlens.errors import GenlensError
    from genlens.generators.critic import WorldCritic

    critic = WorldCritic.load(gan.critic).to(device)
    concept = next((k for k, v in critic.concepts.items() if list(v) == list(config.class_names)), None)
    if concept is None:
        raise GenlensError(f"the critic in {gan.critic} reads no concept with the classes of task '{task.name}'")
    return critic, concept, gan.critic_weight


def track_class_means(generator: StyleGenerator, w: torch.Tensor, classes: torch.Tensor, beta: float) -> None:
    """Move each class's mean w (for truncation) towards the batch's w of that class by 1 - beta."""
    for c in classes.unique():
        mean = w[classes == c].mean(0)
        generator.w_avg[c] = torch.lerp(mean, generator.w_avg[c], beta)


def _update_average(model: GANState, seen: int, batch: int, gan: GANSettings) -> None:
    """The generator's moving average, half-life ema_images (ramped up over the first images seen)."""
    half_life = min(gan.ema_images, seen * gan.ema_rampup)
    beta = 0.5 ** (batch / max(half_life, 1e-8))
    for avg, p in zip(model.average.parameters(), model.generator.parameters()):
        avg.copy_(torch.lerp(p.detach(), avg, beta))
    for avg, b in zip(model.average.buffers(), model.generator.buffers()):
        avg.copy_(b)
