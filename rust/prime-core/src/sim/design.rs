//! A design's raw values as the simulator's symbols, all in f64: every integer involved stays
//! below 2^52, where f64 arithmetic and ceil-division are exact (see `cdiv`), so the kernels can
//! use vectorisable float division instead of integer division.

use crate::space::{idx, Design, PARAMS};

#[derive(Debug, Clone, Copy, Default)]
pub struct DesignValues {
    pub pes: f64,
    pub cores: f64,
    pub lanes: f64,
    pub pe_mem: f64,
    pub core_mem: f64,
    pub instr_entries: f64,
    pub param_mem: f64,
    pub act_mem: f64,
    pub bandwidth: f64,
}

impl DesignValues {
    #[inline]
    pub fn of(d: &Design) -> Self {
        let v = |k: usize| PARAMS[k].values[d[k] as usize] as f64;
        DesignValues {
            pes: v(idx::PE_X) * v(idx::PE_Y),
            cores: v(idx::CORES_PER_PE),
            lanes: v(idx::SIMD_LANES),
            pe_mem: v(idx::PE_MEMORY),
            core_mem: v(idx::CORE_MEMORY),
            instr_entries: v(idx::INSTRUCTION_MEMORY),
            param_mem: v(idx::PARAMETER_MEMORY),
            act_mem: v(idx::ACTIVATION_MEMORY),
            bandwidth: v(idx::DRAM_BANDWIDTH),
        }
    }
}

/// ceil(a / b) for non-negative integers held in f64. Exact whenever a < 2^52: a non-integer
/// quotient is at least 1/b away from the next integer n, while rounding moves it by at most
/// n·2^-53, and n·b ≈ a < 2^52 keeps that below 1/b.
#[inline(always)]
pub(crate) fn cdiv(a: f64, b: f64) -> f64 {
    (a / b).ceil()
}
