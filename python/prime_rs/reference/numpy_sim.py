"""The simulator vectorised over designs with numpy: the honest fast-Python baseline.

Same model, same operation order and same floating-point expressions as the native simulator
(`rust/prime-core/src/sim/`) and the per-design loop in `python_sim.py`, so all three agree to
1e-9 relative (tests/test_simulator.py). The model itself is documented once, in
`rust/prime-core/src/sim/mod.rs`; the constants, the value table and the feasibility rules come
from the native module (see `_common.py`), so each has a single source.
"""

from __future__ import annotations

import numpy as np

from prime_rs.reference._common import (
    Prepared,
    constants,
    design_columns,
    first_failing,
    prepare,
    raw_columns,
)


def _cdiv(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return -(-a // b)


def simulate_arrays(designs: np.ndarray, prep: Prepared) -> dict[str, np.ndarray]:
    k = constants()
    raw = raw_columns(designs)
    d = design_columns(raw)
    n = designs.shape[0]
    p, c, lanes = d["p"], d["c"], d["lanes"]
    mpe, mc, mp, ma, bw = d["mpe"], d["mc"], d["mp"], d["ma"], d["bw"]
    units = p * c * lanes
    half = p * mpe // 2
    onchip_bw = float(k["ONCHIP_BYTES_PER_CYCLE"])

    clock = float(k["CLOCK_GHZ"])
    time_ns = np.zeros(n, dtype=np.float64)
    instr = np.zeros(n, dtype=np.int64)
    dram_total = np.zeros(n, dtype=np.float64)
    onchip_total = np.zeros(n, dtype=np.float64)
    ops = prep.ops
    last = len(ops["m"]) - 1
    for i in range(last + 1):
        kind = int(ops["kind"][i])
        m, nn, kk = int(ops["m"][i]), int(ops["n"][i]), int(ops["k"][i])
        reps = int(ops["reps"][i])
        wb, ai, ao = int(ops["weight_bytes"][i]), int(ops["in_bytes"][i]), int(ops["out_bytes"][i])

        # Instructions: a fixed block per op plus one descriptor per weight and activation tile
        # of a PE's share as the compiler tiles it (PEs run the same program on other data).
        w_tiles = _cdiv(np.int64(wb), c * mp)
        a_tiles = _cdiv(np.int64(ai + ao), c * ma)
        op_instr = (
            k["INSTR_PER_OP"]
            + k["INSTR_PER_WEIGHT_TILE"] * w_tiles
            + k["INSTR_PER_ACT_TILE"] * a_tiles
        )
        instr = instr + op_instr

        fits = (ai + ao) <= half
        if kind == 0:
            fill = k["PASS_FILL_CYCLES"]
            # The family where PEs split the output rows (see mod.rs): cores split channels,
            # lanes channels, the reduction or rows; or cores split rows, lanes likewise.
            rows_pe = _cdiv(np.int64(m), p)
            n_core = _cdiv(np.int64(nn), c)
            rows_core = _cdiv(rows_pe, c)
            pas = kk + fill
            k_lane = _cdiv(np.int64(kk), lanes)
            comp_ch = np.minimum(
                np.minimum(
                    rows_pe * _cdiv(np.int64(nn), c * lanes) * pas,
                    rows_pe * (n_core * k_lane + fill),
                ),
                _cdiv(rows_pe, lanes) * n_core * pas,
            ).astype(np.float64)
            comp_rows = np.minimum(
                np.minimum(
                    rows_core * _cdiv(np.int64(nn), lanes) * pas,
                    rows_core * (nn * k_lane + fill),
                ),
                _cdiv(rows_core, lanes) * nn * pas,
            ).astype(np.float64)
            in_pe = _cdiv(ai * rows_pe, np.int64(m))
            reload = _cdiv(in_pe, ma)
            wcore_ch = n_core * kk
            wsplit_ch = wcore_ch > mp
            spill_ch = np.where(
                wsplit_ch & (rows_pe * n_core * 4 > mc),
                8 * rows_pe * nn * (_cdiv(wcore_ch, mp) - 1),
                0,
            )
            on_ch = (in_pe + wb * np.where(wsplit_ch, reload, 1) + spill_ch).astype(np.float64)
            on_ch = on_ch * reps
            # Cores that split rows each need all weights (the PE's port broadcasts them).
            wcore_rows = np.int64(nn * kk)
            wsplit_rows = wcore_rows > mp
            spill_rows = np.where(
                wsplit_rows & (rows_core * nn * 4 > mc),
                8 * rows_pe * nn * (_cdiv(wcore_rows, mp) - 1),
                0,
            )
            on_rows = (in_pe + wb * np.where(wsplit_rows, reload, 1) + spill_rows).astype(
                np.float64
            )
            on_rows = on_rows * reps
            t_ch = np.maximum(comp_ch * reps, on_ch / onchip_bw)
            t_rows = np.maximum(comp_rows * reps, on_rows / onchip_bw)
            use_rows = t_rows < t_ch
            t_fam = np.where(use_rows, t_rows, t_ch)
            on_fam = np.where(use_rows, on_rows, on_ch)
            # Candidate b: PEs, cores and lanes all split the output channels.
            n_pe_b = _cdiv(np.int64(nn), p)
            n_core_b = _cdiv(n_pe_b, c)
            comp_b = (m * _cdiv(np.int64(nn), units) * (kk + fill)).astype(np.float64)
            w_pe_b = _cdiv(wb * n_pe_b, np.int64(nn))
            wcore_b = n_core_b * kk
            wsplit_b = wcore_b > mp
            reload_b = np.where(wsplit_b, _cdiv(np.int64(ai), ma), 1)
            spill_b = np.where(
                wsplit_b & (m * n_core_b * 4 > mc),
                8 * m * n_pe_b * (_cdiv(wcore_b, mp) - 1),
                0,
            )
            on_b = (ai + w_pe_b * reload_b + spill_b).astype(np.float64) * reps
            t_b = np.maximum(comp_b * reps, on_b / onchip_bw)
            use_b = t_b < t_fam
            t_map = np.where(use_b, t_b, t_fam)
            onchip = np.where(use_b, on_b, on_fam) * p
            # DRAM traffic (bytes): weights once when they fit half the PE memory, else per step;
            # activations spill when the layer's working set does not fit the other half.
            w_traffic = np.where(wb <= half, wb, wb * reps)
            refetch = (
                np.minimum(wb + ai * _cdiv(np.int64(wb), half), ai + wb * _cdiv(np.int64(ai), half))
                + ao
            )
            spill_all = np.where((wb <= half) | (reps > 1), w_traffic + (ai + ao) * reps, refetch)
            dram = np.where(fits, w_traffic, spill_all).astype(np.float64)
        else:
            t_map = (_cdiv(np.int64(ai + ao), units) + k["PASS_FILL_CYCLES"]).astype(np.float64)
            onchip_pe = (_cdiv(np.int64(ai + ao), p)).astype(np.float64)
            t_map = np.maximum(t_map, onchip_pe / onchip_bw)
            onchip = onchip_pe * p
            dram = (wb + np.where(fits, 0, ai + ao)).astype(np.float64)
        if i == 0:
            dram = dram + np.where(fits, ai, 0)
        if i == last:
            dram = dram + np.where(fits, ao, 0)
        # Time in ns: cycles at the clock against DRAM bytes at GB/s (= bytes per ns).
        t_dram = dram / bw
        time_ns = time_ns + np.maximum(t_map / clock, t_dram)
        dram_total = dram_total + dram
        onchip_total = onchip_total + onchip

    # The rules come from the native table; the program size is the one design-dependent need.
    reason = first_failing(prep.requirements | {"program_entries": instr}, raw)
    # Synchronisation per op and issue time of the whole program, added once.
    time_ns = (
        time_ns
        + ((last + 1) * k["OP_OVERHEAD_CYCLES"] + k["ISSUE_CYCLES_PER_INSTR"] * instr) / clock
    )
    feasible = reason == 0
    area = area_arrays(designs)
    latency_ms = time_ns * 1e-6
    energy_pj = (
        prep.macs * k["ENERGY_MAC_PJ"]
        + onchip_total * k["ENERGY_SRAM_PJ_PER_BYTE"]
        + dram_total * k["ENERGY_DRAM_PJ_PER_BYTE"]
        + k["STATIC_MW_PER_MM2"] * area * time_ns
    )
    return {
        "latency_ms": np.where(feasible, latency_ms, np.inf),
        "area_mm2": area,
        "feasible": feasible,
        "reason": reason,
        "energy_mj": np.where(feasible, energy_pj * 1e-9, np.nan),
    }


def _sram(bytes_: np.ndarray) -> np.ndarray:
    k = constants()
    b = bytes_.astype(np.float64)
    return k["SRAM_MM2_PER_BYTE"] * b + k["SRAM_MM2_PER_SQRT_BYTE"] * np.sqrt(b)


def area_arrays(designs: np.ndarray) -> np.ndarray:
    k = constants()
    d = design_columns(raw_columns(designs))
    core = (
        d["lanes"] * k["MAC_LANE_MM2"]
        + _sram(d["mc"])
        + _sram(d["mp"])
        + _sram(d["ma"])
        + _sram(d["instr"] * k["INSTR_BYTES_PER_ENTRY"])
        + k["CORE_CTRL_MM2"]
    )
    pe = d["c"] * core + _sram(d["mpe"]) + k["PE_CTRL_MM2"]
    p = d["p"].astype(np.float64)
    noc = k["NOC_MM2_PER_PE"] * p * np.log2(2.0 * p)
    return p * pe + noc + k["IO_MM2"] + k["PHY_MM2_PER_GBPS"] * d["bw"]


__all__ = ["area_arrays", "prepare", "simulate_arrays"]
