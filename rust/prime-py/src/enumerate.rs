//! Binding of `prime_core::enumerate`: an `Enumeration` object that Python advances a range of
//! ordinals at a time (so it can show progress and be interrupted between calls), each call on
//! all cores (or its own pool of `threads`) with the GIL released.

use numpy::ndarray::Array2;
use numpy::IntoPyArray;
use prime_core::enumerate::{Enumeration, SubSpace};
use prime_core::space::N_PARAMS;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{invalid_argument, to_py};
use crate::space::design_matrix;
use crate::workload::PyWorkload;

#[pyclass(module = "prime_rs._native.enumerate", name = "Enumeration")]
struct PyEnumeration {
    inner: Enumeration,
    n_apps: usize,
    pool: Option<rayon::ThreadPool>,
}

#[pymethods]
impl PyEnumeration {
    /// `workloads`: one prepared workload handle per application; `sets`: the allowed indices of each
    /// of the 10 parameters; `start`/`end`: the ordinals of the sub-space to cover (all of them by
    /// default), so that ranges can run apart and their summaries merge.
    #[new]
    #[pyo3(signature = (workloads, sets, area_budget, k, threads=None, start=0, end=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        workloads: Vec<PyRef<'_, PyWorkload>>,
        sets: Vec<Vec<u8>>,
        area_budget: f64,
        k: usize,
        threads: Option<usize>,
        start: u64,
        end: Option<u64>,
    ) -> PyResult<Self> {
        let sets: [Vec<u8>; N_PARAMS] = sets.try_into().map_err(|s: Vec<Vec<u8>>| {
            invalid_argument(format!(
                "sub-space needs {N_PARAMS} sets of indices, got {}",
                s.len()
            ))
        })?;
        let workloads: Vec<_> = workloads.iter().map(|w| w.prepared().clone()).collect();
        let pool = match threads {
            None => None,
            Some(0) => return Err(invalid_argument("threads must be >= 1")),
            Some(t) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .map_err(|e| invalid_argument(format!("cannot start {t} threads: {e}")))?,
            ),
        };
        let n_apps = workloads.len();
        let inner = SubSpace::from_sets(sets)
            .and_then(|space| Enumeration::new(workloads, space, area_budget, k))
            .and_then(|e| {
                let end = end.unwrap_or(e.space().size());
                e.over(start..end)
            })
            .map_err(|e| to_py(py, e))?;
        Ok(PyEnumeration {
            inner,
            n_apps,
            pool,
        })
    }

    /// Designs in the sub-space.
    #[getter]
    fn size(&self) -> u64 {
        self.inner.space().size()
    }

    /// Ordinals covered so far (from `start`).
    #[getter]
    fn covered(&self) -> u64 {
        self.inner.covered()
    }

    #[getter]
    fn done(&self) -> bool {
        self.inner.is_done()
    }

    /// Cover the next `n` ordinals; returns the number covered so far.
    fn advance(&mut self, py: Python<'_>, n: u64) -> u64 {
        let (inner, pool) = (&mut self.inner, &self.pool);
        py.detach(move || match pool {
            Some(p) => p.install(|| inner.advance(n)),
            None => inner.advance(n),
        })
    }

    /// The result so far as a dict of numbers and numpy arrays.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (inner, pool) = (&self.inner, &self.pool);
        let s = py.detach(move || match pool {
            Some(p) => p.install(|| inner.summary()),
            None => inner.summary(),
        });
        let designs = design_matrix(s.designs).map_err(|e| to_py(py, e))?;
        let latency = Array2::from_shape_vec((s.ids.len(), self.n_apps), s.latency_ms)
            .map_err(|e| invalid_argument(format!("internal shape error: {e}")))?;
        let d = PyDict::new(py);
        d.set_item("space_size", s.space_size)?;
        d.set_item("covered", s.covered)?;
        d.set_item("in_budget", s.in_budget)?;
        d.set_item("feasible", s.feasible)?;
        d.set_item("designs", designs.into_pyarray(py))?;
        d.set_item("ids", s.ids.into_pyarray(py))?;
        d.set_item("geomean_ms", s.geomean_ms.into_pyarray(py))?;
        d.set_item("latency_ms", latency.into_pyarray(py))?;
        d.set_item("area_mm2", s.area_mm2.into_pyarray(py))?;
        d.set_item("hist_edges", s.hist_edges.into_pyarray(py))?;
        d.set_item("hist_counts", s.hist_counts.into_pyarray(py))?;
        d.set_item("max_geomean_ms", s.max_geomean_ms)?;
        Ok(d)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEnumeration>()?;
    Ok(())
}
