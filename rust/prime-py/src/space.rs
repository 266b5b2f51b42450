use numpy::PyReadonlyArray2;
use prime_core::space::{Design, N_PARAMS, PARAMS};
use pyo3::prelude::*;

use crate::errors::{invalid_argument, py_error};

/// Copy an (n, 10) uint8 array into design rows, checking every index against its parameter.
pub fn designs_from_array(py: Python<'_>, arr: &PyReadonlyArray2<'_, u8>) -> PyResult<Vec<Design>> {
    let a = arr.as_array();
    if a.ncols() != N_PARAMS {
        return Err(invalid_argument(
            py,
            format!(
                "designs must have shape (n, {N_PARAMS}), got {:?}",
                a.shape()
            ),
        ));
    }
    let mut out = Vec::with_capacity(a.nrows());
    for (r, row) in a.rows().into_iter().enumerate() {
        let mut d: Design = [0; N_PARAMS];
        for (k, (&x, p)) in row.iter().zip(PARAMS.iter()).enumerate() {
            if x as usize >= p.values.len() {
                return Err(py_error(
                    py,
                    "InvalidDesignError",
                    format!(
                        "invalid design at row {r}: parameter '{}' has index {x}, allowed 0..{}",
                        p.name,
                        p.values.len() - 1
                    ),
                ));
            }
            d[k] = x;
        }
        out.push(d);
    }
    Ok(out)
}

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
