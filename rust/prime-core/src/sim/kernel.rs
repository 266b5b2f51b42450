//! The latency kernel: the model of `sim/mod.rs` evaluated layer-major over blocks of feasible
//! designs (docs/performance/simulator.md has the profile behind each choice).
//!
//! * Each op's constants are hoisted out of the design loop, and per-design values sit in short
//!   columns, so the design loop is straight-line f64 code with selects that the compiler
//!   vectorises.
//! * Ceil-divisions are exact in f64 at these magnitudes (`design::cdiv`). Lanes, parameter and
//!   activation memory are powers of two, so dividing by them is multiplying by an exact
//!   reciprocal, and `ceil(n / (c·L)) = ceil(ceil(n / c) / L)` reuses the per-core split: 9
//!   divisions per (design, GEMM op) instead of 16, each value bit-identical to the direct form.
//!   The lanes' splits of rows and of the reduction are such multiplies too; only the cores'
//!   row split `ceil(ceil(m/P)/c)` is a 10th division (cores take values like 6 and 10).
//! * A vector loop pays for every branch of the model on every design. Weight splitting and the
//!   re-fetch loop order are rare, so each GEMM op checks once per block whether any of its
//!   designs can take them, and otherwise runs a loop compiled without them.
//! * x86-64's baseline (SSE2) has no rounding instruction: there every ceil is a call to a
//!   software `ceil` that branches on the exponent, and the loop stays scalar. The same code is
//!   therefore also compiled for AVX2 and picked at run time. Only IEEE-exact operations are
//!   involved and Rust never contracts `a·b + c` into an FMA, so both builds give bit-identical
//!   results.

use super::area;
use super::constants::*;
use super::design::{cdiv, DesignValues};
use super::{check, PreparedWorkload, Reason};
use crate::space::{idx, Design, PARAMS};

/// Designs per block: large enough to amortise the per-op constants, small enough for the
/// block's columns to stay in L1.
pub(super) const BLOCK: usize = 256;

const fn all_powers_of_two(values: &[u64]) -> bool {
    let mut i = 0;
    while i < values.len() {
        if !values[i].is_power_of_two() {
            return false;
        }
        i += 1;
    }
    true
}

// The reciprocals below are exact only for powers of two.
const _: () = assert!(all_powers_of_two(PARAMS[idx::SIMD_LANES].values));
const _: () = assert!(all_powers_of_two(PARAMS[idx::PARAMETER_MEMORY].values));
const _: () = assert!(all_powers_of_two(PARAMS[idx::ACTIVATION_MEMORY].values));

/// Per-design state of a block's feasible designs, as columns.
struct Block {
    pes: [f64; BLOCK],
    cores: [f64; BLOCK],
    units: [f64; BLOCK],
    /// 1 / lanes, 1 / parameter memory, 1 / activation memory: exact (powers of two).
    inv_lanes: [f64; BLOCK],
    inv_mp: [f64; BLOCK],
    inv_ma: [f64; BLOCK],
    half: [f64; BLOCK],
    bw: [f64; BLOCK],
    mp: [f64; BLOCK],
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
            inv_lanes: [1.0; BLOCK],
            inv_mp: [1.0; BLOCK],
            inv_ma: [1.0; BLOCK],
            half: [1.0; BLOCK],
            bw: [1.0; BLOCK],
            mp: [1.0; BLOCK],
            mc: [1.0; BLOCK],
            time_ns: [0.0; BLOCK],
            dram: [0.0; BLOCK],
            onchip: [0.0; BLOCK],
        }
    }

    /// The smallest parameter memory and half PE memory of the first `nf` designs.
    fn minima(&self, nf: usize) -> (f64, f64) {
        let min = |col: &[f64]| col[..nf].iter().copied().fold(f64::INFINITY, f64::min);
        (min(&self.mp), min(&self.half))
    }

    fn set(&mut self, f: usize, v: &DesignValues) {
        self.pes[f] = v.pes;
        self.cores[f] = v.cores;
        self.units[f] = v.pes * v.cores * v.lanes;
        self.inv_lanes[f] = 1.0 / v.lanes;
        self.inv_mp[f] = 1.0 / v.param_mem;
        self.inv_ma[f] = 1.0 / v.act_mem;
        // P·Mpe is even (Mpe is a multiple of 256 KiB), so the half is exact.
        self.half[f] = v.pes * v.pe_mem / 2.0;
        self.bw[f] = v.bandwidth;
        self.mp[f] = v.param_mem;
        self.mc[f] = v.core_mem;
    }
}

