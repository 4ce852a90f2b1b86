"""kill -9 at a random moment of a run, then the same command again: it resumes (training) or starts
over (inversion) and finishes cleanly; nothing half-written is ever loaded."""

import json
import random
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from genlens.errors import GenlensError


def _killed(args: list[str], ready, rng: random.Random, timeout: float = 120) -> bool:
    """Start `genlens ARGS`, kill -9 it a random moment after ready() turns true; False if it finished first."""
    process = subprocess.Popen([sys.executable, "-m", "genlens", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while not ready() and process.poll() is None and time.monotonic() - t0 < timeout:
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 0.3))
    finished = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return not finished


def _run(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "genlens", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _same_weights(a_folder, b_folder) -> bool:
    """Whether every safetensors file under two folders (checkpoints aside) holds the same tensors."""
    files = sorted(p.relative_to(a_folder) for p in a_folder.rglob("*.safetensors") if "checkpoints" not in p.parts)
    assert files and files == sorted(p.relative_to(b_folder) for p in b_folder.rglob("*.safetensors") if "checkpoints" not in p.parts)
    for name in files:
        a, b = load_file(a_folder / name), load_file(b_folder / name)
        if a.keys() != b.keys() or not all(torch.equal(a[k], b[k]) for k in a):
            return False
    return True


@pytest.mark.parametrize(
    "command, load",
    [
        (["train", "gan", "--eval-n", "0"], "genlens.linking:load_generator"),
        (["train", "diffusion", "--size", "16"], "genlens.generators.base_model:load_base"),
        (["train", "inverter", "--classifier", "world-cnn", "--layer", "layer2"], "genlens.inversion.inverter:FeatureInverter.load"),
    ],
    ids=["gan", "diffusion", "inverter"],
)
def test_a_killed_training_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path, command, load, cli_here, monkeypatch):
    """The uninterrupted run and the resumption run in this process, the killed one in its own; one
    thread in each, so that all three compute alike."""
    import importlib

    monkeypatch.setenv("GENLENS_THREADS", "1")

    module, attribute = load.split(":")
    loader = importlib.import_module(module)
    for part in attribute.split("."):
        loader = getattr(loader, part)
    rng = random.Random(len(command))
    args = [*command, "--steps", "12", "--batch-size", "2", "--checkpoint-every", "3", "--seed", "3"]
    assert cli_here(*args, "--out", str(tmp_path / "straight"))[0] == 0
    out = tmp_path / "killed"
    if not _killed([*args, "--out", str(out)], lambda: any((out / "checkpoints").glob("step-*")), rng):
        pytest.skip("the run finished before it could be killed")
    assert not (out / "card.json").exists()
    with pytest.raises(GenlensError):  # what is there is not a model a later command would load
        loader(str(out))
    assert cli_here(*args, "--out", str(out))[0] == 0
    assert _same_weights(tmp_path / "straight", out)


def test_a_killed_inversion_starts_over_and_finishes(tmp_path):
    rng = random.Random(11)
    out = tmp_path / "inv"
    args = ["invert", "--classifier", "world-cnn", "--layer", "layer2", "--world", "3", "--steps", "3", "--out", str(out), "--json"]
    _killed(args, lambda: (out / ".genlens-run.json").exists(), rng)
    assert not (out / "summary.json").exists() or json.loads((out / "summary.json").read_text())["n"] == 3
    _run(args)  # an interrupted run of the same kind is replaced without --overwrite
    assert len((out / "results.jsonl").read_text().splitlines()) == 3
    assert json.loads((out / "summary.json").read_text())["n"] == 3
    assert sorted(p.name for p in (out / "grids").iterdir()) == [f"{i:05d}.png" for i in range(3)]


def test_a_killed_permutation_starts_over_and_finishes(tmp_path):
    rng = random.Random(12)
    report = tmp_path / "depict"
    args = ["permute", "--classifier", "world-cnn", "--world", "shape", "--n", "16", "--repeats", "1", "--steps", "2",
            "--report", str(report), "--json"]
    _killed(args, lambda: (report / ".genlens-run.json").exists(), rng)
    _run(args)  # the interrupted run of the same kind is replaced without --overwrite
    assert (report / "report.html").read_text().rstrip().endswith("</html>")
