"""What each view of the explorer computes, without the page: inputs in, images, tables and a
report file out. Errors are GenlensError with a one-line message."""

from __future__ import annotations

import json

import numpy as np
import torch
from PIL import Image

from genlens.app.files import checked_image
from genlens.app.session import Session
from genlens.errors import GenlensError
from genlens.report.html import HtmlReport, image_grid
from genlens.world import concepts
from genlens.world.renderer import to_uint8

#: Display size of one world image in the page (pixels), upscaled without smoothing.
SHOWN = 192


def shown(image: torch.Tensor) -> Image.Image:
    """(3, S, S) in [0, 1] as a PIL image of SHOWN pixels."""
    return Image.fromarray(to_uint8(image[None])[0]).resize((SHOWN, SHOWN), Image.NEAREST)


def source_image(session: Session, spec: str, source: str, seed: int = 0, upload: str | None = None,
                 name: str | None = None, task: str = "shape") -> tuple[torch.Tensor, dict | None]:
    """(image (3, S, S) at the classifier's size, its world record or None) from a world render
    (seed), an upload (a file path the page received) or a file under the named folders."""
    from genlens.images import resize

    size = session.classifier(spec).input_size
    if source == "world render":
        from genlens.world.seeds import held_out

        sample = held_out(1, task, int(seed), size=size)
        return sample.images[0], sample.records[0]
    if source == "upload":
        if not upload:
            raise GenlensError("upload an image first")
        image = checked_image(upload)
    elif source == "file":
        image = checked_image(session.folders.resolve(name or ""))
    else:
        raise GenlensError(f"unknown image source '{source}'")
    array = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    return resize(array[None], size)[0].clamp(0, 1), None


def _readings(images: torch.Tensor) -> list[list[str]]:
    from genlens.measure.probes import ConceptProbe

    probes = ConceptProbe.load()
    return [[row[c] for c in concepts.PROBE_CONCEPTS] for row in probes.predict_names(images)]


READING_HEADERS = ["image", *concepts.PROBE_CONCEPTS, "classifier"]


def invert(session: Session, spec: str, layer: str, image: torch.Tensor, samples: int = 3, seed: int = 0,
           steps: int = 20) -> tuple[list[Image.Image], list[list[str]], str]:
    """(source then its inversions as PIL images, one reading row per image, report path)."""
    from genlens.inversion.protocol import SamplingConfig

    if not 1 <= int(samples) <= 16:
        raise GenlensError("samples must be between 1 and 16")
    with session.lock:
        inverter, method = session.inverter(spec, layer)
        out = inverter.invert(image[None], int(samples), SamplingConfig(steps=int(steps), seed=int(seed)))[0].cpu()
        images = torch.cat([image[None], out])
        classes = inverter.classifier.class_names
        labels = [classes[int(i)] for i in inverter.classifier.predict(images)]
        rows = [[name, *r, label] for name, r, label in zip(["source", *[f"sample {i + 1}" for i in range(len(out))]], _readings(images), labels)]
    page = HtmlReport(f"{spec} {layer}: inversions ({method})")
    page.image(image_grid(images, len(images), scale=4), "the source, then its inversions")
    page.table(READING_HEADERS, rows)
    report = page.write(session.report_path("invert") / "report.html")
    return [shown(x) for x in images], rows, str(report)


def steer(session: Session, spec: str, layer: str, image: torch.Tensor, concept_value: str, alpha: float,
          seed: int = 0, steps: int = 20) -> tuple[Image.Image, list[list[str]], str]:
    """(the source beside the inversion of its map moved by alpha along the concept's mean
    direction, the inversion's reading, report path)."""
    from genlens.inversion.protocol import SamplingConfig
    from genlens.world.edits import parse_concept_value

    concept, value = parse_concept_value(concept_value)
    if concept == "position":
        raise GenlensError("steer a position from the command line (`genlens steer --concept position=...`)")
    with session.lock:
        inverter, method = session.inverter(spec, layer)
        direction = session.direction(spec, layer, concept, value)
        maps = inverter.feature_maps(image[None])
        steered = maps + float(alpha) * direction.field(maps)
        out = inverter.invert_maps(steered, 1, SamplingConfig(steps=int(steps), seed=int(seed)))[0, 0].cpu()
        label = inverter.classifier.class_names[int(inverter.features.logits_from(layer, steered).argmax(1))]
        row = [f"alpha {float(alpha):g}", *_readings(out[None])[0], label]
    page = HtmlReport(f"{spec} {layer}: steered towards {concept} = {value} by {float(alpha):g}")
    page.image(image_grid(torch.stack([image, out]), 2, scale=4), f"source, then the inversion of its steered map ({method})")
    page.table(READING_HEADERS, [row])
    report = page.write(session.report_path("steer") / "report.html")
    pair = Image.new("RGB", (2 * SHOWN + 8, SHOWN), "white")
    pair.paste(shown(image), (0, 0))
    pair.paste(shown(out), (SHOWN + 8, 0))
    return pair, [row], str(report)


