"""Option groups, declared once and shared by commands: a command takes a group as one argument
(a frozen dataclass) and the group's decorator puts its options on the command line in that
argument's place. Here the output and run group (--report, --overwrite, --seed, --device, --json)."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from genlens.cli import options


def option_group(param: str, build: Callable[..., Any], group: dict[str, tuple[type, Any]]):
    """Decorate a command that takes parameter `param`: on its command line that parameter becomes
    the group's options (name -> (type, typer option)), and the command receives build(**their values)."""

    def decorate(command):
        signature = inspect.signature(command)
        if param not in signature.parameters:
            raise TypeError(f"{command.__name__} must take a parameter `{param}` for its option group")
        parameters = []
        for p in signature.parameters.values():
            if p.name != param:
                parameters.append(p)
                continue
            parameters += [p.replace(name=name, default=option, annotation=kind) for name, (kind, option) in group.items()]

        @functools.wraps(command)
        def with_group(*args, **kwargs):
            values = {name: kwargs.pop(name) for name in group if name in kwargs}
            return command(*args, **{param: build(**values)}, **kwargs)

        with_group.__signature__ = signature.replace(parameters=parameters)
        with_group.__annotations__ = {
            **{k: v for k, v in command.__annotations__.items() if k != param},
            **{name: kind for name, (kind, _) in group.items()},
        }
        return with_group

    return decorate


@dataclass(frozen=True)
class Run:
    """What a run was asked for beside its own options: where its report goes (None: no report),
    whether it may replace an output, its seed, its device and whether it prints JSON."""

    report: Optional[Path] = None
    overwrite: bool = False
    seed: int = 0
    device: str = "auto"
    as_json: bool = False


def run_options(report: tuple[str, ...] | None = None, overwrite: bool = True, seed: bool = True):
    """The output and run group on a command's `run: Run` parameter: --report (when report names
    the files beside report.html; () for report.html alone), --overwrite and --seed (unless switched
    off), --device and --json."""
    group: dict[str, tuple[type, Any]] = {}
    if report is not None:
        group["report"] = (Optional[Path], options.report_option(*report))
    if overwrite:
        group["overwrite"] = (bool, options.Overwrite)
    if seed:
        group["seed"] = (int, options.Seed)
    group["device"] = (str, options.Device)
    group["as_json"] = (bool, options.Json)
    return option_group("run", Run, group)
