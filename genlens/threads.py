"""How many CPU threads genlens gives torch: what the user asks for, else the cores not already busy.

With every core busy, torch's default of one thread per core oversubscribes the machine, and work
runs many times slower than at one thread (BENCHMARKS.md, "Threads under load")."""

from __future__ import annotations

import os

from genlens.errors import GenlensError


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def choose_threads(requested: int | None = None) -> int | None:
    """The thread count to set: requested (--threads), else GENLENS_THREADS, else None where
    OMP_NUM_THREADS already decides, else the cores minus the one-minute load average (at least 1)."""
    if requested is None and os.environ.get("GENLENS_THREADS"):
        try:
            requested = int(os.environ["GENLENS_THREADS"])
        except ValueError:
            raise GenlensError(f"GENLENS_THREADS must be a whole number, got '{os.environ['GENLENS_THREADS']}'") from None
    if requested is not None:
        if requested < 1:
            raise GenlensError(f"--threads must be at least 1, got {requested}")
        return requested
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    cores = available_cores()
    try:
        busy = os.getloadavg()[0]
    except OSError:
        return None
    return max(1, min(cores, int(cores - busy + 0.5)))


def requested_threads() -> int | None:
    """The CPU threads the user asked for (--threads, GENLENS_THREADS or OMP_NUM_THREADS), else None."""
    for name in ("GENLENS_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return None


def set_threads(requested: int | None = None) -> int:
    """Set torch's intra-op threads by choose_threads; returns the count in force. A requested
    count is kept in GENLENS_THREADS for the worker processes a command starts (genlens.workers)."""
    import torch

    n = choose_threads(requested)
    if requested is not None:
        os.environ["GENLENS_THREADS"] = str(requested)
    if n is not None and n != torch.get_num_threads():
        torch.set_num_threads(n)
    return torch.get_num_threads()
