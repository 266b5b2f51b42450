//! Binding of `prime_core::search`: one generation step of the population optimisers.

use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use prime_core::search::{self, Breeding};
use pyo3::prelude::*;

use crate::errors::detached;
use crate::space::{check_designs, design_matrix, view_rows};

#[pyfunction]
#[allow(clippy::too_many_arguments)] // mirrors the typed keyword API of prime_rs.search
fn search_next_generation<'py>(
    py: Python<'py>,
    population: PyReadonlyArray2<'py, u8>,
    fitness: PyReadonlyArray1<'py, f64>,
    n_children: usize,
    seed: u64,
    tournament_size: usize,
    crossover_prob: f64,
    mutation_rate: f64,
    step_prob: f64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    check_designs(py, &population, "population")?;
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
    m.add_function(wrap_pyfunction!(search_next_generation, m)?)?;
    Ok(())
}
