"""How large each part of an audit is."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class AuditSettings:
    """Sizes of the audit's parts. The defaults are the measured run (narrower intervals);
    `quick()` sizes every part to finish in under 10 minutes on a 2-core CPU."""

    #: DEPICT: rows of the permuted table, repeats, sampling steps and the caption generator.
    depict_rows: int = 300
    depict_repeats: int = 3
    depict_steps: int = 20
    generator: str = "world"
    #: The ground truth: the renderer's permutation importance.
    truth_rows: int = 500
    truth_repeats: int = 3
    #: Inversions: sources, samples each, steps and the method ("auto": FeatInv where shipped).
    inversion_images: int = 64
    inversion_samples: int = 2
    inversion_steps: int = 20
    inversion_method: str = "auto"
    #: Linking: generator pairs for the link, sweep sources, the units' population and the null's size.
    link_pairs: int = 5000
    sweep_sources: int = 50
    sweep_population: int = 1000
    sweep_null: int = 32
    counterfactual_sources: int = 16
    seed: int = 0

    @classmethod
    def quick(cls, **overrides) -> "AuditSettings":
        """The sizes of `genlens audit --quick`."""
        small = cls(
            depict_rows=100, depict_repeats=2, depict_steps=10, truth_rows=300, truth_repeats=2,
            inversion_images=32, inversion_samples=1, link_pairs=2000, sweep_sources=20,
            sweep_population=500, sweep_null=16, counterfactual_sources=4,
        )
        return replace(small, **overrides)
