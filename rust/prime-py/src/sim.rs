//! `prime_rs._native.sim`: (n, 10) uint8 designs and a `Workload` handle in, numpy columns out.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use prime_core::sim::{self, REASON_NAMES};
use prime_core::space::{Design, N_PARAMS};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::args;
use crate::errors::{detached, detached_chunks};
use crate::pool::{self, MAX_THREADS};
use crate::space::{check_designs, view_rows};
use crate::workload::PyWorkload;

/// Design x op evaluations per uninterruptible stretch: tens of milliseconds of kernel time,
/// so Ctrl-C is prompt and the pauses to check for it cost nothing measurable.
const CHUNK_WORK: usize = 1 << 22;
/// Fewest designs per thread in a chunk, so that short workloads still give every thread
/// several of the kernel's parallel tasks per chunk.
const MIN_DESIGNS_PER_THREAD: usize = 4096;

fn chunk_len(threads: Option<usize>, per_design: usize) -> usize {
    (CHUNK_WORK / per_design.max(1)).max(pool::width(threads) * MIN_DESIGNS_PER_THREAD)
}

/// The designs as rows, once the allocator has agreed to hold them and `out_row_bytes` of
/// results per design: a count too large for the memory left is a typed error, not an abort.
fn rows(
    py: Python<'_>,
    designs: &PyReadonlyArray2<'_, u8>,
    out_row_bytes: usize,
) -> PyResult<Vec<Design>> {
    check_designs(designs, "designs")?;
    args::check_designs_alloc(
        designs.as_array().nrows(),
        N_PARAMS + out_row_bytes,
        "designs",
    )?;
    let view = designs.as_array();
    detached(py, || {
        let rows = view_rows(view)?;
        prime_core::space::validate(&rows)?;
        Ok(rows)
    })
}

#[pyfunction]
#[pyo3(signature = (designs, workload, threads=None))]
fn simulate<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
    workload: &Bound<'py, PyWorkload>,
    threads: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let threads = args::threads(py, threads)?;
    // latency, area and energy (f64 each), feasibility and reason (a byte each).
    let designs = rows(py, &designs, 3 * 8 + 2)?;
    let wl = workload.get().prepared();
    let n = designs.len();
    let mut out = sim::SimOutputs {
        latency_ms: Vec::with_capacity(n),
        area_mm2: Vec::with_capacity(n),
        feasible: Vec::with_capacity(n),
        reason: Vec::with_capacity(n),
        energy_mj: Vec::with_capacity(n),
    };
    detached_chunks(py, n, chunk_len(threads, wl.len()), |r| {
        let part = pool::install(threads, || sim::simulate_batch(&designs[r], wl))?;
        out.latency_ms.extend(part.latency_ms);
        out.area_mm2.extend(part.area_mm2);
        out.feasible.extend(part.feasible);
        out.reason.extend(part.reason);
        out.energy_mj.extend(part.energy_mj);
        Ok(())
    })?;
    let d = PyDict::new(py);
    d.set_item("latency_ms", out.latency_ms.into_pyarray(py))?;
    d.set_item("area_mm2", out.area_mm2.into_pyarray(py))?;
    d.set_item("feasible", out.feasible.into_pyarray(py))?;
    d.set_item("reason", out.reason.into_pyarray(py))?;
    d.set_item("energy_mj", out.energy_mj.into_pyarray(py))?;
    Ok(d)
}

#[pyfunction]
#[pyo3(signature = (designs, threads=None))]
fn area<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
    threads: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let threads = args::threads(py, threads)?;
    let designs = rows(py, &designs, 8)?;
    let mut out = Vec::with_capacity(designs.len());
    detached_chunks(py, designs.len(), chunk_len(threads, 1), |r| {
        out.extend(pool::install(threads, || sim::area_batch(&designs[r]))?);
        Ok(())
    })?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn constants() -> Vec<(&'static str, f64)> {
    sim::constants::ALL.to_vec()
}

#[pyfunction]
fn reason_names() -> Vec<&'static str> {
    REASON_NAMES.to_vec()
}

/// The feasibility rules in checking order, as data:
/// `(reason code, name, requirement, resource parameter, doc)`. A design fails a rule when the
/// workload's requirement exceeds the raw value of the resource parameter.
#[pyfunction]
fn rules() -> Vec<(u8, &'static str, &'static str, &'static str, &'static str)> {
    sim::RULES
        .iter()
        .map(|r| {
            let resource = prime_core::space::PARAMS[r.resource].name;
            (r.reason as u8, r.name, r.requirement, resource, r.doc)
        })
        .collect()
}

/// The simulator fingerprint (a hash of version, model revision, space, constants and rules).
#[pyfunction]
fn fingerprint() -> String {
    sim::fingerprint()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_THREADS", MAX_THREADS)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(area, m)?)?;
    m.add_function(wrap_pyfunction!(constants, m)?)?;
    m.add_function(wrap_pyfunction!(reason_names, m)?)?;
    m.add_function(wrap_pyfunction!(rules, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprint, m)?)?;
    Ok(())
}
