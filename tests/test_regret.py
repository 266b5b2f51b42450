"""Regret everywhere (issue 10 item 2): the optimum, regret, share of the D(best) gap closed and
quantile in `optimize`'s best.json/meta.json/report and in `compare`'s tables, the "all designs"
row, and the proof that the optimum is for evaluation only (nothing that trains, searches or
chooses candidates reads it).

Runs use a small area budget, where the whole-space enumeration takes about a second."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _subspaces import FIXED
from typer.testing import CliRunner

import prime_rs
from prime_rs import data
from prime_rs.errors import InvalidArgumentError
from prime_rs.ground_truth import exhaustive
from prime_rs.run import OptimizeSettings, run_optimize
from prime_rs.task import Task

BUDGET = 8.0
FAST: dict[str, Any] = {
    "area_budget": BUDGET,
    # 30 steps left seed 0 with no feasible candidate of 16 (after the dropout stream changed).
    "steps": 60,
    "population": 64,
    "generations": 5,
    "candidates": 16,
}
MEASURE_KEYS = {
    "optimum_latency_ms",
    "optimum_design",
    "optimum_area_mm2",
    "regret",
    "gap_closed",
    "quantile",
    "median_regret",
}


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("PRIME_RS_CACHE", str(root))
    return root


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "logs.parquet"
    data.write_generated(path, ["mobilenet_v2"], 4000, seed=1)
    return path


# --- the measures ---------------------------------------------------------------------------


def test_assess_against_a_brute_force_of_the_sub_space() -> None:
    ex = exhaustive("mobilenet_v2", 27.0, k=20, fixed=FIXED, cache=False)
    everything = exhaustive("mobilenet_v2", 27.0, k=ex.feasible, fixed=FIXED, cache=False)
    lat = everything.geomean_ms
    opt = float(lat[0])
    start = float(lat[len(lat) // 2])
    for x in (opt, float(lat[5]), float(lat[len(lat) // 3]), start, float(lat[-1])):
        a = ex.assess(x, start)
        assert a["optimum_ms"] == opt
        assert a["regret"] == pytest.approx(x / opt - 1)
        assert a["gap_closed"] == pytest.approx((start - x) / (start - opt))
        exact = np.count_nonzero(lat <= x) / ex.feasible
        assert a["quantile"] == pytest.approx(exact, abs=0.01)
    assert ex.assess(opt, start)["regret"] == 0 and ex.assess(opt, start)["gap_closed"] == 1
    assert ex.assess(float(lat[3]))["quantile"] == np.count_nonzero(lat <= lat[3]) / ex.feasible


def test_assess_without_a_result_a_start_or_a_gap() -> None:
    ex = exhaustive("mobilenet_v2", 27.0, k=5, fixed=FIXED, cache=False)
    assert ex.assess(None, 2.0) == {
        "optimum_ms": ex.optimum_ms,
        "regret": None,
        "gap_closed": None,
        "quantile": None,
    }
    assert ex.assess(ex.optimum_ms * 1.1)["gap_closed"] is None  # no start
    assert ex.assess(ex.optimum_ms * 1.1, ex.optimum_ms)["gap_closed"] is None  # no gap
    worse = ex.assess(ex.optimum_ms * 3, ex.optimum_ms * 2)["gap_closed"]
    assert worse == pytest.approx(-1.0)
    for bad in (math.nan, math.inf, 0.0, -1.0):
        with pytest.raises(InvalidArgumentError, match="cannot assess"):
            ex.assess(bad)


# --- optimize -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def measured_run(logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "measured"
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRIME_RS_CACHE", str(cache))
        run_optimize(OptimizeSettings(data=str(logs), **FAST), out)
    return out


def test_optimize_measures_its_result_against_the_optimum(measured_run: Path) -> None:
    best = json.loads((measured_run / "best.json").read_text())
    meta = json.loads((measured_run / "meta.json").read_text())
    ex = exhaustive(Task("mobilenet_v2", BUDGET), k=128)
    mean = best["latency_ms"]["mean"]
    start = best["dataset_best_latency_ms"]["mean"]
    assert best["optimum_latency_ms"] == ex.optimum_ms
    assert best["optimum_design"] == prime_rs.SPACE.as_dicts(ex.designs[:1])[0]
    assert best["regret"] == pytest.approx(mean / ex.optimum_ms - 1)
    assert best["gap_closed"] == pytest.approx((start - mean) / (start - ex.optimum_ms))
    assert best["quantile"] == ex.quantile(mean)
    assert best["median_regret"] == pytest.approx(best["median_latency_ms"] / ex.optimum_ms - 1)
    assert best["regret"] >= 0 and 0 < best["quantile"] <= 1
    assert meta["optimum"]["feasible"] == ex.feasible
    assert meta["optimum"]["in_budget"] == ex.in_budget
    assert meta["optimum"]["simulator_fingerprint"] == ex.fingerprint
    assert "optimum" in meta["timings_s"]
    md = (measured_run / "report.md").read_text()
    assert f"True optimum: {ex.optimum_ms:.4g} ms" in md
    assert f"Regret {best['regret']:+.2%}" in md
    assert f"of the {ex.feasible:,} feasible designs" in md
    assert "true optimum (all designs; evaluation only)" in md


def test_no_optimum_skips_it(logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("prime_rs.ground_truth.exhaustive", _refuse)
    out = run_optimize(OptimizeSettings(data=str(logs), optimum=False, **FAST), tmp_path / "r")
    assert not MEASURE_KEYS & set(out.best)
    assert "optimum" not in json.loads((out.run_dir / "meta.json").read_text())
    assert "True optimum" not in (out.run_dir / "report.md").read_text()


def test_no_optimum_outside_the_builtin_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data of another world verified with the built-in simulator anyway (--force-oracle):
    the built-in optimum is not this world's, so it is never computed."""
    from prime_rs.worlds import World

    data.write_generated(tmp_path / "b.parquet", ["mobilenet_v2"], 2000, seed=1)
    ds = data.load(tmp_path / "b.parquet")
    other = data.Dataset(ds.table, World.external("a lab's simulator").to_metadata())
    other.save(tmp_path / "ext.parquet")
    monkeypatch.setattr("prime_rs.ground_truth.exhaustive", _refuse)
    out = run_optimize(
        OptimizeSettings(
            data=str(tmp_path / "ext.parquet"), oracle="builtin", force_oracle=True, **FAST
        ),
        tmp_path / "r",
        raise_if_none_feasible=False,
    )
    assert not MEASURE_KEYS & set(out.best)


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the optimum was asked for")


