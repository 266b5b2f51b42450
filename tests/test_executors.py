"""Executors (prime_rs.executors): ordered results whatever the backend and the parallelism."""

from __future__ import annotations

import functools
import math
import operator
import subprocess
import sys

import pytest

from prime_rs.errors import InvalidArgumentError, MissingDependencyError
from prime_rs.executors import LocalExecutor, get_executor

ITEMS = list(range(40))
EXPECTED = [math.factorial(x) % 1_000_003 for x in ITEMS]
work = functools.partial(operator.pow, 3)  # picklable by reference, for spawned processes


@pytest.mark.parametrize("kind", ["thread", "process"])
@pytest.mark.parametrize("jobs", [1, 2, 5])
def test_local_results_are_in_item_order_for_any_parallelism(kind: str, jobs: int) -> None:
    with LocalExecutor(jobs=jobs, kind=kind) as ex:  # type: ignore[arg-type]
        assert ex.map(work, ITEMS) == [3**x for x in ITEMS]


def test_threads_run_python_callables() -> None:
    f = lambda x: math.factorial(x) % 1_000_003  # noqa: E731
    assert LocalExecutor(jobs=3).map(f, ITEMS) == EXPECTED


def test_the_first_failure_propagates_as_its_own_type() -> None:
    with pytest.raises(ValueError, match="math domain error"):
        LocalExecutor(jobs=2).map(math.sqrt, [4.0, -1.0, 9.0])


def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError):
        LocalExecutor(jobs=0)
    with pytest.raises(InvalidArgumentError):
        LocalExecutor(jobs=10**9)
    with pytest.raises(InvalidArgumentError, match="unknown executor"):
        get_executor("dask")
    with pytest.raises(InvalidArgumentError, match="only meaningful with --executor ray"):
        get_executor("local", address="10.0.0.1:6379")
    assert isinstance(get_executor(None, jobs=2), LocalExecutor)


def test_a_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"prime-rs\[ray\]"):
        get_executor("ray")


RAY_SCRIPT = """
import functools, math, operator
from prime_rs.executors import LocalExecutor, RayExecutor
work = functools.partial(operator.pow, 3)
items = list(range(40))
with RayExecutor(jobs=2) as ex:
    assert ex.map(work, items) == LocalExecutor(jobs=1).map(work, items)
    try:
        ex.map(math.sqrt, [4.0, -1.0])
    except ValueError as e:
        assert "math domain error" in str(e)
    else:
        raise AssertionError("no error")
print("ray ok")
"""


def test_ray_matches_local_and_keeps_error_types() -> None:
    pytest.importorskip("ray")
    # Ray runs in its own session: shutting down a local Ray instance signals its process group,
    # which must not be the test runner's.
    out = subprocess.run(
        [sys.executable, "-c", RAY_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ray ok" in out.stdout
