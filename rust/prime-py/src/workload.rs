//! `prime_rs._native.workload`: the `Workload` handle. A frozen object that owns the core
//! workload (layers, ops, totals, context) and the simulator's prepared form of it, built once
//! when the workload is loaded; `sim.simulate` reads the prepared form directly, so nothing is
//! converted or re-prepared per call. Python sees the data through read-only getters.

use std::path::PathBuf;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use prime_core::sim::PreparedWorkload;
use prime_core::workload::{self, Format, Op, OpKind, CONTEXT_FEATURES, OP_FIELDS};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_json::Value;

use crate::errors::{detached, invalid_argument};

/// A lowered workload, ready to simulate.
#[pyclass(frozen, module = "prime_rs._native.workload", name = "Workload")]
pub struct PyWorkload {
    wl: workload::Workload,
    prepared: PreparedWorkload,
}

impl PyWorkload {
    fn new(wl: workload::Workload) -> Self {
        let prepared = PreparedWorkload::new(&wl.ops);
        PyWorkload { wl, prepared }
    }

    fn build(
        py: Python<'_>,
        f: impl FnOnce() -> prime_core::Result<workload::Workload> + Send,
    ) -> PyResult<Self> {
        detached(py, || f().map(PyWorkload::new))
    }

    pub fn prepared(&self) -> &PreparedWorkload {
        &self.prepared
    }
}

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

fn read_only<'py, T: numpy::Element>(
    arr: Bound<'py, PyArray1<T>>,
) -> PyResult<Bound<'py, PyArray1<T>>> {
    let kwargs = PyDict::new(arr.py());
    kwargs.set_item("write", false)?;
    arr.call_method("setflags", (), Some(&kwargs))?;
    Ok(arr)
}

/// One op-table column as i64 values, or a typed error naming it.
fn column(ops: &Bound<'_, PyDict>, name: &str) -> PyResult<Vec<i64>> {
    let col = ops
        .get_item(name)?
        .ok_or_else(|| invalid_argument(format!("op table is missing column '{name}'")))?;
    let arr: PyReadonlyArray1<'_, i64> = col.extract().map_err(|_| {
        invalid_argument(format!(
            "op table column '{name}' must be a 1-D array of integers"
        ))
    })?;
    Ok(arr.as_array().to_vec())
}

#[pymethods]
impl PyWorkload {
    /// A built-in name, else a `.json` / `.toml` workload file.
    #[staticmethod]
    fn load(py: Python<'_>, name_or_path: PathBuf) -> PyResult<Self> {
        Self::build(py, || workload::load_path(&name_or_path))
    }

    /// Parse workload text (`format` "json" or "toml"); `source` labels it in errors.
    #[staticmethod]
    fn parse(py: Python<'_>, text: String, format: &str, source: String) -> PyResult<Self> {
        let format = match format {
            "json" => Format::Json,
            "toml" => Format::Toml,
            other => {
                return Err(invalid_argument(format!(
                    "format must be 'json' or 'toml', got '{other}'"
                )))
            }
        };
        Self::build(py, || workload::parse(&text, format, &source))
    }

    /// A workload from an op table: a dict of equal-length int64 columns `kind` (0 GEMM,
    /// 1 memory) and the fields of `OP_FIELDS`. Rows are checked by the core's op rule.
    #[staticmethod]
    #[pyo3(signature = (ops, name = ""))]
    fn from_ops(py: Python<'_>, ops: &Bound<'_, PyDict>, name: &str) -> PyResult<Self> {
        let kind = column(ops, "kind")?;
        let fields = OP_FIELDS
            .iter()
            .map(|f| column(ops, f))
            .collect::<PyResult<Vec<_>>>()?;
        let n = kind.len();
        for (f, col) in OP_FIELDS.iter().zip(&fields) {
            if col.len() != n {
                return Err(invalid_argument(format!(
                    "op table column '{f}' has {} rows, 'kind' has {n}",
                    col.len()
                )));
            }
        }
        let mut rows = Vec::with_capacity(n);
        for (i, &code) in kind.iter().enumerate() {
            let kind = OpKind::from_code(code).ok_or_else(|| {
                invalid_argument(format!(
                    "op table row {i}: unknown kind {code} (0 GEMM, 1 memory)"
                ))
            })?;
            let mut vals = [0u64; 13];
            for ((v, col), f) in vals.iter_mut().zip(&fields).zip(OP_FIELDS) {
                *v = u64::try_from(col[i]).map_err(|_| {
                    invalid_argument(format!("op table row {i}: '{f}' = {} is negative", col[i]))
                })?;
            }
            rows.push(Op::from_fields(kind, vals));
        }
        Self::build(py, || {
            workload::Workload::from_ops(name, "<op table>", rows)
        })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.wl.name
    }

