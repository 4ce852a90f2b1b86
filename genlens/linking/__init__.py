"""Linking in Style: classifier features linked linearly to a generator's latent space, unit sweeps
read automatically, and counterfactuals across the decision boundary."""

from genlens.linking.generator import LatentGenerator, load_generator
from genlens.linking.link_map import LinkMap, fit_link
from genlens.linking.pairs import Pairs, paired_data

__all__ = ["LatentGenerator", "LinkMap", "Pairs", "fit_link", "load_generator", "paired_data"]
