//! The kernel against a straightforward evaluation of the model: one design and one op at a
//! time, in exact u64 arithmetic wherever the model's quantities are integers, and f64 only where
//! they are fractional, in the model's order. The kernel must agree to the last bit.

use super::{all_ops, all_ops_body, simulate_block_using, OpsFn, BLOCK};
use crate::sim::constants::*;
use crate::sim::design::DesignValues;
use crate::sim::{area, simulate_batch, PreparedWorkload};
use crate::space::{self, idx, Design};
use crate::workload::{self, op::Op, op::OpKind};

/// How often each branch of the model was taken, so the test fails if its designs stop
/// exercising one.
#[derive(Debug, Default)]
struct Coverage {
    weights_split_a: u64,
    psum_spill_a: u64,
    weights_split_b: u64,
    psum_spill_b: u64,
    mapping_b: u64,
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
                // (a) PEs split rows, cores and lanes split channels.
                let rows = m.div_ceil(p);
                let n_core = n.div_ceil(c);
                let comp_a = rows * n.div_ceil(c * lanes) * (k + fill);
                let in_pe = (ai * rows).div_ceil(m);
                let w_core = n_core * k;
                let (mut reload_a, mut spill_a) = (1, 0);
                if w_core > mp {
                    cov.weights_split_a += 1;
                    reload_a = in_pe.div_ceil(ma);
                    if rows * n_core * 4 > mc {
                        cov.psum_spill_a += 1;
                        spill_a = 8 * rows * n * (w_core.div_ceil(mp) - 1);
                    }
                }
                let on_a = (in_pe + wb * reload_a + spill_a) * reps;
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

                let t_a = ((comp_a * reps) as f64).max(on_a as f64 / ONCHIP_BYTES_PER_CYCLE);
                let t_b = ((comp_b * reps) as f64).max(on_b as f64 / ONCHIP_BYTES_PER_CYCLE);
                let (t_map, on) = if t_b < t_a {
                    cov.mapping_b += 1;
                    (t_b, on_b)
                } else {
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
        cov.weights_split_a,
        cov.psum_spill_a,
        cov.weights_split_b,
        cov.psum_spill_b,
        cov.mapping_b,
        cov.activations_spill,
        cov.weights_per_rep,
        cov.refetch_order,
    ];
    assert!(
        counts.iter().all(|&c| c > 0),
        "a branch went untested: {cov:?}"
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
