//! `prime_rs._native.tfrecord`, the binding of `prime_core::tfrecord`: the TFRecord reader and
//! writer for PRIME-format logs.

use std::path::PathBuf;
use std::sync::Mutex;

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use prime_core::tfrecord::{read_files, write::write_file, Batch, ReadOptions, Reader, Schema};
use pyo3::prelude::*;

use crate::errors::{detached, invalid_argument, to_py};
use crate::space::design_matrix;

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
        .data
        .floats
        .into_iter()
        .map(|c| c.into_pyarray(py))
        .collect();
    let ints = cols
        .data
        .ints
        .into_iter()
        .map(|c| c.into_pyarray(py))
        .collect();
    Ok((floats, ints, files, skips))
}

type BatchResult<'py> = (
    Option<Bound<'py, PyArray2<u8>>>,
    (
        Bound<'py, PyArray1<u64>>,
        Bound<'py, PyArray1<u64>>,
        Bound<'py, PyArray1<f32>>,
    ),
    Vec<Bound<'py, PyArray1<f32>>>,
    Vec<Bound<'py, PyArray1<i64>>>,
    Vec<(usize, u64)>,
);

/// A streaming reader of TFRecord files of `tf.train.Example`s: `next_batch(max_rows)` returns
/// (designs (n, 10) uint8 or None, (invalid rows, their first bad parameter, its value), float
/// columns, int64 columns, (file index, rows) runs), or None when every file has been read.
/// With `design`, the ten `param_k` features are read as index rows of the design space.
#[pyclass(frozen, module = "prime_rs._native.tfrecord")]
struct TfrecordReader {
    inner: Mutex<Reader>,
}

#[pymethods]
impl TfrecordReader {
    #[new]
    #[pyo3(signature = (paths, float_features, int_features, skip_corrupt=false, design=false))]
    fn new(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        float_features: Vec<String>,
        int_features: Vec<String>,
        skip_corrupt: bool,
        design: bool,
    ) -> PyResult<Self> {
        let schema = detached(py, || {
            if design {
                Schema::with_design(&float_features, &int_features)
            } else {
                Schema::new(&float_features, &int_features)
            }
        })?;
        let reader = Reader::new(paths, schema, ReadOptions { skip_corrupt });
        Ok(TfrecordReader {
            inner: Mutex::new(reader),
        })
    }

    fn next_batch<'py>(
        &self,
        py: Python<'py>,
        max_rows: usize,
    ) -> PyResult<Option<BatchResult<'py>>> {
        let design = self.lock()?.schema().has_design();
        let batch = detached(py, || {
            let Ok(mut r) = self.inner.lock() else {
                return Err(prime_core::Error::InvalidArgument(
                    "the reader failed in another thread".into(),
                ));
            };
            match r.next_batch(max_rows)? {
                Some(b) if design => {
                    let Batch {
                        designs,
                        invalid,
                        floats,
                        ints,
                        runs,
                    } = b;
                    Ok(Some((
                        Some(design_matrix(designs)?),
                        invalid,
                        floats,
                        ints,
                        runs,
                    )))
                }
                Some(b) => Ok(Some((None, b.invalid, b.floats, b.ints, b.runs))),
                None => Ok(None),
            }
        })?;
        let Some((designs, invalid, floats, ints, runs)) = batch else {
            return Ok(None);
        };
        let inv = (
            invalid
                .iter()
                .map(|v| v.row)
                .collect::<Vec<_>>()
                .into_pyarray(py),
            invalid
                .iter()
                .map(|v| v.param as u64)
                .collect::<Vec<_>>()
                .into_pyarray(py),
            invalid
                .iter()
                .map(|v| v.value)
                .collect::<Vec<_>>()
                .into_pyarray(py),
        );
        Ok(Some((
            designs.map(|d| d.into_pyarray(py)),
            inv,
            floats.into_iter().map(|c| c.into_pyarray(py)).collect(),
            ints.into_iter().map(|c| c.into_pyarray(py)).collect(),
            runs,
        )))
    }

    /// Per-file (path, rows, skipped) of the files opened so far.
    fn files(&self) -> PyResult<Vec<FileRow>> {
        let r = self.lock()?;
        Ok(r.files()
            .iter()
            .map(|f| (f.source.clone(), f.rows, f.skipped))
            .collect())
    }

    /// The first skipped records (path, byte offset, problem), in file order.
    fn skips(&self) -> PyResult<Vec<SkipRow>> {
        let r = self.lock()?;
        Ok(r.skips()
            .iter()
            .map(|s| (s.source.clone(), s.offset, s.detail.clone()))
            .collect())
    }
}

impl TfrecordReader {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Reader>> {
        self.inner
            .lock()
            .map_err(|_| invalid_argument("the reader failed in another thread"))
    }
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
    m.add_class::<TfrecordReader>()?;
    Ok(())
}
