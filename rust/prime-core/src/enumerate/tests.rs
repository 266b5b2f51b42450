use super::*;
use crate::space::{CARDINALITIES, SIZE};
use crate::workload;

fn prepared(names: &[&str]) -> Vec<PreparedWorkload> {
    names
        .iter()
        .map(|n| PreparedWorkload::new(&workload::load(n).expect("built-in workload").ops))
        .collect()
}

fn area(d: &Design) -> f64 {
    area_of(&DesignValues::of(d))
}

/// A sub-space of 10·10·7·10·7 = 49,000 designs: the per-core memories and the bandwidth fixed,
/// small enough that many designs are infeasible and the early exit matters.
fn small_fixed() -> Vec<(usize, u8)> {
    vec![(5, 2), (6, 4), (7, 2), (8, 2), (9, 4)]
}

/// Everything an enumeration computes, by brute force over every design of the sub-space.
fn brute_force(space: &SubSpace, wls: &[PreparedWorkload], budget: f64, k: usize) -> Summary {
    let all: Vec<Design> = (0..space.size()).map(|o| space.design_at(o)).collect();
    let in_budget: Vec<Design> = all.into_iter().filter(|d| area(d) <= budget).collect();
    let outs: Vec<_> = wls
        .iter()
        .map(|w| sim::simulate_batch(&in_budget, w))
        .collect();
    let edges = histogram::edges();
    let mut hist = vec![0u64; edges.len() + 1];
    let mut scored = Vec::new();
    let mut max_ms: f64 = 0.0;
    for (i, d) in in_budget.iter().enumerate() {
        if outs.iter().all(|o| o.feasible[i]) {
            let lat: Vec<f64> = outs.iter().map(|o| o.latency_ms[i]).collect();
            let g = geomean(&lat);
            hist[histogram::bin_of(&edges, g)] += 1;
            max_ms = max_ms.max(g);
            scored.push((g, space::to_id(d), lat));
        }
    }
    let feasible = scored.len() as u64;
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    scored.truncate(k);
    let designs: Vec<Design> = scored
        .iter()
        .map(|s| space::from_id(s.1).unwrap())
        .collect();
    Summary {
        space_size: space.size(),
        covered: space.size(),
        in_budget: in_budget.len() as u64,
        feasible,
        area_mm2: designs.iter().map(area).collect(),
        designs,
        ids: scored.iter().map(|s| s.1).collect(),
        geomean_ms: scored.iter().map(|s| s.0).collect(),
        latency_ms: scored.iter().flat_map(|s| s.2.clone()).collect(),
        hist_edges: edges,
        hist_counts: hist,
        max_geomean_ms: max_ms,
    }
}

#[test]
fn full_subspace_ordinals_are_design_ids() {
    let s = SubSpace::full();
    assert_eq!(s.size(), SIZE);
    assert!(s.is_full());
    for id in [0, 1, 5, 123_456_789, SIZE - 1] {
        assert_eq!(s.design_at(id), space::from_id(id).unwrap());
    }
}

