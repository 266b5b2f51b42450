//! Simulator entry points: (n, 10) uint8 designs and an (ops, 14) int64 op table in, numpy
//! columns out. The op table is the lowered workload (`prime_rs.workloads.Workload.op_table`).

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use prime_core::sim::{self, constants, PreparedWorkload, REASON_NAMES};
use prime_core::workload::op::{Op, OpKind};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{detached, invalid_argument};
use crate::space::{check_designs, view_rows};

/// Column order of the op table handed over by Python.
pub const OP_COLUMNS: [&str; 14] = [
    "kind",
    "m",
    "n",
    "k",
    "reps",
    "kh",
    "kw",
    "cin_g",
    "stride",
    "in_w",
    "in_c",
    "weight_bytes",
    "in_bytes",
    "out_bytes",
];

pub(crate) fn ops_from_table(
    py: Python<'_>,
    table: &PyReadonlyArray2<'_, i64>,
) -> PyResult<Vec<Op>> {
    let t = table.as_array();
    if t.ncols() != OP_COLUMNS.len() || t.nrows() == 0 {
        return Err(invalid_argument(
            py,
            format!(
                "op table must have shape (n_ops >= 1, {}), got {:?}",
                OP_COLUMNS.len(),
                t.shape()
            ),
        ));
    }
    let mut ops = Vec::with_capacity(t.nrows());
    for (i, row) in t.rows().into_iter().enumerate() {
        if row.iter().any(|&x| x < 0) {
            return Err(invalid_argument(
                py,
                format!("op table row {i} has a negative entry"),
            ));
        }
        let u = |c: usize| row[c] as u64;
        let kind = match row[0] {
            0 => OpKind::Gemm,
            1 => OpKind::Memory,
            other => {
                return Err(invalid_argument(
                    py,
                    format!("op table row {i}: unknown kind {other}"),
                ))
            }
        };
        if kind == OpKind::Gemm && (u(1) == 0 || u(2) == 0 || u(3) == 0 || u(4) == 0) {
            return Err(invalid_argument(
                py,
                format!("op table row {i}: GEMM with a zero dimension"),
            ));
        }
        ops.push(Op {
            kind,
            m: u(1),
            n: u(2),
            k: u(3),
            reps: u(4),
            kh: u(5),
            kw: u(6),
            cin_g: u(7),
            stride: u(8),
            in_w: u(9),
            in_c: u(10),
            weight_bytes: u(11),
            in_bytes: u(12),
            out_bytes: u(13),
        });
    }
    Ok(ops)
}

/// Run `f` on a dedicated pool of `threads` threads, or on the global pool.
fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> prime_core::Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(prime_core::Error::InvalidArgument(
            "threads must be >= 1".into(),
        )),
        Some(t) => rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .map(|pool| pool.install(f))
            .map_err(|e| {
                prime_core::Error::InvalidArgument(format!("cannot start {t} threads: {e}"))
            }),
    }
}

#[pyfunction]
#[pyo3(signature = (designs, op_table, threads=None))]
fn sim_simulate<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
    op_table: PyReadonlyArray2<'py, i64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    check_designs(py, &designs, "designs")?;
    let ops = ops_from_table(py, &op_table)?;
    let view = designs.as_array();
    let out = detached(py, move || {
        let designs = view_rows(view)?;
        prime_core::space::validate(&designs)?;
        let wl = PreparedWorkload::new(&ops);
        with_threads(threads, || sim::simulate_batch(&designs, &wl))
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
fn sim_area<'py>(
    py: Python<'py>,
    designs: PyReadonlyArray2<'py, u8>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    check_designs(py, &designs, "designs")?;
    let view = designs.as_array();
    let out = detached(py, move || {
        let designs = view_rows(view)?;
        prime_core::space::validate(&designs)?;
        with_threads(threads, || sim::area_batch(&designs))
    })?;
    Ok(out.into_pyarray(py))
}

#[pyfunction]
fn sim_constants() -> Vec<(&'static str, f64)> {
    constants::ALL.to_vec()
}

#[pyfunction]
fn sim_reason_names() -> Vec<&'static str> {
    REASON_NAMES.to_vec()
}

/// The feasibility rules in checking order, as data:
/// `(reason code, name, requirement, resource parameter, doc)`. A design fails a rule when the
/// workload's requirement exceeds the raw value of the resource parameter.
#[pyfunction]
fn sim_rules() -> Vec<(u8, &'static str, &'static str, &'static str, &'static str)> {
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
fn sim_fingerprint() -> String {
    sim::fingerprint()
}

#[pyfunction]
fn sim_op_columns() -> Vec<&'static str> {
    OP_COLUMNS.to_vec()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sim_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(sim_area, m)?)?;
    m.add_function(wrap_pyfunction!(sim_constants, m)?)?;
    m.add_function(wrap_pyfunction!(sim_reason_names, m)?)?;
    m.add_function(wrap_pyfunction!(sim_op_columns, m)?)?;
    m.add_function(wrap_pyfunction!(sim_rules, m)?)?;
    m.add_function(wrap_pyfunction!(sim_fingerprint, m)?)?;
    Ok(())
}
