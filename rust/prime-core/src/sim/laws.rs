//! The physical laws of the model as property tests, so `cargo test` guards the kernel on its
//! own (tests/test_simulator.py checks the same laws through Python): latency never beats the
//! compute and DRAM rooflines; more of any resource never slows a feasible design down nor
//! makes it infeasible; area strictly grows with every resource; results are deterministic and
//! independent of the batch a design is simulated in and of the thread count.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::{area_batch, simulate_batch, PreparedWorkload, SimOutputs};
use crate::space::tests::design;
use crate::space::{values_of, Design, CARDINALITIES, N_PARAMS};
use crate::workload::zoo::BUILTINS;

/// Every built-in workload, prepared once for all cases.
fn zoo() -> &'static [(&'static str, PreparedWorkload)] {
    static ZOO: OnceLock<Vec<(&'static str, PreparedWorkload)>> = OnceLock::new();
    ZOO.get_or_init(|| {
        BUILTINS
            .iter()
            .map(|b| {
                let wl = (b.build)().unwrap_or_else(|e| panic!("{}: {e}", b.name));
                (b.name, PreparedWorkload::new(&wl.ops))
            })
            .collect()
    })
}

/// Batches long enough to cross the kernel's block of 64 and mix feasible and infeasible rows.
fn batch() -> impl Strategy<Value = Vec<Design>> {
    prop::collection::vec(design(), 1..150)
}

fn workload() -> impl Strategy<Value = usize> {
    0..BUILTINS.len()
}

/// max(MACs / peak MAC rate, compulsory DRAM bytes / bandwidth) in ms: every weight crosses
/// DRAM at least once, and so do the network's input and output.
fn roofline_ms(d: &Design, wl: &PreparedWorkload) -> f64 {
    let v = values_of(d).map(|x| x as f64);
    let units = v[0] * v[1] * v[2] * v[3];
    let compute_ns = wl.macs / (units * super::constants::CLOCK_GHZ);
    let last = wl.len() - 1;
    let bytes = wl.weight_bytes.iter().sum::<f64>() + wl.in_bytes[0] + wl.out_bytes[last];
    compute_ns.max(bytes / v[9]) * 1e-6
}

fn same(a: &SimOutputs, b: &SimOutputs) -> bool {
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    bits(&a.latency_ms) == bits(&b.latency_ms)
        && bits(&a.area_mm2) == bits(&b.area_mm2)
        && bits(&a.energy_mj) == bits(&b.energy_mj)
        && a.feasible == b.feasible
        && a.reason == b.reason
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn latency_never_beats_the_rooflines(w in workload(), designs in batch()) {
        let (name, wl) = &zoo()[w];
        let out = simulate_batch(&designs, wl);
        for (i, d) in designs.iter().enumerate() {
            if out.feasible[i] {
                let bound = roofline_ms(d, wl);
                prop_assert!(
                    out.latency_ms[i] >= bound * (1.0 - 1e-12),
                    "{name} {d:?}: {} ms beats the roofline {bound} ms", out.latency_ms[i]
                );
                prop_assert!(out.latency_ms[i].is_finite() && out.energy_mj[i] > 0.0);
            } else {
                prop_assert!(out.reason[i] != 0 && out.latency_ms[i] == f64::INFINITY);
                prop_assert!(out.energy_mj[i].is_nan());
            }
        }
    }

    #[test]
    fn more_of_any_resource_never_hurts(w in workload(), designs in batch(), k in 0..N_PARAMS) {
        let (name, wl) = &zoo()[w];
        let smaller: Vec<Design> = designs
            .into_iter()
            .filter(|d| (d[k] as usize) + 1 < CARDINALITIES[k])
            .collect();
        let bigger: Vec<Design> = smaller
            .iter()
            .map(|d| {
                let mut b = *d;
                b[k] += 1;
                b
            })
            .collect();
        let before = simulate_batch(&smaller, wl);
        let after = simulate_batch(&bigger, wl);
        for (i, d) in smaller.iter().enumerate() {
            prop_assert!(after.area_mm2[i] > before.area_mm2[i], "{name}: area fell with {k}");
            if before.feasible[i] {
                prop_assert!(
                    after.feasible[i],
                    "{name} {d:?}: more of {k} made it infeasible"
                );
                prop_assert!(
                    after.latency_ms[i] <= before.latency_ms[i] * (1.0 + 1e-12),
                    "{name} {d:?}: more of {k} raised latency {} -> {}",
                    before.latency_ms[i], after.latency_ms[i]
                );
            }
        }
    }

    #[test]
    fn area_strictly_grows_with_every_resource(d in design(), k in 0..N_PARAMS) {
        prop_assume!((d[k] as usize) + 1 < CARDINALITIES[k]);
        let mut b = d;
        b[k] += 1;
        let a = area_batch(&[d, b]);
        prop_assert!(a[1] > a[0], "{d:?} -> {b:?}: {} -> {}", a[0], a[1]);
    }

    #[test]
    fn a_design_s_result_does_not_depend_on_its_batch(
        w in workload(),
        designs in batch(),
        j in any::<prop::sample::Index>(),
    ) {
        let (_, wl) = &zoo()[w];
        let all = simulate_batch(&designs, wl);
        let i = j.index(designs.len());
        let one = super::simulate_one(&designs[i], wl);
        let pick = |o: &SimOutputs, i: usize| SimOutputs {
            latency_ms: vec![o.latency_ms[i]],
            area_mm2: vec![o.area_mm2[i]],
            feasible: vec![o.feasible[i]],
            reason: vec![o.reason[i]],
            energy_mj: vec![o.energy_mj[i]],
        };
        prop_assert!(same(&pick(&all, i), &one));
        prop_assert!(same(&all, &simulate_batch(&designs, wl)));
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Several rayon tasks' worth of designs, so a thread-dependent split would show.
    let designs = crate::space::sample(5000, 17);
    for (name, wl) in zoo() {
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| simulate_batch(&designs, wl))
        };
        let one = run(1);
        assert!(same(&one, &run(3)), "{name}");
        assert!(one.feasible.iter().any(|&f| f), "{name}: nothing feasible");
    }
}

#[test]
fn every_rule_fires_and_each_reason_is_the_first_failing_rule() {
    let designs = crate::space::sample(20_000, 2022);
    let mut seen = [false; super::RULES.len() + 1];
    for (_, wl) in zoo() {
        let out = simulate_batch(&designs, wl);
        for (d, &r) in designs.iter().zip(&out.reason) {
            seen[r as usize] = true;
            let first = super::RULES.iter().position(|rule| rule.violated(wl, d));
            assert_eq!(first.map_or(0, |p| p + 1), r as usize, "{d:?}");
        }
    }
    // PE memory binds only for very wide feature maps (user networks); the others in the zoo.
    let pe = super::rules::Reason::PeMem as usize;
    for (code, &s) in seen.iter().enumerate() {
        assert!(
            s || code == pe,
            "reason {} never seen",
            super::REASON_NAMES[code]
        );
    }
}
