"""prime-rs's per-op model against the cached ZigZag and SCALE-Sim results: docs/fidelity.md.

    python benches/fidelity/analyze.py --label before    # the model on main today
    python benches/fidelity/analyze.py --label after     # the next model, once it lands

Reads results/*.json (written by peers.py; the peers need not be installed) and evaluates
prime-rs live through ``prime_rs.reference.breakdown``, so it takes seconds. It rewrites the
label's block of the doc between ``<!-- fidelity:start LABEL -->`` and ``<!-- fidelity:end LABEL
-->``, and the targets table that sets the labels side by side. Each label's verdicts are also kept
in results/prime-LABEL.json, since the model that produced "before" is gone once "after" lands;
a label is not overwritten by a different model unless --force is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import study
from scipy.stats import spearmanr
from study import Layer, Run

import prime_rs
from prime_rs import SPACE, simulate
from prime_rs.reference import breakdown
from prime_rs.reference._common import constants

LABELS = ("before", "after")
DOC = study.HERE.parent.parent / "docs" / "fidelity.md"

# The targets (issue 13, item 3).
RHO_MIN = 0.85
MAC_BOUND_MAX = 1.5  # "near the MAC bound": a class's median within this factor of it
ELASTICITY_FACTOR = 1.5
# Measured single-inference latencies of the real parts the reference design stands for, and
# the factor the reference must stay within: Edge TPU on MobileNetV2, Pixel 4's Edge TPU on
# MobileNetEdgeTPU.
MEASURED_MS = {"mobilenet_v2": 2.5, "mobilenet_edgetpu": 3.6}
MEASURED_FACTOR = 3.0


class AnalysisError(Exception):
    """A cached result that does not fit the study (missing, out of order, another shape)."""


# ---------------------------------------------------------------- prime-rs side


@dataclass(frozen=True)
class PrimePoint:
    """prime-rs on one network at one design: its per-op view and its network latency."""

    ops: list[Any]  # prime_rs.reference.python_sim.OpRow, one per op of the workload
    total_ms: float
    ops_ms: float  # the ops' latencies without the fixed costs

    @property
    def fixed_ms(self) -> float:
        return self.total_ms - self.ops_ms


def design(**changes: int) -> np.ndarray:
    values = study.REFERENCE | changes
    return np.array([p.values.index(values[p.name]) for p in SPACE.params], dtype=np.uint8)


def prime_point(network: str, **changes: int) -> PrimePoint:
    d = design(**changes)
    ops = breakdown(d, network)
    result = simulate(d[None, :], network)
    if not result.feasible[0]:
        raise AnalysisError(
            f"prime-rs finds {network} infeasible at {changes or 'the reference'} "
            f"(reason {prime_rs.simulator.REASONS[int(result.reason[0])]})"
        )
    # The fixed costs are whatever the network latency holds beyond the ops' own latencies:
    # this reads the same from any fixed-cost model.
    ops_ms = sum(r.latency_ns for r in ops) * 1e-6
    return PrimePoint(ops=ops, total_ms=float(result.latency_ms[0]), ops_ms=ops_ms)


# ---------------------------------------------------------------- peer side


def load(run: Run, results: Path) -> list[dict[str, Any]]:
    """The per-layer rows of a cached run, checked against the workload's GEMM layers."""
    path = results / run.path.name
    if not path.exists():
        raise AnalysisError(f"no cached result {path}: run benches/fidelity/peers.py")
    data = json.loads(path.read_text())
    try:
        held = Run.from_dict(data["run"])
    except (KeyError, TypeError) as e:
        raise AnalysisError(f"{path}: not a run record of this study ({e})") from None
    # How many processes a run was split into does not change what it measured.
    if dataclasses.replace(held, parts=run.parts) != run:
        raise AnalysisError(f"{path} holds run {held}, expected {run}")
    layers = study.gemm_layers(run.network)
    got = [(r["op"], r["name"]) for r in data["layers"]]
    if got != [(layer.op, layer.name) for layer in layers]:
        raise AnalysisError(f"{path}: layers are not the GEMM ops of {run.network} in order")
    return data["layers"]


