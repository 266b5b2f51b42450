//! `prime_rs._native.search`, the binding of `prime_core::search`: one generation step of the population optimisers.

use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use prime_core::search::{self, Breeding};
use prime_core::space::N_PARAMS;
use pyo3::prelude::*;

use crate::args;
use crate::errors::detached;
use crate::space::{check_designs, design_matrix, view_rows};

#[pyfunction]
#[allow(clippy::too_many_arguments)] // mirrors the typed keyword API of prime_rs.search
fn next_generation<'py>(
    py: Python<'py>,
    population: PyReadonlyArray2<'py, u8>,
    fitness: PyReadonlyArray1<'py, f64>,
    n_children: &Bound<'py, PyAny>,
    seed: u64,
    tournament_size: &Bound<'py, PyAny>,
    crossover_prob: f64,
    mutation_rate: f64,
    step_prob: f64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    check_designs(&population, "population")?;
    let n_children = args::count(n_children, "n_children")?;
    let tournament_size = args::count(tournament_size, "tournament_size")?;
    args::check_designs_alloc(n_children, N_PARAMS, "n_children")?;
    let breeding = Breeding {
        tournament_size,
        crossover_prob,
        mutation_rate,
        step_prob,
    };
    let (pop, fit) = (population.as_array(), fitness.as_array());
    let out = detached(py, || {
        let fit: Vec<f64> = fit.iter().copied().collect();
        design_matrix(search::next_generation(
            &view_rows(pop)?,
            &fit,
            n_children,
            seed,
            &breeding,
        )?)
    })?;
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(next_generation, m)?)?;
    Ok(())
}
