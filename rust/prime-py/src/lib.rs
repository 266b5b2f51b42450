//! `prime_rs._native`: a thin PyO3 layer over `prime-core`. It converts numpy arrays to views,
//! releases the GIL around all real work (in chunks, so Ctrl-C stays prompt), and maps core
//! errors to `prime_rs.errors` classes.
//!
//! One submodule per core family, each registered by its file's `register`: `space`, `search`,
//! `workload`, `sim`, `tfrecord` and `enumerate`. They are real modules: `prime_rs._native.sim` is importable
//! (it is entered in `sys.modules`) as well as reachable as an attribute.

use pyo3::prelude::*;
use pyo3::types::PyDict;

mod args;
mod dataset;
mod enumerate;
mod errors;
mod pool;
mod search;
mod sim;
mod space;
mod workload;

type Register = fn(&Bound<'_, PyModule>) -> PyResult<()>;

const SUBMODULES: [(&str, Register); 6] = [
    ("space", space::register),
    ("search", search::register),
    ("workload", workload::register),
    ("sim", sim::register),
    ("tfrecord", dataset::register),
    ("enumerate", enumerate::register),
];

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    pool::record_import_pid();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let modules = py
        .import("sys")?
        .getattr("modules")?
        .cast_into::<PyDict>()?;
    for (name, register) in SUBMODULES {
        let full = format!("prime_rs._native.{name}");
        let sub = PyModule::new(py, &full)?;
        register(&sub)?;
        m.add(name, &sub)?;
        modules.set_item(&full, &sub)?;
    }
    Ok(())
}
