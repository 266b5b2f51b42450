//! Workload zoo and files: names, load, parse. Ops come back as a dict of numpy columns; layers
//! as plain dicts (serde's view of the IR).

use crate::errors::{detached, invalid_argument};
use numpy::IntoPyArray;
use prime_core::workload::{self, Format, OpKind, Workload, CONTEXT_FEATURES};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;
use serde_json::Value;

fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_bound_py_any(py)?,
            None => n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?,
        },
        Value::String(s) => s.into_bound_py_any(py)?,
        Value::Array(xs) => {
            let list = PyList::empty(py);
            for x in xs {
                list.append(json_to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let d = PyDict::new(py);
            for (k, x) in map {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

fn to_dict<'py>(py: Python<'py>, w: Workload) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &w.name)?;
    d.set_item("description", &w.description)?;
    d.set_item("source", &w.source)?;
    d.set_item("macs", w.macs)?;
    d.set_item("params", w.params)?;
    d.set_item("published_macs", w.published_macs)?;
    d.set_item("published_params", w.published_params)?;
    d.set_item("context", w.context.to_vec().into_pyarray(py))?;
    let layers =
        serde_json::to_value(&w.layers).map_err(|e| invalid_argument(py, e.to_string()))?;
    d.set_item("layers", json_to_py(py, &layers)?)?;

    let ops = PyDict::new(py);
    let kind: Vec<u8> = w
        .ops
        .iter()
        .map(|o| if o.kind == OpKind::Gemm { 0 } else { 1 })
        .collect();
    ops.set_item("kind", kind.into_pyarray(py))?;
    type Field = fn(&workload::Op) -> u64;
    let cols: [(&str, Field); 13] = [
        ("m", |o| o.m),
        ("n", |o| o.n),
        ("k", |o| o.k),
        ("reps", |o| o.reps),
        ("kh", |o| o.kh),
        ("kw", |o| o.kw),
        ("cin_g", |o| o.cin_g),
        ("stride", |o| o.stride),
        ("in_w", |o| o.in_w),
        ("in_c", |o| o.in_c),
        ("weight_bytes", |o| o.weight_bytes),
        ("in_bytes", |o| o.in_bytes),
        ("out_bytes", |o| o.out_bytes),
    ];
    // Lowering caps every field far below 2^63, so the i64 cast is exact.
    for (name, f) in cols {
        let col: Vec<i64> = w.ops.iter().map(|o| f(o) as i64).collect();
        ops.set_item(name, col.into_pyarray(py))?;
    }
    let layer: Vec<i64> = w.op_layer.iter().map(|&i| i as i64).collect();
    ops.set_item("layer", layer.into_pyarray(py))?;
    d.set_item("ops", ops)?;
    Ok(d)
}

/// Names of the built-in workloads.
#[pyfunction]
fn workload_names() -> Vec<String> {
    workload::names()
}

/// Names of the context-vector entries, in order.
#[pyfunction]
fn workload_context_features() -> Vec<&'static str> {
    CONTEXT_FEATURES.to_vec()
}

/// A built-in name or a `.json` / `.toml` path, lowered.
#[pyfunction]
fn workload_load<'py>(py: Python<'py>, name_or_path: String) -> PyResult<Bound<'py, PyDict>> {
    let w = detached(py, || workload::load(&name_or_path))?;
    to_dict(py, w)
}

/// Parse workload text (`format` "json" or "toml"); `source` labels it in errors.
#[pyfunction]
fn workload_parse<'py>(
    py: Python<'py>,
    text: String,
    format: &str,
    source: String,
) -> PyResult<Bound<'py, PyDict>> {
    let format = match format {
        "json" => Format::Json,
        "toml" => Format::Toml,
        other => {
            return Err(invalid_argument(
                py,
                format!("format must be 'json' or 'toml', got '{other}'"),
            ))
        }
    };
    let w = detached(py, || workload::parse(&text, format, &source))?;
    to_dict(py, w)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(workload_names, m)?)?;
    m.add_function(wrap_pyfunction!(workload_context_features, m)?)?;
    m.add_function(wrap_pyfunction!(workload_load, m)?)?;
    m.add_function(wrap_pyfunction!(workload_parse, m)?)?;
    Ok(())
}
