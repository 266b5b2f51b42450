//! `prime_rs._native.space`, the binding of `prime_core::space`: design batches travel as `(n, 10)` uint8 arrays, ids as
//! uint64, raw values as float64 in and int64 out, one-hot as float32 `(n, 77)`.

use numpy::ndarray::{Array2, ArrayView2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use prime_core::space::{self, Design, N_PARAMS, ONEHOT_WIDTH};
use pyo3::prelude::*;

use crate::args;
use crate::errors::{detached, invalid_argument, invalid_designs};

/// The complaint about an array whose second axis is not `width`, naming both shapes.
pub(crate) fn shape_problem<T: numpy::Element>(
    arr: &PyReadonlyArray2<'_, T>,
    width: usize,
    what: &str,
) -> Option<String> {
    let (rows, cols) = arr.as_array().dim();
    (cols != width).then(|| format!("{what} must have shape (n, {width}), got ({rows}, {cols})"))
}

/// Reject design (or raw-value) arrays that are not `(n, 10)`.
pub(crate) fn check_designs<T: numpy::Element>(
    arr: &PyReadonlyArray2<'_, T>,
    what: &str,
) -> PyResult<()> {
    match shape_problem(arr, N_PARAMS, what) {
        Some(msg) => Err(invalid_designs(msg)),
        None => Ok(()),
    }
}

/// Copy a `(n, 10)` view into design rows (any memory layout).
pub(crate) fn view_rows(view: ArrayView2<'_, u8>) -> prime_core::Result<Vec<Design>> {
    match view.as_slice() {
        Some(flat) => space::rows_from_flat(flat),
        None => Ok(view
            .rows()
            .into_iter()
            .map(|r| {
                let mut d = [0u8; N_PARAMS];
                d.iter_mut().zip(r.iter()).for_each(|(o, &x)| *o = x);
                d
            })
            .collect()),
    }
}

fn matrix<T>(flat: Vec<T>, width: usize) -> prime_core::Result<Array2<T>> {
    let n = flat.len() / width;
    Array2::from_shape_vec((n, width), flat)
        .map_err(|e| prime_core::Error::InvalidArgument(format!("internal shape error: {e}")))
}

/// Design rows as an `(n, 10)` uint8 matrix, ready for `into_pyarray`.
pub(crate) fn design_matrix(rows: Vec<Design>) -> prime_core::Result<Array2<u8>> {
    matrix(rows.into_flattened(), N_PARAMS)
}

/// The parameters in key order: `(name, key, unit, allowed values)`.
#[pyfunction]
fn params() -> Vec<(&'static str, &'static str, &'static str, Vec<u64>)> {
    space::PARAMS
        .iter()
        .map(|p| (p.name, p.key, p.unit, p.values.to_vec()))
        .collect()
}

/// Check that every row is inside the space (raises InvalidDesignError naming the first bad one).
#[pyfunction]
fn validate(py: Python<'_>, designs: PyReadonlyArray2<'_, u8>) -> PyResult<()> {
    check_designs(&designs, "designs")?;
    let view = designs.as_array();
    detached(py, || space::validate(&view_rows(view)?))
}

#[pyfunction]
fn to_ids<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    check_designs(&designs, "designs")?;
    let view = designs.as_array();
    let ids = detached(py, || space::to_ids(&view_rows(view)?))?;
    Ok(ids.into_pyarray(py))
}

#[pyfunction]
fn from_ids<'py>(
    py: Python<'py>,
    ids: PyReadonlyArray1<'py, u64>,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let view = ids.as_array();
    let out = detached(py, || {
        let ids: Vec<u64> = view.iter().copied().collect();
        design_matrix(space::from_ids(&ids)?)
    })?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn to_values<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    check_designs(&designs, "designs")?;
    let view = designs.as_array();
    let out = detached(py, || {
        // Every allowed value is far below 2^63, so the cast is exact.
        let values = space::to_values(&view_rows(view)?)?;
        matrix(
            values
                .into_iter()
                .flat_map(|r| r.map(|v| v as i64))
                .collect(),
            N_PARAMS,
        )
    })?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn from_values<'py>(
    py: Python<'py>,
    values: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    check_designs(&values, "values")?;
    let view = values.as_array();
    let out = detached(py, || {
        let rows: Vec<[f64; N_PARAMS]> = view
            .rows()
            .into_iter()
            .map(|r| {
                let mut v = [0f64; N_PARAMS];
                v.iter_mut().zip(r.iter()).for_each(|(o, &x)| *o = x);
                v
            })
            .collect();
        design_matrix(space::from_values(&rows)?)
    })?;
    Ok(out.into_pyarray(py))
}

