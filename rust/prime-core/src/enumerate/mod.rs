//! Exhaustive enumeration of the design space: the true optimum of a task in the built-in world.
//!
//! An [`Enumeration`] walks the designs of a [`SubSpace`] (the whole space, or some parameters
//! fixed) in ordinal order, a range at a time, and for each design:
//! 1. skips it when its analytic area is over the budget (whole runs at once, see
//!    [`SubSpace::walk_in_budget`]);
//! 2. simulates it on the task's applications with the simulator's batch kernel
//!    ([`sim::simulate_batch`] on blocks of designs), dropping it at the first application it is
//!    infeasible on; the applications go in the order that drops designs soonest for the least
//!    work (measured on a sample, see [`simulation_order`]);
//! 3. scores a design feasible on all of them by its geometric-mean latency (for one
//!    application, its latency), the objective of `prime_rs.objective`, and keeps the `k` best by
//!    (latency, design id) and a log-spaced histogram of every score, with the counts of designs
//!    within the budget and of those also feasible.
//!
//! Ranges are cut into chunks of ordinals that rayon spreads over the threads; each worker
//! folds its chunks into its own top-k and histogram, merged at the end. Every design's score
//! depends only on that design and the merge is exact (counts add, the top-k is a total order),
//! so the result is the same for any thread count, chunk size or range split. Memory stays flat:
//! one block of designs per worker, the top-k and the histogram.

pub mod histogram;
pub mod subspace;
pub mod topk;

#[cfg(test)]
mod tests;

use rayon::prelude::*;

use crate::sim::{self, area::area_of, design::DesignValues, PreparedWorkload};
use crate::space::{self, Design};
use crate::{Error, Result};
pub use subspace::SubSpace;
use topk::TopK;

/// Largest `k`: the result holds its designs, and their per-application latencies, in memory.
pub const MAX_K: usize = 1 << 20;

/// Ordinals per parallel task. With the area skip most of a chunk can cost nothing, so chunks
/// are small enough for the busy ones to spread over the threads.
const CHUNK: u64 = 1 << 15;

/// In-budget designs simulated together: one block of the batch kernel per worker.
const BATCH: usize = 2048;

/// The sample that orders the applications: this many evenly spaced runs of this many ordinals.
const SAMPLE_RUNS: u64 = 256;
const SAMPLE_RUN_LEN: u64 = 64;
/// What checking a design's feasibility costs, in units of simulating one op of a feasible
/// design (an infeasible design never enters the op loop). A rough figure: it only steers the
/// order the applications are simulated in.
const CHECK_COST_OPS: f64 = 8.0;

/// What a worker accumulates; partial states of disjoint ranges merge exactly.
#[derive(Debug, Clone)]
struct Partial {
    top: TopK,
    in_budget: u64,
    feasible: u64,
    hist: Vec<u64>,
    max_ms: f64,
}

impl Partial {
    fn new(k: usize, bins: usize) -> Self {
        Partial {
            top: TopK::new(k),
            in_budget: 0,
            feasible: 0,
            hist: vec![0; bins],
            max_ms: 0.0,
        }
    }

    fn merge(mut self, other: Partial) -> Self {
        self.top.merge(other.top);
        self.in_budget += other.in_budget;
        self.feasible += other.feasible;
        for (a, b) in self.hist.iter_mut().zip(other.hist) {
            *a += b;
        }
        self.max_ms = self.max_ms.max(other.max_ms);
        self
    }
}

/// The geometric mean of a design's latencies over the applications, in their order; for one
/// application the latency itself (so the optimum prints as the simulator computed it).
#[inline]
fn geomean(latencies: &[f64]) -> f64 {
    match latencies {
        [one] => *one,
        many => (many.iter().map(|x| x.ln()).sum::<f64>() / many.len() as f64).exp(),
    }
}

/// The result of an enumeration (of the ranges covered so far).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Designs in the sub-space, and how many of them (ordinals from the range's start) have
    /// been covered.
    pub space_size: u64,
    pub covered: u64,
    /// Designs within the area budget, and those of them feasible on every application.
    pub in_budget: u64,
    pub feasible: u64,
    /// The best designs, best first, by (geometric-mean latency, design id).
    pub designs: Vec<Design>,
    pub ids: Vec<u64>,
    pub geomean_ms: Vec<f64>,
    /// Per-application latency of the best designs, row-major `(designs, applications)`.
    pub latency_ms: Vec<f64>,
    pub area_mm2: Vec<f64>,
    /// Histogram of the geometric-mean latency of every feasible in-budget design:
    /// `hist_counts.len() == hist_edges.len() + 1` (see [`histogram::edges`]).
    pub hist_edges: Vec<f64>,
    pub hist_counts: Vec<u64>,
    /// The slowest feasible in-budget design's geometric-mean latency (0 when none).
    pub max_geomean_ms: f64,
}