#[test]
fn subspace_sets_are_sorted_deduplicated_and_checked() {
    let mut sets: [Vec<u8>; N] = std::array::from_fn(|k| (0..CARDINALITIES[k] as u8).collect());
    sets[2] = vec![3, 1, 3];
    let s = SubSpace::from_sets(sets.clone()).unwrap();
    assert_eq!(s.sets()[2], vec![1, 3]);
    assert_eq!(s.size(), SIZE / 7 * 2);
    assert_eq!(s.min_design()[2], 1);
    sets[2] = vec![];
    let e = SubSpace::from_sets(sets.clone()).unwrap_err().to_string();
    assert!(e.contains("empty") && e.contains("simd_lanes"), "{e}");
    sets[2] = vec![7];
    let e = SubSpace::from_sets(sets).unwrap_err().to_string();
    assert!(e.contains("no index 7"), "{e}");
    let e = SubSpace::with_fixed(&[(1, 0), (1, 2)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("'pe_y' is fixed twice"), "{e}");
    assert!(SubSpace::with_fixed(&[(10, 0)]).is_err());
}
const N: usize = crate::space::N_PARAMS;

#[test]
fn walk_emits_exactly_the_in_budget_designs_of_any_range() {
    let space = SubSpace::with_fixed(&[(0, 2), (1, 3), (3, 2)]).unwrap(); // 323,400 designs
    let all: Vec<(u64, Design)> = (0..space.size()).map(|o| (o, space.design_at(o))).collect();
    for budget in [5.0, 27.0, 60.0] {
        for range in [0..space.size(), 1..7, 1000..250_000, 77_777..77_778] {
            let want: Vec<Design> = all[range.start as usize..range.end as usize]
                .iter()
                .filter(|(_, d)| area(d) <= budget)
                .map(|(_, d)| *d)
                .collect();
            let mut got = Vec::new();
            let n = space.walk_in_budget(range.clone(), budget, |d| got.push(d));
            assert_eq!(n as usize, got.len());
            assert_eq!(got, want, "budget {budget}, range {range:?}");
        }
    }
    // The skip must actually skip: at 27 mm² most of this sub-space is over the budget.
    let mut n = 0;
    space.walk_in_budget(0..space.size(), 27.0, |_| n += 1);
    assert!(n > 0 && n < space.size() / 2, "{n}");
}

#[test]
fn enumeration_matches_brute_force() {
    let space = SubSpace::with_fixed(&small_fixed()).unwrap();
    assert_eq!(space.size(), 49_000);
    for (apps, budget, k) in [
        (vec!["mobilenet_v2"], 27.0, 50),
        (vec!["mobilenet_v2", "unet", "rnnt_decoder"], 40.0, 7),
        (vec!["resnet50"], 100.0, 1),
    ] {
        let wls = prepared(&apps);
        let want = brute_force(&space, &wls, budget, k);
        let mut e = Enumeration::new(wls, space.clone(), budget, k).unwrap();
        assert_eq!(e.run(), space.size());
        assert!(e.is_done());
        let got = e.summary();
        assert!(
            got.feasible > k as u64,
            "{apps:?}: too few feasible designs to test"
        );
        assert!(
            got.in_budget > got.feasible,
            "{apps:?}: no design was infeasible"
        );
        assert_eq!(got, want, "{apps:?}");
        assert_eq!(got.hist_counts.iter().sum::<u64>(), got.feasible);
    }
}

#[test]
fn ties_are_broken_by_design_id() {
    // Instruction memory beyond what the program needs changes area, not latency, so the
    // best designs come in runs of equal latency.
    let space = SubSpace::with_fixed(&[(5, 3), (7, 3), (8, 4), (9, 4)]).unwrap();
    let mut e = Enumeration::new(prepared(&["mobilenet_v2"]), space, 27.0, 20).unwrap();
    e.run();
    let s = e.summary();
    let ties = s.geomean_ms.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(
        ties > 0,
        "no tie among the best designs: {:?}",
        s.geomean_ms
    );
    for (w, ids) in s.geomean_ms.windows(2).zip(s.ids.windows(2)) {
        assert!(w[0] < w[1] || (w[0] == w[1] && ids[0] < ids[1]));
    }
}

#[test]
fn result_is_independent_of_threads_and_range_splits() {
    let space = SubSpace::with_fixed(&[(6, 6), (7, 3), (8, 4), (9, 4)]).unwrap(); // 539,000
    let wls = prepared(&["mobilenet_v3_small", "unet"]);
    let run = |threads: usize, step: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut e = Enumeration::new(wls.clone(), space.clone(), 27.0, 25).unwrap();
            while !e.is_done() {
                e.advance(step);
            }
            e.summary()
        })
    };
    let one = run(1, u64::MAX);
    assert!(one.feasible > 1000);
    assert_eq!(run(2, u64::MAX), one);
    assert_eq!(run(2, 12_345), one);
    assert_eq!(run(1, CHUNK * 3 + 1), one);
}

#[test]
fn partial_summaries_cover_a_prefix() {
    let space = SubSpace::with_fixed(&small_fixed()).unwrap();
    let mut e = Enumeration::new(prepared(&["mobilenet_v2"]), space, 27.0, 5).unwrap();
    assert_eq!(e.advance(10_000), 10_000);
    let s = e.summary();
    assert_eq!((s.covered, s.space_size), (10_000, 49_000));
    assert!(!e.is_done());
    assert_eq!(e.advance(1_000_000), 49_000);
    assert_eq!(e.advance(5), 49_000);
}

#[test]
fn disjoint_ranges_merge_into_the_whole() {
    let space = SubSpace::with_fixed(&small_fixed()).unwrap();
    let wls = prepared(&["mobilenet_v2"]);
    let whole = brute_force(&space, &wls, 27.0, 7);
    let part = |r: std::ops::Range<u64>| {
        let mut e = Enumeration::new(wls.clone(), space.clone(), 27.0, 7)
            .unwrap()
            .over(r.clone())
            .unwrap();
        assert_eq!(e.range(), r);
        e.run();
        assert_eq!(e.covered(), r.end - r.start);
        e.summary()
    };
    let (a, b) = (part(0..20_000), part(20_000..49_000));
    assert_eq!(a.in_budget + b.in_budget, whole.in_budget);
    assert_eq!(a.feasible + b.feasible, whole.feasible);
    let hist: Vec<u64> = a
        .hist_counts
        .iter()
        .zip(&b.hist_counts)
        .map(|(x, y)| x + y)
        .collect();
    assert_eq!(hist, whole.hist_counts);
    assert_eq!(a.max_geomean_ms.max(b.max_geomean_ms), whole.max_geomean_ms);
    let mut best: Vec<(f64, u64)> = a
        .geomean_ms
        .iter()
        .zip(&a.ids)
        .chain(b.geomean_ms.iter().zip(&b.ids))
        .map(|(&g, &id)| (g, id))
        .collect();
    best.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    best.truncate(7);
    assert_eq!(best.iter().map(|x| x.1).collect::<Vec<_>>(), whole.ids);
    assert!(part(49_000..49_000).feasible == 0);
    let e = || Enumeration::new(wls.clone(), space.clone(), 27.0, 7).unwrap();
    assert!(e()
        .over(10..49_001)
        .unwrap_err()
        .to_string()
        .contains("not within"));
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = 10..5;
    assert!(e().over(reversed).is_err());
    let mut started = e();
    started.advance(100);
    assert!(started.over(0..10).is_err());
}

