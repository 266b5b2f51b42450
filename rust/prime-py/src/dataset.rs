//! `prime_rs._native.tfrecord`, the binding of `prime_core::dataset`: the TFRecord reader and writer for PRIME-format logs.

use std::path::PathBuf;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use prime_core::dataset::{read_files, write::write_file, ReadOptions, Schema};
use pyo3::prelude::*;

use crate::errors::{detached, invalid_argument, to_py};

type FileRow = (String, u64, u64);
type SkipRow = (String, u64, String);
type ReadResult<'py> = (
    Vec<Bound<'py, PyArray1<f32>>>,
    Vec<Bound<'py, PyArray1<i64>>>,
    Vec<FileRow>,
    Vec<SkipRow>,
);

/// Read TFRecord files of `tf.train.Example`s into columns. Every record must hold exactly one
/// value for each named feature. Returns (float columns, int64 columns, per-file
/// (path, rows, skipped), first skipped records (path, offset, detail)).
#[pyfunction]
#[pyo3(signature = (paths, float_features, int_features, skip_corrupt=false))]
fn read<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    float_features: Vec<String>,
    int_features: Vec<String>,
    skip_corrupt: bool,
) -> PyResult<ReadResult<'py>> {
    let schema = Schema::new(&float_features, &int_features).map_err(|e| to_py(py, e))?;
    let cols = detached(py, || {
        read_files(&paths, &schema, ReadOptions { skip_corrupt })
    })?;
    let files = cols
        .files
        .iter()
        .map(|f| (f.source.clone(), f.rows, f.skipped))
        .collect();
    let skips = cols
        .skips
        .iter()
        .map(|s| (s.source.clone(), s.offset, s.detail.clone()))
        .collect();
    let floats = cols
        .floats
        .into_iter()
        .map(|c| c.into_pyarray(py))
        .collect();
    let ints = cols.ints.into_iter().map(|c| c.into_pyarray(py)).collect();
    Ok((floats, ints, files, skips))
}

/// Write columns as a TFRecord file of `tf.train.Example`s (packed lists, one value each).
/// Returns the number of records written.
#[pyfunction]
fn write(
    py: Python<'_>,
    path: PathBuf,
    float_features: Vec<(String, PyReadonlyArray1<'_, f32>)>,
    int_features: Vec<(String, PyReadonlyArray1<'_, i64>)>,
) -> PyResult<u64> {
    let mut floats = Vec::with_capacity(float_features.len());
    for (name, arr) in &float_features {
        let s = arr
            .as_slice()
            .map_err(|_| invalid_argument(format!("column '{name}' is not contiguous")))?;
        floats.push((name.as_str(), s));
    }
    let mut ints = Vec::with_capacity(int_features.len());
    for (name, arr) in &int_features {
        let s = arr
            .as_slice()
            .map_err(|_| invalid_argument(format!("column '{name}' is not contiguous")))?;
        ints.push((name.as_str(), s));
    }
    detached(py, || write_file(&path, &floats, &ints))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(write, m)?)?;
    Ok(())
}
