"""One audit: DEPICT, inversions at each layer and Linking in Style on one world classifier, each
answer with the ground truth and a verdict."""

from __future__ import annotations

import time

from genlens.audit.settings import AuditSettings


def default_layers(classifier) -> list[str]:
    """The layers with a shipped inverter for this classifier, else its last two top-level layers
    with spatial (C, H, W) outputs, in network order."""
    from genlens.errors import GenlensError
    from genlens.features.extractor import list_layers
    from genlens.inversion.registry import shipped_inverters

    shapes = list_layers(classifier)
    shipped = {e["layer"] for e in shipped_inverters() if e["classifier"] == getattr(classifier, "spec", None)}
    if shipped:
        return [name for name, _ in shapes if name in shipped]
    maps = [name for name, shape in shapes if "." not in name and len(shape) == 3]
    if not maps:
        raise GenlensError("this classifier has no top-level spatial layer; name the layers with --layers")
    return maps[-2:]


def audit(classifier, task: str, layers: list[str] | None = None, settings: AuditSettings | None = None,
          device="cpu", reader=None, parts=("depict", "inversion", "linking")) -> tuple[dict, dict]:
    """(result, figures): result["truth"], result[part] for each part, result["verdicts"][part] and the
    seconds each part took; figures hold the images the report shows."""
    from genlens.audit import verdicts
    from genlens.audit.truth import relied_on, task_truth
    from genlens.measure.probes import ConceptProbe
    from genlens.progress import stderr

    settings = settings or AuditSettings()
    truth = task_truth(task)
    probes = ConceptProbe.load()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    stderr.print("ground truth: permuting each concept in exact renders", highlight=False)
    relied = relied_on(classifier, task, settings.truth_rows, settings.truth_repeats, settings.seed)
    seconds["truth"] = round(time.perf_counter() - t0, 1)
    result: dict = {"classifier": getattr(classifier, "spec", None), "task": task, "truth": {**truth, **relied}}
    result["verdicts"], figures = {}, {}
    target = relied["relies_on"]
    if "depict" in parts:
        from genlens.audit.depict_part import depict_answer

        t0 = time.perf_counter()
        stderr.print(f"DEPICT: generating with {settings.generator}", highlight=False)
        result["depict"], figures["depict"] = depict_answer(classifier, task, settings, device, probes, reader)
        result["verdicts"]["depict"] = verdicts.depict_verdict(result["depict"], target)
        seconds["depict"] = round(time.perf_counter() - t0, 1)
    if "inversion" in parts:
        from genlens.audit.inversion_part import layer_inversions

        t0 = time.perf_counter()
        layers = layers or default_layers(classifier)
        result["inversion"], figures["inversion"] = layer_inversions(classifier, task, layers, settings, device, probes, reader)
        candidates = [c for c in (truth["label_concept"], truth["shortcut"]) if c]
        result["verdicts"]["inversion"] = verdicts.inversion_verdict(result["inversion"], target, candidates)
        seconds["inversion"] = round(time.perf_counter() - t0, 1)
    if "linking" in parts:
        from genlens.audit.linking_part import linking_answer

        t0 = time.perf_counter()
        stderr.print("Linking in Style: fitting, sweeping every unit, counterfactuals", highlight=False)
        result["linking"], figures["linking"] = linking_answer(classifier, task, settings, device, probes)
        result["verdicts"]["linking"] = verdicts.linking_verdict(result["linking"], target)
        seconds["linking"] = round(time.perf_counter() - t0, 1)
    result["truth"]["line"] = verdicts.truth_line(truth, relied)
    result["agree"] = all(v["agrees"] for v in result["verdicts"].values())
    result["seconds"] = {**seconds, "total": round(sum(seconds.values()), 1)}
    from dataclasses import asdict

    result["settings"] = asdict(settings)
    return result, figures