/// An enumeration of a task over a sub-space, advanced a range at a time (so a caller can report
/// progress and stop between ranges) or all at once with [`Enumeration::run`]. It covers the
/// whole sub-space, or one range of its ordinals ([`Enumeration::over`]): the summaries of
/// disjoint ranges merge into the whole one's (counts add, top-k and maximum combine), which
/// lets a caller shard the enumeration over machines and keep finished ranges.
#[derive(Debug, Clone)]
pub struct Enumeration {
    workloads: Vec<PreparedWorkload>,
    /// The order the applications are simulated in (see [`simulation_order`]).
    order: Vec<usize>,
    space: SubSpace,
    budget: f64,
    k: usize,
    edges: Vec<f64>,
    acc: Partial,
    /// The ordinals to cover (`start..end`), and the next one.
    start: u64,
    end: u64,
    next: u64,
}

impl Enumeration {
    /// Checks the question before any work: at least one application, a positive finite budget
    /// that some design of the sub-space meets, and `1 <= k <= min(sub-space size, MAX_K)`.
    pub fn new(
        workloads: Vec<PreparedWorkload>,
        space: SubSpace,
        area_budget: f64,
        k: usize,
    ) -> Result<Self> {
        if workloads.is_empty() {
            return Err(Error::InvalidArgument(
                "an enumeration needs at least one application".into(),
            ));
        }
        if !(area_budget.is_finite() && area_budget > 0.0) {
            return Err(Error::InvalidArgument(format!(
                "area budget must be a positive finite number of mm², got {area_budget}"
            )));
        }
        let smallest = area_of(&DesignValues::of(&space.min_design()));
        if smallest > area_budget {
            return Err(Error::InvalidArgument(format!(
                "no design {} meets the area budget of {area_budget} mm²: the smallest has {smallest:.4} mm²",
                if space.is_full() { "of the space" } else { "of the sub-space" },
            )));
        }
        if k == 0 {
            return Err(Error::InvalidArgument("k must be at least 1".into()));
        }
        if k as u64 > space.size() {
            return Err(Error::InvalidArgument(format!(
                "k = {k} is larger than the {} ({} designs)",
                if space.is_full() {
                    "space"
                } else {
                    "sub-space"
                },
                space.size()
            )));
        }
        if k > MAX_K {
            return Err(Error::InvalidArgument(format!(
                "k = {k} is too large: at most {MAX_K} designs are kept"
            )));
        }
        let edges = histogram::edges();
        let acc = Partial::new(k, edges.len() + 1);
        let order = simulation_order(&workloads, &space, area_budget);
        Ok(Enumeration {
            workloads,
            order,
            budget: area_budget,
            k,
            edges,
            acc,
            start: 0,
            end: space.size(),
            next: 0,
            space,
        })
    }

    /// Restrict the enumeration to the ordinals `range` of the sub-space (before any work).
    pub fn over(mut self, range: std::ops::Range<u64>) -> Result<Self> {
        if range.start > range.end || range.end > self.space.size() {
            return Err(Error::InvalidArgument(format!(
                "ordinal range {}..{} is not within the sub-space's 0..{}",
                range.start,
                range.end,
                self.space.size()
            )));
        }
        if self.next != self.start {
            return Err(Error::InvalidArgument(
                "an enumeration's range is set before it advances".into(),
            ));
        }
        self.start = range.start;
        self.end = range.end;
        self.next = range.start;
        Ok(self)
    }

    pub fn space(&self) -> &SubSpace {
        &self.space
    }

    /// Ordinals covered so far (`start..start + covered`).
    pub fn covered(&self) -> u64 {
        self.next - self.start
    }

