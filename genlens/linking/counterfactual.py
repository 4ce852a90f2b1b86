"""Counterfactuals across the decision boundary: the smallest, sparsest shift of a source's linked
features that makes the classifier's head prefer a target class, rendered by the generator."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from genlens.progress import progress_bar


@dataclass
class CounterfactualSettings:
    """genlens's search: shift from zero, ReLU inside the loss, gradient steps on the target's lead
    taken through the population's feature covariance (so the shift follows directions the features
    really vary in), an optional L1 proximal step (l1 > 0: few units carry the decision), stop once
    the target leads by margin, bisect to the head's boundary, then take the first multiple in
    overshoot of that shift whose generated image the classifier labels as the target.
    faithful: the paper's (random start, -target + 0.6 origin logit - 10 cos of the linked latents,
    plain gradient descent at lr 0.5, no bisection; it stops when the head prefers the target,
    where the paper re-renders at every step)."""

    steps: int = 500
    lr: float = 0.1
    l1: float = 0.0  # soft threshold per step, as a share of the source's largest gradient entry
    margin: float = 3.0
    overshoot: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0)  # multiples of the boundary shift tried on the image
    bisect: int = 12
    path: int = 8
    seed: int = 0
    faithful: bool = False
    precondition: bool = True  # gradient steps through the population's feature covariance (on-manifold)


def search_shift(
    head, features: torch.Tensor, target: int, settings: CounterfactualSettings, link=None, nonnegative=True,
    covariance: torch.Tensor | None = None,
):
    """(shift (N, D), steps (N,)): per source, the shift found and the step it stopped at (-1: never
    crossed). head maps (N, D) features to logits; the features stay non-negative if nonnegative."""
    n = len(features)
    g = torch.Generator().manual_seed(settings.seed)
    shift = (torch.rand(features.shape, generator=g) if settings.faithful else torch.zeros_like(features)).requires_grad_(True)
    optimiser = torch.optim.SGD([shift], lr=0.5 if settings.faithful else settings.lr)
    done = torch.full((n,), -1, dtype=torch.long)
    origin = head(features).argmax(1)
    with torch.no_grad():
        anchor = link(features) if settings.faithful else None
    for step in range(settings.steps):
        edited = _edit(features, shift, settings.faithful, nonnegative)
        logits = head(edited)
        target_logit = logits[:, target]
        if settings.faithful:
            closeness = F.cosine_similarity(anchor, link(edited), dim=1)
            loss = (-target_logit + 0.6 * logits.gather(1, origin[:, None])[:, 0] - 10 * closeness)
        else:
            others = logits.clone()
            others[:, target] = float("-inf")
            lead = target_logit - others.max(1).values
            loss = F.relu(settings.margin - lead)
        with torch.no_grad():
            crossed = (logits.argmax(1) == target) if settings.faithful else (lead >= settings.margin)
            done[(done < 0) & crossed] = step
        active = done < 0
        if not active.any():
            break
        optimiser.zero_grad()
        (loss * active.float()).sum().backward()
        if covariance is not None and not settings.faithful:
            shift.grad.copy_(shift.grad @ covariance)
        optimiser.step()
        if not settings.faithful:
            with torch.no_grad():  # the L1 term's proximal step, its strength relative to each source's gradient
                scale = shift.grad.abs().amax(1, keepdim=True)
                shift.copy_(shift.sign() * F.relu(shift.abs() - settings.lr * settings.l1 * scale))
    shift = shift.detach()
    if not settings.faithful:
        shift = _bisect(head, features, shift, target, settings.bisect, nonnegative)
    return shift, done


def _edit(features, shift, faithful, nonnegative):
    edited = features - shift if faithful else features + shift
    return F.relu(edited) if nonnegative else edited


@torch.no_grad()
def _bisect(head, features, shift, target, rounds, nonnegative):
    """Each source's shift scaled to just past the boundary: the smallest t in [0, 1] at which the head
    prefers target, found by bisection (sources that never cross keep their shift)."""
    lo, hi = torch.zeros(len(features)), torch.ones(len(features))
    crosses = head(_edit(features, shift, False, nonnegative)).argmax(1) == target
    for _ in range(rounds):
        mid = (lo + hi) / 2
        ok = head(_edit(features, shift * mid[:, None], False, nonnegative)).argmax(1) == target
        hi = torch.where(ok, mid, hi)
        lo = torch.where(ok, lo, mid)
    scale = torch.where(crosses, hi, torch.ones_like(hi))
    return shift * scale[:, None]


@torch.no_grad()
def _overshoot(link, generator, classifier, features, shift, target, multiples, nonnegative):
    """Each source's shift times the first of multiples at which the generator's image of the edited
    features is classified as target (the last multiple where none is)."""
    chosen = torch.full((len(features),), float(multiples[-1]))
    open_ = torch.ones(len(features), dtype=torch.bool)
    for m in multiples:
        if not open_.any():
            break
        images = generator.synthesize(link(_edit(features[open_], shift[open_] * m, False, nonnegative)))
        hit = classifier.predict(images) == target
        rows = open_.nonzero().flatten()[hit]
        chosen[rows] = m
        open_[rows] = False
    return shift * chosen[:, None]


def counterfactuals(
    link, generator, classifier, head, features: torch.Tensor, target: int, settings: CounterfactualSettings,
    probes=None, top_units: int = 5, population: torch.Tensor | None = None,
) -> tuple[dict, torch.Tensor]:
    """(result, path images (N, path, 3, S, S)): success (the regenerated counterfactual is classified
    as target), crossing steps, the units that carry the shift, and what the probes see change
    between the regenerated source and its counterfactual, and which concept changes first on the way."""
    nonnegative = bool((features >= 0).all())
    with progress_bar() as bar:
        task = bar.add_task("counterfactuals", total=2, info="")
        with torch.enable_grad():
            covariance = None
            if population is not None and settings.precondition:
                covariance = torch.cov(population.T.float())
                covariance = covariance / covariance.diagonal().mean().clamp_min(1e-12)
            shift, steps = search_shift(head, features, target, settings, link, nonnegative, covariance)
        bar.update(task, advance=1)
        if not settings.faithful:
            shift = _overshoot(link, generator, classifier, features, shift, target, settings.overshoot, nonnegative)
        edited = _edit(features, shift, settings.faithful, nonnegative)
        t = torch.linspace(0, 1, settings.path)
        path = torch.stack(
            [_edit(features, shift * s, settings.faithful, nonnegative) if s > 0 else features for s in t], 1
        )
        with torch.no_grad():
            flat = generator.synthesize(link(path.flatten(0, 1)))
        images = flat.view(len(features), settings.path, *flat.shape[1:])
        bar.update(task, advance=1)
    regenerated_labels = classifier.predict(images[:, -1])
    moved = (edited - features).abs()
    weight = moved.sum(0)
    result = {
        "n": len(features),
        "target": target,
        "crossed": round(float((steps >= 0).float().mean()), 4),
        "success": round(float((regenerated_labels == target).float().mean()), 4),
        "mean_steps": round(float(steps[steps >= 0].float().mean()), 1) if (steps >= 0).any() else None,
        "mean_l1": round(float(moved.sum(1).mean()), 4),
        "units": [{"unit": int(u), "share": round(float(weight[u] / weight.sum().clamp_min(1e-12)), 4)}
                  for u in weight.argsort(descending=True)[:top_units]],
    }
    if probes is not None:
        result.update(_probe_changes(probes, images))
    return result, images


def _probe_changes(probes, images: torch.Tensor) -> dict:
    """{"changed": {concept: share of sources whose reading differs between the path's ends},
    "first_change": {concept: share of sources where it changes first along the path}}."""
    n, k = images.shape[:2]
    reads = probes.predict(images.flatten(0, 1))
    changed, first = {}, {}
    first_step = {}
    for concept, values in reads.items():
        v = values.view(n, k)
        changed[concept] = round(float((v[:, -1] != v[:, 0]).float().mean()), 4)
        differs = v != v[:, :1]
        step = torch.where(differs.any(1), differs.float().argmax(1), torch.full((n,), k))
        first_step[concept] = step
    steps = torch.stack(list(first_step.values()), 1)  # (N, C)
    earliest = steps.min(1).values
    names = list(first_step)
    for j, concept in enumerate(names):
        first[concept] = round(float(((steps[:, j] == earliest) & (earliest < k)).float().mean()), 4)
    return {"changed": changed, "first_change": first}
