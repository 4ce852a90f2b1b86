"""Concept permutation importance (DEPICT): permute one concept across captions, generate, score."""

from genlens.permutation.table import ConceptTable

__all__ = ["ConceptTable"]
