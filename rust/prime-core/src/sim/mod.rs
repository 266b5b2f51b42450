//! The analytical EdgeTPU-like simulator (sources and calibration: docs/simulator.md).
//!
//! # The chip
//! `P = pe_x·pe_y` PEs, each with `c` cores and a shared PE memory; each core has `L` int8 MAC
//! lanes and its own core (partial sums), parameter, activation and instruction memories; one
//! DRAM interface of `BW` GB/s. Clock [`constants::CLOCK_GHZ`].
//!
//! # Per op (see `workload::op::Op`)
//! * **Mapping.** Spatial candidates, each in closed form; the fastest wins, ties go to the
//!   earlier in this list, and (b) only if strictly faster. With `R = ceil(m/P)` output rows per
//!   PE, `Nc = ceil(n/c)` channels per core, `Rc = ceil(R/c)` rows per core and a pass of
//!   `k + fill` cycles, the cycles per repetition are, by name (`reference.breakdown`'s
//!   `OpRow.mapping`), "cores split / lanes split":
//!   - `a`: PEs split rows, cores and lanes channels: `R·ceil(Nc/L)·(k + fill)`;
//!   - `ch/red`: cores channels, lanes the reduction: `R·(Nc·ceil(k/L) + fill)`;
//!   - `ch/rows`: cores channels, lanes rows: `ceil(R/L)·Nc·(k + fill)`;
//!   - `rows/ch`: cores rows, lanes channels: `Rc·ceil(n/L)·(k + fill)`;
//!   - `rows/red`: cores rows, lanes the reduction: `Rc·(n·ceil(k/L) + fill)`;
//!   - `rows/rows`: cores rows, lanes rows: `ceil(Rc/L)·n·(k + fill)`;
//!   - `b`: PEs, cores and lanes all split `n`: `m·ceil(n/(P·c·L))·(k + fill)` (what M = 1
//!     layers, FC and LSTM steps, need).
//!
//!   The ceil() losses make small layers use a big array poorly; the row and reduction splits
//!   keep lanes busy when `n < c·L`. Splitting the reduction over lanes assumes each core's
//!   lanes feed a pipelined adder tree, one output per `ceil(k/L)` cycles after the fill: NVDLA's
//!   CMAC reduces over input channels inside its MAC cells, and the TPU's systolic array
//!   reduces over K along its columns. The tree's depth for the space's widest core, log2(256)
//!   = 8, is [`constants::PASS_FILL_CYCLES`], so the fill covers it. Every candidate is a
//!   product of factors non-increasing in P, c and L, so the laws below still hold.
//! * **On-chip transfer** (PE memory -> cores, [`constants::ONCHIP_BYTES_PER_CYCLE`] per PE):
//!   each PE receives its input share and its weights: all of them, broadcast, when PEs split
//!   rows; its `1/P` channel share in (b). A core's weight slice is `Nc·k` when cores split
//!   channels and `n·k` when they split rows (the PE's port broadcasts the weights to its cores,
//!   so the PE still reads them once). When the slice exceeds parameter memory, weights are
//!   re-streamed once per activation-memory tile of the PE's input, and partial sums that do
//!   not fit core memory (`R·Nc`, `Rc·n` or `m·ceil(ceil(n/P)/c)` int32 values) spill to PE
//!   memory once per extra weight tile (int32 write + read).
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
//! Feasibility is checked first (every rule is O(1) per design), so only feasible designs pay
//! for latency, in `kernel.rs`: layer-major over blocks of designs, with the reasons for its form
//! there. Batches run in parallel with rayon; each design's result depends only on that design,
//! so results are identical for any thread count.

pub mod area;
pub mod constants;
pub mod design;
pub mod fingerprint;
mod kernel;
#[cfg(test)]
mod laws;
pub mod prepared;
pub mod rules;

use design::DesignValues;
pub use fingerprint::fingerprint;
use kernel::{simulate_block, BLOCK};
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

/// The first failing feasibility rule of a design (see [`rules`]; all are O(1): the program
/// size is tabulated), and the design's program size, which the issue time needs.
#[inline]
fn check(d: &Design, _v: &DesignValues, wl: &PreparedWorkload) -> (Reason, f64) {
    (rules::first_violated(wl, d), rules::program_entries(wl, d))
}

/// Simulate one design (convenience for tests and small callers).
pub fn simulate_one(design: &Design, wl: &PreparedWorkload) -> SimOutputs {
    simulate_batch(std::slice::from_ref(design), wl)
}