    #[getter]
    fn description(&self) -> &str {
        &self.wl.description
    }

    /// `"builtin"`, the file path, or the label of parsed text.
    #[getter]
    fn source(&self) -> &str {
        &self.wl.source
    }

    #[getter]
    fn macs(&self) -> u64 {
        self.wl.macs
    }

    #[getter]
    fn params(&self) -> u64 {
        self.wl.params
    }

    #[getter]
    fn published_macs(&self) -> Option<u64> {
        self.wl.published_macs
    }

    #[getter]
    fn published_params(&self) -> Option<u64> {
        self.wl.published_params
    }

    #[getter]
    fn n_ops(&self) -> usize {
        self.wl.ops.len()
    }

    /// The context vector (float64, read-only), in `CONTEXT_FEATURES` order.
    #[getter]
    fn context<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        read_only(self.wl.context.to_vec().into_pyarray(py))
    }

    /// The layers as written (defaults filled in), as a tuple of dicts.
    #[getter]
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let layers = self
            .wl
            .layers
            .iter()
            .map(|l| {
                let v = serde_json::to_value(l).map_err(|e| invalid_argument(e.to_string()))?;
                json_to_py(py, &v)
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, layers)
    }

    /// The ops as read-only columns: `kind` (uint8: 0 GEMM, 1 memory), the int64 fields of
    /// `OP_FIELDS`, and `layer` (int64 index of the source layer).
    #[getter]
    fn ops<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let kind: Vec<u8> = self.wl.ops.iter().map(|o| o.kind.code()).collect();
        d.set_item("kind", read_only(kind.into_pyarray(py))?)?;
        let rows: Vec<[u64; 13]> = self.wl.ops.iter().map(Op::fields).collect();
        for (j, name) in OP_FIELDS.iter().enumerate() {
            // Op::check bounds every field by 2^53, so the cast is exact.
            let col: Vec<i64> = rows.iter().map(|r| r[j] as i64).collect();
            d.set_item(name, read_only(col.into_pyarray(py))?)?;
        }
        let layer: Vec<i64> = self.wl.op_layer.iter().map(|&i| i as i64).collect();
        d.set_item("layer", read_only(layer.into_pyarray(py))?)?;
        Ok(d)
    }

    /// Pickling (multiprocessing with `spawn`, `copy.deepcopy`): a built-in reloads by name,
    /// an op-table workload from its table, any other from its layers as file text under the
    /// same source label.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let w = &slf.get().wl;
        let module = py.import("prime_rs.workloads")?;
        if w.source == "builtin" {
            return Ok((
                module.getattr("load")?,
                (w.name.as_str(),).into_pyobject(py)?,
            ));
        }
        if w.layers.is_empty() {
            let ops = slf.get().ops(py)?;
            let args = (ops, w.name.as_str()).into_pyobject(py)?;
            return Ok((module.getattr("from_ops")?, args));
        }
        let cls = slf.get_type();
        let text = serde_json::json!({
            "name": w.name,
            "description": w.description,
            "layers": w.layers,
        })
        .to_string();
        let args = (text, "json", w.source.as_str()).into_pyobject(py)?;
        Ok((cls.getattr("parse")?.into_any(), args))
    }

    fn __repr__(&self) -> String {
        let w = &self.wl;
        format!(
            "Workload('{}', {} layers, {} ops, {:.1} M MACs, {:.2} M params)",
            w.name,
            w.layers.len(),
            w.ops.len(),
            w.macs as f64 / 1e6,
            w.params as f64 / 1e6
        )
    }
}

/// Names of the built-in workloads.
#[pyfunction]
fn names() -> Vec<String> {
    workload::names()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyWorkload>()?;
    m.add_function(wrap_pyfunction!(names, m)?)?;
    let features: Vec<Bound<'_, PyString>> = CONTEXT_FEATURES
        .iter()
        .map(|f| PyString::new(py, f))
        .collect();
    m.add("CONTEXT_FEATURES", PyTuple::new(py, features)?)?;
    m.add("OP_FIELDS", PyTuple::new(py, OP_FIELDS)?)?;
    Ok(())
}