/// Every op over the first `nf` designs of a block.
type OpsFn = fn(&mut Block, usize, &PreparedWorkload);

/// Simulate a block of at most [`BLOCK`] designs into the output slices (all of its length).
#[allow(clippy::too_many_arguments)]
pub(super) fn simulate_block(
    designs: &[Design],
    wl: &PreparedWorkload,
    latency_ms: &mut [f64],
    area_mm2: &mut [f64],
    feasible: &mut [bool],
    reason: &mut [u8],
    energy_mj: &mut [f64],
) {
    let out = (latency_ms, area_mm2, feasible, reason, energy_mj);
    simulate_block_using(all_ops, designs, wl, out);
}

/// The output columns of a block.
type BlockOut<'a> = (
    &'a mut [f64],
    &'a mut [f64],
    &'a mut [bool],
    &'a mut [u8],
    &'a mut [f64],
);

fn simulate_block_using(ops: OpsFn, designs: &[Design], wl: &PreparedWorkload, out: BlockOut) {
    let (latency_ms, area_mm2, feasible, reason, energy_mj) = out;
    debug_assert!(designs.len() <= BLOCK);
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
    ops(&mut s, nf, wl);
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

/// Every op of the workload over the block's first `nf` designs, in the best build this CPU runs.
fn all_ops(s: &mut Block, nf: usize, wl: &PreparedWorkload) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU was just checked to support AVX2, the only requirement of this call.
        unsafe { all_ops_avx2(s, nf, wl) };
        return;
    }
    all_ops_body(s, nf, wl);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn all_ops_avx2(s: &mut Block, nf: usize, wl: &PreparedWorkload) {
    all_ops_body(s, nf, wl);
}

