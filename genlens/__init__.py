"""genlens: see what an image classifier's features encode by generating images from them."""

__version__ = "0.1.0"
