//! The PRIME design space: ten discrete parameters with the exact value
//! lists of the released PRIME code. A design is a row of ten small indices (`[u8; 10]`), one per
//! parameter in key order (`param_1` .. `param_10`).
//!
//! Ids are mixed-radix numbers of the index rows (`param_1` most significant), so sorting by id
//! sorts designs lexicographically. Every random kernel draws row `i` from a stream derived from
//! `(seed, kernel, i)` (see [`crate::rng`]), so results never depend on the thread count or the
//! batch split.

use rand::Rng;
use rayon::prelude::*;

use crate::rng::{
    build_rows, check_probability, map_rows, row_rng, stream, PAR_CHUNK, PAR_MIN_ROWS,
};

/// One parameter of the space: its physical name (our interpretation), the `param_k` key of the
/// published data, its unit and its allowed raw values in increasing order.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub key: &'static str,
    pub unit: &'static str,
    pub values: &'static [u64],
}

const KI: u64 = 1024;
const MI: u64 = 1024 * 1024;

pub const N_PARAMS: usize = 10;

pub const PARAMS: [Param; N_PARAMS] = [
    Param {
        name: "pe_x",
        key: "param_1",
        unit: "count",
        values: &[1, 2, 4, 6, 8, 10, 12, 14, 16, 32],
    },
    Param {
        name: "pe_y",
        key: "param_2",
        unit: "count",
        values: &[1, 2, 4, 6, 8, 10, 12, 14, 16, 32],
    },
    Param {
        name: "simd_lanes",
        key: "param_3",
        unit: "count",
        values: &[4, 8, 16, 32, 64, 128, 256],
    },
    Param {
        name: "cores_per_pe",
        key: "param_4",
        unit: "count",
        values: &[1, 2, 4, 6, 8, 10, 12, 14, 16, 32],
    },
    Param {
        name: "pe_memory",
        key: "param_5",
        unit: "bytes",
        values: &[256 * KI, 512 * KI, MI, 2 * MI, 4 * MI, 8 * MI, 16 * MI],
    },
    Param {
        name: "core_memory",
        key: "param_6",
        unit: "bytes",
        values: &[
            4 * KI,
            8 * KI,
            16 * KI,
            32 * KI,
            64 * KI,
            128 * KI,
            256 * KI,
            512 * KI,
            MI,
            2 * MI,
            4 * MI,
        ],
    },
    Param {
        name: "instruction_memory",
        key: "param_7",
        unit: "entries",
        values: &[256, 512, 1024, 2048, 4096, 8192, 16384],
    },
    Param {
        name: "parameter_memory",
        key: "param_8",
        unit: "bytes",
        values: &[8192, 16384, 32768, 65536],
    },
    Param {
        name: "activation_memory",
        key: "param_9",
        unit: "bytes",
        values: &[2048, 4096, 8192, 16384, 32768],
    },
    Param {
        name: "dram_bandwidth",
        key: "param_10",
        unit: "GB/s",
        values: &[5, 10, 16, 20, 25, 30],
    },
];

/// A design as indices into each parameter's value list.
pub type Design = [u8; N_PARAMS];

/// Index of each parameter in [`PARAMS`], named so the simulator reads like the model.
pub mod idx {
    pub const PE_X: usize = 0;
    pub const PE_Y: usize = 1;
    pub const SIMD_LANES: usize = 2;
    pub const CORES_PER_PE: usize = 3;
    pub const PE_MEMORY: usize = 4;
    pub const CORE_MEMORY: usize = 5;
    pub const INSTRUCTION_MEMORY: usize = 6;
    pub const PARAMETER_MEMORY: usize = 7;
    pub const ACTIVATION_MEMORY: usize = 8;
    pub const DRAM_BANDWIDTH: usize = 9;
}

