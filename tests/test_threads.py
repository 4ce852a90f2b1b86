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