def zigzag_series(run: Run, results: Path) -> tuple[np.ndarray, np.ndarray]:
    """(ideal_temporal_cycle, latency_total2) per layer."""
    rows = load(run, results)
    array = study.zigzag_side(run.macs) ** 2 * 16
    for r, layer in zip(rows, study.gemm_layers(run.network), strict=True):
        if r["ideal_cycle"] != math.ceil(layer.macs / array):
            raise AnalysisError(f"{run.name}: {layer.name} is not this layer (ideal_cycle)")
    return (
        np.array([r["ideal_temporal_cycle"] for r in rows], dtype=float),
        np.array([r["latency_total2"] for r in rows], dtype=float),
    )


def scalesim_series(run: Run, results: Path) -> np.ndarray:
    """Total cycles per layer, a grouped layer's single-group conv counted once per group."""
    return np.array([r["cycles"] * r["groups"] for r in load(run, results)], dtype=float)


# ---------------------------------------------------------------- statistics


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho; NaN where a side is constant (no ranking to agree with)."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(spearmanr(x, y).statistic)


def ratio_stats(y: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    """(median, p10, p90) of y/x per layer."""
    q = np.percentile(y / x, [50, 10, 90])
    return float(q[0]), float(q[1]), float(q[2])


def elasticity(xs: Sequence[float], ys: Sequence[float]) -> float:
    """d ln y / d ln x: the slope of the least-squares line through the log-log points."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def f2(v: float) -> str:
    return "0.00" if round(v, 2) == 0 else f"{v:.2f}"


def spread(med: float, lo: float, hi: float) -> str:
    return f"{f2(med)} ({f2(lo)}-{f2(hi)})"


def verdict_text(passed: bool | None) -> str:
    return "not judged" if passed is None else "pass" if passed else "**fail**"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], right_from: int = 1) -> str:
    align = ["---" if j < right_from else "---:" for j in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- one network at the base point


@dataclass
class Network:
    name: str
    layers: list[Layer]
    prime: PrimePoint
    series: dict[str, np.ndarray]  # cycles per GEMM layer
    classes: dict[str, np.ndarray]  # boolean masks over the GEMM layers


def network(name: str, results: Path) -> Network:
    layers = study.gemm_layers(name)
    prime = prime_point(name)
    gemm_ops = [prime.ops[layer.op] for layer in layers]
    clock = study.CLOCK_GHZ
    dw_run = study.depthwise_aware(study.zigzag(name, "stock"))
    zz_dw_comp, zz_dw_lat = zigzag_series(dw_run, results)
    zz_res_comp, zz_res_lat = zigzag_series(
        dataclasses.replace(dw_run, activations="resident"), results
    )
    # Where data lives changes the memory terms only, never the array's use.
    if not np.array_equal(zz_res_comp, zz_dw_comp):
        raise AnalysisError(f"{name}: ZigZag's ideal_temporal moved with activation residency")
    series = {
        "MAC bound": np.array([layer.macs / study.BASE_MACS for layer in layers]),
        "prime-rs compute": np.array([r.compute_cycles for r in gemm_ops]),
        "prime-rs op latency": np.array([r.latency_ns * clock for r in gemm_ops]),
        "ZigZag ideal_temporal": zz_dw_comp,
        "ZigZag latency_total2": zz_dw_lat,
        "ZigZag resident latency_total2": zz_res_lat,
        "SCALE-Sim cycles": scalesim_series(Run("scalesim", name), results),
    }
    if dw_run.mapping == "dw":
        comp, lat = zigzag_series(study.zigzag(name, "stock"), results)
        series["ZigZag stock ideal_temporal"] = comp
        series["ZigZag stock latency_total2"] = lat
    dw = np.array([layer.depthwise for layer in layers])
    conv = np.array([layer.type == "conv2d" for layer in layers])
    lanes = study.REFERENCE["cores_per_pe"] * study.REFERENCE["simd_lanes"]
    narrow = np.array([layer.n < lanes for layer in layers]) & ~dw
    classes = {"all": np.ones(len(layers), bool)}
    if dw.any():
        classes |= {"depthwise": dw, "non-depthwise": ~dw}
    # Without the batch-1 dense layer, which ZigZag's array runs on 1/16 of its MACs (its
    # pixel dimensions share weights) and both tools' DRAM bounds anyway.
    classes["conv2d"] = conv
    classes[f"n < {lanes} (non-depthwise)"] = narrow
    return Network(name, layers, prime, series, classes)


# (prime-rs series, peer series): rank agreement and prime-rs / peer ratios.
PAIRS = (
    ("prime-rs op latency", "ZigZag latency_total2"),
    ("prime-rs op latency", "ZigZag resident latency_total2"),
    ("prime-rs compute", "ZigZag ideal_temporal"),
    ("prime-rs op latency", "ZigZag stock latency_total2"),
    ("prime-rs compute", "ZigZag stock ideal_temporal"),
    ("prime-rs compute", "SCALE-Sim cycles"),
    ("SCALE-Sim cycles", "ZigZag ideal_temporal"),
)
PEERS_FOR_BOUND = ("ZigZag ideal_temporal", "SCALE-Sim cycles")


def agreement_rows(net: Network) -> list[list[str]]:
    rows = []
    for y, x in PAIRS:
        if x not in net.series:
            continue
        for cls, mask in net.classes.items():
            # The stock mapping differs from the depthwise-aware one on depthwise layers only.
            if "stock" in x and cls not in ("all", "depthwise"):
                continue
            if mask.sum() < 3:
                continue
            ys, xs = net.series[y][mask], net.series[x][mask]
            rows.append(
                [
                    f"{y} vs {x}",
                    cls,
                    int(mask.sum()),
                    f2(spearman(xs, ys)),
                    spread(*ratio_stats(ys, xs)),
                    f2(ys.sum() / xs.sum()),
                ]
            )
    return rows


def bound_verdicts(
    net: Network,
) -> list[tuple[str, int, dict[str, tuple[float, float, float]], str]]:
    """Per class: the ratio to the MAC bound of each series and the target's verdict."""
    out = []
    names = ("prime-rs compute", "prime-rs op latency", *PEERS_FOR_BOUND)
    for cls, mask in net.classes.items():
        if not mask.any():
            continue
        bound = net.series["MAC bound"][mask]
        stats = {s: ratio_stats(net.series[s][mask], bound) for s in names}
        peers_near = all(stats[p][0] <= MAC_BOUND_MAX for p in PEERS_FOR_BOUND)
        if not peers_near:
            verdict = "not judged"
        elif stats["prime-rs compute"][0] <= MAC_BOUND_MAX:
            verdict = "pass"
        else:
            verdict = "**fail**"
        out.append((cls, int(mask.sum()), stats, verdict))
    return out


def sums_rows(nets: Sequence[Network]) -> list[list[str]]:
    clock_ms = 1e-6 / study.CLOCK_GHZ  # ms per cycle
    rows = []
    names = [
        ("MAC bound", "MAC bound (MACs / 4096)"),
        ("prime-rs compute", "prime-rs compute"),
        ("prime-rs op latency", "prime-rs op latency"),
        ("ZigZag ideal_temporal", "ZigZag ideal_temporal (depthwise-aware)"),
        ("ZigZag latency_total2", "ZigZag latency_total2 (depthwise-aware)"),
        ("ZigZag resident latency_total2", "ZigZag latency_total2 (depthwise-aware, resident)"),
        ("ZigZag stock latency_total2", "ZigZag latency_total2 (stock)"),
        ("SCALE-Sim cycles", "SCALE-Sim compute"),
    ]
    for key, label in names:
        row = [label]
        for net in nets:
            if key in net.series:
                ms = net.series[key].sum() * clock_ms
                bound = net.series["MAC bound"].sum() * clock_ms
                row.append(f"{ms:.3f} ({f2(ms / bound)}x)")
            else:
                row.append("= depthwise-aware")
        rows.append(row)
    for label, get in (
        ("prime-rs other ops (adds, pools)", lambda n: n.prime.ops_ms - _gemm_ms(n)),
        ("prime-rs fixed costs", lambda n: n.prime.fixed_ms),
        ("prime-rs network latency", lambda n: n.prime.total_ms),
    ):
        rows.append(
            [label, *(f"{get(n):.3f} ({100 * get(n) / n.prime.total_ms:.0f}%)" for n in nets)]
        )
    return rows


def _gemm_ms(net: Network) -> float:
    return sum(net.prime.ops[layer.op].latency_ns for layer in net.layers) * 1e-6


def per_layer_rows(net: Network) -> list[list[Any]]:
    cols = (
        "MAC bound",
        "prime-rs compute",
        "prime-rs op latency",
        "ZigZag ideal_temporal",
        "ZigZag latency_total2",
        "ZigZag resident latency_total2",
        "SCALE-Sim cycles",
    )
    rows = []
    for j, layer in enumerate(net.layers):
        op = net.prime.ops[layer.op]
        rows.append(
            [
                layer.name,
                layer.type,
                layer.n,
                op.mapping,
                *(f"{net.series[c][j]:,.0f}" for c in cols),
            ]
        )
    return rows


# ---------------------------------------------------------------- sweeps


@dataclass
class Sweep:
    resource: str
    points: tuple[int, ...]
    prime_total: list[float]
    prime_ops: list[float]
    # The ops plus the smallest constant fixed cost that keeps the reference within
    # MEASURED_FACTOR of the measured part: the steepest network any such model can have.
    prime_least_fixed: list[float]
    zigzag: list[float]  # ms, sum of latency_total2 over the GEMM layers
    zigzag_resident: list[float]  # the same with activations resident on chip
    zigzag_least_fixed: list[float]  # that, plus the least fixed cost (as prime_least_fixed)
    # ms of the network's dense layer: weight-bound in both tools, whatever their activations do
    prime_dense: list[float]
    zigzag_dense: list[float]


def sweeps(results: Path) -> list[Sweep]:
    clock_ms = 1e-6 / study.CLOCK_GHZ
    net = study.SWEEP_NETWORK
    layers = study.gemm_layers(net)
    (dense,) = (j for j, layer in enumerate(layers) if layer.type == "dense")

    least_total = MEASURED_MS[net] / MEASURED_FACTOR

    def one(
        resource: str,
        points: tuple[int, ...],
        base: int,
        change: Callable[[int], dict],
        run: Callable[[int], Run],
    ):
        pts = [prime_point(net, **change(v)) for v in points]
        base_at = points.index(base)
        least_fixed = max(least_total - pts[base_at].ops_ms, 0.0)
        zz = [zigzag_series(run(v), results)[1] * clock_ms for v in points]
        res = [
            zigzag_series(dataclasses.replace(run(v), activations="resident"), results)[1].sum()
            * clock_ms
            for v in points
        ]
        zz_least_fixed = max(least_total - res[base_at], 0.0)
        return Sweep(
            resource,
            points,
            prime_total=[p.total_ms for p in pts],
            prime_ops=[p.ops_ms for p in pts],
            prime_least_fixed=[p.ops_ms + least_fixed for p in pts],
            zigzag=[z.sum() for z in zz],
            zigzag_resident=res,
            zigzag_least_fixed=[r + zz_least_fixed for r in res],
            prime_dense=[p.ops[layers[dense].op].latency_ns * 1e-6 for p in pts],
            zigzag_dense=[z[dense] for z in zz],
        )

    return [
        one(
            "MAC count",
            study.MAC_SWEEP,
            study.BASE_MACS,
            lambda m: {"simd_lanes": study.lanes_for(m)},
            lambda m: study.zigzag(net, "dw", macs=m),
        ),
        one(
            "DRAM bandwidth (GB/s)",
            study.GBPS_SWEEP,
            study.BASE_GBPS,
            lambda g: {"dram_bandwidth": g},
            lambda g: study.zigzag(net, "dw", gbps=g),
        ),
    ]


def sweep_rows(sw: Sweep) -> list[list[str]]:
    rows = []
    for label, ys in (
        ("prime-rs network latency", sw.prime_total),
        ("prime-rs without fixed costs", sw.prime_ops),
        (
            f"prime-rs ops + the least fixed cost within {MEASURED_FACTOR:g}x of the measured part",
            sw.prime_least_fixed,
        ),
        ("ZigZag depthwise-aware (GEMM layers)", sw.zigzag),
        ("ZigZag depthwise-aware, activations resident", sw.zigzag_resident),
        (
            f"ZigZag resident + the least fixed cost within {MEASURED_FACTOR:g}x of the measured part",
            sw.zigzag_least_fixed,
        ),
        ("prime-rs dense layer", sw.prime_dense),
        ("ZigZag dense layer", sw.zigzag_dense),
    ):
        rows.append([label, *(f"{y:.4f}" for y in ys), f2(elasticity(sw.points, ys))])
    return rows


def fixed_cost_rows(sws: list[Sweep]) -> list[list[str]]:
    """Which constant fixed cost F (ms, added to prime-rs's ops at every sweep point) each
    elasticity target allows, and the least F the measured-latency target needs: whether any
    constant-F model with these ops can meet them together."""
    grid = np.linspace(0.0, 2.0 * max(sw.prime_total[0] for sw in sws), 4001)

    def allowed(sw: Sweep, zz: list[float]) -> np.ndarray:
        e_z = elasticity(sw.points, zz)
        ratio = np.array([elasticity(sw.points, [y + f for y in sw.prime_ops]) for f in grid]) / e_z
        return (ratio >= 1 / ELASTICITY_FACTOR) & (ratio <= ELASTICITY_FACTOR)

    def span(mask: np.ndarray) -> str:
        if not mask.any():
            return "none"
        lo, hi = grid[mask].min(), grid[mask].max()
        return f"{lo:.2f} and above" if hi == grid[-1] else f"{lo:.2f} to {hi:.2f}"

    rows, together = [], {}
    for flow, pick in (
        ("default flow", lambda sw: sw.zigzag),
        ("resident", lambda sw: sw.zigzag_resident),
    ):
        masks = [allowed(sw, pick(sw)) for sw in sws]
        for sw, mask in zip(sws, masks, strict=True):
            rows.append(
                [
                    f"elasticity to {sw.resource} within {ELASTICITY_FACTOR}x of ZigZag ({flow})",
                    span(mask),
                ]
            )
        together[flow] = np.logical_and.reduce(masks)
        rows.append([f"both elasticities, ZigZag {flow}", span(together[flow])])
    base = sws[0]
    at = base.points.index(study.BASE_MACS)
    need = MEASURED_MS[study.SWEEP_NETWORK] / MEASURED_FACTOR - base.prime_ops[at]
    rows.append(
        [
            f"reference within {MEASURED_FACTOR:g}x of the measured {MEASURED_MS[study.SWEEP_NETWORK]} ms",
            f"{need:.2f} and above",
        ]
    )
    rows.append(["prime-rs's own fixed costs", f"{base.prime_total[at] - base.prime_ops[at]:.2f}"])
    return rows


# ---------------------------------------------------------------- targets


@dataclass
class Target:
    key: str  # stable id, for setting labels side by side
    what: str
    measured: str
    passed: bool | None  # None: nothing to judge (no class has both peers near the bound)


def targets(nets: dict[str, Network], sws: list[Sweep]) -> list[Target]:
    out = []
    for name, cls in (("resnet50", "all"), ("mobilenet_v2", "non-depthwise")):
        net = nets[name]
        mask = net.classes[cls]
        for y, x, what, suffix in (
            ("prime-rs op latency", "ZigZag latency_total2", "op latency vs latency_total2", ""),
            (
                "prime-rs op latency",
                "ZigZag resident latency_total2",
                "op latency vs latency_total2, activations resident",
                "/resident",
            ),
            ("prime-rs compute", "ZigZag ideal_temporal", "compute vs ideal_temporal", ""),
        ):
            rho = spearman(net.series[x][mask], net.series[y][mask])
            out.append(
                Target(
                    f"rho/{name}/{cls}/{y}{suffix}",
                    f"{name}, {cls} layers: rho({what}) >= {RHO_MIN}",
                    f2(rho),
                    rho >= RHO_MIN,
                )
            )
    for name, net in nets.items():
        verdicts = bound_verdicts(net)
        judged = [(cls, stats) for cls, _, stats, v in verdicts if v != "not judged"]
        failing = [
            f"{cls} at {f2(stats['prime-rs compute'][0])}x"
            for cls, stats in judged
            if stats["prime-rs compute"][0] > MAC_BOUND_MAX
        ]
        skipped = [cls for cls, _, _, v in verdicts if v == "not judged"]
        notes = []
        if failing:
            notes.append("over: " + ", ".join(failing))
        elif judged:
            notes.append(f"{len(judged)} judged, none over")
        if skipped:
            notes.append(f"not judged (a peer is over {MAC_BOUND_MAX}x): " + ", ".join(skipped))
        measured = "; ".join(notes)
        out.append(
            Target(
                f"bound/{name}",
                f"{name}: no layer class above {MAC_BOUND_MAX}x its MAC bound where both peers are within {MAC_BOUND_MAX}x of it",
                measured,
                None if not judged else not failing,
            )
        )
    for sw in sws:
        e_p = elasticity(sw.points, sw.prime_total)
        for suffix, zz, whose in (
            ("", sw.zigzag, "ZigZag's"),
            ("/resident", sw.zigzag_resident, "ZigZag's with activations resident"),
            (
                "/resident+fixed",
                sw.zigzag_least_fixed,
                "ZigZag's with activations resident, in the measured part's class (least fixed cost)",
            ),
        ):
            e_z = elasticity(sw.points, zz)
            ratio = e_p / e_z
            out.append(
                Target(
                    f"elasticity/{sw.resource}{suffix}",
                    f"{study.SWEEP_NETWORK} elasticity to {sw.resource} within {ELASTICITY_FACTOR}x of {whose}",
                    f"{f2(e_p)} vs {f2(e_z)} (ratio {f2(ratio)})",
                    1 / ELASTICITY_FACTOR <= ratio <= ELASTICITY_FACTOR,
                )
            )
    for name, ms in MEASURED_MS.items():
        got = prime_point(name).total_ms
        out.append(
            Target(
                f"measured/{name}",
                f"reference on {name} within {MEASURED_FACTOR:g}x of the measured {ms} ms",
                f"{got:.3f} ms",
                ms / MEASURED_FACTOR <= got <= ms * MEASURED_FACTOR,
            )
        )
    return out


# ---------------------------------------------------------------- the document


def render(label: str, nets: dict[str, Network], sws: list[Sweep], tgts: list[Target]) -> str:
    parts = [
        f"Model fingerprint `{prime_rs.simulator.FINGERPRINT[:16]}` (prime-rs {prime_rs.__version__}).",
        "Cycles at prime-rs's clock; ratios are prime-rs / peer unless the row says otherwise;\n"
        "(p10-p90) is the spread of the per-layer ratio.",
        f"#### Targets ({label})",
        table(
            ["target", "measured", "verdict"],
            [[t.what, t.measured, verdict_text(t.passed)] for t in tgts],
            right_from=3,
        ),
        "#### Per-layer agreement",
    ]
    for net in nets.values():
        parts.append(
            f"**{net.name}**, {len(net.layers)} GEMM layers, {study.BASE_MACS} MACs, "
            f"{study.BASE_GBPS} GB/s"
        )
        parts.append(
            table(
                [
                    "y vs x",
                    "class",
                    "layers",
                    "Spearman rho",
                    "ratio y/x median (p10-p90)",
                    "sum ratio",
                ],
                agreement_rows(net),
                right_from=2,
            )
        )
    parts.append(
        "#### Distance from the MAC bound (per-layer ratio to MACs / 4096, median (p10-p90))"
    )
    rows = []
    for net in nets.values():
        for cls, n, stats, verdict in bound_verdicts(net):
            rows.append(
                [
                    net.name,
                    cls,
                    n,
                    *(
                        spread(*stats[s])
                        for s in ("prime-rs compute", "prime-rs op latency", *PEERS_FOR_BOUND)
                    ),
                    verdict,
                ]
            )
    parts.append(
        table(
            [
                "network",
                "class",
                "layers",
                "prime-rs compute",
                "prime-rs op latency",
                "ZigZag ideal_temporal",
                "SCALE-Sim",
                "target",
            ],
            rows,
            right_from=2,
        )
    )
    parts.append(
        "#### Network sums (ms, GEMM layers; in brackets: x the MAC bound, or share of latency)"
    )
    parts.append(table(["", *nets], sums_rows(list(nets.values()))))
    parts.append(
        f"#### Sweeps ({study.SWEEP_NETWORK}, whole network, ms; elasticity = log-log slope)"
    )
    for sw in sws:
        parts.append(
            table([sw.resource, *(str(p) for p in sw.points), "elasticity"], sweep_rows(sw))
        )
    parts.append(
        f"Constant fixed costs F (ms, on {study.SWEEP_NETWORK}) that each target allows, with "
        "prime-rs's ops:"
    )
    parts.append(table(["target", "F allowed (ms)"], fixed_cost_rows(sws)))
    for net in nets.values():
        parts.append(
            f"<details><summary>{net.name}: every GEMM layer (cycles; ZigZag depthwise-aware)</summary>\n\n"
            + table(
                [
                    "layer",
                    "type",
                    "n",
                    "mapping",
                    "MAC bound",
                    "prime-rs compute",
                    "prime-rs op latency",
                    "ZigZag ideal_temporal",
                    "ZigZag latency_total2",
                    "ZigZag resident latency_total2",
                    "SCALE-Sim",
                ],
                per_layer_rows(net),
                right_from=2,
            )
            + "\n\n</details>"
        )
    return "\n\n".join(parts)


def render_summary(summaries: dict[str, dict[str, Any]]) -> str:
    keys: dict[str, str] = {}
    for s in summaries.values():
        for t in s["targets"]:
            keys.setdefault(t["key"], t["what"])
    rows = []
    for key, what in keys.items():
        row = [what]
        for label in LABELS:
            got = {t["key"]: t for t in summaries.get(label, {}).get("targets", [])}.get(key)
            row.append(
                "not run" if got is None else f"{got['measured']}: {verdict_text(got['passed'])}"
            )
        rows.append(row)
    return table(["target", *LABELS], rows, right_from=3)


def replace_block(text: str, name: str, body: str, doc: Path) -> str:
    start, end = f"<!-- fidelity:start {name} -->", f"<!-- fidelity:end {name} -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise AnalysisError(f"{doc} lacks the markers {start} ... {end}")
    return text[: i + len(start)] + "\n" + body.strip() + "\n" + text[j:]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", choices=LABELS, required=True, help="which model's tables these are")
    ap.add_argument(
        "--doc", type=Path, default=DOC, help="the document to update (docs/fidelity.md)"
    )
    ap.add_argument("--results", type=Path, default=study.RESULTS, help="the cached peer results")
    ap.add_argument(
        "--summary-dir",
        type=Path,
        default=None,
        help="where prime-LABEL.json lives (default: --results)",
    )
    ap.add_argument("--force", action="store_true", help="replace a label made by another model")
    args = ap.parse_args(argv)
    summary_dir = args.summary_dir or args.results
    try:
        summary_path = summary_dir / f"prime-{args.label}.json"
        fingerprint = prime_rs.simulator.FINGERPRINT
        if summary_path.exists() and not args.force:
            old = json.loads(summary_path.read_text())["fingerprint"]
            if old != fingerprint:
                raise AnalysisError(
                    f"'{args.label}' was made by model {old[:16]}, this prime-rs is {fingerprint[:16]}: "
                    "use the other label, or --force to replace it"
                )
        if constants()["CLOCK_GHZ"] != study.CLOCK_GHZ:
            raise AnalysisError(
                f"the model's clock is {constants()['CLOCK_GHZ']} GHz, the peer runs were set up "
                f"for {study.CLOCK_GHZ} GHz: update study.CLOCK_GHZ and rerun peers.py --force"
            )
        if not args.doc.exists():
            raise AnalysisError(f"no document {args.doc}")
        nets = {name: network(name, args.results) for name in study.NETWORKS}
        sws = sweeps(args.results)
        tgts = targets(nets, sws)
        summary = {
            "label": args.label,
            "fingerprint": fingerprint,
            "prime_rs": prime_rs.__version__,
            "targets": [t.__dict__ for t in tgts],
        }
        summaries = {args.label: summary}
        for other in LABELS:
            p = summary_dir / f"prime-{other}.json"
            if other != args.label and p.exists():
                summaries[other] = json.loads(p.read_text())
        text = args.doc.read_text()
        text = replace_block(text, args.label, render(args.label, nets, sws, tgts), args.doc)
        text = replace_block(text, "summary", render_summary(summaries), args.doc)
    except AnalysisError as e:
        print(f"analyze.py: {e}", file=sys.stderr)
        return 2
    summary_dir.mkdir(parents=True, exist_ok=True)
    for path, content in ((summary_path, json.dumps(summary, indent=1) + "\n"), (args.doc, text)):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(content)
        os.replace(tmp, path)
    passed = sum(t.passed is True for t in tgts)
    print(f"{args.doc}: '{args.label}' tables written; {passed} of {len(tgts)} targets pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