/// Inlined into each build, so each compiles it for its own instruction set.
#[inline(always)]
fn all_ops_body(s: &mut Block, nf: usize, wl: &PreparedWorkload) {
    let last = wl.len().saturating_sub(1);
    let (min_mp, min_half) = s.minima(nf);
    for i in 0..wl.len() {
        if !wl.is_gemm[i] {
            memory_op(s, nf, wl, i, last);
            continue;
        }
        // Most ops can take neither rare branch on any design of the block; their loop then
        // goes without it. A core's weight slice is at most n·k, and a design re-fetches only
        // for a single-repetition op whose weights exceed half its PE memory.
        let split = wl.n[i] * wl.k[i] > min_mp;
        let refetch = wl.weight_bytes[i] > min_half && wl.reps[i] <= 1.0;
        match (split, refetch) {
            (false, false) => gemm_op::<false, false>(s, nf, wl, i, last),
            (false, true) => gemm_op::<false, true>(s, nf, wl, i, last),
            (true, false) => gemm_op::<true, false>(s, nf, wl, i, last),
            (true, true) => gemm_op::<true, true>(s, nf, wl, i, last),
        }
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

#[inline(always)]
/// One GEMM op over the block. `SPLIT = false` promises that no design splits its weights,
/// `REFETCH = false` that none pays the re-fetch loop order; the results are the same either
/// way, only the work differs.
fn gemm_op<const SPLIT: bool, const REFETCH: bool>(
    s: &mut Block,
    nf: usize,
    wl: &PreparedWorkload,
    i: usize,
    last: usize,
) {
    let (m, n, k, reps) = (wl.m[i], wl.n[i], wl.k[i], wl.reps[i]);
    let (wb, ai, ao) = (wl.weight_bytes[i], wl.in_bytes[i], wl.out_bytes[i]);
    let pass = k + PASS_FILL_CYCLES;
    let n_pass = n * pass;
    for f in 0..nf {
        let (p, c, mp, mc, half) = (s.pes[f], s.cores[f], s.mp[f], s.mc[f], s.half[f]);
        let (inv_lanes, inv_mp, inv_ma) = (s.inv_lanes[f], s.inv_mp[f], s.inv_ma[f]);
        let fits = ai + ao <= half;

        // The family where PEs split rows (mod.rs lists its candidates). Cores split channels
        // in the first three, whose traffic is (a)'s, or rows in the last three, where every
        // core needs all weights. Each is a product of factors non-increasing in P, c and L.
        let rows_pe = cdiv(m, p);
        let n_core = cdiv(n, c);
        let rows_core = cdiv(rows_pe, c);
        let k_lane = (k * inv_lanes).ceil();
        // R·min(x, y) is min(R·x, R·y) exactly: every factor is a small positive integer.
        let comp_ch = (rows_pe
            * ((n_core * inv_lanes).ceil() * pass).min(n_core * k_lane + PASS_FILL_CYCLES))
        .min((rows_pe * inv_lanes).ceil() * n_core * pass);
        let comp_rows = (rows_core
            * ((n * inv_lanes).ceil() * pass).min(n * k_lane + PASS_FILL_CYCLES))
        .min((rows_core * inv_lanes).ceil() * n_pass);
        let in_pe = cdiv(ai * rows_pe, m);
        let reload = if SPLIT { (in_pe * inv_ma).ceil() } else { 1.0 };
        let wcore_ch = n_core * k;
        let wsplit_ch = SPLIT && wcore_ch > mp;
        let spill_ch = if wsplit_ch && rows_pe * n_core * 4.0 > mc {
            8.0 * rows_pe * n * ((wcore_ch * inv_mp).ceil() - 1.0)
        } else {
            0.0
        };
        let on_ch = (in_pe + wb * if wsplit_ch { reload } else { 1.0 } + spill_ch) * reps;
        let (t_fam, on_fam) = if SPLIT {
            let wsplit_rows = n * k > mp;
            let spill_rows = if wsplit_rows && rows_core * n * 4.0 > mc {
                8.0 * rows_pe * n * ((n * k * inv_mp).ceil() - 1.0)
            } else {
                0.0
            };
            let on_rows = (in_pe + wb * if wsplit_rows { reload } else { 1.0 } + spill_rows) * reps;
            let t_ch = (comp_ch * reps).max(on_ch / ONCHIP_BYTES_PER_CYCLE);
            let t_rows = (comp_rows * reps).max(on_rows / ONCHIP_BYTES_PER_CYCLE);
            // Ties go to the cores' channel split, listed first.
            if t_rows < t_ch {
                (t_rows, on_rows)
            } else {
                (t_ch, on_ch)
            }
        } else {
            // Without weight splitting the whole family moves the same bytes.
            let t = (comp_ch.min(comp_rows) * reps).max(on_ch / ONCHIP_BYTES_PER_CYCLE);
            (t, on_ch)
        };

        // (b) PEs, cores and lanes all split channels.
        let n_pe_b = cdiv(n, p);
        let n_core_b = cdiv(n_pe_b, c);
        let comp_b = m * (n_core_b * inv_lanes).ceil() * pass;
        let w_pe_b = cdiv(wb * n_pe_b, n);
        let wcore_b = n_core_b * k;
        let wsplit_b = SPLIT && wcore_b > mp;
        let reload_b = if wsplit_b { (ai * inv_ma).ceil() } else { 1.0 };
        let spill_b = if wsplit_b && m * n_core_b * 4.0 > mc {
            8.0 * m * n_pe_b * ((wcore_b * inv_mp).ceil() - 1.0)
        } else {
            0.0
        };
        let on_b = (ai + w_pe_b * reload_b + spill_b) * reps;

        let t_b = (comp_b * reps).max(on_b / ONCHIP_BYTES_PER_CYCLE);
        let use_b = t_b < t_fam;
        let t_map = if use_b { t_b } else { t_fam };
        let onchip = (if use_b { on_b } else { on_fam }) * p;

        let w_traffic = if wb <= half { wb } else { wb * reps };
        let dram = if fits {
            w_traffic
        } else if !REFETCH || wb <= half || reps > 1.0 {
            w_traffic + (ai + ao) * reps
        } else {
            (wb + ai * cdiv(wb, half)).min(ai + wb * cdiv(ai, half)) + ao
        };
        let dram = dram + boundary_bytes(i, last, fits, ai, ao);
        finish_op(s, f, t_map, dram, onchip);
    }
}

#[inline(always)]
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

#[cfg(test)]
mod tests;
