//! Criterion benches of the core kernels: the simulator on MobileNetV2 and U-Net (all threads
//! and one thread), area, and the population kernels.
//!
//!     cargo bench -p prime-core --bench kernels

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prime_core::search::{next_generation, Breeding};
use prime_core::sim::{area_batch, simulate_batch, PreparedWorkload};
use prime_core::space;
use prime_core::workload;

const N: usize = 200_000;

fn simulator(c: &mut Criterion) {
    let designs = space::sample(N, 42);
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    for name in ["mobilenet_v2", "unet"] {
        let wl = workload::load(name).expect("built-in workload");
        let prepared = PreparedWorkload::new(&wl.ops);
        group.bench_with_input(BenchmarkId::new("all_threads", name), &prepared, |b, p| {
            b.iter(|| simulate_batch(black_box(&designs), p))
        });
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        group.bench_with_input(BenchmarkId::new("one_thread", name), &prepared, |b, p| {
            b.iter(|| pool.install(|| simulate_batch(black_box(&designs), p)))
        });
    }
    group.bench_function("area", |b| b.iter(|| area_batch(black_box(&designs))));
    group.finish();
}

fn population(c: &mut Criterion) {
    let designs = space::sample(N, 7);
    let fitness: Vec<f64> = (0..N).map(|i| (i % 997) as f64).collect();
    let mut group = c.benchmark_group("population");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    group.bench_function("sample", |b| b.iter(|| space::sample(black_box(N), 1)));
    group.bench_function("mutate", |b| {
        b.iter(|| space::mutate(black_box(&designs), 1, 0.1, 0.5))
    });
    group.bench_function("next_generation", |b| {
        b.iter(|| next_generation(black_box(&designs), &fitness, N, 3, &Breeding::default()))
    });
    group.finish();
}

criterion_group!(benches, simulator, population);
criterion_main!(benches);