# --- honest evaluation --------------------------------------------------------------------


class _Guard:
    """``prime_rs.ground_truth.exhaustive`` that raises until the evaluation stage opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
        self.open = False
        self.calls = 0
        real_exhaustive = exhaustive
        module, _, name = stage.rpartition(".")
        real_stage = getattr(__import__(module, fromlist=[name]), name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not self.open:
                raise AssertionError("the optimum was read before the evaluation stage")
            self.calls += 1
            return real_exhaustive(*args, **kwargs)

        def stage_fn(*args: Any, **kwargs: Any) -> Any:
            self.open = True
            return real_stage(*args, **kwargs)

        monkeypatch.setattr("prime_rs.ground_truth.exhaustive", guarded)
        monkeypatch.setattr(stage, stage_fn)


def _without(d: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in keys}


def test_training_search_and_selection_never_read_the_optimum(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _cache: Path
) -> None:
    """Two runs with two rounds: the first after the optimum is cached, the second with the
    cache removed and the enumeration refusing until the evaluation stage. Proposals and
    verified results are identical; only the second enumerated (in its evaluation stage)."""
    settings = OptimizeSettings(data=str(logs), rounds=2, **FAST)
    exhaustive(Task("mobilenet_v2", BUDGET), k=128)  # the optimum, known in advance
    a = run_optimize(settings, tmp_path / "a")
    shutil.rmtree(_cache / "optima")
    guard = _Guard(monkeypatch, "prime_rs.run.optimize._evaluation_stage")
    b = run_optimize(settings, tmp_path / "b")
    assert guard.open and guard.calls == 1
    for name in ("candidates.parquet", "rounds.jsonl", "search.jsonl"):
        assert (a.run_dir / name).read_bytes() == (b.run_dir / name).read_bytes(), name
    for name in ("candidates.parquet", "verified.parquet", "search.jsonl"):
        left = a.run_dir / "rounds" / "round-2" / name
        assert left.read_bytes() == (b.run_dir / "rounds" / "round-2" / name).read_bytes()
    keys = MEASURE_KEYS | {"rounds"}
    assert _without(a.best, keys) == _without(b.best, keys)
    assert a.best["regret"] == b.best["regret"]


def test_compare_reads_the_optimum_only_after_every_method(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _cache: Path
) -> None:
    from prime_rs.compare import CompareSettings, run_compare

    s = CompareSettings(
        apps=["mobilenet_v2"],
        area_budget=BUDGET,
        data=str(logs),
        seeds=[0],
        steps=30,
        population=64,
        generations=5,
        candidates=16,
        budgets=[16, 48],
        methods=["prime", "random_search"],
    )
    exhaustive(Task("mobilenet_v2", BUDGET), k=128)
    a = run_compare(s, tmp_path / "a")
    shutil.rmtree(_cache / "optima")
    guard = _Guard(monkeypatch, "prime_rs.compare.protocol.measure_rows")
    b = run_compare(s, tmp_path / "b")
    assert guard.open and guard.calls == 1
    drop = {"wall_time_s"}
    assert [_without(r, drop) for r in a] == [_without(r, drop) for r in b]

    ex = exhaustive(Task("mobilenet_v2", BUDGET), k=128)
    rows = {(r["method"], r["simulator_calls"]): r for r in b}
    every = rows[("all designs", ex.in_budget)]
    assert every["best_latency_ms"] == ex.optimum_ms and every["regret"] == 0.0
    assert every["gap_closed"] == 1.0 and every["quantile"] == ex.quantile(ex.optimum_ms)
    assert every["median_latency_ms"] == float(np.median(ex.geomean_ms[:16]))
    d_best = rows[("D(best)", 0)]["best_latency_ms"]
    for r in b:
        assert r["optimum_ms"] == ex.optimum_ms
        over = r["area_mm2"] is not None and r["area_mm2"] > BUDGET
        if r["best_latency_ms"] is None or over:
            assert r["regret"] is None
            continue
        assert r["regret"] == pytest.approx(r["best_latency_ms"] / ex.optimum_ms - 1)
        gap = (d_best - r["best_latency_ms"]) / (d_best - ex.optimum_ms)
        assert r["gap_closed"] == pytest.approx(gap)
        assert r["quantile"] == ex.quantile(r["best_latency_ms"])
    # The EdgeTPU-like reference is over this budget: not in the space the optimum is of.
    assert rows[("edgetpu_reference", 0)]["regret"] is None
    md = (tmp_path / "b" / "results.md").read_text()
    assert "| regret | gap closed | quantile |" in md
    assert f"| all designs | {ex.in_budget} | {ex.optimum_ms:.3f} |" in md
    assert f"True optimum: {ex.optimum_ms:.4g} ms" in md
    header = (tmp_path / "b" / "results.csv").read_text().splitlines()[0]
    assert header.endswith("optimum_ms,regret,gap_closed,quantile")
    assert json.loads((tmp_path / "b" / "results.json").read_text()) == b


def test_compare_without_the_optimum(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prime_rs.compare import CompareSettings, run_compare

    monkeypatch.setattr("prime_rs.ground_truth.exhaustive", _refuse)
    s = CompareSettings(
        apps=["mobilenet_v2"],
        area_budget=BUDGET,
        data=str(logs),
        seeds=[0],
        budgets=[8],
        methods=["random_search"],
        optimum=False,
    )
    rows = run_compare(s, tmp_path / "c")
    assert all(r["regret"] is None and r["optimum_ms"] is None for r in rows)
    assert not any(r["method"] == "all designs" for r in rows)
    assert "regret" not in (tmp_path / "c" / "results.md").read_text()


def test_the_compare_plot_draws_the_optimum_on_a_log_axis(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.axes import Axes

    from prime_rs.compare import CompareSettings
    from prime_rs.compare.plots import write_plots
    from prime_rs.compare.tables import row

    drawn: dict[str, Any] = {"lines": [], "yscale": []}
    real_axhline, real_yscale = Axes.axhline, Axes.set_yscale

    def axhline(self: Axes, y: float = 0, *a: Any, **kw: Any) -> Any:
        drawn["lines"].append((y, kw.get("label")))
        return real_axhline(self, y, *a, **kw)

    def set_yscale(self: Axes, value: str, **kw: Any) -> Any:
        drawn["yscale"].append(value)
        return real_yscale(self, value, **kw)

    r = row("random_search", 0, "t", 2.0, 2.5, 7.0, 16, 0.1)
    r["optimum_ms"] = 1.5
    calls = np.arange(1, 17)
    lat = np.linspace(10.0, 2.0, 16)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Axes, "axhline", axhline)
        mp.setattr(Axes, "set_yscale", set_yscale)
        write_plots(tmp_path, [r], CompareSettings(), {"random_search": [(calls, lat)]})
    assert (1.5, "true optimum") in drawn["lines"]
    assert drawn["yscale"] == ["log", "log"]


# --- bad input (issue 10 "must show") -------------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    from prime_rs.cli import _register, app

    _register()
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stderr


FIX = ["--fix", "core_memory=16Ki", "--fix", "dram_bandwidth=25"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", "-3"], "k must be at least 1"),
        (["--fix", "pe_x="], "--fix takes PARAM=VALUE"),
        (["--area-budget", "0"], "area budget"),
    ],
)
def test_optimum_bad_input_exits_2(args: list[str], message: str) -> None:
    code, err = _cli("optimum", "--apps", "mobilenet_v2", *FIX, *args)
    assert code == 2 and message in err


def test_an_empty_sub_space_is_refused_before_any_work() -> None:
    with pytest.raises(InvalidArgumentError, match="sub-space is empty"):
        exhaustive("mobilenet_v2", fixed={"pe_x": ()})
