"""WorldDiffusionPipeline: text-conditioned diffusion in pixel space (the world) or latent space
(Stable Diffusion 1.x / miniSD), optionally steered by a feature ControlNet."""

from __future__ import annotations

from typing import Callable

import torch
from diffusers import DiffusionPipeline

from genlens.errors import GenlensError
from genlens.generators.conditioning import tokenize, unet_conditioning
from genlens.generators.coordinates import with_coordinates
from genlens.generators.critic import WorldCritic
from genlens.generators.feature_controlnet import control_residuals
from genlens.generators.pose import draw_poses, pose_feature_count
from genlens.generators.samplers import check_sampling, sampling_scheduler


class WorldDiffusionPipeline(DiffusionPipeline):
    """unet + text_encoder + tokenizer + scheduler (+ vae for latent models, + a feature ControlNet
    for FeatInv), saved in diffusers' layout.

    >>> pipe = WorldDiffusionPipeline.from_pretrained("base/")
    >>> images = pipe(["a small red star in the centre on a plain black background"], steps=20)
    >>> images.shape   # (1, 3, 32, 32), floats in [0, 1]
    >>> inverting = WorldDiffusionPipeline.from_pretrained("inverter/", **pipe.base_components)  # + its ControlNet
    >>> images = inverting([PROMPT] * len(maps), control=maps, guidance=1.75)
    """

    _optional_components = ["vae", "controlnet", "critic"]
    model_cpu_offload_seq = "text_encoder->controlnet->unet->vae"

    def __init__(
        self, unet, text_encoder, tokenizer, scheduler, vae=None, controlnet=None, critic: WorldCritic | None = None,
        critic_guidance: float = 0.0, guidance: float = 1.0,
    ):
        super().__init__()
        self.register_modules(
            unet=unet, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler, vae=vae, controlnet=controlnet,
            critic=critic,
        )
        self.register_to_config(critic_guidance=critic_guidance, guidance=guidance)

    @property
    def base_components(self) -> dict:
        """The components but the ControlNet (with the sampling defaults: critic guidance's strength and
        the captions' classifier-free guidance): what an inverter folder's from_pretrained is given."""
        parts = {k: v for k, v in self.components.items() if k != "controlnet"}
        return parts | {"critic_guidance": self.config.critic_guidance, "guidance": self.guidance_scale}

    @property
    def guidance_scale(self) -> float:
        """The classifier-free guidance a prompt gets when none is asked for (1: off; a folder saved
        without it loads at the default, 1)."""
        return float(self.config.guidance)

    def sampling_guidance(self, guidance: float | None = None, critic_guidance: float | None = None) -> tuple[float, float]:
        """(classifier-free guidance, critic guidance's strength) that a call with these arguments samples
        at: None takes the pipeline's own; without a critic the strength is 0."""
        guidance = self.guidance_scale if guidance is None else guidance
        strength = self.config.critic_guidance if critic_guidance is None else critic_guidance
        return float(guidance), float(strength) if self.critic is not None else 0.0

    def with_controlnet(self, controlnet) -> WorldDiffusionPipeline:
        """A pipeline of this one's modules (shared, not copied) with controlnet registered."""
        return WorldDiffusionPipeline(**self.base_components, controlnet=controlnet)

    @property
    def pixel_space(self) -> bool:
        return self.vae is None

    @property
    def image_size(self) -> int:
        """Side of generated images in pixels."""
        size = self.unet.config.sample_size
        return size if self.pixel_space else size * 2 ** (len(self.vae.config.block_out_channels) - 1)

    def caption_conditioning(self, prompts: list[str], poses: torch.Tensor | None = None) -> dict:
        """The UNet's caption keyword arguments for prompts, with each image's pose (angles in
        degrees) on a base that hears one (generators.conditioning, generators.pose)."""
        ids, mask = tokenize(self.tokenizer, prompts)
        device = self.text_encoder.device
        return unet_conditioning(self.unet, self.text_encoder, self.tokenizer, ids.to(device), mask.to(device), poses)

    @property
    def reads_pose(self) -> bool:
        """Whether this base hears the objects' pose (generators.pose)."""
        return bool(pose_feature_count(self.text_encoder))

    def encode_images(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Images in [0, 1] to the model's sample space: [-1, 1] pixels, or scaled VAE latents
        (drawn from the encoder's distribution with generator)."""
        x = images * 2 - 1
        if self.pixel_space:
            return x
        latents = self.vae.encode(x.to(self.vae.dtype)).latent_dist.sample(generator)
        return latents * self.vae.config.scaling_factor

    def decode_samples(self, samples: torch.Tensor) -> torch.Tensor:
        """The model's samples back to images in [0, 1]."""
        if not self.pixel_space:
            samples = self.vae.decode(samples / self.vae.config.scaling_factor).sample
        return ((samples.float() + 1) / 2).clamp(0, 1)

    @torch.no_grad()
    def __call__(
        self,
        prompts: list[str],
        steps: int = 20,
        sampler: str = "dpm",
        guidance: float | None = None,
        generator: torch.Generator | list[torch.Generator] | None = None,
        control: torch.Tensor | None = None,
        steer: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        progress: bool = False,
        poses: torch.Tensor | None = None,
        critic_guidance: float | None = None,
    ) -> torch.Tensor:
        """Sample one image per prompt; returns (N, 3, S, S) floats in [0, 1].

        guidance > 1 mixes the prompt's prediction with the empty prompt's (classifier-free guidance;
        None: the pipeline's own, guidance_scale).
        A list of generators, one per prompt, makes each image depend on its own generator only.
        control holds one feature map per prompt for the registered ControlNet, which then adds its
        residuals to the UNet's in both branches of guidance (FeatInv); None runs the plain
        text-conditioned model. steer(clean, t) returns a corrected version of each step's
        predicted clean sample (in the sample space: [-1, 1] pixels, or a latent base's latents, which
        decode_samples turns into images differentiably), and the step proceeds from the correction.
        On a base that hears the objects' pose, each prompted image gets the angle in poses (degrees),
        else one drawn from its generator after its noise (generators.pose).
        A base with a registered critic moves each clean estimate towards what its prompt names, as
        the critic reads it, with the strength critic_guidance (None: the pipeline's own, 0: off;
        generators.critic_guidance), before steer.
        """
        guidance, critic_strength = self.sampling_guidance(guidance, critic_guidance)
        check_sampling(steps, sampler, guidance)
        if control is not None and self.controlnet is None:
            raise GenlensError("feature maps were given, but this pipeline has no ControlNet")
        device = self.unet.device
        scheduler = sampling_scheduler(self.scheduler.config, sampler, self.pixel_space)
        scheduler.set_timesteps(steps, device=device)
        n = len(prompts)
        channels, size = self.unet.config.out_channels, self.unet.config.sample_size
        if isinstance(generator, list):
            noise = torch.stack([torch.randn((channels, size, size), generator=g) for g in generator])
        else:
            noise = torch.randn((n, channels, size, size), generator=generator)
        if self.reads_pose and poses is None:
            poses = draw_poses(prompts, generator)
        steer = self._with_critic(prompts, steer, critic_strength)
        cond = self.caption_conditioning(prompts, poses)
        uncond = self.caption_conditioning([""] * n) if guidance != 1.0 else None
        sample = noise.to(device, self.unet.dtype)
        sample = sample * scheduler.init_noise_sigma
        for t in self.progress_bar(scheduler.timesteps) if progress else scheduler.timesteps:
            x = scheduler.scale_model_input(sample, t)
            prediction = self._predict(x, t, cond, control)  # noise or velocity
            if uncond is not None:
                unconditional = self._predict(x, t, uncond, control)
                prediction = unconditional + guidance * (prediction - unconditional)
            if steer is not None:
                prediction = self._steered(scheduler, sample, t, prediction, steer)
            sample = scheduler.step(prediction, t, sample).prev_sample
        return self.decode_samples(sample)

    def _with_critic(self, prompts: list[str], steer, strength: float):
        """steer preceded by critic guidance at strength towards what each prompt names (generators.critic_guidance)."""
        from genlens.generators.critic_guidance import CriticGuidance, concept_targets, critic_steer
        from genlens.world.caption_reading import caption_truth

        if strength <= 0:
            return steer
        targets = concept_targets(self.critic, [caption_truth(p) for p in prompts])
        if not targets:
            return steer
        guide = critic_steer(self.critic, targets, CriticGuidance(strength), self.decode_samples,
                             self.scheduler.config.num_train_timesteps)
        return guide if steer is None else (lambda clean, t: steer(guide(clean, t), t))

    def _steered(self, scheduler, sample, t, prediction, steer) -> torch.Tensor:
        """The model output whose predicted clean sample is steer's correction of the model's own
        (in the model's sample space: [-1, 1] pixels, or latents that steer decodes itself)."""
        alpha = scheduler.alphas_cumprod.to(sample.device)[t].float()
        signal, noise_level = alpha.sqrt(), (1 - alpha).sqrt()
        x, output = sample.float(), prediction.float()
        velocity = scheduler.config.prediction_type == "v_prediction"
        clean = signal * x - noise_level * output if velocity else (x - noise_level * output) / signal
        clean = steer(clean, t)
        noise = (x - signal * clean) / noise_level
        return (signal * noise - noise_level * clean if velocity else noise).to(prediction.dtype)

    def _predict(self, x, t, caption: dict, control) -> torch.Tensor:
        extra = {}
        x = with_coordinates(x, self.unet.config)
        if control is not None:
            down, mid = control_residuals(self.controlnet, x, t, caption, control.to(x.dtype))
            extra = {"down_block_additional_residuals": down, "mid_block_additional_residual": mid}
        return self.unet(x, t, **caption, **extra).sample
