//! The kernel against a straightforward evaluation of the model: one design and one op at a
//! time, in exact u64 arithmetic wherever the model's quantities are integers, and f64 only where
//! they are fractional, in the model's order. The kernel must agree to the last bit.

use std::collections::BTreeMap;

use super::{all_ops, all_ops_body, simulate_block_using, OpsFn, BLOCK};
use crate::sim::constants::*;
use crate::sim::design::DesignValues;
use crate::sim::{area, simulate_batch, PreparedWorkload};
use crate::space::{self, idx, Design};
use crate::workload::{self, op::Op, op::OpKind};

/// How often each branch of the model was taken, and each mapping candidate won, so the test
/// fails if its designs stop exercising one.
#[derive(Debug, Default)]
struct Coverage {
    winners: BTreeMap<&'static str, u64>,
    weights_split_family: u64,
    psum_spill_family: u64,
    weights_split_b: u64,
    psum_spill_b: u64,
    activations_spill: u64,
    weights_per_rep: u64,
    refetch_order: u64,
}

/// Latency (ms) and energy (mJ) of one feasible design, straight from the model.
fn reference(d: &Design, ops: &[Op], cov: &mut Coverage) -> (f64, f64) {
    let v = space::values_of(d);
    let p = v[idx::PE_X] * v[idx::PE_Y];
    let (c, lanes) = (v[idx::CORES_PER_PE], v[idx::SIMD_LANES]);
    let (mc, mp, ma) = (
        v[idx::CORE_MEMORY],
        v[idx::PARAMETER_MEMORY],
        v[idx::ACTIVATION_MEMORY],
    );
    let half = p * v[idx::PE_MEMORY] / 2;
    let bw = v[idx::DRAM_BANDWIDTH] as f64;
    let fill = PASS_FILL_CYCLES as u64;
    let last = ops.len() - 1;

    let (mut time_ns, mut dram_total, mut onchip_total, mut macs, mut program) = (0.0, 0, 0, 0, 0);
    for (i, op) in ops.iter().enumerate() {
        let (m, n, k, reps) = (op.m, op.n, op.k, op.reps);
        let (wb, ai, ao) = (op.weight_bytes, op.in_bytes, op.out_bytes);
        program += INSTR_PER_OP as u64
            + INSTR_PER_WEIGHT_TILE as u64 * wb.div_ceil(c * mp)
            + INSTR_PER_ACT_TILE as u64 * (ai + ao).div_ceil(c * ma);
        let fits = ai + ao <= half;
        let mut boundary = 0;
        if fits && i == 0 {
            boundary += ai;
        }
        if fits && i == last {
            boundary += ao;
        }
        cov.activations_spill += u64::from(!fits);
        let (t_map, dram, onchip) = match op.kind {
            OpKind::Gemm => {
                macs += op.macs();
                // The family where PEs split rows: (name, compute, cores split rows), in the
                // model's tie-break order.
                let rows = m.div_ceil(p);
                let n_core = n.div_ceil(c);
                let rows_core = rows.div_ceil(c);
                let pass = k + fill;
                let family = [
                    ("a", rows * n.div_ceil(c * lanes) * pass, false),
                    ("ch/red", rows * (n_core * k.div_ceil(lanes) + fill), false),
                    ("ch/rows", rows.div_ceil(lanes) * n_core * pass, false),
                    ("rows/ch", rows_core * n.div_ceil(lanes) * pass, true),
                    ("rows/red", rows_core * (n * k.div_ceil(lanes) + fill), true),
                    ("rows/rows", rows_core.div_ceil(lanes) * n * pass, true),
                ];
                let in_pe = (ai * rows).div_ceil(m);
                let traffic = |cores_rows: bool, cov: &mut Coverage| {
                    // A core's weights and the partial sums of its rows and channels.
                    let (w_core, psums) = if cores_rows {
                        (n * k, rows_core * n)
                    } else {
                        (n_core * k, rows * n_core)
                    };
                    let (mut reload, mut spill) = (1, 0);
                    if w_core > mp {
                        cov.weights_split_family += 1;
                        reload = in_pe.div_ceil(ma);
                        if psums * 4 > mc {
                            cov.psum_spill_family += 1;
                            spill = 8 * rows * n * (w_core.div_ceil(mp) - 1);
                        }
                    }
                    (in_pe + wb * reload + spill) * reps
                };
                let mut best: Option<(&'static str, f64, u64)> = None;
                for (name, comp, cores_rows) in family {
                    let on = traffic(cores_rows, cov);
                    let t = ((comp * reps) as f64).max(on as f64 / ONCHIP_BYTES_PER_CYCLE);
                    if best.is_none_or(|(_, t_best, _)| t < t_best) {
                        best = Some((name, t, on));
                    }
                }
                let (name_a, t_a, on_a) = best.expect("six candidates");
                // (b) PEs, cores and lanes all split channels.
                let n_pe = n.div_ceil(p);
                let n_core = n_pe.div_ceil(c);
                let comp_b = m * n.div_ceil(p * c * lanes) * (k + fill);
                let w_pe = (wb * n_pe).div_ceil(n);
                let w_core = n_core * k;
                let (mut reload_b, mut spill_b) = (1, 0);
                if w_core > mp {
                    cov.weights_split_b += 1;
                    reload_b = ai.div_ceil(ma);
                    if m * n_core * 4 > mc {
                        cov.psum_spill_b += 1;
                        spill_b = 8 * m * n_pe * (w_core.div_ceil(mp) - 1);
                    }
                }
                let on_b = (ai + w_pe * reload_b + spill_b) * reps;

                let t_b = ((comp_b * reps) as f64).max(on_b as f64 / ONCHIP_BYTES_PER_CYCLE);
                let (t_map, on) = if t_b < t_a {
                    *cov.winners.entry("b").or_default() += 1;
                    (t_b, on_b)
                } else {
                    *cov.winners.entry(name_a).or_default() += 1;
                    (t_a, on_a)
                };
                let w_traffic = if wb <= half {
                    wb
                } else {
                    cov.weights_per_rep += u64::from(reps > 1);
                    wb * reps
                };
                let dram = if fits {
                    w_traffic
                } else if wb <= half || reps > 1 {
                    w_traffic + (ai + ao) * reps
                } else {
                    cov.refetch_order += 1;
                    (wb + ai * wb.div_ceil(half)).min(ai + wb * ai.div_ceil(half)) + ao
                };
                (t_map, dram + boundary, on * p)
            }
            OpKind::Memory => {
                let bytes = ai + ao;
                let per_pe = bytes.div_ceil(p);
                let t_map = ((bytes.div_ceil(p * c * lanes) + fill) as f64)
                    .max(per_pe as f64 / ONCHIP_BYTES_PER_CYCLE);
                let dram = wb + if fits { 0 } else { bytes } + boundary;
                (t_map, dram, per_pe * p)
            }
        };
        time_ns += (t_map / CLOCK_GHZ).max(dram as f64 / bw);
        dram_total += dram;
        onchip_total += onchip;
    }
    let overhead = (ops.len() as f64 * OP_OVERHEAD_CYCLES
        + ISSUE_CYCLES_PER_INSTR * program as f64)
        / CLOCK_GHZ;
    let time_ns = time_ns + overhead;
    let area = area::area_of(&DesignValues::of(d));
    let pj = macs as f64 * ENERGY_MAC_PJ
        + onchip_total as f64 * ENERGY_SRAM_PJ_PER_BYTE
        + dram_total as f64 * ENERGY_DRAM_PJ_PER_BYTE
        + STATIC_MW_PER_MM2 * area * time_ns;
    (time_ns * 1e-6, pj * 1e-9)
}

#[test]
fn kernel_matches_the_scalar_model_bit_for_bit() {
    let mut cov = Coverage::default();
    for (w, name) in workload::names().iter().enumerate() {
        let ops = workload::load(name).expect("a built-in workload").ops;
        let wl = PreparedWorkload::new(&ops);
        let designs = space::sample(3_000, 100 + w as u64);
        let out = simulate_batch(&designs, &wl);
        let mut feasible = 0;
        for (j, d) in designs.iter().enumerate() {
            assert_eq!(out.area_mm2[j], area::area_of(&DesignValues::of(d)));
            if !out.feasible[j] {
                assert_eq!(out.latency_ms[j], f64::INFINITY);
                assert!(out.energy_mj[j].is_nan());
                continue;
            }
            feasible += 1;
            let (latency, energy) = reference(d, &ops, &mut cov);
            assert_eq!(
                (out.latency_ms[j].to_bits(), out.energy_mj[j].to_bits()),
                (latency.to_bits(), energy.to_bits()),
                "{name}, design {d:?}: kernel ({}, {}) vs model ({latency}, {energy})",
                out.latency_ms[j],
                out.energy_mj[j],
            );
        }
        assert!(feasible > 100, "{name}: only {feasible} feasible designs");
        // Alone in its block, a design sets the block's minima itself, so the op loop drops
        // each rare branch exactly when that design cannot take it.
        for (j, d) in designs.iter().enumerate().take(300) {
            let one = simulate_batch(std::slice::from_ref(d), &wl);
            assert_eq!(
                one.latency_ms[0].to_bits(),
                out.latency_ms[j].to_bits(),
                "{name}"
            );
            assert_eq!(
                one.energy_mj[0].to_bits(),
                out.energy_mj[j].to_bits(),
                "{name}"
            );
        }
    }
    let counts = [
        cov.weights_split_family,
        cov.psum_spill_family,
        cov.weights_split_b,
        cov.psum_spill_b,
        cov.activations_spill,
        cov.weights_per_rep,
        cov.refetch_order,
    ];
    assert!(
        counts.iter().all(|&c| c > 0),
        "a branch went untested: {cov:?}"
    );
    let names = [
        "a",
        "ch/red",
        "ch/rows",
        "rows/ch",
        "rows/red",
        "rows/rows",
        "b",
    ];
    assert!(
        names
            .iter()
            .all(|name| cov.winners.get(name).is_some_and(|&c| c > 0)),
        "a mapping candidate never won on the zoo: {:?}",
        cov.winners
    );
}

/// One block's outputs, as bits.
fn block_bits(ops: OpsFn, designs: &[Design], wl: &PreparedWorkload) -> Vec<u64> {
    let n = designs.len();
    let (mut lat, mut area, mut energy) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let (mut feasible, mut reason) = (vec![false; n], vec![0u8; n]);
    let out = (
        &mut lat[..],
        &mut area[..],
        &mut feasible[..],
        &mut reason[..],
        &mut energy[..],
    );
    simulate_block_using(ops, designs, wl, out);
    let floats = lat.iter().chain(&area).chain(&energy).map(|x| x.to_bits());
    floats.chain(reason.iter().map(|&r| u64::from(r))).collect()
}

#[test]
fn every_instruction_set_build_gives_the_same_bits() {
    // Where the CPU has no AVX2 both sides run the portable build and this holds trivially.
    for name in ["mobilenet_v2", "unet", "rnnt_encoder"] {
        let wl = PreparedWorkload::new(&workload::load(name).expect("a built-in workload").ops);
        let designs = space::sample(4 * BLOCK, 5);
        for block in designs.chunks(BLOCK) {
            let dispatched = block_bits(all_ops, block, &wl);
            assert_eq!(dispatched, block_bits(all_ops_body, block, &wl), "{name}");
        }
    }
}

/// The EdgeTPU-like reference design as value indices (Python's `EDGETPU_REFERENCE`).
const REFERENCE: Design = [2, 2, 4, 2, 1, 3, 6, 3, 4, 4];

/// Cycles an inner op (neither first nor last, so no boundary bytes) adds to the latency of
/// `ops` on `d`, its fixed cost and issue time taken out: its max(mapping time, DRAM time).
fn inner_op_cycles(d: &Design, ops: &[Op], i: usize) -> f64 {
    assert!(0 < i && i + 1 < ops.len());
    let mut without = ops.to_vec();
    without.remove(i);
    let (full, less) = (PreparedWorkload::new(ops), PreparedWorkload::new(&without));
    let (a, b) = (simulate_batch(&[*d], &full), simulate_batch(&[*d], &less));
    assert!(a.feasible[0] && b.feasible[0]);
    let issued =
        crate::sim::rules::program_entries(&full, d) - crate::sim::rules::program_entries(&less, d);
    (a.latency_ms[0] - b.latency_ms[0]) * 1e6 * CLOCK_GHZ
        - OP_OVERHEAD_CYCLES
        - ISSUE_CYCLES_PER_INSTR * issued
}

#[test]
fn few_channel_layers_sit_near_their_mac_bound_on_the_reference() {
    // MobileNetV2's block0/project (n = 16) took 31k cycles when lanes could only split
    // channels, 20x its MAC bound; splitting rows or the reduction over idle lanes fixes it.
    let v = space::values_of(&REFERENCE);
    let units = v[idx::PE_X] * v[idx::PE_Y] * v[idx::CORES_PER_PE] * v[idx::SIMD_LANES];
    let ops = workload::load("mobilenet_v2").expect("a built-in").ops;
    let mut checked = 0;
    for (i, op) in ops.iter().enumerate() {
        if op.kind != OpKind::Gemm || op.n > 16 || i == 0 || i + 1 == ops.len() {
            continue;
        }
        let bound = op.macs().div_ceil(units) as f64;
        let cycles = inner_op_cycles(&REFERENCE, &ops, i);
        assert!(
            cycles <= 2.0 * bound,
            "op {i} (m {}, n {}, k {}): {cycles} cycles, MAC bound {bound}",
            op.m,
            op.n,
            op.k
        );
        checked += 1;
    }
    assert!(checked > 0, "MobileNetV2 has no layer with n <= 16");
}
