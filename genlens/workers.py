"""Independent jobs in one-thread worker processes.

Beside other CPU load, one process at several threads waits on its slowest thread, and gets no more
of the machine than one process; separate one-thread processes each take their own share of the
cores (BENCHMARKS.md, "Threads under load")."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from genlens.threads import available_cores, requested_threads


def worker_count(jobs: int, device: str = "cpu") -> int:
    """Processes for `jobs` independent CPU jobs: as many as the threads the user asked for, else one
    per core, at most one per job; 1 on a GPU."""
    if device != "cpu":
        return 1
    return max(1, min(jobs, requested_threads() or available_cores()))


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


@contextmanager
def started_jobs(jobs: Sequence[tuple[Callable, tuple]], workers: int) -> Iterator[Callable[[], list]]:
    """Start each job's fn(*args) in `workers` one-thread processes (fn and args must pickle) and give
    the caller a function that waits for their results, in the order given, so that it can do its own
    work meanwhile; with one worker the jobs run here, when the function is called."""
    if workers <= 1:
        yield lambda: [fn(*args) for fn, args in jobs]
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_one_thread) as pool:
        futures = [pool.submit(fn, *args) for fn, args in jobs]
        yield lambda: [f.result() for f in futures]
