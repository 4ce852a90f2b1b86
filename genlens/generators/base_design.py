"""How the world base is built and what it learns from: the design the generator pilots chose
(BENCHMARKS.md, "World generator pilots")."""

from __future__ import annotations

from dataclasses import dataclass

from genlens.errors import GenlensError
from genlens.generators.base_model import new_world_pipeline
from genlens.generators.pipeline import WorldDiffusionPipeline
from genlens.generators.pose import POSES


@dataclass(frozen=True)
class BaseDesign:
    """A pixel-space world base: the caption's padding masked and its bag of words in every block
    (caption_words), captions up to max_length tokens, and its training objects turned as `pose`
    says (generators.pose.POSES; "shared": the base hears the pose, generators.pose)."""

    caption_words: bool = True
    max_length: int = 64
    pose: str = "upright"

    def __post_init__(self):
        if self.pose not in POSES:
            raise GenlensError(f"unknown pose '{self.pose}', expected one of {', '.join(POSES)}")
        if self.pose == "shared" and not self.caption_words:
            raise GenlensError("a base that hears the pose needs caption_words (the pose joins the bag of words)")

    def pipeline(self, size: int = 32) -> WorldDiffusionPipeline:
        """An untrained pipeline of this design for size-pixel images."""
        return new_world_pipeline(
            sample_size=size, caption_words=self.caption_words, max_length=self.max_length, pose=self.pose == "shared"
        )
