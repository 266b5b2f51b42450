//! The analytical EdgeTPU-like simulator (sources and calibration: docs/simulator.md).
//!
//! # The chip
//! `P = pe_x·pe_y` PEs, each with `c` cores and a shared PE memory; each core has `L` int8 MAC
//! lanes and its own core (partial sums), parameter, activation and instruction memories; one
//! DRAM interface of `BW` GB/s. Clock [`constants::CLOCK_GHZ`].
//!
//! # Per op (see `workload::op::Op`)
//! * **Mapping.** Two spatial candidates, each evaluated in closed form; the faster is kept (ties
//!   go to (a)). (a) PEs split the output rows `m`, cores and lanes the channels `n`:
//!   `ceil(m/P)·ceil(n/(c·L))` passes. (b) PEs, cores and lanes all split `n`: `m·ceil(n/(P·c·L))`
//!   passes (what M = 1 layers, FC and LSTM steps, need). A pass costs `k + fill` cycles, so the
//!   ceil() losses make small layers use a big array poorly.
//! * **On-chip transfer** (PE memory -> cores, [`constants::ONCHIP_BYTES_PER_CYCLE`] per PE):
//!   each PE receives its input share and its weights, (a) all weights, broadcast; (b) its `1/P`
//!   channel share. When a core's weight slice exceeds parameter memory, weights are re-streamed
//!   once per activation-memory tile of the input, and partial sums that do not fit core memory
//!   spill to PE memory once per extra weight tile (int32 write + read).
//! * **DRAM.** Weights are read once per inference (cold start) if they fit half the total PE
//!   memory, else once per repetition (an LSTM's recurrent weights each step). Activations stay
//!   on chip when the op's input and output fit the other half; otherwise they spill (read and
//!   write), and large-weight layers pay the cheaper of the two loop orders' re-fetches:
//!   `min(W + A·ceil(W/H), A + W·ceil(A/H)) + out`. The network's input and output always cross
//!   DRAM.
//! * **Latency** `= Σ_ops max(mapping time, DRAM bytes / BW) + Σ_ops fixed overhead + issue time
//!   of the whole program`: the per-level roofline of Timeloop with ZigZag's on/off-loading folded
//!   into the DRAM term, plus synchronisation and instruction issue.
//! * **Feasibility** (first failing rule wins): the table in [`rules`], each rule a workload
//!   requirement (from [`PreparedWorkload`]) against one memory of the design: two whole
//!   filters in parameter memory (`ParamMem`), the minimal input window in activation memory
//!   (`ActMem`), the minimal partial-sum row in core memory (`CoreMem`), the double-buffered
//!   input row band in PE memory (`PeMem`), and the compiled program in instruction memory
//!   (`InstrMem`: a fixed block per op plus descriptors per weight tile of `c·Mp` and per
//!   activation tile of `c·Ma` bytes).
//!
//! # Laws (`laws.rs` and tests/test_simulator.py hold them)
//! Latency ≥ max(MACs / (P·c·L·f), (weights + network input + output) / BW). No rule or term
//! grows with a resource, so more PEs, cores, lanes, memory or bandwidth never increases the
//! latency of a feasible design nor makes it infeasible; area strictly increases with each.
//!
//! # Speed
//! The kernel is layer-major over blocks of designs: per-op constants are hoisted, per-design
//! values sit in short arrays, and everything is f64 with branch-free selects so the compiler
//! can vectorise the design loop; ceil-divisions are exact in f64 at these magnitudes
//! (`design::cdiv`). Batches run in parallel with rayon; each design's result depends only on
//! that design, so results are identical for any thread count.

pub mod area;
pub mod constants;
pub mod design;
pub mod fingerprint;
#[cfg(test)]
mod laws;
pub mod prepared;
pub mod rules;

use constants::*;
use design::{cdiv, DesignValues};
pub use fingerprint::fingerprint;
pub use prepared::PreparedWorkload;
use rayon::prelude::*;
pub use rules::{Reason, REASON_NAMES, RULES};

use crate::space::Design;

/// Results for a batch, one entry per design. Latency is +inf and energy NaN when infeasible.
#[derive(Debug, Clone, Default)]
pub struct SimOutputs {
    pub latency_ms: Vec<f64>,
    pub area_mm2: Vec<f64>,
    pub feasible: Vec<bool>,
    pub reason: Vec<u8>,
    pub energy_mj: Vec<f64>,
}

impl SimOutputs {
    pub fn zeros(n: usize) -> Self {
        SimOutputs {
            latency_ms: vec![0.0; n],
            area_mm2: vec![0.0; n],
            feasible: vec![false; n],
            reason: vec![0; n],
            energy_mj: vec![0.0; n],
        }
    }
}

/// Designs per block of the layer-major kernel: large enough to amortise the per-op constants,
/// small enough for the block's state to stay in L1.
const BLOCK: usize = 64;
/// Designs per rayon task.
const TASK: usize = 1024;

/// Area only (no workload), for a batch.
pub fn area_batch(designs: &[Design]) -> Vec<f64> {
    designs
        .par_iter()
        .with_min_len(TASK)
        .map(|d| area::area_of(&DesignValues::of(d)))
        .collect()
}

