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
//! * Most GEMM ops split no weights on any design of the block; their loop reads every value
//!   that depends on the PE count alone, or on (cores, lanes) alone, from per-op tables
//!   ([`OpTables`], built once per workload) by the design's value indices, which leaves two
//!   divisions per (design, op), those by the cores of `ceil(m/P)` and `ceil(n/P)`.
//! * `min`/`max` are plain comparisons ([`MinMax`]): no NaN reaches the kernel, and `f64::min`'s
//!   NaN rule costs two extra vector instructions each.
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

const N_PE_X: usize = PARAMS[idx::PE_X].values.len();
const N_PE_Y: usize = PARAMS[idx::PE_Y].values.len();
const N_PES: usize = N_PE_X * N_PE_Y;
const N_CORES: usize = PARAMS[idx::CORES_PER_PE].values.len();
const N_LANES: usize = PARAMS[idx::SIMD_LANES].values.len();
const N_CL: usize = N_CORES * N_LANES;

/// A design's row in the tables by PE count.
#[inline(always)]
fn pe_index(d: &Design) -> usize {
    d[idx::PE_X] as usize * N_PE_Y + d[idx::PE_Y] as usize
}

/// One op's values that depend on a single design parameter group, tabulated once per workload
/// and gathered by each design's value indices, so the design loop no longer computes them:
/// by PE count (rows and channels per PE and the transfers that follow), by (cores, lanes) and
/// by lanes. Each entry is computed by the same expression, in the same order, as the kernel
/// did per design, so it has the same bits. Only the no-weight-split loop uses them: the
/// split adds per-design memory terms to the transfers.
#[derive(Debug, Clone)]
pub(super) struct OpTables {
    /// GEMM: `R = ceil(m/P)`; a memory op: its bytes per PE, `ceil((in + out)/P)`.
    rows_pe: [f64; N_PES],
    /// On-chip bytes of the row family per PE without weight splitting, `(ceil(in·R/m) + W)·reps`.
    on_fam: [f64; N_PES],
    /// (b)'s channels per PE, `ceil(n/P)`.
    n_pe_b: [f64; N_PES],
    /// (b)'s on-chip bytes per PE without weight splitting, `(in + ceil(W·ceil(n/P)/n))·reps`.
    on_b: [f64; N_PES],
    /// The cores-split-channels family's per-row cycles, `min(ceil(Nc/L)·pass, Nc·ceil(k/L) + fill)`.
    fam_ch: [f64; N_CL],
    /// `Nc·pass`, the lanes-split-rows candidate's cycles per lane row.
    nc_pass: [f64; N_CL],
    /// The cores-split-rows family's per-row cycles, `min(ceil(n/L)·pass, n·ceil(k/L) + fill)`.
    fam_rows: [f64; N_LANES],
}

impl OpTables {
    pub(super) fn of(wl: &PreparedWorkload, i: usize) -> Self {
        let (m, n, k, reps) = (wl.m[i], wl.n[i], wl.k[i], wl.reps[i]);
        let (wb, ai, ao) = (wl.weight_bytes[i], wl.in_bytes[i], wl.out_bytes[i]);
        let pass = k + PASS_FILL_CYCLES;
        let mut t = OpTables {
            rows_pe: [0.0; N_PES],
            on_fam: [0.0; N_PES],
            n_pe_b: [0.0; N_PES],
            on_b: [0.0; N_PES],
            fam_ch: [0.0; N_CL],
            nc_pass: [0.0; N_CL],
            fam_rows: [0.0; N_LANES],
        };
        for (xi, &x) in PARAMS[idx::PE_X].values.iter().enumerate() {
            for (yi, &y) in PARAMS[idx::PE_Y].values.iter().enumerate() {
                let j = xi * N_PE_Y + yi;
                // The same product as DesignValues::of.
                let p = x as f64 * y as f64;
                if !wl.is_gemm[i] {
                    t.rows_pe[j] = cdiv(ai + ao, p);
                    continue;
                }
                let rows_pe = cdiv(m, p);
                t.rows_pe[j] = rows_pe;
                t.on_fam[j] = (cdiv(ai * rows_pe, m) + wb) * reps;
                let n_pe_b = cdiv(n, p);
                t.n_pe_b[j] = n_pe_b;
                t.on_b[j] = (ai + cdiv(wb * n_pe_b, n)) * reps;
            }
        }
        for (li, &lanes) in PARAMS[idx::SIMD_LANES].values.iter().enumerate() {
            let inv_lanes = 1.0 / lanes as f64;
            let k_lane = (k * inv_lanes).ceil();
            t.fam_rows[li] = ((n * inv_lanes).ceil() * pass).lesser(n * k_lane + PASS_FILL_CYCLES);
            for (ci, &c) in PARAMS[idx::CORES_PER_PE].values.iter().enumerate() {
                let n_core = cdiv(n, c as f64);
                let j = ci * N_LANES + li;
                t.fam_ch[j] =
                    ((n_core * inv_lanes).ceil() * pass).lesser(n_core * k_lane + PASS_FILL_CYCLES);
                t.nc_pass[j] = n_core * pass;
            }
        }
        t
    }
}

