"""Simulator-driven baselines and the shared task objective (prime_rs.task, .baselines)."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import prime_rs
from prime_rs import baselines as B
from prime_rs import task as O
from prime_rs.errors import InvalidArgumentError, UnknownWorkloadError
from prime_rs.oracles import builtin as builtin_oracle
from prime_rs.space import SPACE
from prime_rs.task import Task

MULTI = ("mobilenet_v2", "rnnt_encoder", "resnet50")


def _run(method: str, task: Task, budget: int, seed: int = 0, **kw) -> B.BaselineResult:
    if method == "random":
        return B.random_search(task, budget, seed, **kw)
    if method == "evolution":
        return B.regularized_evolution(task, budget, seed, **kw)
    return B.bayesian_optimization(task, budget, seed, sampler="tpe", **kw)


# BO is charged per trial by Optuna (quadratic time), so it gets the small budgets.
BUDGETS = {"random": 500, "evolution": 500, "bo": 40}
METHODS = list(BUDGETS)


@pytest.fixture(scope="module")
def mobilenet() -> Task:
    return Task("mobilenet_v2")


@pytest.fixture(scope="module")
def multi() -> Task:
    return Task(list(MULTI))


@pytest.fixture(scope="module")
def results(mobilenet: Task) -> dict[str, B.BaselineResult]:
    return {m: _run(m, mobilenet, BUDGETS[m], seed=3) for m in METHODS}


# --- the task objective --------------------------------------------------------------------


def test_task_evaluate_matches_simulator_and_objective_definition(multi: Task) -> None:
    designs = np.concatenate([SPACE.sample(300, seed=1), prime_rs.EDGETPU_REFERENCE[None]])
    ev = multi.evaluate(designs)
    assert ev.latency_ms.shape == (301, 3) and len(ev) == 301
    for j, app in enumerate(MULTI):
        ref = prime_rs.simulate(designs, app)
        np.testing.assert_array_equal(ev.latency_ms[:, j], ref.latency_ms)
        np.testing.assert_array_equal(ev.reason[:, j], ref.reason_names())
    area = prime_rs.area(designs)
    np.testing.assert_array_equal(ev.area_mm2, area)
    valid = ev.feasible & (area <= 27.0)
    np.testing.assert_array_equal(ev.valid, valid)
    assert valid.any() and not valid.all()
    expect = np.where(valid, np.mean(-np.log(ev.latency_ms), axis=1), -np.inf)
    np.testing.assert_allclose(ev.objective[valid], expect[valid], rtol=1e-12)
    assert np.all(ev.objective[~valid] == -np.inf)
    # exp(-objective) is the geometric-mean latency.
    geo = np.exp(np.mean(np.log(ev.latency_ms[valid]), axis=1))
    np.testing.assert_allclose(ev.mean_latency_ms[valid], geo, rtol=1e-12)
    # Over-budget but simulator-feasible designs are simulated yet score -inf.
    over = ev.feasible & (area > 27.0)
    assert over.any() and np.all(np.isfinite(ev.latency_ms[over]))


def test_task_accepts_workload_objects_and_paths(tmp_path) -> None:
    wl = prime_rs.workloads.load("mobilenet_v2")
    anon = types.SimpleNamespace(ops=wl.ops)
    task = Task([wl, anon], area_budget=30)
    assert task.applications == ("mobilenet_v2", "app1") and task.area_budget == 30.0
    ev = task.evaluate(prime_rs.EDGETPU_REFERENCE)
    assert ev.latency_ms[0, 0] == ev.latency_ms[0, 1]
    assert "mobilenet_v2" in repr(task)
    with pytest.raises(InvalidArgumentError, match="repeated"):
        Task(["mobilenet_v2", "mobilenet_v2"])
    with pytest.raises(InvalidArgumentError, match="at least one"):
        Task([])
    with pytest.raises(InvalidArgumentError):
        Task(42)  # type: ignore[arg-type]


def test_min_area_is_the_all_zero_design() -> None:
    smallest = O.min_area_mm2()
    assert smallest == pytest.approx(float(prime_rs.area(np.zeros(10, np.uint8))[0]))
    assert np.all(prime_rs.area(SPACE.sample(20000, seed=5)) >= smallest)
    # The budget equal to the minimum is allowed (the all-zero design meets it).
    assert Task("mobilenet_v2", area_budget=smallest).area_budget == smallest


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "x", None, True])
def test_bad_area_budget(bad) -> None:
    with pytest.raises(InvalidArgumentError, match="area budget"):
        Task("mobilenet_v2", area_budget=bad)


def test_unreachable_area_budget_names_minimum() -> None:
    smallest = O.min_area_mm2()
    with pytest.raises(InvalidArgumentError, match="minimum achievable area") as err:
        Task("mobilenet_v2", area_budget=smallest * 0.9)
    assert f"{smallest:.4f}" in str(err.value)


def test_unknown_application() -> None:
    with pytest.raises(UnknownWorkloadError):
        Task(["mobilenet_v2", "no_such_network"])


# --- budget, validity, curves --------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_budget_is_a_hard_cap_on_simulated_designs(method, mobilenet, monkeypatch) -> None:
    simulated = []
    real = builtin_oracle.simulate

    def counting(designs, workload, threads=None):
        simulated.append(len(SPACE.validate(designs)))
        return real(designs, workload, threads=threads)

    monkeypatch.setattr(builtin_oracle, "simulate", counting)
    budget = 37
    res = _run(method, mobilenet, budget, seed=1)
    assert sum(simulated) == res.simulator_calls == budget
    assert len(res.evaluated["design"]) == budget == len(res.curve.calls)
    # Every design simulated once: the cache charges nothing for repeats.
    assert len(np.unique(res.evaluated["id"])) == budget
    # Batching: random search and evolution simulate whole batches at a time.
    if method != "bo":
        assert len(simulated) < budget / 2


def test_multi_application_design_costs_one_call(multi, monkeypatch) -> None:
    rows = []
    real = builtin_oracle.simulate
    monkeypatch.setattr(
        builtin_oracle,
        "simulate",
        lambda d, w, threads=None: rows.append(len(d)) or real(d, w, threads),
    )
    res = B.random_search(multi, 50, seed=0)
    assert res.simulator_calls == 50 and sum(rows) == 50 * len(MULTI)


def test_evolution_budget_smaller_than_population(mobilenet) -> None:
    res = B.regularized_evolution(mobilenet, 10, seed=0, population=64)
    assert res.simulator_calls == 10


@pytest.mark.parametrize("method", METHODS)
def test_best_is_valid_and_matches_a_fresh_simulation(method, results, mobilenet) -> None:
    res = results[method]
    assert res.found and res.simulator_calls == BUDGETS[method]
    assert res.best_design is not None and res.best_design.dtype == np.uint8
    assert res.best_design.shape == (10,)
    fresh = prime_rs.simulate(res.best_design, "mobilenet_v2")
    assert bool(fresh.feasible[0])
    assert res.best_latency_ms == {"mobilenet_v2": float(fresh.latency_ms[0])}
    assert res.best_mean_latency_ms == pytest.approx(float(fresh.latency_ms[0]), rel=1e-12)
    assert res.best_area_mm2 == float(prime_rs.area(res.best_design)[0]) <= 27.0
    # The best is the best of everything evaluated, and nothing evaluated was over area.
    ev = res.evaluated
    assert res.best_objective == ev["objective"].max()
    assert np.all(ev["area_mm2"] <= mobilenet.area_budget)
    assert ev["latency_ms"].shape == (res.simulator_calls, 1)


@pytest.mark.parametrize("method", METHODS)
def test_curve_is_the_running_best(method, results) -> None:
    res = results[method]
    c = res.curve
    np.testing.assert_array_equal(c.calls, np.arange(1, res.simulator_calls + 1))
    np.testing.assert_array_equal(c.objective, np.maximum.accumulate(res.evaluated["objective"]))
    assert np.all(c.objective[1:] >= c.objective[:-1])
    assert np.all(c.latency_ms[1:] <= c.latency_ms[:-1])
    np.testing.assert_allclose(c.latency_ms, np.exp(-c.objective))
    assert c.objective[-1] == res.best_objective


def test_multi_application_best(multi) -> None:
    res = B.regularized_evolution(multi, 400, seed=2)
    assert res.found
    lat = [float(prime_rs.simulate(res.best_design, app).latency_ms[0]) for app in MULTI]
    assert res.best_latency_ms == dict(zip(MULTI, lat, strict=True))
    assert res.best_objective == pytest.approx(np.mean(-np.log(lat)), rel=1e-12)
    assert res.best_mean_latency_ms == pytest.approx(math.exp(np.mean(np.log(lat))), rel=1e-12)


def test_top_k(results) -> None:
    res = results["evolution"]
    top = res.top_k(10)
    assert len(top["design"]) == 10
    assert np.all(np.isfinite(top["objective"])) and np.all(np.diff(top["objective"]) <= 0)
    assert len(np.unique(top["id"])) == 10
    np.testing.assert_array_equal(top["design"][0], res.best_design)
    n_valid = int(np.isfinite(res.evaluated["objective"]).sum())
    assert len(res.top_k(10**6)["design"]) == n_valid
    with pytest.raises(InvalidArgumentError):
        res.top_k(0)


def test_summary_is_json(results) -> None:
    s = results["random"].summary()
    back = json.loads(json.dumps(s))
    assert back["method"] == "random" and back["simulator_calls"] == BUDGETS["random"]
    assert set(back["best_design"]) == set(SPACE.names)


def test_no_valid_design_found() -> None:
    # One random call on U-Net under the smallest possible budget: nothing valid, no crash.
    task = Task("unet", area_budget=O.min_area_mm2() * 1.5)
    res = B.random_search(task, 3, seed=0)
    assert not res.found and res.best_latency_ms == {}
    assert math.isinf(res.best_mean_latency_ms) and res.top_k(5)["design"].shape == (0, 10)
    assert B.calls_to_match(res, 1000.0) is None
    assert res.summary()["best_mean_latency_ms"] is None


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_deterministic_per_seed(method, mobilenet, results) -> None:
    again = _run(method, mobilenet, BUDGETS[method], seed=3, threads=1)
    ref = results[method]
    for key, col in ref.evaluated.items():
        np.testing.assert_array_equal(again.evaluated[key], col, err_msg=key)
    np.testing.assert_array_equal(again.curve.objective, ref.curve.objective)
    other = _run(method, mobilenet, BUDGETS[method], seed=4)
    assert not np.array_equal(other.evaluated["id"], ref.evaluated["id"])


def test_deterministic_with_one_rayon_thread(results) -> None:
    code = (
        "import prime_rs.baselines as B, prime_rs.task as O\n"
        "t = O.Task('mobilenet_v2')\n"
        "r = B.regularized_evolution(t, 500, 3)\n"
        "print(','.join(map(str, r.evaluated['id'].tolist())))\n"
    )
    env = {**os.environ, "RAYON_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    ids = [int(x) for x in out.stdout.strip().split(",")]
    assert ids == results["evolution"].evaluated["id"].tolist()


def test_random_search_smaller_budget_is_a_prefix(mobilenet, results) -> None:
    small = B.random_search(mobilenet, 120, seed=3)
    np.testing.assert_array_equal(small.evaluated["id"], results["random"].evaluated["id"][:120])


# --- quality -------------------------------------------------------------------------------


def test_evolution_beats_random_search_on_mobilenet_v2(mobilenet) -> None:
    budget, seeds = 1000, range(3)
    rs = [B.random_search(mobilenet, budget, s).best_objective for s in seeds]
    ev = [B.regularized_evolution(mobilenet, budget, s).best_objective for s in seeds]
    assert np.mean(ev) > np.mean(rs)


@pytest.mark.parametrize("method", METHODS)
def test_improves_over_its_first_batch(method, results) -> None:
    c = results[method].curve.objective
    first = c[min(9, len(c) - 1)]
    assert c[-1] > first


# --- calls_to_match ------------------------------------------------------------------------


def test_calls_to_match(results) -> None:
    res = results["evolution"]
    obj = res.evaluated["objective"]
    # The best design's own latency is reached exactly at its call.
    assert B.calls_to_match(res, res.best_mean_latency_ms) == int(np.argmax(obj)) + 1
    # A target every valid design meets: the first valid call.
    assert B.calls_to_match(res, 1e9) == int(np.flatnonzero(np.isfinite(obj))[0]) + 1
    assert B.calls_to_match(res, math.inf) == 1
    assert B.calls_to_match(res, res.best_mean_latency_ms * 0.999) is None
    # Monotone in the target.
    targets = np.geomspace(res.best_mean_latency_ms, 50.0, 12)
    calls = [B.calls_to_match(res, t) for t in targets]
    assert all(a >= b for a, b in itertools.pairwise(calls))
    for bad in [0, -1.0, float("nan"), "x"]:
        with pytest.raises(InvalidArgumentError):
            B.calls_to_match(res, bad)


# --- arguments, progress, optuna -----------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "10", None])
def test_bad_budget(method, bad, mobilenet) -> None:
    with pytest.raises(InvalidArgumentError, match="budget"):
        _run(method, mobilenet, bad)


def test_bad_arguments(mobilenet) -> None:
    with pytest.raises(InvalidArgumentError, match="task"):
        B.random_search("mobilenet_v2", 10)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="seed"):
        B.random_search(mobilenet, 10, seed=-1)
    with pytest.raises(InvalidArgumentError, match="sampler"):
        B.bayesian_optimization(mobilenet, 10, sampler="cma")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="mutation_rate"):
        B.regularized_evolution(mobilenet, 10, mutation_rate=1.5)
    with pytest.raises(InvalidArgumentError, match="population"):
        B.regularized_evolution(mobilenet, 10, population=0)
    with pytest.raises(InvalidArgumentError, match="progress"):
        B.random_search(mobilenet, 10, progress="yes")  # type: ignore[arg-type]


def test_gp_sampler_needs_torch_or_runs(mobilenet) -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        with pytest.raises(B.MissingDependencyError, match="PyTorch"):
            B.bayesian_optimization(mobilenet, 10, sampler="gp")
        return
    res = B.bayesian_optimization(mobilenet, 15, seed=0, sampler="gp")
    assert res.simulator_calls <= 15


def test_progress_callback(mobilenet) -> None:
    seen: list[B.Progress] = []
    res = B.regularized_evolution(mobilenet, 200, seed=0, progress=seen.append)
    assert seen and seen[-1].simulator_calls == res.simulator_calls == 200
    assert [p.simulator_calls for p in seen] == sorted({p.simulator_calls for p in seen})
    assert seen[-1].best_objective == res.best_objective
    assert all(p.method == "evolution" and p.budget == 200 for p in seen)


def test_progress_bar_and_silence(mobilenet, capsys) -> None:
    B.random_search(mobilenet, 50, seed=0)
    B.bayesian_optimization(mobilenet, 5, seed=0)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert B.random_search(mobilenet, 50, seed=0, progress=True).simulator_calls == 50


def test_optuna_logging_restored(mobilenet) -> None:
    import optuna

    before = optuna.logging.get_verbosity()
    B.bayesian_optimization(mobilenet, 3, seed=0)
    assert optuna.logging.get_verbosity() == before


def test_stops_when_area_budget_leaves_nothing_new() -> None:
    # Under the minimum area only the all-zero design fits: one call, then a clean stop.
    task = Task("mobilenet_v2", area_budget=O.min_area_mm2())
    res = B.random_search(task, 5, seed=0, max_draws=20000)
    assert res.simulator_calls <= 1 and res.params["designs_drawn"] == 20000
    evo = B.regularized_evolution(task, 5, seed=0, max_stall=5)
    assert evo.simulator_calls <= 1
