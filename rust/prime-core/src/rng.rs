//! The crate's deterministic randomness and parallel maps. Every random kernel draws row `i`
//! of a batch from its own stream, derived from `(seed, kernel, i)` only, and long batches are
//! split over the rayon pool in fixed-size chunks; together these make every result
//! independent of the thread count and of how a batch is split.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Batches at least this long are split over the rayon pool; shorter ones are not worth the
/// hand-off. Per-row RNG streams make the result independent of this choice.
pub(crate) const PAR_MIN_ROWS: usize = 4096;
/// Rows per rayon task of a split batch.
pub(crate) const PAR_CHUNK: usize = 1024;

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
#[inline]
pub(crate) const fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Independent random streams per kernel, so the same seed in two kernels does not correlate.
pub(crate) mod stream {
    pub const SAMPLE: u64 = 1;
    pub const MUTATE: u64 = 2;
    pub const CROSSOVER: u64 = 3;
    pub const NEXT_GENERATION: u64 = 4;
}

/// The RNG of one row of one kernel call. Derived from (seed, kernel, row) only, never from
/// thread state, so a batch gives the same result on any number of threads.
#[inline]
pub(crate) fn row_rng(seed: u64, kernel: u64, row: usize) -> Xoshiro256PlusPlus {
    let key = splitmix64(seed ^ splitmix64(kernel));
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(key.wrapping_add(row as u64)))
}

/// Apply `f` to every element, over the rayon pool for long batches; order is preserved.
pub(crate) fn map_rows<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    if items.len() < PAR_MIN_ROWS {
        items.iter().map(f).collect()
    } else {
        items.par_iter().with_min_len(PAR_CHUNK).map(f).collect()
    }
}

/// Build `n` rows from their row index, over the rayon pool for long batches.
pub(crate) fn build_rows<U, F>(n: usize, f: F) -> Vec<U>
where
    U: Send,
    F: Fn(usize) -> U + Sync + Send,
{
    if n < PAR_MIN_ROWS {
        (0..n).map(f).collect()
    } else {
        (0..n)
            .into_par_iter()
            .with_min_len(PAR_CHUNK)
            .map(f)
            .collect()
    }
}

/// The check of every probability a random kernel takes (rates, step and crossover
/// probabilities): NaN and values outside [0, 1] are rejected with the argument's name.
pub(crate) fn check_probability(name: &str, p: f64) -> crate::Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(crate::Error::InvalidArgument(format!(
            "{name} must be a probability in [0, 1], got {p}"
        )))
    }
}
