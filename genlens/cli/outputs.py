"""Output folders, one policy: a new or empty folder is used; a folder holding an earlier genlens run
of the same kind is replaced; anything else (a file, another kind's run, files genlens did not write)
only with --overwrite. The one exception is a finished model (trained or fitted), which can cost hours
to make: it is replaced only with --overwrite, and a training run in progress resumes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from genlens.errors import GenlensError

#: The file that says which kind of genlens run wrote a folder.
MARKER = ".genlens-run.json"


def run_kind(folder: Path) -> str | None:
    """The kind of genlens run that wrote folder, or None."""
    try:
        return json.loads((Path(folder) / MARKER).read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def mark_run(folder: Path, kind: str) -> None:
    """Record that a genlens run of `kind` wrote folder."""
    (Path(folder) / MARKER).write_text(json.dumps({"kind": kind}) + "\n")


def claim_folder(folder: Path | None, kind: str, overwrite: bool, clear: bool = True, model: bool = False) -> None:
    """Check, before any work, that a `kind` run may write folder (None: nothing to check). With
    clear (commands that write into the folder in place), an earlier run's or an overwritten
    folder's contents are removed and the folder is marked at once; commands that publish a folder
    atomically pass clear=False and call mark_run once published. A model (a fitted link) is the
    exception to replacement: an earlier one is replaced only with --overwrite."""
    if folder is None:
        return
    folder = Path(folder)
    if folder.exists() and not overwrite:
        if not folder.is_dir():
            raise GenlensError(f"{folder} is a file; pass --overwrite to replace it with a folder")
        earlier = run_kind(folder)
        if earlier == kind and model:
            raise GenlensError(f"{folder} already holds a model ({kind}); pass --overwrite to replace it")
        if earlier is not None and earlier != kind:
            raise GenlensError(f"{folder} holds a genlens {earlier} run; pass --overwrite or another folder")
        if earlier is None and any(folder.iterdir()):
            raise GenlensError(f"{folder} holds files that genlens did not write; pass --overwrite or another folder")
    if not clear:
        return
    if folder.is_dir():
        shutil.rmtree(folder)
    elif folder.exists():
        folder.unlink()
    folder.mkdir(parents=True)
    mark_run(folder, kind)


def claim_training_folder(out: Path, overwrite: bool) -> None:
    """A training run's folder: new, empty or a run in progress (checkpoints/, which resumes); a
    finished model or anything else is replaced only with --overwrite."""
    if overwrite and out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    if not out.exists() or (out / "checkpoints").is_dir():
        return
    if not out.is_dir():
        raise GenlensError(f"{out} is a file; pass --overwrite to replace it with a model folder")
    if (out / "card.json").exists() or (out / "config.json").exists():
        raise GenlensError(f"{out} already holds a model; pass --overwrite to replace it")
    if any(out.iterdir()):
        raise GenlensError(f"{out} is not empty and holds no training run; pass --overwrite to replace it")
