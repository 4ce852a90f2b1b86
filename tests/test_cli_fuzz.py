"""Every command's options with empty, negative, zero, huge, wrong-type and path-like values, and with
missing and unreadable files: a one-line error (exit 2) or a result, never exit 1 or a traceback.

A case that passes validation and starts real work is stopped after a few seconds and counts as
accepted. GENLENS_FUZZ=all runs every case (about ten minutes) instead of a fixed sample of them;
GENLENS_FUZZ=COMMAND (e.g. "link fit") every case of one command."""

import itertools
import os
import random
import signal


BAD = ["", "-1", "0", "nan", "abc", "1e400", "99999999999999999999", "/nonexistent/none", "{dir}", "{garbage}"]


def _bases(tmp):
    """A cheap valid invocation of every command: the fuzzed option replaces or joins its value."""
    out = lambda: str(tmp / f"out{next(_counter)}")  # noqa: E731
    img = str(tmp / "img.png")
    return {
        ("demo",): lambda: ["--out", out(), "--n", "4"],
        ("generate",): lambda: ["--caption", "a red circle", "--steps", "1", "--out", out()],
        ("invert",): lambda: ["--classifier", "world-cnn", "--layer", "layer2", "--world", "1", "--steps", "1", "--out", out()],
        ("layers",): lambda: ["world-cnn"],
        ("predict",): lambda: ["world-cnn", img],
        ("permute",): lambda: ["--classifier", "world-cnn", "--world", "shape", "--generator", "renderer", "--n", "4", "--repeats", "1"],
        ("bench", "sampler"): lambda: ["--classifier", "world-cnn", "--layer", "layer3", "--n", "1"],
        ("bench", "depict"): lambda: ["--tasks", "1", "--rows", "10", "--repeats", "1"],
        ("eval", "classifier"): lambda: ["world-cnn", "--n", "4"],
        ("eval", "probes"): lambda: ["--n", "4"],
        ("eval", "diffusion"): lambda: ["--n", "2", "--steps", "1"],
        ("eval", "gan"): lambda: ["--n", "2"],
        ("eval", "inversion"): lambda: ["--classifier", "world-cnn", "--layer", "layer3", "--methods", "decoder", "--n", "2"],
        ("link", "fit"): lambda: ["--classifier", "world-cnn", "--n", "50", "--out", out()],
        ("link", "units"): lambda: ["--link", str(tmp / "nolink")],
        ("link", "counterfactual"): lambda: ["--link", str(tmp / "nolink"), "--target", "square"],
        ("train", "classifier"): lambda: ["--out", out(), "--steps", "1", "--batch-size", "2", "--eval-n", "2"],
        ("train", "probes"): lambda: ["--out", out(), "--steps", "1", "--batch-size", "2"],
        ("train", "defaults"): lambda: ["--name", "no-such-model", "--out", out()],
        ("train", "diffusion"): lambda: ["--out", out(), "--steps", "1", "--batch-size", "2"],
        ("train", "inverter"): lambda: ["--out", out(), "--classifier", "world-cnn", "--layer", "layer2", "--steps", "1", "--batch-size", "2"],
        ("train", "decoder"): lambda: ["--out", out(), "--classifier", "world-cnn", "--layer", "layer2", "--steps", "1", "--batch-size", "2"],
        ("train", "gan"): lambda: ["--out", out(), "--steps", "1", "--batch-size", "2", "--eval-n", "0"],
        ("world", "render"): lambda: ["--out", out(), "--n", "2"],
        ("steer",): lambda: ["--classifier", "world-cnn", "--layer", "layer2", "--concept", "color=blue", "--world", "1",
                             "--alphas", "0,1", "--steps", "1", "--direction-n", "4", "--reader", "none", "--report", out()],
        ("compose",): lambda: ["--classifier", "world-cnn", "--layer", "layer2", "--world", "1", "--modes", "halves", "--steps", "1",
                               "--reader", "none", "--report", out()],
        ("audit",): lambda: ["--classifier", "world-cnn", "--task", "shortcut", "--layers", "layer3", "--generator", "renderer",
                             "--inversion", "optimization", "--reader", "none", "--report", out()],
        ("serve",): lambda: ["--host", "no-such-address"],  # every case ends before a server would start
        ("robustness",): lambda: ["--classifier", "world-cnn", "--layer", "layer3", "--world", "1", "--corruptions", "blur",
                                  "--severities", "1", "--ood", "none", "--budgets", "1", "--pgd-steps", "1", "--steps", "1",
                                  "--reader", "none", "--report", out()],
    }


_counter = itertools.count()


def _options():
    """(command path, option name or None for a positional) of every value-taking parameter."""
    import typer.main

    from genlens.cli.app import _register, app

    _register()

    def walk(c, prefix=()):
        if hasattr(c, "commands"):
            for name, sub in c.commands.items():
                yield from walk(sub, prefix + (name,))
        else:
            yield prefix, c

    for path, command in walk(typer.main.get_command(app)):
        for p in command.params:
            if getattr(p, "is_flag", False) or getattr(p, "hidden", False):
                continue
            yield path, (p.opts[0] if getattr(p, "opts", None) else None)


def _with(base: list[str], option: str | None, value: str) -> list[str]:
    if option is None:  # a positional: replace the first one
        return [value, *base[1:]] if base and not base[0].startswith("--") else [value, *base]
    args = list(base)
    if option in args:
        args[args.index(option) + 1] = value
        return args
    return [*args, option, value]


class _Slow(BaseException):
    """Raised by the watchdog: the command accepted the value and was doing real work."""


def _cases(tmp):
    cases = [(path, option, value) for path, option in _options() for value in BAD]
    wanted = os.environ.get("GENLENS_FUZZ")
    if wanted == "all":
        return cases
    if wanted:  # one command's every case, e.g. GENLENS_FUZZ="link fit"
        return [c for c in cases if " ".join(c[0]) == wanted]
    return random.Random(0).sample(cases, 80)


def test_no_option_value_makes_an_internal_error_or_a_traceback(cli_here, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)  # a value such as "abc" given as a folder lands here, not in the checkout
    Image.new("RGB", (32, 32), "red").save(tmp_path / "img.png")
    (tmp_path / "garbage").write_bytes(b"\x00\xffnot an image, a model or a table\n")
    (tmp_path / "adir").mkdir()
    bases = _bases(tmp_path)
    monkeypatch.setattr(signal, "signal", signal.signal)  # restored by monkeypatch
    failures = []

    def stop(*_):
        raise _Slow()

    for path, option, value in _cases(tmp_path):
        value = value.format(dir=tmp_path / "adir", garbage=tmp_path / "garbage")
        args = [*path, *_with(bases[path](), option, value)]
        signal.signal(signal.SIGALRM, stop)
        signal.alarm(4)
        try:
            code, out, err = cli_here(*args)
        except _Slow:
            continue
        finally:
            signal.alarm(0)
        if code not in (0, 2) or "Traceback" in err or "internal error" in err:
            failures.append(f"{' '.join(args)} -> {code}: {err.strip().splitlines()[-1] if err.strip() else ''}")
    assert not failures, "\n".join(failures)
