import pytest

from genlens import threads
from genlens.errors import GenlensError


def test_threads_follow_the_request_the_environment_then_the_idle_cores(monkeypatch):
    monkeypatch.delenv("GENLENS_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 4)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (3.0, 0.0, 0.0))
    assert threads.choose_threads() == 1
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert threads.choose_threads() == 4
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert threads.choose_threads() == 1
    assert threads.choose_threads(3) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert threads.choose_threads() is None  # the user's OpenMP setting stands
    monkeypatch.setenv("GENLENS_THREADS", "2")
    assert threads.choose_threads() == 2
    monkeypatch.setenv("GENLENS_THREADS", "many")
    with pytest.raises(GenlensError):
        threads.choose_threads()
    with pytest.raises(GenlensError):
        threads.choose_threads(0)


def test_independent_jobs_run_in_one_thread_processes_as_many_as_the_threads_asked_for(monkeypatch):
    import os

    import torch

    from genlens import workers

    monkeypatch.delenv("GENLENS_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(workers, "available_cores", lambda: 4)
    assert workers.worker_count(9) == 4 and workers.worker_count(2) == 2 and workers.worker_count(9, "cuda") == 1
    monkeypatch.setenv("GENLENS_THREADS", "3")
    assert workers.worker_count(9) == 3
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # this process's threads stay
    threads.set_threads(1)  # --threads 1 reaches the workers' count through the environment
    assert workers.worker_count(9) == 1
    with workers.started_jobs([(os.getpid, ()), (torch.get_num_threads, ()), (divmod, (7, 2))], 2) as collect:
        here = os.getpid()  # the caller goes on while the jobs run
        done = collect()
    assert done[0] != here and done[1:] == [1, (3, 1)]
    with workers.started_jobs([(divmod, (7, 2))], 1) as collect:
        assert collect() == [(3, 1)]
