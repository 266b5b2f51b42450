//! A sub-space of the design space (an allowed set of indices per parameter) and the walk over
//! a range of its designs that skips, exactly, every run of designs over the area budget.

use crate::sim::area::area_of;
use crate::sim::design::DesignValues;
use crate::space::{Design, CARDINALITIES, N_PARAMS, PARAMS};
use crate::{Error, Result};

/// The designs whose index of each parameter lies in that parameter's allowed set. Designs are
/// numbered by their *ordinal*: the mixed-radix number of their positions in the allowed sets
/// (`param_1` most significant). Sets are kept increasing, so ordinals increase with design ids
/// and, for the whole space, the ordinal is the design id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubSpace {
    allowed: [Vec<u8>; N_PARAMS],
    strides: [u64; N_PARAMS],
    size: u64,
}

impl SubSpace {
    /// Every design of the space.
    pub fn full() -> Self {
        Self::from_sets(std::array::from_fn(|k| {
            (0..CARDINALITIES[k] as u8).collect()
        }))
        .expect("the full space is a valid sub-space")
    }

    /// The sub-space with the given allowed indices per parameter (key order). Each set must be
    /// non-empty and hold indices in range; order and repeats do not matter.
    pub fn from_sets(sets: [Vec<u8>; N_PARAMS]) -> Result<Self> {
        let mut allowed = sets;
        for (k, set) in allowed.iter_mut().enumerate() {
            let p = &PARAMS[k];
            if set.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "the sub-space is empty: parameter '{}' has no allowed value",
                    p.name
                )));
            }
            if let Some(&bad) = set.iter().find(|&&i| i as usize >= CARDINALITIES[k]) {
                return Err(Error::InvalidArgument(format!(
                    "parameter '{}' has no index {bad}: indices run from 0 to {}",
                    p.name,
                    CARDINALITIES[k] - 1
                )));
            }
            set.sort_unstable();
            set.dedup();
        }
        let mut strides = [1u64; N_PARAMS];
        for k in (0..N_PARAMS - 1).rev() {
            strides[k] = strides[k + 1] * allowed[k + 1].len() as u64;
        }
        let size = strides[0] * allowed[0].len() as u64;
        Ok(SubSpace {
            allowed,
            strides,
            size,
        })
    }

    /// The whole space with some parameters fixed to one index each: `(parameter, index)`.
    pub fn with_fixed(fixed: &[(usize, u8)]) -> Result<Self> {
        let mut sets: [Vec<u8>; N_PARAMS] =
            std::array::from_fn(|k| (0..CARDINALITIES[k] as u8).collect());
        let mut seen = [false; N_PARAMS];
        for &(k, i) in fixed {
            if k >= N_PARAMS {
                return Err(Error::InvalidArgument(format!(
                    "parameter number {k} is out of range 0..{N_PARAMS}"
                )));
            }
            if std::mem::replace(&mut seen[k], true) {
                return Err(Error::InvalidArgument(format!(
                    "parameter '{}' is fixed twice",
                    PARAMS[k].name
                )));
            }
            sets[k] = vec![i];
        }
        Self::from_sets(sets)
    }

    /// Allowed indices of each parameter, increasing.
    pub fn sets(&self) -> &[Vec<u8>; N_PARAMS] {
        &self.allowed
    }

    /// Number of designs.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether this is the whole space (then ordinals are design ids).
    pub fn is_full(&self) -> bool {
        self.size == crate::space::SIZE
    }

    /// Its smallest design: every parameter at its smallest allowed index. Area strictly
    /// increases with every resource, so no design of the sub-space has a smaller area.
    pub fn min_design(&self) -> Design {
        std::array::from_fn(|k| self.allowed[k][0])
    }

    /// The design with the given ordinal (`ordinal < size`).
    pub fn design_at(&self, ordinal: u64) -> Design {
        let digits = self.digits_of(ordinal);
        self.design_of(&digits)
    }

    fn digits_of(&self, ordinal: u64) -> [usize; N_PARAMS] {
        let mut rest = ordinal;
        std::array::from_fn(|k| {
            let d = rest / self.strides[k];
            rest %= self.strides[k];
            d as usize
        })
    }

    #[inline]
    fn design_of(&self, digits: &[usize; N_PARAMS]) -> Design {
        std::array::from_fn(|k| self.allowed[k][digits[k]])
    }

    /// Call `emit` on every design of ordinals `range` whose area is within `budget`, in
    /// ordinal order. Returns how many it emitted.
    ///
    /// Area is monotone in every parameter, so when a design is over the budget and all its
    /// parameters after position `j` sit at their smallest allowed value, every design that
    /// shares its parameters before `j` and has parameter `j` at least as large is over the
    /// budget too: the walk jumps past all of them at once. It therefore evaluates the area of
    /// each in-budget design plus one design per boundary of the budget region, instead of
    /// the area of every design of the range.
    pub fn walk_in_budget(
        &self,
        range: std::ops::Range<u64>,
        budget: f64,
        mut emit: impl FnMut(Design),
    ) -> u64 {
        let end = range.end.min(self.size);
        let mut ordinal = range.start;
        if ordinal >= end {
            return 0;
        }
        let radix: [usize; N_PARAMS] = std::array::from_fn(|k| self.allowed[k].len());
        let mut digits = self.digits_of(ordinal);
        let mut emitted = 0u64;
        loop {
            let d = self.design_of(&digits);
            // The position to advance: the last one after an in-budget design, else the one
            // before the skipped run (`None`: the run reaches the end of the sub-space).
            let advance = if area_of(&DesignValues::of(&d)) <= budget {
                emit(d);
                emitted += 1;
                Some(N_PARAMS - 1)
            } else {
                let j = digits.iter().rposition(|&x| x != 0).unwrap_or(0);
                digits[j..].fill(0);
                j.checked_sub(1)
            };
            let Some(mut pos) = advance else {
                return emitted;
            };
            // Odometer increment at `pos`, carrying into more significant positions.
            loop {
                digits[pos] += 1;
                if digits[pos] < radix[pos] {
                    break;
                }
                digits[pos] = 0;
                if pos == 0 {
                    return emitted;
                }
                pos -= 1;
            }
            ordinal = digits
                .iter()
                .zip(self.strides.iter())
                .map(|(&x, &s)| x as u64 * s)
                .sum();
            if ordinal >= end {
                return emitted;
            }
        }
    }
}