#[test]
fn bad_questions_are_refused_before_any_work() {
    let space = || SubSpace::with_fixed(&small_fixed()).unwrap();
    let wls = || prepared(&["mobilenet_v2"]);
    let msg = |r: Result<Enumeration>| r.unwrap_err().to_string();
    assert!(msg(Enumeration::new(vec![], space(), 27.0, 1)).contains("at least one application"));
    assert!(msg(Enumeration::new(wls(), space(), f64::NAN, 1)).contains("positive finite"));
    assert!(msg(Enumeration::new(wls(), space(), -1.0, 1)).contains("positive finite"));
    assert!(msg(Enumeration::new(wls(), space(), 27.0, 0)).contains("at least 1"));
    let e = msg(Enumeration::new(wls(), space(), 27.0, 49_001));
    assert!(
        e.contains("larger than the sub-space (49000 designs)"),
        "{e}"
    );
    // The all-minimum design has about 1 mm², but fixing 32x32 PEs leaves nothing under 27.
    let big = SubSpace::with_fixed(&[(0, 9), (1, 9)]).unwrap();
    let e = msg(Enumeration::new(wls(), big, 27.0, 1));
    assert!(
        e.contains("no design of the sub-space meets the area budget"),
        "{e}"
    );
    let e = msg(Enumeration::new(wls(), SubSpace::full(), 0.01, 1));
    assert!(e.contains("no design of the space meets"), "{e}");
    let e = msg(Enumeration::new(wls(), SubSpace::full(), 27.0, MAX_K + 1));
    assert!(e.contains("too large"), "{e}");
}

#[test]
fn exhaustive_runs_the_fixed_subspace_whole() {
    let s = exhaustive(prepared(&["mobilenet_v2"]), &small_fixed(), 27.0, 3).unwrap();
    assert_eq!(s.covered, 49_000);
    assert_eq!(s.designs.len(), 3);
    for d in &s.designs {
        for &(k, i) in &small_fixed() {
            assert_eq!(d[k], i);
        }
    }
}

#[test]
fn topk_keeps_the_same_set_in_any_arrival_order() {
    let items: Vec<(f64, u64)> = (0..500u64)
        .map(|i| (((i * 7919) % 97) as f64 + 1.0, i))
        .collect();
    let mut fwd = TopK::new(10);
    items.iter().for_each(|&(l, i)| fwd.offer(l, i));
    let mut rev = TopK::new(10);
    items.iter().rev().for_each(|&(l, i)| rev.offer(l, i));
    let mut halves = TopK::new(10);
    let mut other = TopK::new(10);
    items[..250].iter().for_each(|&(l, i)| halves.offer(l, i));
    items[250..].iter().for_each(|&(l, i)| other.offer(l, i));
    halves.merge(other);
    let mut want = items.clone();
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    want.truncate(10);
    assert_eq!(fwd.sorted(), want);
    assert_eq!(rev.sorted(), want);
    assert_eq!(halves.sorted(), want);
}

#[test]
fn histogram_bins_follow_their_edges() {
    let e = histogram::edges();
    assert_eq!(
        e.len(),
        histogram::HIST_DECADES * histogram::HIST_BINS_PER_DECADE + 1
    );
    assert!(e.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(histogram::bin_of(&e, 1e-9), 0);
    assert_eq!(histogram::bin_of(&e, e[0]), 1);
    assert_eq!(histogram::bin_of(&e, e[5]), 6);
    assert_eq!(histogram::bin_of(&e, (e[5] + e[6]) / 2.0), 6);
    assert_eq!(histogram::bin_of(&e, 1e12), e.len());
    assert!((e[e.len() - 1] / 1e6 - 1.0).abs() < 1e-9);
}

#[test]
fn geomean_is_the_latency_for_one_application() {
    assert_eq!(geomean(&[0.987_654_321]), 0.987_654_321);
    assert!((geomean(&[1.0, 4.0]) - 2.0).abs() < 1e-15);
}

#[test]
fn simulation_order_is_a_permutation_that_starts_with_the_pickiest_application() {
    let wls = prepared(&["mobilenet_v3_small", "rnnt_decoder", "unet", "mobilenet_v2"]);
    let order = simulation_order(&wls, &SubSpace::full(), 100.0);
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![0, 1, 2, 3]);
    // U-Net is the least feasible built-in application (DESIGN.md section 4).
    assert_eq!(order[0], 2, "{order:?}");
}
