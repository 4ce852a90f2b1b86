"""`genlens bench ...`: measured studies whose tables go into BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.world.seeds import held_out
from genlens.cli import options
from genlens.cli.options import MAX_COUNT
from genlens.cli.option_groups import Run, run_options
from genlens.cli.app import app, emit
from genlens.cli.outputs import claim_folder

bench_app = typer.Typer(no_args_is_help=True, help="Measured studies (sampler speed and fidelity, DEPICT).")
app.add_typer(bench_app, name="bench")


@bench_app.command("sampler")
@run_options()
def bench_sampler(
    classifier: str = typer.Option(..., "--classifier", help="Classifier spec with a shipped inverter."),
    layer: str = typer.Option(..., "--layer"),
    pooled: bool = typer.Option(False, "--pooled", help="The pooled inverter.", metavar=""),
    inverter: Path = typer.Option(None, "--inverter", help="An inverter folder instead of the shipped one."),
    n: int = typer.Option(64, "--n", help="Held-out world images.", min=0, max=MAX_COUNT),
    report: Path = typer.Option(None, "--report", help="Folder for report.html with the quality-time plot."),
    run: Run = Run(),
):
    """Feature cosine, top-1 agreement and seconds per image for DDIM and DPM-Solver++ at 5-50 steps."""
    claim_folder(report, "bench sampler", run.overwrite)
    from genlens.device import resolve_device
    from genlens.inversion.inverter import FeatureInverter
    from genlens.inversion.protocol import SamplingConfig
    from genlens.inversion.registry import find_inverter
    from genlens.inversion.sampler_study import relative_to_protocol, sampler_study

    inv = FeatureInverter.load(inverter or find_inverter(classifier, layer, pooled), device=resolve_device(run.device))
    images = held_out(n, seed=run.seed, size=inv.classifier.input_size).images
    rows = sampler_study(inv, images, sampling=SamplingConfig(seed=run.seed))
    result = {"classifier": inv.classifier_spec, "layer": inv.layer, "n": n, "rows": rows}
    result.update(relative_to_protocol(rows))
    if report is not None:
        from genlens.report.charts import line_chart
        from genlens.report.html import HtmlReport

        page = HtmlReport(f"Samplers for {result['classifier']} {result['layer']}")
        series = {
            s: [(r["seconds_per_image"], r["feature_cosine"], str(r["steps"])) for r in rows if r["sampler"] == s]
            for s in ("ddim", "dpm")
        }
        page.svg(line_chart(series, "seconds per image", "feature cosine"), "labels: sampling steps")
        page.table(list(rows[0]), [list(r.values()) for r in rows])
        result["report"] = str(page.write(Path(report) / "report.html"))
    emit(
        result,
        run.as_json,
        lambda o: [
            print(
                f"{r['sampler']:5} {r['steps']:3} steps: cosine {r['feature_cosine']}, top-1 {r['top1_agreement']}, "
                f"{r['seconds_per_image']} s/image"
            )
            for r in o["rows"]
        ],
    )


@bench_app.command("depict")
@run_options(overwrite=False)
def bench_depict_command(
    tasks: int = typer.Option(100, "--tasks", help="Bottleneck tasks with weights drawn from U[0,1]^6.", min=0, max=MAX_COUNT),
    rows: int = typer.Option(400, "--rows", help="depict6 scenes permuted and generated.", min=0, max=MAX_COUNT),
    repeats: int = typer.Option(3, "--repeats", help="Permutations per concept.", min=0, max=MAX_COUNT),
    generator: str = typer.Option(
        "world", "--generator", help="'world' (the shipped base), 'renderer' (exact renders), a folder or hub id."
    ),
    steps: int = options.Steps,
    no_cache: bool = typer.Option(False, "--no-cache", help="Each task generates its own images (for timing).", metavar=""),
    run: Run = Run(),
):
    """DEPICT's synthetic protocol: Pearson correlation of concept importances with the ground truth."""
    from genlens.classifiers.loader import load_folder
    from genlens.shipped import weights_root
    from genlens.device import resolve_device
    from genlens.errors import GenlensError
    from genlens.permutation.depict6 import bench_depict
    from genlens.permutation.generation import RendererGenerator

    if tasks < 1 or rows < 10 or repeats < 1:
        raise GenlensError("--tasks and --repeats must be at least 1, --rows at least 10")
    dev = resolve_device(run.device)
    predictor = load_folder(weights_root() / "depict6-concepts").to(dev).eval()
    if generator == "renderer":
        gen = RendererGenerator()
    else:
        from genlens.generators.base_model import load_base
        from genlens.permutation.generation import PipelineGenerator

        gen = PipelineGenerator(load_base(generator, device=dev), steps=steps)
    result = bench_depict(predictor, gen, tasks, rows, repeats, run.seed, cache=not no_cache)
    emit(
        result,
        run.as_json,
        lambda o: print(
            f"{o['tasks']} tasks: Pearson {o['pearson']} (95% {o['ci95']}), oracle {o['oracle_pearson']}, "
            f"{o['generated_images']} images generated, {o['seconds']} s"
        ),
    )
