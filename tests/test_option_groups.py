"""The shared output and run option groups: declared once, on every command that takes them."""

import json

import pytest
import typer
from typer.testing import CliRunner

from genlens.cli.app import app
from genlens.cli.option_groups import Run, run_options


def _app_with(command) -> typer.Typer:
    tiny = typer.Typer()
    tiny.command("go")(command)
    tiny.command("other")(lambda: None)  # two commands, so that "go" is a sub-command
    return tiny


def test_a_command_receives_its_group_as_one_run():
    @run_options(report=("extra.json",))
    def go(n: int = typer.Option(1, "--n"), run: Run = Run()):
        print(json.dumps({"n": n, **{k: str(v) for k, v in vars(run).items()}}))

    result = CliRunner().invoke(_app_with(go), ["go", "--n", "3", "--seed", "7", "--device", "cpu", "--json", "--report", "R", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"n": 3, "report": "R", "overwrite": "True", "seed": "7", "device": "cpu", "as_json": "True"}
    defaults = json.loads(CliRunner().invoke(_app_with(go), ["go"]).output)
    assert defaults == {"n": 1, "report": "None", "overwrite": "False", "seed": "0", "device": "auto", "as_json": "False"}
    assert "extra.json" in CliRunner().invoke(_app_with(go), ["go", "--help"]).output


def test_options_switched_off_are_not_offered():
    @run_options(overwrite=False, seed=False)
    def go(run: Run = Run()):
        print(run.seed)

    result = CliRunner().invoke(_app_with(go), ["go", "--seed", "3"])
    assert result.exit_code == 2 and "No such option" in result.output
    for option in ("--report", "--overwrite"):
        assert CliRunner().invoke(_app_with(go), ["go", option]).exit_code == 2


def test_a_command_without_a_run_parameter_is_refused():
    with pytest.raises(TypeError, match="run"):
        run_options()(lambda n=1: n)


@pytest.mark.parametrize(
    "command, options",
    [
        ("permute", ("--report", "--overwrite", "--seed", "--device", "--json")),
        ("invert", ("--overwrite", "--seed", "--device", "--json")),
        ("demo", ("--overwrite", "--device", "--json")),
        ("eval diffusion", ("--seed", "--device", "--json")),
    ],
)
def test_shipped_commands_offer_their_groups(command, options):
    from genlens.cli.app import _register

    _register()
    shown = CliRunner().invoke(app, [*command.split(), "--help"], terminal_width=200).output
    for option in options:
        assert f" {option} " in shown, (command, option)