/// Raw values of a design that is already known to be valid.
#[inline]
pub fn values_of(d: &Design) -> [u64; N_PARAMS] {
    let mut out = [0u64; N_PARAMS];
    for (k, p) in PARAMS.iter().enumerate() {
        out[k] = p.values[d[k] as usize];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Shape of the space: cardinalities, size, mixed-radix strides, one-hot layout.
// ---------------------------------------------------------------------------------------------

/// Number of allowed values of each parameter, in key order.
pub const CARDINALITIES: [usize; N_PARAMS] = {
    let mut c = [0usize; N_PARAMS];
    let mut k = 0;
    while k < N_PARAMS {
        c[k] = PARAMS[k].values.len();
        k += 1;
    }
    c
};

/// Number of designs in the space (product of the cardinalities).
pub const SIZE: u64 = {
    let mut s = 1u64;
    let mut k = 0;
    while k < N_PARAMS {
        s *= CARDINALITIES[k] as u64;
        k += 1;
    }
    s
};

/// Place value of each parameter in a design id: `param_1` is the most significant digit.
pub const STRIDES: [u64; N_PARAMS] = {
    let mut s = [1u64; N_PARAMS];
    let mut k = N_PARAMS - 1;
    while k > 0 {
        s[k - 1] = s[k] * CARDINALITIES[k] as u64;
        k -= 1;
    }
    s
};

/// Width of the one-hot encoding: one block per parameter, blocks in key order.
pub const ONEHOT_WIDTH: usize = {
    let mut w = 0;
    let mut k = 0;
    while k < N_PARAMS {
        w += CARDINALITIES[k];
        k += 1;
    }
    w
};

/// Column where each parameter's one-hot block starts.
pub const ONEHOT_OFFSETS: [usize; N_PARAMS] = {
    let mut o = [0usize; N_PARAMS];
    let mut k = 1;
    while k < N_PARAMS {
        o[k] = o[k - 1] + CARDINALITIES[k - 1];
        k += 1;
    }
    o
};

// The published space; a silent change to a value list would invalidate every logged dataset.
const _: () = assert!(SIZE == 452_760_000);
const _: () = assert!(ONEHOT_WIDTH == 77);

// ---------------------------------------------------------------------------------------------
// Ids, validation, values.
// ---------------------------------------------------------------------------------------------

/// Mixed-radix id of a valid design (`param_1` most significant), in `0..SIZE`.
#[inline]
pub fn to_id(d: &Design) -> u64 {
    let mut id = 0u64;
    for k in 0..N_PARAMS {
        id += d[k] as u64 * STRIDES[k];
    }
    id
}

/// The design with the given id; fails for ids outside `0..SIZE`.
pub fn from_id(id: u64) -> crate::Result<Design> {
    if id >= SIZE {
        return Err(crate::Error::InvalidArgument(format!(
            "design id {id} is out of range: ids run from 0 to {}",
            SIZE - 1
        )));
    }
    let mut rest = id;
    let mut d = [0u8; N_PARAMS];
    for k in (0..N_PARAMS).rev() {
        let c = CARDINALITIES[k] as u64;
        d[k] = (rest % c) as u8;
        rest /= c;
    }
    Ok(d)
}

/// Whether every index of the row is inside its parameter's range.
#[inline]
pub fn is_valid(d: &Design) -> bool {
    d.iter()
        .zip(CARDINALITIES.iter())
        .all(|(&i, &c)| (i as usize) < c)
}

fn row_error(row: usize, d: &Design) -> crate::Error {
    // Called only for rows that failed `is_valid`, so some index is out of range.
    let k = (0..N_PARAMS)
        .find(|&k| d[k] as usize >= CARDINALITIES[k])
        .unwrap_or(0);
    crate::Error::InvalidDesign {
        row,
        param: PARAMS[k].name,
        detail: format!(
            "({}) has index {}, allowed 0..={} ({} values)",
            PARAMS[k].key,
            d[k],
            CARDINALITIES[k] - 1,
            CARDINALITIES[k]
        ),
    }
}

/// Check that every row is inside the space. The error names the first bad row, the parameter,
/// the index and the allowed range, whatever the thread count.
pub fn validate(rows: &[Design]) -> crate::Result<()> {
    let bad = if rows.len() < PAR_MIN_ROWS {
        rows.iter().position(|d| !is_valid(d))
    } else {
        rows.par_iter()
            .with_min_len(PAR_CHUNK)
            .position_first(|d| !is_valid(d))
    };
    match bad {
        Some(r) => Err(row_error(r, &rows[r])),
        None => Ok(()),
    }
}

/// Split a row-major buffer of `n * 10` indices into designs (no range check).
pub fn rows_from_flat(flat: &[u8]) -> crate::Result<Vec<Design>> {
    if flat.len() % N_PARAMS != 0 {
        return Err(crate::Error::InvalidArgument(format!(
            "a design buffer must hold a multiple of {N_PARAMS} indices, got {}",
            flat.len()
        )));
    }
    Ok(flat
        .chunks_exact(N_PARAMS)
        .map(|c| {
            let mut d = [0u8; N_PARAMS];
            d.copy_from_slice(c);
            d
        })
        .collect())
}

/// Ids of a batch of designs, validated first.
pub fn to_ids(rows: &[Design]) -> crate::Result<Vec<u64>> {
    validate(rows)?;
    Ok(map_rows(rows, to_id))
}

/// Designs of a batch of ids; the error names the first id outside the space.
pub fn from_ids(ids: &[u64]) -> crate::Result<Vec<Design>> {
    if let Some(r) = ids.iter().position(|&id| id >= SIZE) {
        return Err(crate::Error::InvalidArgument(format!(
            "design id {} at position {r} is out of range: ids run from 0 to {}",
            ids[r],
            SIZE - 1
        )));
    }
    // Every id is in range, so `from_id` cannot fail; the fallback keeps this panic-free.
    Ok(map_rows(ids, |&id| from_id(id).unwrap_or([0; N_PARAMS])))
}

/// Raw values of a batch of designs, validated first.
pub fn to_values(rows: &[Design]) -> crate::Result<Vec<[u64; N_PARAMS]>> {
    validate(rows)?;
    Ok(map_rows(rows, values_of))
}

/// Floats this close to an allowed value (relative to the value, at least 1e-9 absolute) are
/// taken as that value; anything further away is a mismatch. This is the one value -> index
/// rule of the package (`SPACE.from_values` and every importer use it). It is exact for the
/// published PRIME data: every allowed value is an integer below 2^24, exactly representable in
/// float32, and float32 neighbours of such a value differ from it by at least 6e-8 relative, far
/// outside the tolerance; the tolerance only absorbs float64 noise from computed values.
pub const VALUE_TOLERANCE: f64 = 1e-9;

/// Index of `value` in parameter `k`'s value list, under [`VALUE_TOLERANCE`] (`None` for NaN,
/// infinities and values not in the list).
#[inline]
fn match_value(k: usize, value: f64) -> Option<u8> {
    PARAMS[k]
        .values
        .iter()
        .position(|&v| {
            let v = v as f64;
            (value - v).abs() <= VALUE_TOLERANCE * v.max(1.0)
        })
        .map(|i| i as u8)
}

fn value_detail(k: usize, value: f64) -> std::result::Result<u8, String> {
    let p = &PARAMS[k];
    if !value.is_finite() {
        return Err(format!(
            "({}) has value {value}, which is not a finite number",
            p.key
        ));
    }
    match_value(k, value).ok_or_else(|| {
        let allowed: Vec<String> = p.values.iter().map(|v| v.to_string()).collect();
        format!(
            "({}) has value {value}, not one of the allowed values {}",
            p.key,
            allowed.join(", ")
        )
    })
}

/// Indices of one column of raw values of parameter `param`, and which entries match no allowed
/// value (their index is 0). For importers that report or drop bad rows themselves; the rule is
/// the one of [`index_of_value`].
pub fn index_column(param: usize, values: &[f64]) -> crate::Result<(Vec<u8>, Vec<bool>)> {
    check_param(param)?;
    let matched = map_rows(values, |&v| match_value(param, v));
    let bad = matched.iter().map(Option::is_none).collect();
    Ok((matched.into_iter().map(|m| m.unwrap_or(0)).collect(), bad))
}

fn check_param(param: usize) -> crate::Result<&'static Param> {
    PARAMS.get(param).ok_or_else(|| {
        crate::Error::InvalidArgument(format!(
            "parameter number {param} is out of range 0..{N_PARAMS}"
        ))
    })
}

/// Index of a raw value of parameter `param` (0-based key order). Exact values only, up to
/// [`VALUE_TOLERANCE`]; NaN and infinities are rejected.
pub fn index_of_value(param: usize, value: f64) -> crate::Result<u8> {
    let p = check_param(param)?;
    value_detail(param, value)
        .map_err(|detail| crate::Error::InvalidArgument(format!("parameter '{}' {detail}", p.name)))
}

/// Index rows of a batch of raw-value rows. The error names the first bad row, the parameter,
/// the value and the allowed values.
pub fn from_values(rows: &[[f64; N_PARAMS]]) -> crate::Result<Vec<Design>> {
    let convert = |row: &[f64; N_PARAMS]| -> std::result::Result<Design, (usize, String)> {
        let mut d = [0u8; N_PARAMS];
        for k in 0..N_PARAMS {
            d[k] = value_detail(k, row[k]).map_err(|e| (k, e))?;
        }
        Ok(d)
    };
    let bad = |row: &[f64; N_PARAMS]| convert(row).is_err();
    let first_bad = if rows.len() < PAR_MIN_ROWS {
        rows.iter().position(bad)
    } else {
        rows.par_iter().with_min_len(PAR_CHUNK).position_first(bad)
    };
    if let Some(r) = first_bad {
        if let Err((k, detail)) = convert(&rows[r]) {
            return Err(crate::Error::InvalidDesign {
                row: r,
                param: PARAMS[k].name,
                detail,
            });
        }
    }
    Ok(map_rows(rows, |row| convert(row).unwrap_or([0; N_PARAMS])))
}

// ---------------------------------------------------------------------------------------------
// One-hot.
// ---------------------------------------------------------------------------------------------

/// Write the one-hot encoding of one valid design into `out` (length [`ONEHOT_WIDTH`]).
#[inline]
pub fn onehot_row(d: &Design, out: &mut [f32]) {
    out.fill(0.0);
    for k in 0..N_PARAMS {
        out[ONEHOT_OFFSETS[k] + d[k] as usize] = 1.0;
    }
}

/// Row-major `(n, 77)` one-hot encoding of a batch, validated first.
pub fn onehot(rows: &[Design]) -> crate::Result<Vec<f32>> {
    validate(rows)?;
    let mut out = vec![0f32; rows.len() * ONEHOT_WIDTH];
    if rows.len() < PAR_MIN_ROWS {
        out.chunks_exact_mut(ONEHOT_WIDTH)
            .zip(rows)
            .for_each(|(o, d)| onehot_row(d, o));
    } else {
        out.par_chunks_exact_mut(ONEHOT_WIDTH)
            .with_min_len(PAR_CHUNK)
            .zip(rows.par_iter())
            .for_each(|(o, d)| onehot_row(d, o));
    }
    Ok(out)
}

/// Decode a row-major `(n, 77)` batch of (relaxed) one-hot scores into designs: the argmax of
/// each block, the first on ties. Gradient-based optimisers over relaxed one-hots project back
/// with this. NaN scores are rejected.
pub fn from_onehot(scores: &[f32]) -> crate::Result<Vec<Design>> {
    if scores.len() % ONEHOT_WIDTH != 0 {
        return Err(crate::Error::InvalidArgument(format!(
            "a one-hot buffer must hold a multiple of {ONEHOT_WIDTH} scores, got {}",
            scores.len()
        )));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(crate::Error::InvalidArgument(format!(
            "one-hot score at row {}, column {} is NaN",
            i / ONEHOT_WIDTH,
            i % ONEHOT_WIDTH
        )));
    }
    let decode = |row: &[f32]| -> Design {
        let mut d = [0u8; N_PARAMS];
        for k in 0..N_PARAMS {
            let block = &row[ONEHOT_OFFSETS[k]..ONEHOT_OFFSETS[k] + CARDINALITIES[k]];
            let mut best = 0;
            for (i, &s) in block.iter().enumerate() {
                if s > block[best] {
                    best = i;
                }
            }
            d[k] = best as u8;
        }
        d
    };
    let n = scores.len() / ONEHOT_WIDTH;
    Ok(if n < PAR_MIN_ROWS {
        scores.chunks_exact(ONEHOT_WIDTH).map(decode).collect()
    } else {
        scores
            .par_chunks_exact(ONEHOT_WIDTH)
            .with_min_len(PAR_CHUNK)
            .map(decode)
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness: sampling, mutation, crossover.
// ---------------------------------------------------------------------------------------------

/// A uniformly random design.
#[inline]
pub fn sample_one<R: Rng>(rng: &mut R) -> Design {
    let mut d = [0u8; N_PARAMS];
    for k in 0..N_PARAMS {
        d[k] = rng.random_range(0..CARDINALITIES[k] as u8);
    }
    d
}

/// `n` designs drawn uniformly (independently, with replacement); row `i` depends only on
/// `(seed, i)`.
pub fn sample(n: usize, seed: u64) -> Vec<Design> {
    build_rows(n, |i| sample_one(&mut row_rng(seed, stream::SAMPLE, i)))
}

/// Change gene `k` of a valid design: to a neighbouring index with probability `step_prob`
/// (reflected at the ends of the value list), otherwise to a uniformly drawn *different* index.
/// Every parameter has at least four values, so the gene always changes.
#[inline]
fn mutate_gene<R: Rng>(d: &mut Design, k: usize, step_prob: f64, rng: &mut R) {
    let c = CARDINALITIES[k] as u8;
    let cur = d[k];
    d[k] = if rng.random::<f64>() < step_prob {
        let up = rng.random::<bool>();
        if cur == 0 || (up && cur + 1 < c) {
            cur + 1
        } else {
            cur - 1
        }
    } else {
        let r = rng.random_range(0..c - 1);
        if r >= cur {
            r + 1
        } else {
            r
        }
    };
}

/// Mutate one valid design in place: each gene mutates with probability `rate`; when `rate > 0`
/// and no gene was picked, one uniformly chosen gene mutates, so a mutation is never a no-op.
/// `rate == 0` leaves the design unchanged.
#[inline]
pub fn mutate_one<R: Rng>(d: &mut Design, rate: f64, step_prob: f64, rng: &mut R) {
    if rate <= 0.0 {
        return;
    }
    let mut changed = false;
    for k in 0..N_PARAMS {
        if rng.random::<f64>() < rate {
            mutate_gene(d, k, step_prob, rng);
            changed = true;
        }
    }
    if !changed {
        let k = rng.random_range(0..N_PARAMS);
        mutate_gene(d, k, step_prob, rng);
    }
}

/// Mutated copies of a batch of designs (see [`mutate_one`]); row `i` depends only on
/// `(seed, i, rows[i])`.
pub fn mutate(rows: &[Design], seed: u64, rate: f64, step_prob: f64) -> crate::Result<Vec<Design>> {
    check_probability("rate", rate)?;
    check_probability("step_prob", step_prob)?;
    validate(rows)?;
    Ok(build_rows(rows.len(), |i| {
        let mut d = rows[i];
        mutate_one(
            &mut d,
            rate,
            step_prob,
            &mut row_rng(seed, stream::MUTATE, i),
        );
        d
    }))
}

/// Uniform crossover: each gene from `a` or `b` with probability 1/2.
#[inline]
pub fn crossover_one<R: Rng>(a: &Design, b: &Design, rng: &mut R) -> Design {
    let mask: u16 = rng.random();
    let mut d = *a;
    for k in 0..N_PARAMS {
        if mask >> k & 1 == 1 {
            d[k] = b[k];
        }
    }
    d
}

/// Row-wise uniform crossover of two equally long batches of designs.
pub fn crossover(a: &[Design], b: &[Design], seed: u64) -> crate::Result<Vec<Design>> {
    if a.len() != b.len() {
        return Err(crate::Error::InvalidArgument(format!(
            "crossover parents must have the same number of rows, got {} and {}",
            a.len(),
            b.len()
        )));
    }
    validate(a)?;
    validate(b)?;
    Ok(build_rows(a.len(), |i| {
        crossover_one(&a[i], &b[i], &mut row_rng(seed, stream::CROSSOVER, i))
    }))
}

/// Indices of the first occurrence of each distinct design, in order of first occurrence.
pub fn unique_indices(rows: &[Design]) -> crate::Result<Vec<usize>> {
    validate(rows)?;
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    Ok((0..rows.len())
        .filter(|&i| seen.insert(to_id(&rows[i])))
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any valid design, for property tests across the crate.
    pub(crate) fn design() -> impl Strategy<Value = Design> {
        (
            [0u8..10, 0u8..10, 0u8..7, 0u8..10, 0u8..7],
            [0u8..11, 0u8..7, 0u8..4, 0u8..5, 0u8..6],
        )
            .prop_map(|(a, b)| {
                let mut d = [0u8; N_PARAMS];
                d[..5].copy_from_slice(&a);
                d[5..].copy_from_slice(&b);
                d
            })
    }

    #[test]
    fn shape_of_the_space() {
        assert_eq!(CARDINALITIES, [10, 10, 7, 10, 7, 11, 7, 4, 5, 6]);
        assert_eq!(SIZE, 452_760_000);
        assert_eq!(ONEHOT_WIDTH, 77);
        assert_eq!(ONEHOT_OFFSETS, [0, 10, 20, 27, 37, 44, 55, 62, 66, 71]);
        assert_eq!(STRIDES[9], 1);
        assert_eq!(STRIDES[0] * 10, SIZE);
        for (k, p) in PARAMS.iter().enumerate() {
            assert_eq!(p.key, format!("param_{}", k + 1));
            assert!(
                p.values.windows(2).all(|w| w[0] < w[1]),
                "{} not increasing",
                p.name
            );
        }
    }

    #[test]
    fn first_and_last_ids() {
        assert_eq!(from_id(0).unwrap(), [0; N_PARAMS]);
        let last: Design = std::array::from_fn(|k| CARDINALITIES[k] as u8 - 1);
        assert_eq!(from_id(SIZE - 1).unwrap(), last);
        assert_eq!(to_id(&last), SIZE - 1);
        assert_eq!(from_id(1).unwrap()[9], 1);
        assert_eq!(from_id(STRIDES[0]).unwrap()[0], 1);
        assert!(matches!(
            from_id(SIZE),
            Err(crate::Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn validate_names_row_param_index_and_range() {
        let rows = vec![[0u8; N_PARAMS], [0, 0, 0, 0, 0, 0, 0, 4, 0, 0]];
        let msg = validate(&rows).unwrap_err().to_string();
        assert!(msg.contains("row 1"), "{msg}");
        assert!(msg.contains("parameter_memory"), "{msg}");
        assert!(msg.contains("index 4"), "{msg}");
        assert!(msg.contains("0..=3"), "{msg}");
        let msg = validate(&[[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("pe_x") && msg.contains("index 10") && msg.contains("0..=9"),
            "{msg}"
        );
    }

    #[test]
    fn validate_reports_first_bad_row_in_parallel_batches() {
        let mut rows = sample(3 * PAR_MIN_ROWS, 1);
        rows[5000][2] = 200;
        rows[9000][0] = 200;
        let msg = validate(&rows).unwrap_err().to_string();
        assert!(
            msg.contains("row 5000") && msg.contains("simd_lanes"),
            "{msg}"
        );
    }

    #[test]
    fn values_are_exact() {
        assert_eq!(index_of_value(0, 32.0).unwrap(), 9);
        assert_eq!(index_of_value(4, 262144.0).unwrap(), 0);
        assert_eq!(index_of_value(0, 32.0 + 1e-12).unwrap(), 9);
        let msg = index_of_value(0, 3.0).unwrap_err().to_string();
        assert!(
            msg.contains("pe_x") && msg.contains("value 3") && msg.contains("1, 2, 4, 6"),
            "{msg}"
        );
        assert!(index_of_value(0, 1.5).is_err());
        assert!(index_of_value(0, 2.0 + 1e-6).is_err());
        let msg = index_of_value(9, f64::NAN).unwrap_err().to_string();
        assert!(
            msg.contains("NaN") && msg.contains("dram_bandwidth"),
            "{msg}"
        );
        assert!(index_of_value(9, f64::INFINITY).is_err());
        assert!(index_of_value(10, 1.0).is_err());
    }

    #[test]
    fn index_column_flags_what_index_of_value_rejects() {
        let col = [32.0, 3.0, f64::NAN, 1.0 + 1e-12, 2.0 + 1e-6, -1.0, 16.0];
        let (idx, bad) = index_column(0, &col).unwrap();
        assert_eq!(idx, vec![9, 0, 0, 0, 0, 0, 8]);
        assert_eq!(bad, vec![false, true, true, false, true, true, false]);
        for (&v, &b) in col.iter().zip(bad.iter()) {
            assert_eq!(index_of_value(0, v).is_err(), b, "{v}");
        }
        assert!(index_column(10, &col).is_err());
    }

    #[test]
    fn float32_neighbours_of_allowed_values_never_match() {
        // The published data is float32: the tolerance must not merge two float32 values.
        for (k, p) in PARAMS.iter().enumerate() {
            for &v in p.values {
                let f = v as f32;
                assert_eq!(f as f64, v as f64, "{} {v} is not exact in float32", p.name);
                for n in [
                    f32::from_bits(f.to_bits() + 1),
                    f32::from_bits(f.to_bits() - 1),
                ] {
                    assert!(index_of_value(k, n as f64).is_err(), "{} {n}", p.name);
                }
            }
        }
    }

    #[test]
    fn from_values_names_row_and_parameter() {
        let mut rows = vec![[0f64; N_PARAMS]; 3];
        for r in rows.iter_mut() {
            *r = values_of(&[0; N_PARAMS]).map(|v| v as f64);
        }
        rows[2][9] = 7.0;
        let err = from_values(&rows).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                crate::Error::InvalidDesign {
                    row: 2,
                    param: "dram_bandwidth",
                    ..
                }
            ),
            "{msg}"
        );
        assert!(
            msg.contains("value 7") && msg.contains("5, 10, 16, 20, 25, 30"),
            "{msg}"
        );
    }

    #[test]
    fn sampling_is_seeded_and_in_range() {
        let a = sample(10_000, 7);
        assert_eq!(a, sample(10_000, 7));
        assert_ne!(a, sample(10_000, 8));
        assert!(validate(&a).is_ok());
        // Row i does not depend on n: long (parallel) and short (serial) batches agree.
        assert_eq!(&a[..100], &sample(100, 7)[..]);
        // Every value of every parameter appears.
        for k in 0..N_PARAMS {
            let mut seen = vec![false; CARDINALITIES[k]];
            a.iter().for_each(|d| seen[d[k] as usize] = true);
            assert!(seen.iter().all(|&s| s), "{}", PARAMS[k].name);
        }
    }

    #[test]
    fn mutation_argument_checks() {
        let rows = sample(4, 0);
        assert!(mutate(&rows, 0, 1.5, 0.5).is_err());
        assert!(mutate(&rows, 0, f64::NAN, 0.5).is_err());
        assert!(mutate(&rows, 0, 0.1, -0.1).is_err());
        assert_eq!(mutate(&rows, 0, 0.0, 0.5).unwrap(), rows);
        assert!(crossover(&rows, &rows[..3], 0).is_err());
    }

    #[test]
    fn steps_reflect_at_the_ends() {
        let mut rng = row_rng(0, 0, 0);
        for _ in 0..200 {
            let mut d = [0u8; N_PARAMS];
            mutate_gene(&mut d, 0, 1.0, &mut rng);
            assert_eq!(d[0], 1);
            let mut d = [9u8; N_PARAMS];
            mutate_gene(&mut d, 0, 1.0, &mut rng);
            assert_eq!(d[0], 8);
        }
    }

    #[test]
    fn from_onehot_takes_block_argmax() {
        let rows = sample(50, 3);
        let oh = onehot(&rows).unwrap();
        assert_eq!(from_onehot(&oh).unwrap(), rows);
        assert!(from_onehot(&[0.0; 76]).is_err());
        let mut bad = vec![0f32; ONEHOT_WIDTH];
        bad[12] = f32::NAN;
        assert!(from_onehot(&bad)
            .unwrap_err()
            .to_string()
            .contains("column 12"));
    }

    #[test]
    fn unique_keeps_first_occurrences() {
        let a = [1u8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let b = [2u8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(unique_indices(&[a, b, a, b, a]).unwrap(), vec![0, 1]);
    }

    proptest! {
        #[test]
        fn id_round_trip(d in design()) {
            let id = to_id(&d);
            prop_assert!(id < SIZE);
            prop_assert_eq!(from_id(id).unwrap(), d);
        }

        #[test]
        fn ids_round_trip(id in 0u64..SIZE) {
            prop_assert_eq!(to_id(&from_id(id).unwrap()), id);
        }

        #[test]
        fn ids_preserve_lexicographic_order(a in design(), b in design()) {
            prop_assert_eq!(a.cmp(&b), to_id(&a).cmp(&to_id(&b)));
        }

        #[test]
        fn values_round_trip(d in design()) {
            let v = values_of(&d).map(|x| x as f64);
            prop_assert_eq!(from_values(&[v]).unwrap(), vec![d]);
        }

        #[test]
        fn onehot_has_one_per_block(d in design()) {
            let oh = onehot(&[d]).unwrap();
            let mut dirty = [0.5f32; ONEHOT_WIDTH];
            onehot_row(&d, &mut dirty);
            prop_assert_eq!(&dirty[..], &oh[..]);
            prop_assert_eq!(oh.iter().sum::<f32>(), N_PARAMS as f32);
            for k in 0..N_PARAMS {
                let block = &oh[ONEHOT_OFFSETS[k]..ONEHOT_OFFSETS[k] + CARDINALITIES[k]];
                prop_assert_eq!(block.iter().sum::<f32>(), 1.0);
                prop_assert_eq!(block[d[k] as usize], 1.0);
            }
        }

        #[test]
        fn mutation_stays_inside_and_changes(d in design(), seed: u64, rate in 0.0001f64..=1.0, step in 0.0f64..=1.0) {
            let out = mutate(&[d; 8], seed, rate, step).unwrap();
            for m in out {
                prop_assert!(is_valid(&m));
                prop_assert_ne!(m, d);
            }
        }

        #[test]
        fn pure_steps_move_each_changed_gene_by_one(d in design(), seed: u64) {
            let m = mutate(&[d], seed, 0.3, 1.0).unwrap()[0];
            for k in 0..N_PARAMS {
                prop_assert!((m[k] as i16 - d[k] as i16).abs() <= 1);
            }
        }

        #[test]
        fn crossover_genes_come_from_a_parent(a in design(), b in design(), seed: u64) {
            let c = crossover(&[a], &[b], seed).unwrap()[0];
            for k in 0..N_PARAMS {
                prop_assert!(c[k] == a[k] || c[k] == b[k]);
            }
        }
    }
}