    /// The ordinals this enumeration covers when done.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.end
    }

    /// Cover the next `n` ordinals (fewer at the end of the range); returns the number
    /// covered so far.
    pub fn advance(&mut self, n: u64) -> u64 {
        let end = self.next.saturating_add(n).min(self.end);
        let (start, bins) = (self.next, self.edges.len() + 1);
        let n_chunks = (end - start).div_ceil(CHUNK);
        let part = (0..n_chunks)
            .into_par_iter()
            .fold(
                || Partial::new(self.k, bins),
                |mut acc, c| {
                    let a = start + c * CHUNK;
                    self.run_chunk(a..(a + CHUNK).min(end), &mut acc);
                    acc
                },
            )
            .reduce(|| Partial::new(self.k, bins), Partial::merge);
        let acc = std::mem::replace(&mut self.acc, Partial::new(0, 0));
        self.acc = acc.merge(part);
        self.next = end;
        self.covered()
    }

    /// Cover everything left.
    pub fn run(&mut self) -> u64 {
        self.advance(u64::MAX)
    }

    fn run_chunk(&self, range: std::ops::Range<u64>, acc: &mut Partial) {
        let mut block: Vec<Design> = Vec::with_capacity(BATCH);
        let mut scratch = Scratch::default();
        self.space.walk_in_budget(range, self.budget, |d| {
            block.push(d);
            if block.len() == BATCH {
                self.score_block(&mut block, &mut scratch, acc);
            }
        });
        if !block.is_empty() {
            self.score_block(&mut block, &mut scratch, acc);
        }
    }

    /// Simulate a block of in-budget designs application by application, keeping only the
    /// designs still feasible, and fold the survivors into `acc`. Empties `block`.
    fn score_block(&self, block: &mut Vec<Design>, s: &mut Scratch, acc: &mut Partial) {
        let n_apps = self.workloads.len();
        acc.in_budget += block.len() as u64;
        s.slot.clear();
        s.slot.extend(0..block.len());
        s.latency.clear();
        s.latency.resize(block.len() * n_apps, 0.0);
        for &a in &self.order {
            if block.is_empty() {
                break;
            }
            let out = sim::simulate_batch(block, &self.workloads[a]);
            let mut kept = 0;
            for i in 0..block.len() {
                if out.feasible[i] {
                    s.latency[s.slot[i] * n_apps + a] = out.latency_ms[i];
                    block[kept] = block[i];
                    s.slot[kept] = s.slot[i];
                    kept += 1;
                }
            }
            block.truncate(kept);
            s.slot.truncate(kept);
        }
        for (d, &j) in block.iter().zip(&s.slot) {
            let g = geomean(&s.latency[j * n_apps..(j + 1) * n_apps]);
            acc.feasible += 1;
            acc.hist[histogram::bin_of(&self.edges, g)] += 1;
            acc.max_ms = acc.max_ms.max(g);
            acc.top.offer(g, space::to_id(d));
        }
        block.clear();
    }

    /// The result so far: counts, histogram and the best designs with their per-application
    /// latency and area (simulated again, `k` designs, which costs nothing next to the walk).
    pub fn summary(&self) -> Summary {
        let best = self.acc.top.sorted();
        let ids: Vec<u64> = best.iter().map(|&(_, id)| id).collect();
        let designs: Vec<Design> = ids
            .iter()
            .map(|&id| space::from_id(id).expect("kept ids are in the space"))
            .collect();
        let n_apps = self.workloads.len();
        let mut latency_ms = vec![0.0; designs.len() * n_apps];
        for (a, wl) in self.workloads.iter().enumerate() {
            let out = sim::simulate_batch(&designs, wl);
            for (i, &l) in out.latency_ms.iter().enumerate() {
                latency_ms[i * n_apps + a] = l;
            }
        }
        Summary {
            space_size: self.space.size(),
            covered: self.covered(),
            in_budget: self.acc.in_budget,
            feasible: self.acc.feasible,
            area_mm2: sim::area_batch(&designs),
            designs,
            ids,
            geomean_ms: best.iter().map(|&(g, _)| g).collect(),
            latency_ms,
            hist_edges: self.edges.clone(),
            hist_counts: self.acc.hist.clone(),
            max_geomean_ms: self.acc.max_ms,
        }
    }
}

/// The order to simulate the applications in so that designs drop out early: greedily, the
/// application with the least expected cost per design it rejects (Smith's rule for sequencing
/// filters, `cost / (1 - pass rate)`), measured on the in-budget designs of a fixed sample of the
/// sub-space that passed the applications already placed. The order changes the speed only:
/// each design's latencies are kept, and combined, in the task's order.
fn simulation_order(workloads: &[PreparedWorkload], space: &SubSpace, budget: f64) -> Vec<usize> {
    let size = space.size();
    let mut sample = Vec::new();
    for r in 0..SAMPLE_RUNS {
        let start = (size as u128 * r as u128 / SAMPLE_RUNS as u128) as u64;
        space.walk_in_budget(start..start + SAMPLE_RUN_LEN, budget, |d| sample.push(d));
    }
    let mut left: Vec<usize> = (0..workloads.len()).collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let mut best: Option<(f64, usize, Vec<bool>)> = None;
        for (pos, &a) in left.iter().enumerate() {
            let feasible = sim::simulate_batch(&sample, &workloads[a]).feasible;
            let pass = if sample.is_empty() {
                1.0
            } else {
                feasible.iter().filter(|&&f| f).count() as f64 / sample.len() as f64
            };
            let cost = CHECK_COST_OPS + pass * workloads[a].len() as f64;
            let rank = cost / (1.0 - pass).max(1e-9);
            if best.as_ref().is_none_or(|b| rank < b.0) {
                best = Some((rank, pos, feasible));
            }
        }
        let (_, pos, feasible) = best.expect("an application is left");
        order.push(left.remove(pos));
        let mut keep = feasible.into_iter();
        sample.retain(|_| keep.next().unwrap_or(false));
    }
    order
}

/// Per-worker buffers of [`Enumeration::score_block`], reused across blocks.
#[derive(Default)]
struct Scratch {
    slot: Vec<usize>,
    latency: Vec<f64>,
}

/// The sub-space of `fixed` `(parameter, index)` pairs, enumerated whole: a convenience for
/// callers that need no progress.
pub fn exhaustive(
    workloads: Vec<PreparedWorkload>,
    fixed: &[(usize, u8)],
    area_budget: f64,
    k: usize,
) -> Result<Summary> {
    let mut e = Enumeration::new(workloads, SubSpace::with_fixed(fixed)?, area_budget, k)?;
    e.run();
    Ok(e.summary())
}
