//! The one place where core errors become Python exceptions. The classes live in the pure-Python
//! module `prime_rs.errors` so Python code and native code raise the same types.

use prime_core::Error;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// Raise `prime_rs.errors.<class_name>(msg)`.
pub fn py_error(py: Python<'_>, class_name: &str, msg: String) -> PyErr {
    let cls = py
        .import("prime_rs.errors")
        .and_then(|m| m.getattr(class_name))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match cls {
        Ok(cls) => PyErr::from_type(cls, msg),
        Err(e) => e,
    }
}

pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let class = match &e {
        Error::InvalidDesign { .. } => "InvalidDesignError",
        Error::UnknownWorkload { .. } => "UnknownWorkloadError",
        Error::WorkloadFile { .. } => "WorkloadFileError",
        Error::Record { .. } => "CorruptRecordError",
        Error::InvalidArgument(_) => "InvalidArgumentError",
    };
    py_error(py, class, e.to_string())
}

/// Run pure-Rust work with the GIL released, then map its error. Every native entry point that
/// does more than trivial work goes through here.
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> prime_core::Result<T> + Send,
{
    py.detach(f).map_err(|e| to_py(py, e))
}

/// Turn an argument problem detected in the binding into the typed exception.
pub fn invalid_argument(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    py_error(py, "InvalidArgumentError", msg.into())
}
