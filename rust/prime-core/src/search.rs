//! Population kernels used by the optimisers: tournament selection, uniform crossover and
//! mutation fused into one generation step. Regularised evolution (simulator-driven baseline),
//! PRIME's negative sampler and the offline optimiser over the surrogate all breed children
//! with [`next_generation`]; the scoring stays with the caller (simulator or model).

use rand::Rng;

use crate::rng::{self, stream};
use crate::space::{self, Design};
use crate::{Error, Result};

/// Settings of one generation step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breeding {
    /// Contestants drawn (uniformly, with replacement) per tournament; the fittest wins.
    pub tournament_size: usize,
    /// Probability that a child is the uniform crossover of two tournament winners rather than
    /// a copy of one.
    pub crossover_prob: f64,
    /// Per-gene mutation probability (at least one gene always mutates when > 0).
    pub mutation_rate: f64,
    /// Probability that a mutated gene steps to a neighbouring value rather than being redrawn.
    pub step_prob: f64,
}

impl Default for Breeding {
    fn default() -> Self {
        Breeding {
            tournament_size: 5,
            crossover_prob: 0.5,
            mutation_rate: 0.1,
            step_prob: 0.5,
        }
    }
}

impl Breeding {
    pub fn check(&self) -> Result<()> {
        if self.tournament_size == 0 {
            return Err(Error::InvalidArgument(
                "tournament_size must be at least 1".into(),
            ));
        }
        rng::check_probability("crossover_prob", self.crossover_prob)?;
        rng::check_probability("mutation_rate", self.mutation_rate)?;
        rng::check_probability("step_prob", self.step_prob)
    }
}

/// Fitness as a total order key: NaN counts as the worst possible score (below -inf), so a
/// failed evaluation can never win a tournament against a real one.
#[inline]
fn key(f: f64) -> f64 {
    if f.is_nan() {
        f64::NEG_INFINITY
    } else {
        f
    }
}

/// Index of the winner of one tournament: `size` uniform draws with replacement, the highest
/// fitness wins, the earliest draw on ties.
#[inline]
pub fn tournament<R: Rng>(fitness: &[f64], size: usize, rng: &mut R) -> usize {
    let n = fitness.len();
    let mut best = rng.random_range(0..n);
    for _ in 1..size {
        let c = rng.random_range(0..n);
        if key(fitness[c]) > key(fitness[best]) {
            best = c;
        }
    }
    best
}

