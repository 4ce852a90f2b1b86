import os

# Nothing in the tests may reach a hub: pretrained-weight paths must fail fast and clearly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GENLENS_OFFLINE", "1")
# pytest-xdist runs one worker a core (pyproject's addopts): each worker, and every genlens it
# starts, keeps to one thread, or the workers' threads would outnumber the cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["GENLENS_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"

import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run `python -m genlens ARGS` and capture its output."""
    result = subprocess.run([sys.executable, "-m", "genlens", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"genlens {' '.join(args)} failed: {result.stderr}")
    return result


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def cli_here(monkeypatch, capsys):
    """Run `genlens ARGS` in this process (no interpreter start-up): (exit code, stdout, stderr)."""
    import torch

    from genlens.cli.app import main

    def run(*args: str):
        monkeypatch.setattr(sys, "argv", ["genlens", *args])
        code, threads = 0, torch.get_num_threads()
        try:
            main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        finally:
            torch.set_num_threads(threads)  # the command chose its own; the rest of the suite keeps the suite's
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def cli_fast(cli_here):
    """`cli`'s interface (a CompletedProcess), run in this process: for the many short error cases."""

    def run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
        code, out, err = cli_here(*args)
        if check and code != 0:
            raise AssertionError(f"genlens {' '.join(args)} failed: {err}")
        return subprocess.CompletedProcess(["genlens", *args], code, out, err)

    return run