/// A column's indices and its mask of entries outside the space.
type IndexedColumn<'py> = (Bound<'py, PyArray1<u8>>, Bound<'py, PyArray1<bool>>);

/// Indices of one column of raw values of a parameter and a mask of the entries that match no
/// allowed value: the space's one value -> index rule, for importers that report or drop bad
/// rows themselves.
#[pyfunction]
fn index_column<'py>(
    py: Python<'py>,
    param: usize,
    values: PyReadonlyArray1<'py, f64>,
) -> PyResult<IndexedColumn<'py>> {
    let view = values.as_array();
    let (idx, bad) = detached(py, || match view.as_slice() {
        Some(v) => space::index_column(param, v),
        None => space::index_column(param, &view.to_vec()),
    })?;
    Ok((idx.into_pyarray(py), bad.into_pyarray(py)))
}

#[pyfunction]
fn onehot<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    check_designs(&designs, "designs")?;
    let view = designs.as_array();
    let out = detached(py, || {
        matrix(space::onehot(&view_rows(view)?)?, ONEHOT_WIDTH)
    })?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn from_onehot<'py>(
    py: Python<'py>,
    scores: PyReadonlyArray2<'py, f32>,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    if let Some(msg) = shape_problem(&scores, ONEHOT_WIDTH, "one-hot scores") {
        return Err(invalid_argument(msg));
    }
    let view = scores.as_array();
    let out = detached(py, || {
        let flat: Vec<f32> = match view.as_slice() {
            Some(s) => s.to_vec(),
            None => view.iter().copied().collect(),
        };
        design_matrix(space::from_onehot(&flat)?)
    })?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn sample<'py>(
    py: Python<'py>,
    n: &Bound<'py, PyAny>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let n = args::count(n, "n")?;
    args::check_designs_alloc(n, N_PARAMS, "n")?;
    let out = detached(py, || design_matrix(space::sample(n, seed)))?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn mutate<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
    seed: u64,
    rate: f64,
    step_prob: f64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    check_designs(&designs, "designs")?;
    let view = designs.as_array();
    let out = detached(py, || {
        design_matrix(space::mutate(&view_rows(view)?, seed, rate, step_prob)?)
    })?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn crossover<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, u8>,
    b: PyReadonlyArray2<'py, u8>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    check_designs(&a, "parent batch a")?;
    check_designs(&b, "parent batch b")?;
    let (va, vb) = (a.as_array(), b.as_array());
    let out = detached(py, || {
        design_matrix(space::crossover(&view_rows(va)?, &view_rows(vb)?, seed)?)
    })?;
    Ok(out.into_pyarray(py))
}

/// Indices of the first occurrence of each distinct design.
#[pyfunction]
fn unique<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    check_designs(&designs, "designs")?;
    let view = designs.as_array();
    let idx = detached(py, || {
        Ok(space::unique_indices(&view_rows(view)?)?
            .into_iter()
            .map(|i| i as i64)
            .collect::<Vec<_>>())
    })?;
    Ok(idx.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SIZE", space::SIZE)?;
    m.add("ONEHOT_WIDTH", ONEHOT_WIDTH)?;
    m.add_function(wrap_pyfunction!(params, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(to_ids, m)?)?;
    m.add_function(wrap_pyfunction!(from_ids, m)?)?;
    m.add_function(wrap_pyfunction!(to_values, m)?)?;
    m.add_function(wrap_pyfunction!(from_values, m)?)?;
    m.add_function(wrap_pyfunction!(index_column, m)?)?;
    m.add_function(wrap_pyfunction!(onehot, m)?)?;
    m.add_function(wrap_pyfunction!(from_onehot, m)?)?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(mutate, m)?)?;
    m.add_function(wrap_pyfunction!(crossover, m)?)?;
    m.add_function(wrap_pyfunction!(unique, m)?)?;
    Ok(())
}
