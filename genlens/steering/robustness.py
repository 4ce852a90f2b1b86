"""Robustness through the inverter: invert the features of corrupted, out-of-distribution and
adversarial inputs, and read whether the inversions show the true label or what the classifier saw."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from genlens.inversion.loop import invert_batches
from genlens.inversion.protocol import Inverter, SamplingConfig
from genlens.measure.fidelity import concept_retention
from genlens.measure.probes import probe_truth
from genlens.progress import progress_bar
from genlens.steering.corruptions import OOD_KINDS, SEVERITIES, corrupt, ood_sample, pgd


@dataclass
class RobustnessSettings:
    """The conditions: corruptions at severities, out-of-distribution kinds, PGD budgets (in 1/255)."""

    corruptions: tuple[str, ...] = tuple(SEVERITIES)
    severities: tuple[int, ...] = (1, 2, 3, 4, 5)
    ood: tuple[str, ...] = OOD_KINDS
    budgets: tuple[float, ...] = (1, 2, 4, 8, 16)
    pgd_steps: int = 10
    samples: int = 1
    seed: int = 0


def _share(flags: torch.Tensor) -> float:
    return round(float(flags.float().mean()), 4) if len(flags) else 0.0


def read_condition(
    inverter: Inverter, images: torch.Tensor, labels: torch.Tensor, records: list[dict], sampling: SamplingConfig,
    samples: int, probes, reader, label: str, bar,
) -> tuple[dict, torch.Tensor]:
    """One condition's figures: the classifier's accuracy on the inputs, and on the inversions of
    their features: the classifier's agreement with its own label of the input, the reader's
    agreement with that label and with the true one, and the probes' concept retention."""
    classifier = inverter.classifier
    predicted = classifier.predict(images)
    outcome = invert_batches(inverter, inverter.feature_maps(images), samples, sampling, label=label, bar=bar)
    flat = outcome.samples.flatten(0, 1).cpu()
    k = outcome.samples.shape[1]
    pred_k, true_k = predicted.repeat_interleave(k), labels.repeat_interleave(k)
    row = {
        "accuracy": _share(predicted == labels),
        "inversion_keeps_label": _share(classifier.predict(flat) == pred_k),
    }
    wrong = predicted != labels
    if reader is not None:
        names = list(classifier.class_names)
        read = torch.tensor([names.index(r) if r in names else -1 for r in reader.read(flat)])
        row["reader_is_classifier_label"] = _share(read == pred_k)
        row["reader_is_true_label"] = _share(read == true_k)
        wrong_k = wrong.repeat_interleave(k)
        row["misclassified"] = int(wrong.sum())
        row["reader_on_misclassified"] = {"classifier_label": _share((read == pred_k)[wrong_k]), "true_label": _share((read == true_k)[wrong_k])}
    if probes is not None:
        truth = [probe_truth(r) for r in records for _ in range(k)]
        row["retention"] = concept_retention(probes.predict_names(flat), truth)
    return row, outcome.samples[:, 0].cpu()


def robustness_study(
    inverter: Inverter, images: torch.Tensor, labels: torch.Tensor, records: list[dict], settings: RobustnessSettings,
    sampling: SamplingConfig, probes=None, reader=None, bar=None,
) -> tuple[dict, dict[str, torch.Tensor]]:
    """Every condition of settings on the world sources (images, labels, records); returns the
    figures per condition and strips {condition: (N, 2, 3, S, S) inputs beside inversions}."""
    if bar is None:
        with progress_bar() as own:
            return robustness_study(inverter, images, labels, records, settings, sampling, probes, reader, own)
    t0 = time.perf_counter()
    size = images.shape[-1]
    device = inverter.device
    images, labels = images.to(device), labels.to(device)
    out: dict = {"classifier": inverter.classifier_spec, "layer": inverter.layer, "sources": len(images),
                 "settings": asdict(settings), "corruptions": {}, "ood": {}, "adversarial": []}
    strips = {}

    def run(name: str, x: torch.Tensor, y: torch.Tensor, recs: list[dict]) -> dict:
        row, inverted = read_condition(inverter, x, y.to(device), recs, sampling, settings.samples, probes, reader, name, bar)
        strips[name] = torch.stack([x.cpu(), inverted], 1)
        return row

    out["clean"] = run("clean", images, labels, records)
    for kind in settings.corruptions:
        out["corruptions"][kind] = [
            {"severity": s, **run(f"{kind} {s}", corrupt(images, kind, s, settings.seed), labels, records)} for s in settings.severities
        ]
    names = list(inverter.classifier.class_names)
    for kind in settings.ood:
        x, recs = ood_sample(kind, len(images), settings.seed, size)
        y = torch.tensor([names.index(r["objects"][0]["shape"]) if r["objects"][0]["shape"] in names else -1 for r in recs])
        out["ood"][kind] = run(kind, x.to(device), y, recs)
    for budget in settings.budgets:
        x = pgd(inverter.classifier, images, labels, budget / 255, settings.pgd_steps, settings.seed)
        out["adversarial"].append({"budget": budget, **run(f"pgd {budget:g}/255", x, labels, records)})
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out, strips


def is_falling(values: list[float], tolerance: float) -> bool:
    """Whether values never rise by more than tolerance from one severity to the next."""
    return all(b <= a + tolerance for a, b in zip(values, values[1:]))
