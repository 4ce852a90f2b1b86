"""`genlens permute`: concept permutation importance (DEPICT) for a classifier."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.world.seeds import EVAL_SEED
from genlens.cli import options
from genlens.cli.options import MAX_COUNT
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.outputs import claim_folder
from genlens.errors import GenlensError


@app.command("permute")
@run_options(report=())
def permute_command(
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec."),
    weights: Path = options.Weights,
    world: str = typer.Option(None, "--world", help="A single-object world task: shape or shortcut."),
    n: int = typer.Option(500, "--n", help="Rows drawn from the world task.", min=0, max=MAX_COUNT),
    concepts_csv: Path = typer.Option(None, "--concepts", help="CSV of concept columns and a label column."),
    caption_template: str = typer.Option(None, "--caption-template", help='e.g. "a {size} {color} {shape}".'),
    images_dir: Path = typer.Option(None, "--images-dir", help="The CSV rows' real images (column 'image')."),
    label_column: str = typer.Option("label", "--label-column"),
    generator: str = typer.Option(
        "world", "--generator", help="'world' (the shipped base), 'renderer' (exact world renders), a folder or hub id."
    ),
    repeats: int = typer.Option(5, "--repeats", help="Permutations per concept.", min=0, max=MAX_COUNT),
    metric: str = typer.Option("auto", "--metric", help="auto (AUROC for 2 classes, else accuracy) or a scorer."),
    steps: int = options.Steps,
    pool: int = typer.Option(None, "--pool", help="Images per distinct caption (reuse across rows).", min=0, max=MAX_COUNT),
    reader: str = options.Reader,
    run: Run = Run(),
):
    """Rank concepts by how much the classifier's performance drops when each is permuted across captions.

    Its length is its option list; the body validates, runs one library call and reports.
    """
    from genlens.measure.probes import ConceptProbe
    from genlens.permutation.run import depict

    if (world is None) == (concepts_csv is None):
        raise GenlensError("give exactly one of --world TASK and --concepts CSV (with --caption-template)")
    if repeats < 1 or n < 2 or steps < 1:
        raise GenlensError("--repeats and --steps must be at least 1, --n at least 2")
    claim_folder(run.report, "permute", run.overwrite)
    classifier, model, dev = options.load_model(classifier, weights, run.device)
    probes, real = None, None
    if world is not None:
        from genlens.permutation.world_table import world_table

        if world not in ("shape", "shortcut"):
            raise GenlensError(f"--world takes a single-object task (shape or shortcut), not '{world}'")
        table, real = world_table(world, n, EVAL_SEED + run.seed, size=model.input_size)
        labels, probes = table.labels, ConceptProbe.load()
    else:
        from genlens.permutation.table import ConceptTable

        if caption_template is None:
            raise GenlensError("--concepts needs --caption-template")
        table = ConceptTable.from_csv(concepts_csv, caption_template, label_column)
        labels = _label_indices(table.labels, model.class_names)
        if images_dir is not None:
            real = _real_images(table, images_dir, model.input_size)
            table.columns.pop("image", None)
    from genlens.permutation.generation import load_caption_generator

    gen = load_caption_generator(generator, steps, dev, model.input_size)
    from genlens.measure.reader import load_reader

    independent = load_reader(reader, dev) if real is not None else None
    result, runs = depict(model, table, labels, gen, real, probes, metric, repeats, run.seed, pool, independent)
    result["classifier"] = classifier
    if run.report is not None:
        from genlens.report.permutation import permutation_report

        result["report"] = str(permutation_report(result, runs, run.report))
    emit(result, run.as_json, _print_ranking)


def _label_indices(labels, class_names: list[str]):
    import numpy as np

    names = [str(c) for c in class_names]
    try:
        return np.asarray([names.index(str(v)) if str(v) in names else int(v) for v in labels])
    except ValueError:
        raise GenlensError(
            f"labels must be class names of the classifier ({', '.join(names[:5])}, ...) or class indices"
        ) from None


def _real_images(table, folder: Path, size: int):
    from genlens.images import load_images

    if "image" not in table.columns:
        raise GenlensError("--images-dir needs an 'image' column in the CSV naming each row's file")
    return load_images([Path(folder) / name for name in table.columns["image"]], size)


def _print_ranking(result: dict) -> None:
    print(f"{result['classifier']} ({result['metric']}): generated baseline {result['baseline']['generated']}")
    for row in result["importance"]:
        print(f"  {row['concept']:20} drop {row['drop']:+.4f}  95% [{row['ci95'][0]:+.4f}, {row['ci95'][1]:+.4f}]")
    print(f"checks passed: {result['checks'].get('passed')}")
    print(f"{result['generated_images']} images generated in {result['seconds']} s")