/// Simulate every design on one workload, in parallel.
pub fn simulate_batch(designs: &[Design], wl: &PreparedWorkload) -> SimOutputs {
    let n = designs.len();
    let mut out = SimOutputs::zeros(n);
    let SimOutputs {
        latency_ms,
        area_mm2,
        feasible,
        reason,
        energy_mj,
    } = &mut out;
    designs
        .par_chunks(TASK)
        .zip(latency_ms.par_chunks_mut(TASK))
        .zip(area_mm2.par_chunks_mut(TASK))
        .zip(feasible.par_chunks_mut(TASK))
        .zip(reason.par_chunks_mut(TASK))
        .zip(energy_mj.par_chunks_mut(TASK))
        .for_each(|(((((d, lat), ar), fe), re), en)| {
            for (b, block) in d.chunks(BLOCK).enumerate() {
                let r = b * BLOCK..b * BLOCK + block.len();
                simulate_block(
                    block,
                    wl,
                    &mut lat[r.clone()],
                    &mut ar[r.clone()],
                    &mut fe[r.clone()],
                    &mut re[r.clone()],
                    &mut en[r],
                );
            }
        });
    out
}

/// Per-design state of a block's feasible designs, as columns.
struct Block {
    pes: [f64; BLOCK],
    cores: [f64; BLOCK],
    units: [f64; BLOCK],
    core_lanes: [f64; BLOCK],
    half: [f64; BLOCK],
    bw: [f64; BLOCK],
    mp: [f64; BLOCK],
    ma: [f64; BLOCK],
    mc: [f64; BLOCK],
    time_ns: [f64; BLOCK],
    dram: [f64; BLOCK],
    onchip: [f64; BLOCK],
}

impl Block {
    fn new() -> Self {
        Block {
            pes: [1.0; BLOCK],
            cores: [1.0; BLOCK],
            units: [1.0; BLOCK],
            core_lanes: [1.0; BLOCK],
            half: [1.0; BLOCK],
            bw: [1.0; BLOCK],
            mp: [1.0; BLOCK],
            ma: [1.0; BLOCK],
            mc: [1.0; BLOCK],
            time_ns: [0.0; BLOCK],
            dram: [0.0; BLOCK],
            onchip: [0.0; BLOCK],
        }
    }

    fn set(&mut self, f: usize, v: &DesignValues) {
        self.pes[f] = v.pes;
        self.cores[f] = v.cores;
        self.units[f] = v.pes * v.cores * v.lanes;
        self.core_lanes[f] = v.cores * v.lanes;
        // P·Mpe is even (Mpe is a multiple of 256 KiB), so the half is exact.
        self.half[f] = v.pes * v.pe_mem / 2.0;
        self.bw[f] = v.bandwidth;
        self.mp[f] = v.param_mem;
        self.ma[f] = v.act_mem;
        self.mc[f] = v.core_mem;
    }
}

/// The first failing feasibility rule of a design (see [`rules`]; all are O(1): the program
/// size is tabulated), and the design's program size, which the issue time needs.
#[inline]
fn check(d: &Design, _v: &DesignValues, wl: &PreparedWorkload) -> (Reason, f64) {
    (rules::first_violated(wl, d), rules::program_entries(wl, d))
}

#[allow(clippy::too_many_arguments)]
fn simulate_block(
    designs: &[Design],
    wl: &PreparedWorkload,
    latency_ms: &mut [f64],
    area_mm2: &mut [f64],
    feasible: &mut [bool],
    reason: &mut [u8],
    energy_mj: &mut [f64],
) {
    // Latency is only defined for feasible designs, so only they enter the op loop, packed.
    let mut s = Block::new();
    let mut slot = [0usize; BLOCK];
    let mut program = [0.0f64; BLOCK];
    let mut areas = [0.0f64; BLOCK];
    let mut nf = 0;
    for (j, d) in designs.iter().enumerate() {
        let v = DesignValues::of(d);
        let (code, entries) = check(d, &v, wl);
        areas[j] = area::area_of(&v);
        area_mm2[j] = areas[j];
        reason[j] = code as u8;
        feasible[j] = code == Reason::Feasible;
        latency_ms[j] = f64::INFINITY;
        energy_mj[j] = f64::NAN;
        if code == Reason::Feasible {
            s.set(nf, &v);
            slot[nf] = j;
            program[nf] = entries;
            nf += 1;
        }
    }
    let last = wl.len().saturating_sub(1);
    for i in 0..wl.len() {
        if wl.is_gemm[i] {
            gemm_op(&mut s, nf, wl, i, last);
        } else {
            memory_op(&mut s, nf, wl, i, last);
        }
    }
    let n_ops = wl.len() as f64;
    for f in 0..nf {
        let j = slot[f];
        let overhead =
            (n_ops * OP_OVERHEAD_CYCLES + ISSUE_CYCLES_PER_INSTR * program[f]) / CLOCK_GHZ;
        let time_ns = s.time_ns[f] + overhead;
        latency_ms[j] = time_ns * 1e-6;
        let pj = wl.macs * ENERGY_MAC_PJ
            + s.onchip[f] * ENERGY_SRAM_PJ_PER_BYTE
            + s.dram[f] * ENERGY_DRAM_PJ_PER_BYTE
            + STATIC_MW_PER_MM2 * areas[j] * time_ns;
        energy_mj[j] = pj * 1e-9;
    }
}

