"""The `genlens` command: the typer app, its sub-commands and the one-line error convention."""

from __future__ import annotations

import json
import sys

import typer

from genlens.errors import GenlensError
from genlens.progress import stderr

app = typer.Typer(
    name="genlens",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="See what an image classifier's features encode by generating images from them, and measure it.",
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors.", metavar=""),
    threads: int = typer.Option(
        None, "--threads", help="CPU threads for torch (default: GENLENS_THREADS, OMP_NUM_THREADS, else the idle cores).", min=1, max=1024
    ),
):
    """genlens: generative lenses on image classifiers."""
    from genlens.threads import set_threads

    set_threads(threads)


def emit(obj: dict, as_json: bool, human=None) -> None:
    """Print obj as one JSON object on stdout when as_json, else call human(obj) or pretty-print it."""
    if as_json:
        sys.stdout.write(json.dumps(obj) + "\n")
    elif human is not None:
        human(obj)
    else:
        from rich.console import Console

        Console().print_json(json.dumps(obj))


def _flag_help_option(cls) -> None:
    """--help is a flag: show it without a value placeholder, like every other flag."""
    original = cls.get_help_option

    def get_help_option(self, ctx):
        option = original(self, ctx)
        if option is not None:
            option.metavar = ""
        return option

    cls.get_help_option = get_help_option


_flag_help_option(typer.core.TyperCommand)
_flag_help_option(typer.core.TyperGroup)


def _register() -> None:
    from genlens.cli import (  # noqa: F401
        audit,
        bench,
        compose,
        demo,
        evaluate,
        evaluate_inversion,
        generate,
        invert,
        link,
        models,
        permute,
        robustness,
        serve,
        steer,
        train,
        world,
    )


def main() -> None:
    """Entry point: user errors print one line on stderr and exit 2 (tracebacks only with --debug)."""
    _register()
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)  # a command's typer.Exit(code) comes back as its return value here
        if isinstance(code, int) and code:
            sys.exit(code)
    except GenlensError as e:
        if debug:
            raise
        stderr.print(f"[red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        stderr.print("aborted")
        sys.exit(130)
    except Exception as e:  # click usage errors and genuine bugs
        if hasattr(e, "show") and isinstance(getattr(e, "exit_code", None), int):  # a click (or typer) usage error
            message = e.format_message() if hasattr(e, "format_message") else str(e)
            ctx = getattr(e, "ctx", None)
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            stderr.print(f"[red]error:[/] {' '.join(message.split())}{hint}", highlight=False, soft_wrap=True)
            sys.exit(e.exit_code)
        if debug:
            raise
        stderr.print(
            f"[red]internal error:[/] {type(e).__name__}: {e} (run with --debug for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