def sweep_unit(session: Session, spec: str, unit: int, sources: int = 20, shown_sources: int = 4, seed: int = 0) -> tuple[Image.Image, str, str]:
    """(the unit's sweep strip: rows are shown_sources of the sources it is read on, columns the
    sweep; its label; report path). The
    link to the renderer is fitted on the first call for a classifier (about a minute on a CPU)."""
    from genlens.linking.sweeps import SweepSettings
    from genlens.linking.units import sweep_units
    from genlens.measure.probes import ConceptProbe

    with session.lock:
        link, generator, population, _ = session.link(spec)
        if not 0 <= int(unit) < link.config.feature_dim:
            raise GenlensError(f"unit {unit} is out of range: the link has units 0 to {link.config.feature_dim - 1}")
        settings = SweepSettings(modes=("conditional",), sources=max(2, int(sources)), null=16, seed=int(seed))
        results, strips = sweep_units(
            link, generator, session.classifier(spec), population, population[: settings.sources], [int(unit)], settings,
            probes=ConceptProbe.load(), strip_sources=max(1, min(int(shown_sources), settings.sources)),
        )
    record = results["conditional"]["units"][0]
    strip = strips["conditional"][0]
    label = f"unit {unit}: {record['label']}" + (f" ({', '.join(record['concepts'])})" if record["concepts"] else "")
    grid = image_grid(strip.flatten(0, 1), strip.shape[1], scale=3)
    page = HtmlReport(f"{spec} {link.config.layer}: {label}")
    page.image(grid, "rows are sources, columns the sweep from the unit's 5th to its 95th percentile (conditional)")
    report = page.write(session.report_path("unit") / "report.html")
    return grid, label, str(report)


def depict_ranking(session: Session, spec: str, task: str, rows: int = 150, repeats: int = 2,
                   generator: str = "renderer", steps: int = 10) -> tuple[list[list], str, str]:
    """(ranking rows [concept, drop, low, high], the bar chart as SVG, report path)."""
    from genlens.permutation.generation import load_caption_generator
    from genlens.permutation.run import depict
    from genlens.permutation.world_table import world_table
    from genlens.report.charts import bar_chart
    from genlens.report.permutation import permutation_report
    from genlens.world.seeds import EVAL_SEED

    if task not in ("shape", "shortcut"):
        raise GenlensError(f"DEPICT here takes a single-object task (shape or shortcut), not '{task}'")
    if not 2 <= int(rows) <= 2000 or not 1 <= int(repeats) <= 10:
        raise GenlensError("rows must be between 2 and 2000, repeats between 1 and 10")
    from genlens.measure.probes import ConceptProbe

    with session.lock:
        classifier = session.classifier(spec)
        table, real = world_table(task, int(rows), EVAL_SEED, size=classifier.input_size)
        gen = load_caption_generator(generator, int(steps), session.device, classifier.input_size)
        result, runs = depict(classifier, table, table.labels, gen, real, ConceptProbe.load(), repeats=int(repeats))
    result["classifier"] = spec
    folder = session.report_path("depict")
    report = permutation_report(result, runs, folder)
    (folder / "depict.json").write_text(json.dumps({k: v for k, v in result.items() if k != "generated_images"}, indent=1))
    ranking = [[r["concept"], r["drop"], r["ci95"][0], r["ci95"][1]] for r in result["importance"]]
    chart = bar_chart([(r[0].replace("_", " "), r[1], (r[2], r[3])) for r in ranking], f"drop in {result['metric']}")
    return ranking, chart, str(report)


def run_audit(session: Session, spec: str, task: str, quick: bool = True) -> tuple[list[list[str]], str, str]:
    """(verdict rows [method, answer, agrees, line], the truth's line, report path)."""
    from genlens.audit import AuditSettings, audit
    from genlens.audit.truth import task_truth
    from genlens.measure.reader import load_reader
    from genlens.report.audit import audit_report

    task_truth(task)
    with session.lock:
        settings = AuditSettings.quick() if quick else AuditSettings()
        result, figures = audit(session.classifier(spec), task, None, settings, session.device, load_reader(device=session.device))
    result["classifier"] = spec
    report = audit_report(result, figures, session.report_path("audit"))
    rows = [[m, str(v["answer"]), "yes" if v["agrees"] else "no", v["line"]] for m, v in result["verdicts"].items()]
    return rows, result["truth"]["line"], str(report)