/// `min` and `max` for the kernel's values. `f64::min` and `max` return the other operand when
/// one is NaN, which costs two more vector instructions (compare-unordered and blend) on each;
/// no NaN reaches the kernel (every operand is a finite, non-negative count of cycles or bytes),
/// so the plain comparison, one `minpd`/`maxpd`, gives the same result.
trait MinMax {
    fn lesser(self, other: Self) -> Self;
    fn greater(self, other: Self) -> Self;
}

impl MinMax for f64 {
    #[inline(always)]
    fn lesser(self, other: f64) -> f64 {
        if self < other {
            self
        } else {
            other
        }
    }

    #[inline(always)]
    fn greater(self, other: f64) -> f64 {
        if self > other {
            self
        } else {
            other
        }
    }
}

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
    /// Indices into an op's [`OpTables`]: the (pe_x, pe_y) pair, the (cores, lanes) pair, lanes.
    pe_ix: [u32; BLOCK],
    cl_ix: [u32; BLOCK],
    l_ix: [u32; BLOCK],
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
            pe_ix: [0; BLOCK],
            cl_ix: [0; BLOCK],
            l_ix: [0; BLOCK],
        }
    }

    /// The smallest parameter memory and half PE memory of the first `nf` designs.
    fn minima(&self, nf: usize) -> (f64, f64) {
        let min = |col: &[f64]| col[..nf].iter().copied().fold(f64::INFINITY, f64::min);
        (min(&self.mp), min(&self.half))
    }

    fn set(&mut self, f: usize, d: &Design, v: &DesignValues) {
        let (l, c) = (d[idx::SIMD_LANES] as usize, d[idx::CORES_PER_PE] as usize);
        self.pe_ix[f] = pe_index(d) as u32;
        self.cl_ix[f] = (c * N_LANES + l) as u32;
        self.l_ix[f] = l as u32;
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
            s.set(nf, d, &v);
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
            (false, false) => gemm_op_tabled::<false>(s, nf, wl, i, last),
            (false, true) => gemm_op_tabled::<true>(s, nf, wl, i, last),
            (true, false) => gemm_op::<true, false>(s, nf, wl, i, last),
            (true, true) => gemm_op::<true, true>(s, nf, wl, i, last),
        }
    }
}

#[inline(always)]
fn finish_op(s: &mut Block, f: usize, t_map: f64, dram: f64, onchip: f64) {
    s.time_ns[f] += (t_map / CLOCK_GHZ).greater(dram / s.bw[f]);
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

        // The family where PEs split rows (mod.rs lists its candidates). Cores split channels
        // in the first three, whose traffic is (a)'s, or rows in the last three, where every
        // core needs all weights. Each is a product of factors non-increasing in P, c and L.
        let rows_pe = cdiv(m, p);
        let n_core = cdiv(n, c);
        let rows_core = cdiv(rows_pe, c);
        let k_lane = (k * inv_lanes).ceil();
        // R·min(x, y) is min(R·x, R·y) exactly: every factor is a small positive integer.
        let comp_ch = (rows_pe
            * ((n_core * inv_lanes).ceil() * pass).lesser(n_core * k_lane + PASS_FILL_CYCLES))
        .lesser((rows_pe * inv_lanes).ceil() * n_core * pass);
        let comp_rows = (rows_core
            * ((n * inv_lanes).ceil() * pass).lesser(n * k_lane + PASS_FILL_CYCLES))
        .lesser((rows_core * inv_lanes).ceil() * n_pass);
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
            let t_ch = (comp_ch * reps).greater(on_ch / ONCHIP_BYTES_PER_CYCLE);
            let t_rows = (comp_rows * reps).greater(on_rows / ONCHIP_BYTES_PER_CYCLE);
            // Ties go to the cores' channel split, listed first.
            if t_rows < t_ch {
                (t_rows, on_rows)
            } else {
                (t_ch, on_ch)
            }
        } else {
            // Without weight splitting the whole family moves the same bytes.
            let t = (comp_ch.lesser(comp_rows) * reps).greater(on_ch / ONCHIP_BYTES_PER_CYCLE);
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

        let t_b = (comp_b * reps).greater(on_b / ONCHIP_BYTES_PER_CYCLE);
        let use_b = t_b < t_fam;
        let t_map = if use_b { t_b } else { t_fam };
        let onchip = (if use_b { on_b } else { on_fam }) * p;

        let dram = gemm_dram::<REFETCH>(i, last, half, wb, ai, ao, reps);
        finish_op(s, f, t_map, dram, onchip);
    }
}

