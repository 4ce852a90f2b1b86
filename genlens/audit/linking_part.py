"""The audit's Linking in Style part: the penultimate features linked to the renderer's latent,
every unit swept (conditional mode) and labelled, and counterfactuals for every ordered class pair."""

from __future__ import annotations

import itertools

import torch

#: Unit-label concepts as the probe concepts they are part of (x and y are the position).
AS_PROBE_CONCEPT = {"x": "position", "y": "position"}


def linking_answer(classifier, task: str, settings, device, probes) -> tuple[dict, dict]:
    """(result, figures): {"link": fit figures, "counts": units selective per concept, superposed,
    silent, "units": per-unit records, "counterfactuals": per class pair, "changed" and "first_change": per
    concept the share of all counterfactuals in which it changes, and changes first}; figures hold unit strips and paths."""
    from genlens.features import FeatureExtractor
    from genlens.features.penultimate import penultimate_layer
    from genlens.linking.fitting import LinkSettings, link_classifier
    from genlens.linking.generator import load_generator
    from genlens.linking.pairs import paired_data
    from genlens.linking.sweeps import SweepSettings
    from genlens.linking.units import sweep_units

    generator = load_generator("renderer", device)
    layer = penultimate_layer(classifier)
    link, fit = link_classifier(
        classifier, generator, "renderer", layer, LinkSettings(n=settings.link_pairs, seed=settings.seed, world_n=0), probes=probes
    )
    population = paired_data(classifier, generator, layer, settings.sweep_population, seed=settings.seed + 1_000).features
    sweep = SweepSettings(modes=("conditional",), sources=settings.sweep_sources, null=settings.sweep_null, seed=settings.seed)
    units = list(range(link.config.feature_dim))
    swept, strips = sweep_units(link, generator, classifier, population, population[: settings.sweep_sources], units, sweep, probes)
    records = swept["conditional"]["units"]
    extractor = FeatureExtractor(classifier, [layer])
    influence = unit_influence(extractor, layer, population)
    pairs, paths = _class_pairs(link, generator, classifier, extractor, layer, task, settings, probes, population)
    result = {
        "layer": layer,
        "generator": "renderer",
        "link": {**{k: fit[k] for k in ("pairs", "alpha", "latent_r2")}, "cycle_top1": fit["cycle_generator"]["top1"]},
        "counts": swept["conditional"]["counts"],
        "influence": concept_influence(records, influence),
        "units": [{k: r[k] for k in ("unit", "label", "concepts")} for r in records],
        "counterfactuals": pairs,
        "changed": _pooled(pairs, "changed"),
        "first_change": _pooled(pairs, "first_change"),
    }
    shown = _strips_shown(records, strips.get("conditional"))
    return result, {"strips": shown, "paths": paths}


def _class_pairs(link, generator, classifier, extractor, layer, task, settings, probes, population):
    """Counterfactuals from each class to each other: success, crossing and what changes first."""
    from genlens.linking.counterfactual import CounterfactualSettings, counterfactuals
    from genlens.linking.pairs import layer_features
    from genlens.progress import stderr
    from genlens.world.seeds import held_out

    names = list(classifier.class_names)
    per_class = settings.counterfactual_sources
    sample = held_out(per_class * len(names) * 8, task, settings.seed + 3, size=classifier.input_size)
    head = lambda f: extractor.logits_from(layer, f)  # noqa: E731
    out, paths = [], {}
    for source, target in itertools.permutations(range(len(names)), 2):
        images = sample.images[sample.labels == source][:per_class]
        if len(images) == 0:
            continue
        stderr.print(f"counterfactuals {names[source]} -> {names[target]}", highlight=False)
        features = layer_features(extractor, layer, images)
        result, path = counterfactuals(
            link, generator, classifier, head, features, target, CounterfactualSettings(seed=settings.seed), probes,
            population=population,
        )
        out.append({
            "source": names[source], "target": names[target], "n": result["n"], "crossed": result["crossed"],
            "success": result["success"], "changed": result.get("changed", {}),
            "first_change": result.get("first_change", {}),
        })
        if target == (source + 1) % len(names):
            paths[f"{names[source]} -> {names[target]}"] = path[:2]
    return out, paths


def _pooled(pairs: list[dict], key: str) -> dict[str, float]:
    """Per probe concept, the share of all counterfactuals (every pair's sources together) in which it
    changes between the path's ends ("changed") or changes first ("first_change")."""
    total = sum(p["n"] for p in pairs)
    concepts = {c for p in pairs for c in p[key]}
    return {c: round(sum(p[key].get(c, 0.0) * p["n"] for p in pairs) / max(1, total), 4) for c in sorted(concepts)}


def _strips_shown(records: list[dict], strips: torch.Tensor | None, per_concept: int = 2) -> list[tuple[str, torch.Tensor]]:
    """[(caption, strip)] for up to per_concept selective units per concept."""
    if strips is None:
        return []
    shown, seen = [], {}
    for record, strip in zip(records, strips):
        if record["label"] != "selective":
            continue
        concept = record["concepts"][0]
        if seen.get(concept, 0) < per_concept:
            seen[concept] = seen.get(concept, 0) + 1
            shown.append((f"unit {record['unit']}: selective for {concept}", strip))
    return shown


def selective_by_probe_concept(counts: dict) -> dict[str, int]:
    """Selective units per probe concept (x and y counted as position)."""
    out: dict[str, int] = {}
    for concept, n in counts["selective"].items():
        key = AS_PROBE_CONCEPT.get(concept, concept)
        out[key] = out.get(key, 0) + n
    return out


def unit_influence(extractor, layer: str, population: torch.Tensor) -> torch.Tensor:
    """(D,) how much the head's logits move when each unit moves by its own standard deviation
    (mean over the population of the logits' change in norm): what the decision uses of each unit."""
    population = population.float()
    std = population.std(0)
    with torch.no_grad():
        base = extractor.logits_from(layer, population)
        out = torch.zeros(population.shape[1])
        for u in range(population.shape[1]):
            moved = population.clone()
            moved[:, u] += std[u]
            out[u] = (extractor.logits_from(layer, moved) - base).norm(dim=1).mean()
    return out


def concept_influence(records: list[dict], influence: torch.Tensor) -> dict[str, float]:
    """Per probe concept, the share of all units' influence on the head held by the units
    selective for it (x and y counted as position)."""
    total = float(influence.sum()) or 1.0
    out: dict[str, float] = {}
    for record in records:
        if record["label"] == "selective":
            key = AS_PROBE_CONCEPT.get(record["concepts"][0], record["concepts"][0])
            out[key] = out.get(key, 0.0) + float(influence[record["unit"]]) / total
    return {c: round(v, 4) for c, v in sorted(out.items())}
