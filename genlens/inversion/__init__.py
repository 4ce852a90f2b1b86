"""Feature inversion (FeatInv): sample images whose features at a layer match a given map."""
