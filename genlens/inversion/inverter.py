"""FeatureInverter: a frozen base diffusion model + a FeatureControlNet for one classifier layer."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from genlens.classifiers.classifier import Classifier
from genlens.classifiers.loader import load_classifier
from genlens.errors import GenlensError
from genlens.generators.feature_controlnet import FeatureControlNet
from genlens.generators.pipeline import WorldDiffusionPipeline
from genlens.inversion.feature_steering import FeatureSteering, feature_steer
from genlens.inversion.protocol import Inverter, SamplingConfig

#: FeatInv's fixed training prompt.
PROMPT = "a high-quality, detailed, and professional image"
CONFIG_FILE = "inverter.json"


@dataclass
class InverterConfig:
    """What an inverter was trained for; stored as inverter.json beside controlnet/."""

    classifier: str
    layer: str
    feature_shape: list[int]
    base: str
    pooled: bool = False
    prompt: str = PROMPT


def controlnet_index(controlnet: FeatureControlNet) -> dict:
    """diffusers' model_index.json of a pipeline folder that holds only the ControlNet."""
    from diffusers import __version__
    from diffusers.pipelines.pipeline_loading_utils import _fetch_class_library_tuple

    others = ("scheduler", "text_encoder", "tokenizer", "unet", "vae")
    return {
        "_class_name": WorldDiffusionPipeline.__name__, "_diffusers_version": __version__,
        "controlnet": list(_fetch_class_library_tuple(controlnet)), **{k: [None, None] for k in others},
    }


class FeatureInverter(Inverter):
    """FeatInv: samples images whose `layer` features match a given map.

    >>> inv = FeatureInverter.load("inverters/world-cnn-layer3")
    >>> samples = inv.invert(images, samples=4, sampling=SamplingConfig(steps=20))   # (N, 4, 3, 32, 32) in [0, 1]

    With `steering` (feature_steering), every sampling step's predicted clean image is also moved
    towards the map through the classifier; `steered(...)` gives the same inverter with it.
    """

    default_guidance = 1.75

    def __init__(
        self,
        config: InverterConfig,
        base: WorldDiffusionPipeline,
        controlnet: FeatureControlNet,
        classifier: Classifier,
        steering: FeatureSteering | None = None,
    ):
        self.config, self.base, self.controlnet = config, base, controlnet
        self.steering = steering if steering is not None and steering.active else None
        self.bind(classifier, config.layer, config.pooled)

    @property
    def classifier_spec(self) -> str:
        return self.config.classifier

    def steered(self, steering: FeatureSteering | None) -> "FeatureInverter":
        """This inverter (same modules) sampled with `steering` (None or inactive: plain FeatInv)."""
        return FeatureInverter(self.config, self.base, self.controlnet, self.classifier, steering)

    @property
    def device(self) -> torch.device:
        return self.base.unet.device

    def to(self, device) -> "FeatureInverter":
        self.base.to(device)
        self.controlnet.to(device)
        self.classifier.to(device)
        return self

    def save(self, folder: Path) -> None:
        """controlnet/ (diffusers layout), inverter.json and a model_index.json that names the
        ControlNet as a pipeline component (the base's components are given when loading:
        `WorldDiffusionPipeline.from_pretrained(folder, **base.base_components)`) into folder."""
        folder = Path(folder)
        self.controlnet.save_pretrained(folder / "controlnet")
        (folder / CONFIG_FILE).write_text(json.dumps(asdict(self.config), indent=2))
        (folder / "model_index.json").write_text(json.dumps(controlnet_index(self.controlnet), indent=2))

    @classmethod
    def load(
        cls,
        folder: Path | str,
        device="cpu",
        base: WorldDiffusionPipeline | None = None,
        classifier: Classifier | None = None,
    ) -> "FeatureInverter":
        """An inverter folder, with its base model and classifier (either may be passed in instead)."""
        from genlens.generators.base_model import load_base

        folder = Path(folder)
        try:
            config = InverterConfig(**json.loads((folder / CONFIG_FILE).read_text()))
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise GenlensError(f"{folder} is not a genlens inverter: {e}") from None
        try:
            controlnet = FeatureControlNet.from_pretrained(folder / "controlnet", dtype=torch.float32)
        except (OSError, ValueError) as e:
            raise GenlensError(f"cannot load the ControlNet of {folder}: {str(e).splitlines()[0]}") from None
        base = base or load_base(config.base)
        return cls(config, base, controlnet, classifier or load_classifier(config.classifier)).to(device)

    def check_maps(self, fmaps: torch.Tensor) -> None:
        expected = tuple(self.config.feature_shape)
        if tuple(fmaps.shape[1:]) != expected:
            raise GenlensError(
                f"feature maps of shape {tuple(fmaps.shape[1:])} do not fit this inverter "
                f"({self.config.classifier} {self.config.layer} expects {expected})"
            )

    @torch.no_grad()
    def invert_maps(
        self, fmaps: torch.Tensor, samples: int = 1, sampling: SamplingConfig | None = None, progress: bool = False
    ) -> torch.Tensor:
        """(N, samples, 3, S, S) images in [0, 1] sampled for each map; the map conditions both the
        prompted and the empty-prompt branch of guidance, as in FeatInv."""
        sampling = sampling or SamplingConfig()
        self.check_maps(fmaps)
        self.controlnet.eval()
        cond = fmaps.to(self.device).repeat_interleave(samples, 0)
        steer = None
        if self.steering is not None:
            steer = feature_steer(
                self.features, self.layer, cond, self.steering, pooled=self.pooled, decode=self.base.decode_samples
            )
        generator = torch.Generator().manual_seed(sampling.seed)
        images = self.base.with_controlnet(self.controlnet)(
            [self.config.prompt] * len(cond),
            steps=sampling.steps,
            sampler=sampling.sampler,
            guidance=self.guidance(sampling),
            generator=generator,
            control=cond,
            steer=steer,
            progress=progress,
            critic_guidance=0.0,  # the feature map, not a caption, says what to draw
        )
        return images.view(len(fmaps), samples, *images.shape[1:]).cpu()