/// Breed `n_children` from a scored population (fitness: higher is better; NaN and -inf are the
/// worst). Each child: a tournament winner, crossed (with probability `crossover_prob`) with a
/// second winner, then mutated. Child `i` depends only on `(seed, i)` and the inputs.
pub fn next_generation(
    population: &[Design],
    fitness: &[f64],
    n_children: usize,
    seed: u64,
    breeding: &Breeding,
) -> Result<Vec<Design>> {
    breeding.check()?;
    if population.len() != fitness.len() {
        return Err(Error::InvalidArgument(format!(
            "population has {} designs but fitness has {} values",
            population.len(),
            fitness.len()
        )));
    }
    if population.is_empty() && n_children > 0 {
        return Err(Error::InvalidArgument(
            "cannot breed children from an empty population".into(),
        ));
    }
    space::validate(population)?;
    let b = *breeding;
    Ok(rng::build_rows(n_children, |i| {
        let rng = &mut rng::row_rng(seed, stream::NEXT_GENERATION, i);
        let first = tournament(fitness, b.tournament_size, rng);
        let mut child = population[first];
        if rng.random::<f64>() < b.crossover_prob {
            let second = tournament(fitness, b.tournament_size, rng);
            child = space::crossover_one(&child, &population[second], rng);
        }
        space::mutate_one(&mut child, b.mutation_rate, b.step_prob, rng);
        child
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{is_valid, sample, N_PARAMS};
    use proptest::prelude::*;

    fn index_sum(d: &Design) -> f64 {
        d.iter().map(|&i| i as f64).sum()
    }

    #[test]
    fn argument_checks() {
        let pop = sample(10, 0);
        let fit = vec![0.0; 10];
        let ok = Breeding::default();
        assert!(next_generation(&pop, &fit[..9], 5, 0, &ok).is_err());
        assert!(next_generation(&[], &[], 5, 0, &ok).is_err());
        assert!(next_generation(&[], &[], 0, 0, &ok).unwrap().is_empty());
        for bad in [
            Breeding {
                tournament_size: 0,
                ..ok
            },
            Breeding {
                crossover_prob: 1.5,
                ..ok
            },
            Breeding {
                mutation_rate: f64::NAN,
                ..ok
            },
            Breeding {
                step_prob: -0.5,
                ..ok
            },
        ] {
            assert!(matches!(
                next_generation(&pop, &fit, 5, 0, &bad),
                Err(Error::InvalidArgument(_))
            ));
        }
        let mut bad_pop = pop.clone();
        bad_pop[3][7] = 4;
        let msg = next_generation(&bad_pop, &fit, 5, 0, &ok)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("row 3") && msg.contains("parameter_memory"),
            "{msg}"
        );
    }

    #[test]
    fn nan_and_neg_inf_never_beat_a_real_score() {
        let fit = [f64::NAN, f64::NEG_INFINITY, -1e300, f64::NAN];
        let mut rng = rng::row_rng(0, 0, 0);
        for _ in 0..1000 {
            let w = tournament(&fit, 64, &mut rng);
            assert_eq!(w, 2);
        }
    }

    #[test]
    fn selection_prefers_fitter_parents() {
        let pop = sample(2000, 11);
        let fit: Vec<f64> = pop.iter().map(|d| -index_sum(d)).collect();
        let mean = |rows: &[Design]| rows.iter().map(index_sum).sum::<f64>() / rows.len() as f64;
        let b = Breeding {
            tournament_size: 16,
            crossover_prob: 0.5,
            mutation_rate: 0.05,
            step_prob: 1.0,
        };
        let kids = next_generation(&pop, &fit, 2000, 5, &b).unwrap();
        assert!(kids.iter().all(is_valid));
        // Parents average ~30.5 index units; the best of 16 is far lower, a step mutation moves
        // it by about one unit.
        assert!(
            mean(&kids) < mean(&pop) - 8.0,
            "{} vs {}",
            mean(&kids),
            mean(&pop)
        );
    }

    #[test]
    fn deterministic_and_independent_of_batch_length() {
        let pop = sample(500, 1);
        let fit: Vec<f64> = (0..500).map(|i| (i % 17) as f64).collect();
        let b = Breeding::default();
        let long = next_generation(&pop, &fit, 3 * rng::PAR_MIN_ROWS, 9, &b).unwrap();
        assert_eq!(
            long,
            next_generation(&pop, &fit, 3 * rng::PAR_MIN_ROWS, 9, &b).unwrap()
        );
        assert_eq!(
            &long[..50],
            &next_generation(&pop, &fit, 50, 9, &b).unwrap()[..]
        );
        assert_ne!(
            long,
            next_generation(&pop, &fit, 3 * rng::PAR_MIN_ROWS, 10, &b).unwrap()
        );
    }

    proptest! {
        #[test]
        fn children_are_valid_and_come_from_parents_plus_mutation(
            seed: u64,
            n in 1usize..40,
            ts in 1usize..8,
            cx in 0.0f64..=1.0,
        ) {
            let pop = sample(n, seed);
            let fit: Vec<f64> = pop.iter().map(index_sum).collect();
            // No mutation: every gene of a child is that gene of some parent.
            let b = Breeding { tournament_size: ts, crossover_prob: cx, mutation_rate: 0.0, step_prob: 0.5 };
            for c in next_generation(&pop, &fit, 20, seed, &b).unwrap() {
                for k in 0..N_PARAMS {
                    prop_assert!(pop.iter().any(|p| p[k] == c[k]));
                }
            }
            let b = Breeding { mutation_rate: 0.2, ..b };
            for c in next_generation(&pop, &fit, 20, seed, &b).unwrap() {
                prop_assert!(is_valid(&c));
            }
        }
    }
}
