"""The true optimum by enumeration (`prime_rs.exhaustive`, `prime-rs optimum`).

Every test runs on a small sub-space (most parameters fixed), where a brute force through the
public simulator is cheap; the whole-space figures are in benches/bench_enumerate.py.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _subspaces import FIXED
from typer.testing import CliRunner

import prime_rs
from prime_rs import SPACE
from prime_rs.errors import InvalidArgumentError, UnknownWorkloadError
from prime_rs.ground_truth import Exhaustive, exhaustive, fingerprint
from prime_rs.task import Task, objective_from_latency

#: The same memories, too small for MobileNetV2: nothing is feasible.
NOTHING_FEASIBLE = {
    "core_memory": 8192,
    "instruction_memory": 2048,
    "parameter_memory": 16384,
    "activation_memory": 4096,
    "dram_bandwidth": 25,
}


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("PRIME_RS_CACHE", str(root))
    return root


def _subspace_designs(fixed: dict[str, object]) -> np.ndarray:
    sets = [
        [SPACE.values(n).index(fixed[n])] if n in fixed else list(range(c))
        for n, c in zip(SPACE.names, SPACE.cardinalities, strict=True)
    ]
    return np.array(list(itertools.product(*sets)), dtype=np.uint8)


def _brute_force(apps: list[str], budget: float, fixed: dict[str, object]) -> dict[str, object]:
    """Every feasible in-budget design of the sub-space, by the public simulator, sorted by
    (geometric-mean latency, id)."""
    designs = _subspace_designs(fixed)
    within = prime_rs.area(designs) <= budget
    designs = designs[within]
    lat = np.stack([prime_rs.simulate(designs, a).latency_ms for a in apps], axis=1)
    ok = np.all(np.isfinite(lat), axis=1)
    # The objective's geometric mean; for one application exactly its latency.
    geo = lat[ok, 0] if len(apps) == 1 else np.exp(-objective_from_latency(lat[ok]))
    ids = SPACE.to_ids(designs[ok])
    order = np.lexsort((ids, geo))
    return {"in_budget": int(within.sum()), "geo": geo[order], "ids": ids[order]}


@pytest.mark.parametrize(
    ("apps", "budget", "k"),
    [(["mobilenet_v2"], 27.0, 40), (["unet", "mobilenet_v3_small", "rnnt_encoder"], 45.0, 9)],
)
def test_matches_a_brute_force_through_the_public_simulator(
    apps: list[str], budget: float, k: int
) -> None:
    want = _brute_force(apps, budget, FIXED)
    got = exhaustive(apps, area_budget=budget, k=k, fixed=FIXED)
    assert got.space_size == 49_000
    assert got.in_budget == want["in_budget"]
    assert got.feasible == len(want["geo"])
    assert 0 < got.feasible < got.in_budget
    np.testing.assert_array_equal(got.ids, want["ids"][:k])
    np.testing.assert_allclose(got.geomean_ms, want["geo"][:k], rtol=1e-12)
    np.testing.assert_array_equal(got.designs, SPACE.from_ids(got.ids))
    assert got.hist_counts.sum() == got.feasible
    assert got.max_geomean_ms == pytest.approx(want["geo"][-1], rel=1e-12)
    # The per-application latencies and areas are the simulator's own.
    for j, app in enumerate(apps):
        np.testing.assert_array_equal(
            got.latency_ms[:, j], prime_rs.simulate(got.designs, app).latency_ms
        )
    np.testing.assert_array_equal(got.area_mm2, prime_rs.area(got.designs))
    assert np.all(got.area_mm2 <= budget)
    assert got.fixed == {name: (value,) for name, value in FIXED.items()}


def test_histogram_bins_are_the_brute_force_counts() -> None:
    want = _brute_force(["mobilenet_v2"], 27.0, FIXED)
    got = exhaustive("mobilenet_v2", k=1, fixed=FIXED)
    bins = np.searchsorted(got.hist_edges, want["geo"], side="right")
    expected = np.bincount(bins, minlength=len(got.hist_edges) + 1)
    np.testing.assert_array_equal(got.hist_counts, expected)
    assert len(got.hist_counts) == len(got.hist_edges) + 1
    assert np.all(np.diff(got.hist_edges) > 0)


def test_quantile_is_exact_among_the_best_and_close_elsewhere() -> None:
    want = _brute_force(["mobilenet_v2"], 27.0, FIXED)
    geo = want["geo"]
    n = len(geo)
    got = exhaustive("mobilenet_v2", k=100, fixed=FIXED)
    ties = int(np.sum(geo == geo[0]))
    assert got.quantile(got.optimum_ms) == ties / n
    assert got.quantile(geo[0] * 0.5) == 0.0
    assert got.quantile(got.max_geomean_ms) == 1.0
    assert got.quantile(geo[-1] * 10) == 1.0
    # Below the k-th best latency every answer is an exact count.
    below = geo[geo < got.geomean_ms[-1]]
    assert len(below) > 50
    for x in below:
        assert got.quantile(x) == np.searchsorted(geo, x, side="right") / n
    # Elsewhere the error is at most one histogram bin's share.
    xs = np.quantile(geo, [0.01, 0.1, 0.5, 0.9, 0.99])
    exact = np.searchsorted(geo, xs, side="right") / n
    approx = got.quantile(xs)
    bin_share = got.hist_counts.max() / n
    assert np.all(np.abs(approx - exact) <= bin_share)
    assert np.all(np.diff(got.quantile(np.sort(geo[::97]))) >= 0)
    with pytest.raises(InvalidArgumentError):
        got.quantile(math.nan)


def test_nothing_feasible_is_a_result_not_an_error() -> None:
    got = exhaustive("mobilenet_v2", k=3, fixed=NOTHING_FEASIBLE)
    assert got.in_budget > 0 and got.feasible == 0
    assert got.optimum_ms == math.inf and got.optimum is None
    assert len(got.designs) == 0 and got.designs.shape == (0, 10)
    assert math.isnan(got.quantile(1.0))


def test_same_answer_for_any_thread_count() -> None:
    one = exhaustive(["mobilenet_v2", "unet"], k=20, fixed=FIXED, threads=1, cache=False)
    two = exhaustive(["mobilenet_v2", "unet"], k=20, fixed=FIXED, threads=2, cache=False)
    assert one.to_json() | {"elapsed_s": 0} == two.to_json() | {"elapsed_s": 0}


def test_a_task_brings_its_budget_and_fixed_takes_names_keys_and_lists() -> None:
    task = Task(["mobilenet_v2"], area_budget=30.0)
    by_task = exhaustive(task, k=5, fixed=FIXED)
    assert by_task.area_budget == 30.0
    assert exhaustive(task, area_budget=27.0, k=5, fixed=FIXED).area_budget == 27.0
    keyed = {f"param_{SPACE.index(n) + 1}": v for n, v in FIXED.items()}
    by_key = exhaustive(["mobilenet_v2"], area_budget=30.0, k=5, fixed=keyed)
    np.testing.assert_array_equal(by_key.ids, by_task.ids)
    wide = exhaustive("mobilenet_v2", k=5, fixed={**FIXED, "dram_bandwidth": [25, 20, 25]})
    assert wide.space_size == 2 * 49_000
    assert wide.fixed["dram_bandwidth"] == (20, 25)


def test_results_are_cached_per_question(_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = exhaustive("mobilenet_v2", k=5, fixed=FIXED)
    assert not first.from_cache
    files = list((_cache / "optima").glob("*.json"))
    assert len(files) == 1
    again = exhaustive("mobilenet_v2", k=5, fixed=FIXED)
    assert again.from_cache
    assert again.to_json() == first.to_json()
    assert again.quantile(first.optimum_ms) == first.quantile(first.optimum_ms)
    # Another k, budget, sub-space or simulator fingerprint is another question.
    assert not exhaustive("mobilenet_v2", k=6, fixed=FIXED).from_cache
    assert not exhaustive("mobilenet_v2", area_budget=28.0, k=5, fixed=FIXED).from_cache
    assert not exhaustive("mobilenet_v2", k=5, fixed={**FIXED, "pe_x": 4}).from_cache
    monkeypatch.setattr(prime_rs.simulator, "FINGERPRINT", "another-model", raising=False)
    assert fingerprint() == "another-model"
    assert not exhaustive("mobilenet_v2", k=5, fixed=FIXED).from_cache
    assert len(list((_cache / "optima").glob("*.json"))) == 5
    assert not list((_cache / "optima").glob(".*.tmp"))


def test_a_damaged_cache_file_is_recomputed(_cache: Path) -> None:
    first = exhaustive("mobilenet_v2", k=5, fixed=FIXED)
    (path,) = (_cache / "optima").glob("*.json")
    path.write_text('{"key": ')
    again = exhaustive("mobilenet_v2", k=5, fixed=FIXED)
    assert not again.from_cache
    np.testing.assert_array_equal(again.ids, first.ids)
    assert json.loads(path.read_text())["result"]["ids"] == first.ids.tolist()


def test_no_cache_reads_and_writes_nothing(_cache: Path) -> None:
    exhaustive("mobilenet_v2", k=5, fixed=FIXED, cache=False)
    assert not (_cache / "optima").exists()


def test_progress_reports_and_an_interrupt_writes_nothing(
    _cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prime_rs import ground_truth

    monkeypatch.setattr(ground_truth, "CALL_ORDINALS", 10_000)
    seen: list[tuple[int, int]] = []
    exhaustive("mobilenet_v2", k=5, fixed=FIXED, progress=lambda c, t: seen.append((c, t)))
    assert seen == [(0, 49_000), (10_000, 49_000), (20_000, 49_000), (30_000, 49_000),
                    (40_000, 49_000), (49_000, 49_000)]  # fmt: skip

    def interrupt(covered: int, total: int) -> None:
        if covered >= 20_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        exhaustive("mobilenet_v2", k=7, fixed=FIXED, progress=interrupt)
    assert len(list((_cache / "optima").glob("*.json"))) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be at least 1"),
        ({"k": -3}, "k must be at least 1"),
        ({"k": True}, "k must be a positive integer"),
        ({"k": 2.0}, "k must be a positive integer"),
        ({"k": 49_001}, r"k = 49001 is larger than the sub-space \(49000 designs\)"),
        ({"threads": 0}, "threads must be at least 1"),
        ({"fixed": {**FIXED, "pe_x": 3}}, "'pe_x' cannot be 3: allowed values are 1, 2, 4"),
        ({"fixed": {**FIXED, "pe_x": "four"}}, "'pe_x' cannot be 'four'"),
        ({"fixed": {**FIXED, "pe_x": []}}, "sub-space is empty: parameter 'pe_x'"),
        ({"fixed": {**FIXED, "pe_x": True}}, "'pe_x' cannot be True"),
        ({"fixed": {**FIXED, "nope": 1}}, "unknown parameter 'nope'"),
        ({"fixed": {**FIXED, "param_1": 4, "pe_x": 4}}, "'pe_x' is fixed twice"),
        ({"fixed": [("pe_x", 4)]}, "fixed must map parameter names to values"),
        ({"fixed": {**FIXED, "pe_x": 32, "pe_y": 32}}, "no design of the sub-space meets"),
        ({"area_budget": 0.5}, "below the minimum achievable area"),
        ({"area_budget": math.nan}, "positive finite"),
    ],
)
def test_bad_questions_raise_typed_errors_before_any_work(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"fixed": FIXED} | kwargs
    with pytest.raises(InvalidArgumentError, match=message):
        exhaustive("mobilenet_v2", **args)  # type: ignore[arg-type]


def test_only_the_builtin_world_has_a_ground_truth() -> None:
    from prime_rs.oracles import CallableOracle

    def evaluate(designs: np.ndarray, apps: tuple[str, ...]) -> dict[str, np.ndarray]:
        raise AssertionError("never called")

    task = Task("mobilenet_v2", oracle=CallableOracle(evaluate))
    with pytest.raises(InvalidArgumentError, match="only in the built-in world"):
        exhaustive(task, fixed=FIXED)


def test_k_larger_than_the_whole_space() -> None:
    with pytest.raises(InvalidArgumentError, match=r"larger than the space \(452760000 designs\)"):
        exhaustive("mobilenet_v2", k=SPACE.size + 1)


def test_unknown_application() -> None:
    with pytest.raises(UnknownWorkloadError):
        exhaustive(["mobilenet_v2", "not_a_network"], fixed=FIXED)


def test_result_round_trips_through_json() -> None:
    got = exhaustive(["mobilenet_v2", "unet"], k=4, fixed=FIXED, cache=False)
    back = Exhaustive.from_json(json.loads(json.dumps(got.to_json())))
    assert back.to_json() == got.to_json()
    assert back.latency_ms.shape == (4, 2)
    assert "optimum_ms=" in repr(got)


def test_importing_the_package_does_not_load_the_ground_truth() -> None:
    code = (
        "import sys, prime_rs, prime_rs.objective, prime_rs.search, prime_rs.baselines; "
        "assert 'prime_rs.ground_truth' not in sys.modules; "
        "assert prime_rs.exhaustive.__module__ == 'prime_rs.ground_truth'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- CLI ----------------------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    from prime_rs.cli import _register, app

    _register()
    res = CliRunner().invoke(app, ["optimum", *args])
    return res.exit_code, res.stdout, res.stderr


FIX_ARGS = [
    "--fix", "core_memory=16Ki", "--fix", "instruction_memory=4096",
    "--fix", "parameter_memory=32768", "--fix", "activation_memory=8Ki",
    "--fix", "dram_bandwidth=25",
]  # fmt: skip


def test_cli_prints_the_optimum() -> None:
    want = exhaustive("mobilenet_v2", k=5, fixed=FIXED)
    code, out, _ = _cli("--apps", "mobilenet_v2", "--area-budget", "27", *FIX_ARGS)
    assert code == 0, out
    assert f"under 27 mm²: {want.optimum_ms:.4g} ms" in out
    assert f"{want.in_budget:,} within the budget, {want.feasible:,} of those feasible" in out
    assert "read from the cache" in out
    assert out.count(" | ") > 5 * 3  # the table of the 5 best


def test_cli_json_for_several_applications() -> None:
    code, out, _ = _cli("--apps", "mobilenet_v2,unet", "-k", "3", "--json", *FIX_ARGS)
    assert code == 0, out
    doc = json.loads(out)
    want = exhaustive(["mobilenet_v2", "unet"], k=3, fixed=FIXED)
    assert doc["optimum_ms"] == want.optimum_ms
    assert doc["applications"] == ["mobilenet_v2", "unet"]
    assert doc["design_values"][0] == SPACE.as_dicts(want.designs[:1])[0]
    assert len(doc["latency_ms"]) == 3 and len(doc["latency_ms"][0]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", "0"], "k must be at least 1"),
        (["-k", "49001"], "larger than the sub-space"),
        (["--area-budget", "1"], "below the minimum achievable area"),
        (["--fix", "pe_x=32", "--fix", "pe_y=32"], "no design of the sub-space meets"),
        (["--fix", "pe_x=3"], "'pe_x' cannot be 3"),
        (["--fix", "pe_x"], "--fix takes PARAM=VALUE"),
        (["--fix", "pe_x=four"], "'four' is not a number"),
        (["--fix", "pe_x=4", "--fix", "pe_x=8"], "gives parameter 'pe_x' twice"),
        (["--fix", "warp_drive=1"], "unknown parameter 'warp_drive'"),
        (["--apps", "nope"], "unknown workload 'nope'"),
        (["--threads", "0"], "threads must be at least 1"),
    ],
)
def test_cli_bad_input_exits_2(args: list[str], message: str) -> None:
    base = ["--apps", "mobilenet_v2"] if "--apps" not in args else []
    code, _, err = _cli(*base, *FIX_ARGS, *args)
    assert code == 2
    assert message in err


def test_cli_exits_1_when_nothing_is_feasible() -> None:
    fix = [f"--fix={n}={v}" for n, v in NOTHING_FEASIBLE.items()]
    code, _, err = _cli("--apps", "mobilenet_v2", *fix)
    assert code == 1
    assert "no design of the sub-space within 27 mm² is feasible on mobilenet_v2" in err
