"""Concept permutation importance (DEPICT): permute one concept across captions, generate, score."""

from genlens.permutation.generation import GenerationCache, PipelineGenerator, RendererGenerator
from genlens.permutation.run import depict as permutation_importance
from genlens.permutation.table import ConceptTable

__all__ = ["ConceptTable", "GenerationCache", "PipelineGenerator", "RendererGenerator", "permutation_importance"]
