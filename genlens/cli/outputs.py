"""Output folders: what a command may write into without --overwrite."""

from __future__ import annotations

from pathlib import Path

from genlens.errors import GenlensError


def check_report(report: Path | None, overwrite: bool) -> None:
    """Refuse, before any work, a --report folder that already holds a report.html, unless --overwrite."""
    if report is not None and (Path(report) / "report.html").exists() and not overwrite:
        raise GenlensError(f"{report} already holds a report; pass --overwrite to replace it")


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an --out path that is a file or a non-empty folder, unless --overwrite."""
    out = Path(out)
    if out.exists() and not overwrite and (not out.is_dir() or any(out.iterdir())):
        raise GenlensError(f"{out} already exists and is not an empty folder; pass --overwrite to replace it")
