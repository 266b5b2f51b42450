//! Conversions of Python arguments that PyO3's defaults would report as a raw `OverflowError`
//! or let through to an aborting allocation.

use pyo3::prelude::*;
use pyo3::types::PyInt;

use crate::errors::{invalid_argument, to_py};
use crate::pool;

/// Most designs one call may produce (about 43 GB as index rows): a documented cap well above
/// any real batch, so that a mistyped count is an error instead of an allocation failure.
pub const MAX_DESIGNS: usize = u32::MAX as usize;

/// A non-negative integer argument. Python ints of any size reach here, so negative values and
/// values past 2**64 - 1 become `InvalidArgumentError` naming the argument.
pub fn count(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(invalid_argument(format!(
            "{what} must be a non-negative integer, got {obj}"
        )));
    }
    match obj.extract::<u64>() {
        Ok(v) => usize::try_from(v)
            .map_err(|_| invalid_argument(format!("{what} = {v} does not fit this platform"))),
        Err(_) if obj.is_instance_of::<PyInt>() || obj.hasattr("__index__")? => {
            let bound = if obj.lt(0)? {
                "a non-negative integer"
            } else {
                "at most 2**64-1"
            };
            Err(invalid_argument(format!(
                "{what} must be {bound}, got {obj}"
            )))
        }
        Err(_) => Err(invalid_argument(format!(
            "{what} must be a non-negative integer, got {}",
            obj.repr()?
        ))),
    }
}

/// An optional thread count (`None`: all cores), within the pools' bound.
pub fn threads(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<usize>> {
    let threads = match obj {
        Some(o) if !o.is_none() => Some(count(o, "threads")?),
        _ => None,
    };
    pool::check_threads(threads).map_err(|e| to_py(py, e))
}

/// Refuse to build `n` rows of `row_bytes` bytes when `n` is past [`MAX_DESIGNS`] or the
/// allocator cannot provide the memory: checked before any work starts, so a huge count is a
/// typed error, not an abort.
pub fn check_designs_alloc(n: usize, row_bytes: usize, what: &str) -> PyResult<()> {
    if n > MAX_DESIGNS {
        return Err(invalid_argument(format!(
            "{what} = {n} exceeds the limit of {MAX_DESIGNS} designs per call"
        )));
    }
    let bytes = n * row_bytes;
    // Reserving (and at once releasing) the block asks the allocator without touching memory.
    Vec::<u8>::new().try_reserve_exact(bytes).map_err(|_| {
        invalid_argument(format!(
            "{what} = {n} needs {bytes} bytes, more than this machine can allocate"
        ))
    })
}