#[inline(always)]
/// DRAM bytes of a GEMM op for one design (`REFETCH` as in [`gemm_op`]).
#[allow(clippy::too_many_arguments)]
fn gemm_dram<const REFETCH: bool>(
    i: usize,
    last: usize,
    half: f64,
    wb: f64,
    ai: f64,
    ao: f64,
    reps: f64,
) -> f64 {
    let fits = ai + ao <= half;
    let w_traffic = if wb <= half { wb } else { wb * reps };
    let dram = if fits {
        w_traffic
    } else if !REFETCH || wb <= half || reps > 1.0 {
        w_traffic + (ai + ao) * reps
    } else {
        (wb + ai * cdiv(wb, half)).lesser(ai + wb * cdiv(ai, half)) + ao
    };
    dram + boundary_bytes(i, last, fits, ai, ao)
}

#[inline(always)]
/// [`gemm_op`] for `SPLIT = false`, with the op's [`OpTables`]: what is left per design are the
/// values that depend on two groups at once, `ceil(R/c)` and `ceil(ceil(n/P)/c)` (two
/// divisions), and the lanes' splits of them.
fn gemm_op_tabled<const REFETCH: bool>(
    s: &mut Block,
    nf: usize,
    wl: &PreparedWorkload,
    i: usize,
    last: usize,
) {
    let (m, n, k, reps) = (wl.m[i], wl.n[i], wl.k[i], wl.reps[i]);
    let (wb, ai, ao) = (wl.weight_bytes[i], wl.in_bytes[i], wl.out_bytes[i]);
    let t = &wl.tables[i];
    let pass = k + PASS_FILL_CYCLES;
    let n_pass = n * pass;
    for f in 0..nf {
        let (p, c, half, inv_lanes) = (s.pes[f], s.cores[f], s.half[f], s.inv_lanes[f]);
        // The index columns hold valid indices by construction; min() states it to the
        // compiler, which then drops the bounds checks and keeps the loop vectorised.
        let pe = (s.pe_ix[f] as usize).min(N_PES - 1);
        let cl = (s.cl_ix[f] as usize).min(N_CL - 1);
        let l = (s.l_ix[f] as usize).min(N_LANES - 1);

        let rows_pe = t.rows_pe[pe];
        let rows_core = cdiv(rows_pe, c);
        // Every factor is a small positive integer, so products regroup and R·min(x, y) is
        // min(R·x, R·y), exactly.
        let comp_ch = (rows_pe * t.fam_ch[cl]).lesser((rows_pe * inv_lanes).ceil() * t.nc_pass[cl]);
        let comp_rows = (rows_core * t.fam_rows[l]).lesser((rows_core * inv_lanes).ceil() * n_pass);
        // Without weight splitting the whole family moves the same bytes.
        let on_fam = t.on_fam[pe];
        let t_fam = (comp_ch.lesser(comp_rows) * reps).greater(on_fam / ONCHIP_BYTES_PER_CYCLE);

        let n_core_b = cdiv(t.n_pe_b[pe], c);
        let comp_b = m * (n_core_b * inv_lanes).ceil() * pass;
        let on_b = t.on_b[pe];
        let t_b = (comp_b * reps).greater(on_b / ONCHIP_BYTES_PER_CYCLE);

        let use_b = t_b < t_fam;
        let t_map = if use_b { t_b } else { t_fam };
        let onchip = (if use_b { on_b } else { on_fam }) * p;
        let dram = gemm_dram::<REFETCH>(i, last, half, wb, ai, ao, reps);
        finish_op(s, f, t_map, dram, onchip);
    }
}

#[inline(always)]
fn memory_op(s: &mut Block, nf: usize, wl: &PreparedWorkload, i: usize, last: usize) {
    let (wb, ai, ao) = (wl.weight_bytes[i], wl.in_bytes[i], wl.out_bytes[i]);
    let bytes = ai + ao;
    let t = &wl.tables[i];
    for f in 0..nf {
        let fits = bytes <= s.half[f];
        let onchip_pe = t.rows_pe[(s.pe_ix[f] as usize).min(N_PES - 1)];
        let t_map = (cdiv(bytes, s.units[f]) + PASS_FILL_CYCLES)
            .greater(onchip_pe / ONCHIP_BYTES_PER_CYCLE);
        // A memory op's weights (an embedding table's rows) are read once.
        let dram = wb + if fits { 0.0 } else { bytes } + boundary_bytes(i, last, fits, ai, ao);
        finish_op(s, f, t_map, dram, onchip_pe * s.pes[f]);
    }
}

#[cfg(test)]
mod tests;
