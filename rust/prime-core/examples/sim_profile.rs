//! A fixed simulator workload for profilers (callgrind, perf): MobileNetV2 on a batch of
//! uniformly random designs, or on the feasible ones among them, simulated `reps` times on one
//! thread, with the throughput printed at the end.
//!
//!     cargo build --release -p prime-core --example sim_profile
//!     valgrind --tool=callgrind target/release/examples/sim_profile feasible 20000 1
//!     target/release/examples/sim_profile random 1000000 5
//!
//! Arguments: `random|feasible` (default feasible), designs (default 100000), repetitions
//! (default 3), workload (default mobilenet_v2).
use std::time::Instant;

use prime_core::sim::{simulate_batch, PreparedWorkload, SimOutputs};
use prime_core::{space, workload};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().map_or("feasible", String::as_str);
    let n: usize = args
        .get(1)
        .map_or(100_000, |s| s.parse().expect("designs: an integer"));
    let reps: usize = args
        .get(2)
        .map_or(3, |s| s.parse().expect("repetitions: an integer"));
    let name = args.get(3).map_or("mobilenet_v2", String::as_str);
    let wl = workload::load(name).expect("a built-in workload");
    let prepared = PreparedWorkload::new(&wl.ops);
    let designs = match kind {
        "random" => space::sample(n, 2024),
        "feasible" => feasible_designs(n, &prepared),
        other => panic!("batch kind must be random or feasible, not {other}"),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let start = Instant::now();
    let mut digest = 0;
    let mut cpu_ns = 0;
    for _ in 0..reps {
        let (out, ns) = pool.install(|| {
            let before = thread_cpu_ns();
            let out = simulate_batch(&designs, &prepared);
            (out, thread_cpu_ns().zip(before).map(|(a, b)| a - b))
        });
        digest = digest_of(&out);
        cpu_ns += ns.unwrap_or(0);
    }
    let secs = start.elapsed().as_secs_f64();
    let done = (n * reps) as f64;
    // On a shared machine the wall clock counts other processes' time too; the thread's own CPU
    // time does not.
    let per_cpu_s = if cpu_ns > 0 {
        format!("{:.0}", done / (cpu_ns as f64 * 1e-9))
    } else {
        "n/a".to_string()
    };
    println!(
        "{name} {kind}: {n} designs x {reps} on one thread: {:.0} designs/s wall, {per_cpu_s} per CPU-second (digest {digest:016x})",
        done / secs
    );
}

/// CPU time of the calling thread (Linux: /proc/thread-self/schedstat, first field, ns).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// FNV-1a over every output's bits: equal digests before and after a kernel change mean
/// bit-identical results.
fn digest_of(out: &SimOutputs) -> u64 {
    let words = (out.latency_ms.iter())
        .chain(&out.energy_mj)
        .chain(&out.area_mm2)
        .map(|x| x.to_bits())
        .chain(out.reason.iter().map(|&r| u64::from(r)));
    words.fold(0xcbf2_9ce4_8422_2325, |h, w| {
        (h ^ w).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The first `n` feasible designs of a seeded uniform stream.
fn feasible_designs(n: usize, wl: &PreparedWorkload) -> Vec<space::Design> {
    let mut out = Vec::with_capacity(n);
    let mut seed = 7;
    while out.len() < n {
        let batch = space::sample(4 * n.max(1000), seed);
        let sim = simulate_batch(&batch, wl);
        out.extend(
            batch
                .iter()
                .zip(&sim.feasible)
                .filter(|(_, &f)| f)
                .map(|(d, _)| *d),
        );
        seed += 1;
    }
    out.truncate(n);
    out
}
