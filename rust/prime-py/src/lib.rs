//! `prime_rs._native`: a thin PyO3 layer over `prime-core`. It converts numpy arrays to views,
//! releases the GIL around all real work, and maps core errors to `prime_rs.errors` classes.
//! Each submodule registers the functions of one core module.

use pyo3::prelude::*;

mod dataset;
mod enumerate;
mod errors;
mod search;
mod sim;
mod space;
mod workload;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    space::register(m)?;
    search::register(m)?;
    workload::register(m)?;
    sim::register(m)?;
    dataset::register(m)?;
    enumerate::register(m)?;
    Ok(())
}
