"""The simulator as a plain per-design Python loop: the readable reference and the
"pure-Python baseline" of the benchmarks. Same model, same operation order and floating-point
expressions as the native kernel (documented in rust/prime-core/src/sim/mod.rs); the feasibility
rules are the native table, checked by `_common.first_failing`, not a copy of it."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from prime_rs.reference._common import PARAM_VALUES, Prepared, constants, first_failing


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _sram(k: dict[str, float], b: float) -> float:
    return k["SRAM_MM2_PER_BYTE"] * b + k["SRAM_MM2_PER_SQRT_BYTE"] * math.sqrt(b)


def area_one(design: tuple[int, ...]) -> float:
    k = constants()
    x, y, lanes, c, mpe, mc, instr, mp, ma, bw = (
        PARAM_VALUES[j][design[j]] for j in range(len(PARAM_VALUES))
    )
    p = x * y
    core = (
        lanes * k["MAC_LANE_MM2"]
        + _sram(k, mc)
        + _sram(k, mp)
        + _sram(k, ma)
        + _sram(k, instr * k["INSTR_BYTES_PER_ENTRY"])
        + k["CORE_CTRL_MM2"]
    )
    pe = c * core + _sram(k, mpe) + k["PE_CTRL_MM2"]
    noc = k["NOC_MM2_PER_PE"] * p * math.log2(2.0 * p)
    return p * pe + noc + k["IO_MM2"] + k["PHY_MM2_PER_GBPS"] * bw


#: Names of the mapping candidates in tie-break order ("cores split / lanes split"; the model's
#: list in rust/prime-core/src/sim/mod.rs), as ``OpRow.mapping`` reports them.
MAPPINGS = ("a", "ch/red", "ch/rows", "rows/ch", "rows/red", "rows/rows", "b")


class OpRow(NamedTuple):
    """One op of one design, as the model sees it (the per-layer breakdown of ``breakdown``)."""

    op: int
    gemm: bool
    #: The mapping candidate that won (see rust/prime-core/src/sim/mod.rs); "" for memory ops.
    mapping: str
    #: Cycles of the lanes' passes (all repetitions), of the on-chip transfer, and the op's
    #: mapping time, the larger of the two.
    compute_cycles: float
    transfer_cycles: float
    map_cycles: float
    dram_bytes: float
    onchip_bytes: float
    #: max(mapping time, DRAM bytes / bandwidth): the op's share of latency before fixed costs.
    latency_ns: float
    instr_entries: int


def op_rows(values: tuple[int, ...], prep: Prepared) -> list[OpRow]:
    """The per-op model of one design given by its raw parameter values (key order)."""
    k = constants()
    x, y, lanes, c, mpe, mc, _, mp, ma, bw = values
    p = x * y
    units = p * c * lanes
    half = p * mpe // 2
    fill = int(k["PASS_FILL_CYCLES"])
    onchip_bw = k["ONCHIP_BYTES_PER_CYCLE"]
    clock = k["CLOCK_GHZ"]
    ops = prep.ops
    n_ops = len(ops["m"])
    rows = []
    for i in range(n_ops):
        m, n, kk = int(ops["m"][i]), int(ops["n"][i]), int(ops["k"][i])
        reps = int(ops["reps"][i])
        wb, ai, ao = int(ops["weight_bytes"][i]), int(ops["in_bytes"][i]), int(ops["out_bytes"][i])
        op_instr = (
            int(k["INSTR_PER_OP"])
            + int(k["INSTR_PER_WEIGHT_TILE"]) * _cdiv(wb, c * mp)
            + int(k["INSTR_PER_ACT_TILE"]) * _cdiv(ai + ao, c * ma)
        )
        fits = ai + ao <= half
        gemm = int(ops["kind"][i]) == 0
        if gemm:
            # The family where PEs split rows (see mod.rs): cores split channels in the first
            # three candidates, rows in the last three; the list order breaks ties.
            rows_pe = _cdiv(m, p)
            n_core = _cdiv(n, c)
            rows_core = _cdiv(rows_pe, c)
            pas = kk + fill
            family = zip(
                MAPPINGS[:6],
                (
                    rows_pe * _cdiv(n, c * lanes) * pas,
                    rows_pe * (n_core * _cdiv(kk, lanes) + fill),
                    _cdiv(rows_pe, lanes) * n_core * pas,
                    rows_core * _cdiv(n, lanes) * pas,
                    rows_core * (n * _cdiv(kk, lanes) + fill),
                    _cdiv(rows_core, lanes) * n * pas,
                ),
                (False, False, False, True, True, True),
                strict=True,
            )
            in_pe = _cdiv(ai * rows_pe, m)
            candidates = []
            for name, comp_i, cores_rows in family:
                # Cores that split rows each need all weights (the PE's port broadcasts them).
                wcore, psums = (
                    (n * kk, rows_core * n) if cores_rows else (n_core * kk, rows_pe * n_core)
                )
                reload, spill = 1, 0
                if wcore > mp:
                    reload = _cdiv(in_pe, ma)
                    if psums * 4 > mc:
                        spill = 8 * rows_pe * n * (_cdiv(wcore, mp) - 1)
                on_i = float(in_pe + wb * reload + spill) * reps
                t_i = max(float(comp_i * reps), on_i / onchip_bw)
                candidates.append((name, float(comp_i * reps), on_i, t_i))
            # min() keeps the first of equals: ties go to the earlier candidate.
            best = min(candidates, key=lambda row: row[3])

            n_pe_b = _cdiv(n, p)
            n_core_b = _cdiv(n_pe_b, c)
            comp_b = m * _cdiv(n, units) * (kk + fill)
            w_pe_b = _cdiv(wb * n_pe_b, n)
            wcore_b = n_core_b * kk
            reload_b = _cdiv(ai, ma) if wcore_b > mp else 1
            spill_b = 0
            if wcore_b > mp and m * n_core_b * 4 > mc:
                spill_b = 8 * m * n_pe_b * (_cdiv(wcore_b, mp) - 1)
            on_b = float(ai + w_pe_b * reload_b + spill_b) * reps

            t_b = max(float(comp_b * reps), on_b / onchip_bw)
            if t_b < best[3]:
                mapping, comp, on, t_map = "b", float(comp_b * reps), on_b, t_b
            else:
                mapping, comp, on, t_map = best
            onchip = on * p
            transfer = on / onchip_bw

            w_traffic = wb if wb <= half else wb * reps
            if fits:
                dram = w_traffic
            elif wb <= half or reps > 1:
                dram = w_traffic + (ai + ao) * reps
            else:
                dram = min(wb + ai * _cdiv(wb, half), ai + wb * _cdiv(ai, half)) + ao
        else:
            onchip_pe = _cdiv(ai + ao, p)
            mapping = ""
            comp = float(_cdiv(ai + ao, units) + fill)
            transfer = onchip_pe / onchip_bw
            t_map = max(comp, transfer)
            onchip = float(onchip_pe * p)
            dram = wb + (0 if fits else ai + ao)
        if i == 0 and fits:
            dram += ai
        if i == n_ops - 1 and fits:
            dram += ao
        rows.append(
            OpRow(
                op=i,
                gemm=gemm,
                mapping=mapping,
                compute_cycles=comp,
                transfer_cycles=transfer,
                map_cycles=t_map,
                dram_bytes=float(dram),
                onchip_bytes=onchip,
                latency_ns=max(t_map / clock, dram / bw),
                instr_entries=op_instr,
            )
        )
    return rows


def fixed_cost_ns(n_ops: int, program_entries: int) -> float:
    """Per-op synchronisation plus instruction issue of the whole program (ns)."""
    k = constants()
    cycles = n_ops * k["OP_OVERHEAD_CYCLES"] + k["ISSUE_CYCLES_PER_INSTR"] * program_entries
    return cycles / k["CLOCK_GHZ"]


def simulate_one(design: tuple[int, ...], prep: Prepared) -> tuple[float, float, bool, int, float]:
    """(latency_ms, area_mm2, feasible, reason, energy_mj) of one design."""
    k = constants()
    values = tuple(PARAM_VALUES[j][i] for j, i in enumerate(design))
    rows = op_rows(values, prep)
    time_ns = 0.0
    instr = 0
    dram_total = 0.0
    onchip_total = 0.0
    for row in rows:
        time_ns += row.latency_ns
        instr += row.instr_entries
        dram_total += row.dram_bytes
        onchip_total += row.onchip_bytes

    reason = int(first_failing(prep.requirements | {"program_entries": instr}, values))
    time_ns += fixed_cost_ns(len(rows), instr)
    area = area_one(design)
    if reason:
        return math.inf, area, False, reason, math.nan
    energy_pj = (
        prep.macs * k["ENERGY_MAC_PJ"]
        + onchip_total * k["ENERGY_SRAM_PJ_PER_BYTE"]
        + dram_total * k["ENERGY_DRAM_PJ_PER_BYTE"]
        + k["STATIC_MW_PER_MM2"] * area * time_ns
    )
    return time_ns * 1e-6, area, True, reason, energy_pj * 1e-9


def simulate_rows(designs: np.ndarray, prep: Prepared) -> dict[str, np.ndarray]:
    rows = [simulate_one(tuple(int(v) for v in d), prep) for d in designs]
    lat, area, feas, reason, energy = zip(*rows, strict=True) if rows else ((), (), (), (), ())
    return {
        "latency_ms": np.array(lat, dtype=np.float64),
        "area_mm2": np.array(area, dtype=np.float64),
        "feasible": np.array(feas, dtype=bool),
        "reason": np.array(reason, dtype=np.uint8),
        "energy_mj": np.array(energy, dtype=np.float64),
    }