#[inline(always)]
fn finish_op(s: &mut Block, f: usize, t_map: f64, dram: f64, onchip: f64) {
    s.time_ns[f] += (t_map / CLOCK_GHZ).max(dram / s.bw[f]);
    s.dram[f] += dram;
    s.onchip[f] += onchip;
}

#[inline(always)]
fn boundary_bytes(i: usize, last: usize, fits: bool, ai: f64, ao: f64) -> f64 {
    let mut extra = 0.0;
    if i == 0 && fits {
        extra += ai;
    }
    if i == last && fits {
        extra += ao;
    }
    extra
}

fn gemm_op(s: &mut Block, nf: usize, wl: &PreparedWorkload, i: usize, last: usize) {
    let (m, n, k, reps) = (wl.m[i], wl.n[i], wl.k[i], wl.reps[i]);
    let (wb, ai, ao) = (wl.weight_bytes[i], wl.in_bytes[i], wl.out_bytes[i]);
    let pass = k + PASS_FILL_CYCLES;
    for f in 0..nf {
        let (p, c, mp, ma, mc, half) = (s.pes[f], s.cores[f], s.mp[f], s.ma[f], s.mc[f], s.half[f]);
        let fits = ai + ao <= half;

        // (a) PEs split rows, cores and lanes split channels.
        let rows_pe = cdiv(m, p);
        let n_core_a = cdiv(n, c);
        let comp_a = rows_pe * cdiv(n, s.core_lanes[f]) * pass;
        let in_pe_a = cdiv(ai * rows_pe, m);
        let wcore_a = n_core_a * k;
        let wsplit_a = wcore_a > mp;
        let reload_a = if wsplit_a { cdiv(in_pe_a, ma) } else { 1.0 };
        let spill_a = if wsplit_a && rows_pe * n_core_a * 4.0 > mc {
            8.0 * rows_pe * n * (cdiv(wcore_a, mp) - 1.0)
        } else {
            0.0
        };
        let on_a = (in_pe_a + wb * reload_a + spill_a) * reps;

        // (b) PEs, cores and lanes all split channels.
        let n_pe_b = cdiv(n, p);
        let n_core_b = cdiv(n_pe_b, c);
        let comp_b = m * cdiv(n, s.units[f]) * pass;
        let w_pe_b = cdiv(wb * n_pe_b, n);
        let wcore_b = n_core_b * k;
        let wsplit_b = wcore_b > mp;
        let reload_b = if wsplit_b { cdiv(ai, ma) } else { 1.0 };
        let spill_b = if wsplit_b && m * n_core_b * 4.0 > mc {
            8.0 * m * n_pe_b * (cdiv(wcore_b, mp) - 1.0)
        } else {
            0.0
        };
        let on_b = (ai + w_pe_b * reload_b + spill_b) * reps;

        let t_a = (comp_a * reps).max(on_a / ONCHIP_BYTES_PER_CYCLE);
        let t_b = (comp_b * reps).max(on_b / ONCHIP_BYTES_PER_CYCLE);
        let use_b = t_b < t_a;
        let t_map = if use_b { t_b } else { t_a };
        let onchip = (if use_b { on_b } else { on_a }) * p;

        let w_traffic = if wb <= half { wb } else { wb * reps };
        let dram = if fits {
            w_traffic
        } else if wb <= half || reps > 1.0 {
            w_traffic + (ai + ao) * reps
        } else {
            (wb + ai * cdiv(wb, half)).min(ai + wb * cdiv(ai, half)) + ao
        };
        let dram = dram + boundary_bytes(i, last, fits, ai, ao);
        finish_op(s, f, t_map, dram, onchip);
    }
}

fn memory_op(s: &mut Block, nf: usize, wl: &PreparedWorkload, i: usize, last: usize) {
    let (wb, ai, ao) = (wl.weight_bytes[i], wl.in_bytes[i], wl.out_bytes[i]);
    let bytes = ai + ao;
    for f in 0..nf {
        let fits = bytes <= s.half[f];
        let onchip_pe = cdiv(bytes, s.pes[f]);
        let t_map =
            (cdiv(bytes, s.units[f]) + PASS_FILL_CYCLES).max(onchip_pe / ONCHIP_BYTES_PER_CYCLE);
        // A memory op's weights (an embedding table's rows) are read once.
        let dram = wb + if fits { 0.0 } else { bytes } + boundary_bytes(i, last, fits, ai, ao);
        finish_op(s, f, t_map, dram, onchip_pe * s.pes[f]);
    }
}

/// Simulate one design (convenience for tests and small callers).
pub fn simulate_one(design: &Design, wl: &PreparedWorkload) -> SimOutputs {
    simulate_batch(std::slice::from_ref(design), wl)
}
