//! The one place where core errors become Python exceptions, and the one choke point for long
//! native work. The classes live in the pure-Python module `prime_rs.errors` so Python code and
//! native code raise the same types; `import_exception!` binds them once per process instead of
//! a lookup by name per raise.

use std::ops::Range;

use prime_core::Error;

use crate::pool;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::PyTypeInfo;

pyo3::import_exception!(prime_rs.errors, InvalidDesignError);
pyo3::import_exception!(prime_rs.errors, InvalidArgumentError);
pyo3::import_exception!(prime_rs.errors, UnknownWorkloadError);
pyo3::import_exception!(prime_rs.errors, WorkloadFileError);
pyo3::import_exception!(prime_rs.errors, CorruptRecordError);

/// `cls(msg, **fields)`: the structured attributes ride on the exception object.
fn with_fields<T: PyTypeInfo>(
    py: Python<'_>,
    msg: String,
    fields: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        fields(&kwargs)?;
        let exc = T::type_object(py).call((msg,), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::InvalidDesign { row, param, .. } => {
            with_fields::<InvalidDesignError>(py, msg, |k| {
                k.set_item("row", row)?;
                k.set_item("param", param)
            })
        }
        Error::Record { source, offset, .. } => with_fields::<CorruptRecordError>(py, msg, |k| {
            k.set_item("source", source)?;
            k.set_item("offset", offset)
        }),
        Error::UnknownWorkload { .. } => UnknownWorkloadError::new_err(msg),
        Error::WorkloadFile { .. } => WorkloadFileError::new_err(msg),
        Error::InvalidArgument(_) => InvalidArgumentError::new_err(msg),
    }
}

/// Run pure-Rust work with the GIL released, then map its error. For work that is short by
/// construction (bounded by its arguments' size and fast per element); long batch work goes
/// through [`detached_chunks`] so that Ctrl-C can interrupt it.
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> prime_core::Result<T> + Send,
{
    py.detach(|| pool::install(None, f).and_then(|r| r))
        .map_err(|e| to_py(py, e))
}

/// Run `f` over `0..n` in consecutive ranges of at most `chunk` items, each with the GIL
/// released, and run Python's signal handlers between ranges: a SIGINT during a long call
/// raises `KeyboardInterrupt` within one range's time instead of after the whole batch. Results
/// do not depend on `chunk` because every item is computed independently of its neighbours.
pub fn detached_chunks<F>(py: Python<'_>, n: usize, chunk: usize, mut f: F) -> PyResult<()>
where
    F: FnMut(Range<usize>) -> prime_core::Result<()> + Send,
{
    let chunk = chunk.max(1);
    let mut start = 0;
    loop {
        let end = n.min(start + chunk);
        py.detach(|| f(start..end)).map_err(|e| to_py(py, e))?;
        if end == n {
            return Ok(());
        }
        py.check_signals()?;
        start = end;
    }
}

/// Turn an argument problem detected in the binding into the typed exception.
pub fn invalid_argument(msg: impl Into<String>) -> PyErr {
    InvalidArgumentError::new_err(msg.into())
}

/// An `InvalidDesignError` for a problem with the whole array (no single row or parameter).
pub fn invalid_designs(msg: impl Into<String>) -> PyErr {
    InvalidDesignError::new_err(msg.into())
}
