"""The oracle seam: counting, caching, batching and validation shared by every oracle."""

from __future__ import annotations

import numpy as np
import pytest

import prime_rs
from prime_rs.errors import InvalidArgumentError, OracleError
from prime_rs.oracles import BuiltinOracle, CallableOracle
from prime_rs.task import Task

APPS = ("mobilenet_v2", "unet")


def designs(n: int, seed: int = 0) -> np.ndarray:
    return prime_rs.SPACE.sample(n, seed=seed)


def test_builtin_oracle_agrees_with_the_simulator() -> None:
    d = designs(300)
    res = BuiltinOracle().evaluate(d, APPS)
    for j, app in enumerate(APPS):
        sim = prime_rs.simulate(d, app)
        np.testing.assert_array_equal(res.latency_ms[:, j], sim.latency_ms)
        np.testing.assert_array_equal(res.feasible[:, j], sim.feasible)
        np.testing.assert_array_equal(res.reason[:, j], sim.reason_names())
    np.testing.assert_array_equal(res.area_mm2, prime_rs.area(d))
    assert np.isinf(res.latency_ms[~res.feasible]).all()


def test_calls_count_distinct_new_designs_and_cache_hits_are_free() -> None:
    d = designs(50)
    o = BuiltinOracle()
    o.evaluate(np.concatenate([d, d[:10]]), APPS)  # repeats within a batch are one call
    assert o.calls == 50 and o.cache_hits == 0
    o.evaluate(d[:20], APPS)
    assert o.calls == 50 and o.cache_hits == 20
    o.evaluate(d[:5], APPS[:1])  # a subset of cached applications is a hit too
    assert o.calls == 50
    o.evaluate(d[:5], ("mobilenet_v3_small",))  # a new application is a new call per design
    assert o.calls == 55


def test_results_do_not_depend_on_batch_size_or_jobs() -> None:
    d = designs(257, seed=3)
    a = BuiltinOracle().evaluate(d, APPS)
    b = BuiltinOracle(batch_size=16, jobs=3).evaluate(d, APPS)
    for f in ("latency_ms", "area_mm2", "feasible", "reason"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_task_evaluates_through_its_oracle() -> None:
    seen: list[int] = []

    def fn(rows: np.ndarray, apps: tuple[str, ...]) -> dict[str, np.ndarray]:
        seen.append(len(rows))
        lat = 1.0 + rows[:, :1].astype(float) * np.ones((1, len(apps)))
        return {"latency_ms": lat, "area_mm2": np.full(len(rows), 5.0), "feasible": lat < 5}

    task = Task("mobilenet_v2", oracle=CallableOracle(fn, name="toy"))
    ev = task.evaluate(designs(40))
    assert seen == [len(np.unique(prime_rs.SPACE.to_ids(designs(40))))]
    assert task.oracle.calls == seen[0]
    np.testing.assert_array_equal(ev.area_mm2, 5.0)
    assert set(ev.reason[~ev.feasible].ravel()) <= {"infeasible"}
    assert (ev.reason[ev.feasible] == "").all()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            {
                "latency_ms": np.full((4, 1), np.nan),
                "area_mm2": np.ones(4),
                "feasible": np.ones((4, 1), bool),
            },
            "finite positive latency",
        ),
        (
            {
                "latency_ms": np.ones((3, 1)),
                "area_mm2": np.ones(4),
                "feasible": np.ones((4, 1), bool),
            },
            "shape",
        ),
        (
            {
                "latency_ms": np.ones((4, 1)),
                "area_mm2": -np.ones(4),
                "feasible": np.ones((4, 1), bool),
            },
            "area",
        ),
        (
            {"latency_ms": np.ones((4, 1)), "area_mm2": np.ones(4), "feasible": np.full((4, 1), 7)},
            "true/false",
        ),
        ({"latency_ms": np.ones((4, 1))}, "must return a mapping"),
        ([1, 2, 3], "must return a mapping"),
    ],
)
def test_a_bad_answer_is_an_oracle_error_and_nothing_is_cached(
    answer: object, message: str
) -> None:
    o = CallableOracle(lambda rows, apps: answer, name="bad")
    d = designs(4, seed=9)
    d = d[np.unique(prime_rs.SPACE.to_ids(d), return_index=True)[1]]
    if len(d) != 4:
        pytest.skip("sample collided")
    with pytest.raises(OracleError, match=message):
        o.evaluate(d, ("mobilenet_v2",))
    assert o.calls == 0


def test_a_failing_function_is_an_oracle_error_naming_it() -> None:
    def boom(rows: np.ndarray, apps: tuple[str, ...]) -> None:
        raise RuntimeError("licence server down")

    with pytest.raises(OracleError, match="licence server down"):
        CallableOracle(boom).evaluate(designs(2), ("m4",))


def test_bad_arguments_are_typed() -> None:
    with pytest.raises(InvalidArgumentError):
        BuiltinOracle(jobs=0)
    with pytest.raises(InvalidArgumentError):
        BuiltinOracle().evaluate(designs(2), ())
    with pytest.raises(InvalidArgumentError):
        BuiltinOracle().evaluate(designs(2), ("unet", "unet"))
    with pytest.raises(InvalidArgumentError):
        CallableOracle(42)  # type: ignore[arg-type]
