"""Reading any layer of any classifier as NCHW maps and pooled vectors."""

from genlens.features.extractor import FeatureExtractor, list_layers, pool
from genlens.features.layout import ActivationLayout

__all__ = ["ActivationLayout", "FeatureExtractor", "list_layers", "pool"]
