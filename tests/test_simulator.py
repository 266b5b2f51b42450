"""The simulator: native = pure Python = numpy, the physical laws of docs/design.md section 4, the
calibration targets, determinism across thread counts, and errors on bad input."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import prime_rs
from prime_rs import SPACE, errors, workloads
from prime_rs.reference import (
    area_numpy,
    area_python,
    breakdown,
    python_sim,
    simulate_numpy,
    simulate_python,
)
from prime_rs.simulator import REASONS

BUILTINS = workloads.names()
CARD = np.array(SPACE.cardinalities)


@st.composite
def design_batches(draw: st.DrawFn, max_rows: int = 6) -> np.ndarray:
    n = draw(st.integers(1, max_rows))
    cols = [draw(arrays(np.uint8, n, elements=st.integers(0, int(c) - 1))) for c in CARD]
    return np.stack(cols, axis=1)


def _assert_same(a: prime_rs.SimResult, b: prime_rs.SimResult) -> None:
    np.testing.assert_array_equal(a.feasible, b.feasible)
    np.testing.assert_array_equal(a.reason, b.reason)
    np.testing.assert_allclose(a.area_mm2, b.area_mm2, rtol=1e-9, atol=0)
    ok = a.feasible
    np.testing.assert_allclose(a.latency_ms[ok], b.latency_ms[ok], rtol=1e-9, atol=0)
    np.testing.assert_allclose(a.energy_mj[ok], b.energy_mj[ok], rtol=1e-9, atol=0)
    assert np.all(np.isinf(a.latency_ms[~ok])) and np.all(np.isinf(b.latency_ms[~ok]))


@pytest.mark.parametrize("name", BUILTINS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs=design_batches())
def test_native_matches_python_and_numpy(name: str, designs: np.ndarray) -> None:
    native = prime_rs.simulate(designs, name)
    _assert_same(native, simulate_python(designs, name))
    _assert_same(native, simulate_numpy(designs, name))


@pytest.mark.parametrize("name", BUILTINS)
def test_native_matches_numpy_on_many_random_designs(name: str) -> None:
    designs = SPACE.sample(20_000, seed=7)
    _assert_same(prime_rs.simulate(designs, name), simulate_numpy(designs, name))


@pytest.mark.parametrize("name", ["mobilenet_v2", "rnnt_encoder", "unet"])
def test_breakdown_adds_up_to_the_latency(name: str) -> None:
    designs = SPACE.sample(2_000, seed=3)
    sim = prime_rs.simulate(designs, name)
    design = designs[np.flatnonzero(sim.feasible)[0]]
    rows = breakdown(design, name)
    assert len(rows) == len(workloads.load(name).ops["m"])
    ops_ns = sum(r.latency_ns for r in rows)
    total = ops_ns + python_sim.fixed_cost_ns(len(rows), sum(r.instr_entries for r in rows))
    np.testing.assert_allclose(
        total * 1e-6, prime_rs.simulate(design, name).latency_ms[0], rtol=1e-9
    )
    for r in rows:
        assert r.map_cycles == max(r.compute_cycles, r.transfer_cycles)
        assert r.mapping in (python_sim.MAPPINGS if r.gemm else ("",))


def test_breakdown_takes_one_design() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="one design"):
        breakdown(SPACE.sample(2, seed=0), "mobilenet_v2")


@settings(max_examples=50, deadline=None)
@given(designs=design_batches(20))
def test_area_matches_references(designs: np.ndarray) -> None:
    native = prime_rs.area(designs)
    np.testing.assert_allclose(native, area_python(designs), rtol=1e-9, atol=0)
    np.testing.assert_allclose(native, area_numpy(designs), rtol=1e-9, atol=0)


# --- physical laws ----------------------------------------------------------------------------


def _compulsory_bound_ms(designs: np.ndarray, name: str) -> np.ndarray:
    wl = workloads.load(name)
    consts = dict(prime_rs._native.sim.constants())
    v = SPACE.to_values(designs).astype(np.float64)
    units = v[:, 0] * v[:, 1] * v[:, 2] * v[:, 3]
    compute_ns = wl.macs / (units * consts["CLOCK_GHZ"])
    ops = wl.ops
    compulsory = float(ops["weight_bytes"].sum() + ops["in_bytes"][0] + ops["out_bytes"][-1])
    dram_ns = compulsory / v[:, 9]
    return np.maximum(compute_ns, dram_ns) * 1e-6


@pytest.mark.parametrize("name", BUILTINS)
def test_latency_never_beats_the_roofline(name: str) -> None:
    designs = SPACE.sample(50_000, seed=11)
    r = prime_rs.simulate(designs, name)
    ok = r.feasible
    assert ok.any()
    bound = _compulsory_bound_ms(designs[ok], name)
    assert np.all(r.latency_ms[ok] >= bound * (1 - 1e-12))


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("param", range(10))
def test_more_of_any_resource_never_hurts(name: str, param: int) -> None:
    designs = SPACE.sample(20_000, seed=100 + param)
    designs = designs[designs[:, param] < CARD[param] - 1]
    bigger = designs.copy()
    bigger[:, param] += 1
    before = prime_rs.simulate(designs, name)
    after = prime_rs.simulate(bigger, name)
    was_ok = before.feasible
    assert np.all(after.feasible[was_ok]), f"more {SPACE.names[param]} made a design infeasible"
    worse = after.latency_ms[was_ok] > before.latency_ms[was_ok] * (1 + 1e-12)
    assert not worse.any(), f"more {SPACE.names[param]} increased latency"
    assert np.all(after.area_mm2 > before.area_mm2), f"area did not grow with {SPACE.names[param]}"


@pytest.mark.parametrize("param", range(10))
def test_area_strictly_increases_with_every_resource(param: int) -> None:
    designs = SPACE.sample(50_000, seed=3)
    designs = designs[designs[:, param] < CARD[param] - 1]
    bigger = designs.copy()
    bigger[:, param] += 1
    assert np.all(prime_rs.area(bigger) > prime_rs.area(designs))


# --- calibration targets (docs/design.md section 4) -----------------------------------------------


def test_reference_design_area_is_near_27_mm2() -> None:
    assert abs(float(prime_rs.area(prime_rs.EDGETPU_REFERENCE)[0]) - 27.0) <= 2.7


@pytest.mark.parametrize(
    ("name", "measured_ms"),
    # Coral's Edge TPU runs MobileNetV2 at about 400 frames/s (2.5 ms); the Pixel 4's Edge TPU
    # runs MobileNetEdgeTPU in 3.6 ms (issue 13). Within 3x is the Edge TPU's class.
    [("mobilenet_v2", 2.5), ("mobilenet_edgetpu", 3.6)],
)
def test_reference_runs_in_the_edge_tpu_s_class(name: str, measured_ms: float) -> None:
    r = prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, name)
    assert r.feasible[0]
    assert measured_ms / 3 <= r.latency_ms[0] <= measured_ms * 3, r.latency_ms[0]


def mobilenet_v1() -> workloads.Workload:
    """MobileNet v1 1.0/224 (Howard et al. 2017, Table 1), for the fixed-cost fit only."""
    layers: list[dict[str, object]] = [
        {"type": "conv2d", "name": "conv0", "in_h": 224, "in_w": 224, "in_c": 3, "out_c": 32,
         "kernel": 3, "stride": 2, "bias": False},
    ]  # fmt: skip
    hw, c = 112, 32
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
    blocks += [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for i, (out, stride) in enumerate(blocks):
        layers.append(
            {"type": "depthwise", "name": f"block{i}/dw", "in_h": hw, "in_w": hw, "channels": c,
             "kernel": 3, "stride": stride, "bias": False}
        )  # fmt: skip
        hw = -(-hw // stride)
        layers.append(
            {"type": "conv2d", "name": f"block{i}/pw", "in_h": hw, "in_w": hw, "in_c": c,
             "out_c": out, "kernel": 1, "bias": False}
        )  # fmt: skip
        c = out
    layers.append({"type": "pool", "name": "pool", "in_h": hw, "in_w": hw, "channels": c,
                   "global": True})  # fmt: skip
    layers.append({"type": "dense", "name": "logits", "in_features": c, "out_features": 1001,
                   "rows": 1})  # fmt: skip
    return workloads.from_layers("mobilenet_v1", layers)


def test_mobilenet_v1_matches_its_published_totals() -> None:
    w = mobilenet_v1()
    assert abs(w.macs / 569e6 - 1) < 0.02 and abs(w.params / 4.2e6 - 1) < 0.05
    assert len(w.ops["m"]) == 29


def fixed_cost_fit() -> tuple[float, float]:
    """(a, T0): the per-op cost in cycles and the per-invocation host time in ms that fit
    Coral's measured MobileNet v1 (2.4 ms) and v2 (2.6 ms) given the model's op and issue times
    on the reference, T = T0 + a·ops + model (docs/simulator.md section 2)."""
    consts = dict(prime_rs._native.sim.constants())
    known, n_ops = [], []
    for w in (mobilenet_v1(), workloads.load("mobilenet_v2")):
        rows = breakdown(prime_rs.EDGETPU_REFERENCE, w)
        issue_ns = python_sim.fixed_cost_ns(0, sum(r.instr_entries for r in rows))
        known.append((sum(r.latency_ns for r in rows) + issue_ns) * 1e-6)
        n_ops.append(len(rows))
    a_ms = (2.6 - 2.4 - (known[1] - known[0])) / (n_ops[1] - n_ops[0])
    return a_ms * 1e6 * consts["CLOCK_GHZ"], 2.4 - n_ops[0] * a_ms - known[0]


def test_the_per_op_cost_is_within_half_of_coral_s_fit() -> None:
    a, host_ms = fixed_cost_fit()
    op_cycles = dict(prime_rs._native.sim.constants())["OP_OVERHEAD_CYCLES"]
    assert 0.5 * op_cycles <= a <= 1.5 * op_cycles, a
    assert 0 < host_ms < 2.4, host_ms


def test_reference_is_relatively_good_at_mobilenet_edgetpu() -> None:
    # The EdgeTPU was designed for MobileNetEdgeTPU: its latency ratio to MobileNetV2 on the
    # reference stays below the ratio of their MACs (docs/simulator.md section 4).
    ref = prime_rs.EDGETPU_REFERENCE
    edge = prime_rs.simulate(ref, "mobilenet_edgetpu").latency_ms[0]
    v2 = prime_rs.simulate(ref, "mobilenet_v2").latency_ms[0]
    macs = workloads.load("mobilenet_edgetpu").macs / workloads.load("mobilenet_v2").macs
    assert edge / v2 < macs


@pytest.fixture(scope="module")
def random_results() -> dict[str, prime_rs.SimResult]:
    designs = SPACE.sample(100_000, seed=2022)
    return {name: prime_rs.simulate(designs, name) for name in BUILTINS}


@pytest.mark.parametrize("name", BUILTINS)
def test_random_design_feasibility_is_10_to_40_percent(
    name: str, random_results: dict[str, prime_rs.SimResult]
) -> None:
    frac = random_results[name].feasible.mean()
    assert 0.10 <= frac <= 0.40, f"{name}: {frac:.3f} of random designs feasible"


def test_unet_is_among_the_least_feasible(random_results: dict[str, prime_rs.SimResult]) -> None:
    fracs = sorted((r.feasible.mean(), name) for name, r in random_results.items())
    least = [name for _, name in fracs[:3]]
    assert "unet" in least, fracs


@pytest.mark.parametrize("name", BUILTINS)
def test_latency_spread_is_at_least_20x(
    name: str, random_results: dict[str, prime_rs.SimResult]
) -> None:
    r = random_results[name]
    lat = r.latency_ms[r.feasible]
    assert lat.max() / lat.min() >= 20.0


def test_every_rule_fires_somewhere(random_results: dict[str, prime_rs.SimResult]) -> None:
    seen = set()
    for r in random_results.values():
        seen |= set(np.unique(r.reason).tolist())
    # PE memory only binds for very wide feature maps (user networks); the others bind in the zoo.
    assert {0, 1, 2, 3, 5} <= seen


# --- API behaviour -----------------------------------------------------------------------------


def test_results_do_not_depend_on_thread_count() -> None:
    designs = SPACE.sample(30_000, seed=5)
    one = prime_rs.simulate(designs, "mobilenet_v2", threads=1)
    two = prime_rs.simulate(designs, "mobilenet_v2", threads=2)
    three = prime_rs.simulate(designs, "mobilenet_v2", threads=3)
    for field in ("latency_ms", "area_mm2", "feasible", "reason", "energy_mj"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
        np.testing.assert_array_equal(getattr(one, field), getattr(three, field))


def test_results_do_not_depend_on_the_interruptible_chunks() -> None:
    # 200,000 designs on MobileNetV2 span several of the native call's chunks (it checks for
    # Ctrl-C between them); per-design results are those of small single-chunk calls.
    designs = SPACE.sample(200_000, seed=9)
    wl = workloads.load("mobilenet_v2")
    whole = prime_rs.simulate(designs, wl, threads=1)
    rows = np.r_[0:500, 65_000:66_500, 131_000:132_000, 199_500:200_000]
    part = prime_rs.simulate(designs[rows], wl)
    for field in ("latency_ms", "area_mm2", "feasible", "reason", "energy_mj"):
        np.testing.assert_array_equal(getattr(whole, field)[rows], getattr(part, field))
    np.testing.assert_array_equal(prime_rs.area(designs, threads=1)[rows], part.area_mm2)


def test_single_design_and_lists_are_accepted() -> None:
    ref = prime_rs.EDGETPU_REFERENCE
    a = prime_rs.simulate(ref, "mobilenet_v2")
    b = prime_rs.simulate([ref.tolist()], "mobilenet_v2")
    c = prime_rs.simulate(ref.tolist(), workloads.load("mobilenet_v2"))
    assert len(a) == len(b) == len(c) == 1
    assert a.latency_ms[0] == b.latency_ms[0] == c.latency_ms[0]


def test_reason_names() -> None:
    assert REASONS[0] == ""
    r = prime_rs.simulate(SPACE.sample(2000, seed=1), "unet")
    names = r.reason_names()
    assert set(names[r.feasible]) == {""}
    assert all(n in REASONS[1:] for n in names[~r.feasible])


def test_energy_is_positive_and_nan_when_infeasible() -> None:
    r = prime_rs.simulate(SPACE.sample(5000, seed=9), "mobilenet_v2")
    assert np.all(r.energy_mj[r.feasible] > 0)
    assert np.all(np.isnan(r.energy_mj[~r.feasible]))


def test_empty_batch() -> None:
    r = prime_rs.simulate(np.zeros((0, 10), dtype=np.uint8), "mobilenet_v2")
    assert len(r) == 0


@pytest.mark.parametrize(
    ("designs", "needle"),
    [
        (np.full((2, 10), 0, dtype=np.uint8) + np.eye(1, 10, 0, dtype=np.uint8) * 10, "pe_x"),
        (np.zeros((3, 9), dtype=np.uint8), "shape"),
        (np.full((1, 10), np.nan), "(?i)nan"),
        (np.full((1, 10), 1.5), "1.5"),
        (np.full((1, 10), -1), "-1"),
    ],
)
def test_bad_designs_raise_typed_errors(designs: np.ndarray, needle: str) -> None:
    with pytest.raises(errors.InvalidDesignError, match=needle):
        prime_rs.simulate(designs, "mobilenet_v2")


def test_unknown_workload_is_a_typed_error() -> None:
    with pytest.raises(errors.UnknownWorkloadError, match="no_such_net"):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, "no_such_net")


@pytest.mark.parametrize("threads", [0, -1, 1.5])
def test_bad_thread_counts(threads: object) -> None:
    with pytest.raises(errors.InvalidArgumentError, match="threads"):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, "mobilenet_v2", threads=threads)  # type: ignore[arg-type]


def test_gil_is_released_during_simulation() -> None:
    # A Python thread keeps running while the native kernel works on a large batch.
    code = (
        "import threading, time, prime_rs as p\n"
        "d = p.SPACE.sample(2_000_000, seed=0)\n"
        "ticks = []\n"
        "stop = threading.Event()\n"
        "def tick():\n"
        "    while not stop.is_set(): ticks.append(time.perf_counter()); time.sleep(0.001)\n"
        "t = threading.Thread(target=tick); t.start()\n"
        "time.sleep(0.05); n0 = len(ticks)\n"
        "p.simulate(d, 'mobilenet_v2', threads=1)\n"
        "n1 = len(ticks); stop.set(); t.join()\n"
        "print(n1 - n0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) > 5


def test_latency_is_finite_and_positive_when_feasible() -> None:
    r = prime_rs.simulate(SPACE.sample(10_000, seed=4), "rnnt_encoder")
    lat = r.latency_ms[r.feasible]
    assert np.all(np.isfinite(lat)) and np.all(lat > 0)
    assert not math.isnan(float(r.area_mm2.sum()))
