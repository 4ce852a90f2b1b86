"""What the explorer keeps between requests: loaded models, learnt directions and fitted links,
the folders it may read and the folder its reports are written to."""

from __future__ import annotations

import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from genlens.app.files import Folders


class Session:
    """Caches of one server. Every loader returns the same object for the same arguments."""

    def __init__(self, folders: Folders, device="cpu", reports: Path | None = None, link_pairs: int = 2000):
        self.folders, self.device, self.link_pairs = folders, device, link_pairs
        self.reports = Path(reports or tempfile.mkdtemp(prefix="genlens-serve-"))
        self.reports.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()  # one model run at a time: torch shares the cores
        self.classifier = lru_cache(maxsize=8)(self._classifier)
        self.inverter = lru_cache(maxsize=8)(self._inverter)
        self.direction = lru_cache(maxsize=32)(self._direction)
        self.link = lru_cache(maxsize=4)(self._link)

    def report_path(self, kind: str) -> Path:
        """A fresh folder for one view's report."""
        return Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=self.reports))

    def _classifier(self, spec: str):
        from genlens.classifiers.loader import load_classifier

        return load_classifier(spec, device=self.device)

    def _inverter(self, spec: str, layer: str):
        from genlens.audit.inversion_part import pick_method
        from genlens.features import FeatureExtractor
        from genlens.inversion.methods import load_method

        classifier = self.classifier(spec)
        FeatureExtractor(classifier, [layer])  # an unknown layer fails here, listing the valid ones
        method = pick_method(classifier, layer)
        return load_method(method, classifier, layer, self.device), method

    def _direction(self, spec: str, layer: str, concept: str, value: str):
        from genlens.steering.directions import concept_direction

        return concept_direction(self.classifier(spec), layer, concept, value, "mean", n=128)

    def _link(self, spec: str):
        from genlens.features.penultimate import penultimate_layer
        from genlens.linking.fitting import LinkSettings, link_classifier
        from genlens.linking.generator import load_generator
        from genlens.linking.pairs import paired_data

        classifier = self.classifier(spec)
        generator = load_generator("renderer", self.device)
        layer = penultimate_layer(classifier)
        link, card = link_classifier(classifier, generator, "renderer", layer, LinkSettings(n=self.link_pairs))
        population = paired_data(classifier, generator, layer, 300, seed=1_000).features
        return link, generator, population, card
