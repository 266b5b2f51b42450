//! A workload prepared for simulation: its ops as struct-of-arrays in f64 (hoisted out of the
//! design loop once per workload) and the workload-level minima of the feasibility rules.

use super::constants::{
    FILTERS_RESIDENT, INSTR_PER_ACT_TILE, INSTR_PER_OP, INSTR_PER_WEIGHT_TILE, PSUM_MIN_CHANNELS,
};
use super::design::cdiv;
use super::kernel::OpTables;
use crate::space::{idx, PARAMS};
use crate::workload::op::{Op, OpKind};

const N_CORES: usize = PARAMS[idx::CORES_PER_PE].values.len();
const N_MP: usize = PARAMS[idx::PARAMETER_MEMORY].values.len();
const N_MA: usize = PARAMS[idx::ACTIVATION_MEMORY].values.len();

#[derive(Debug, Clone, Default)]
pub struct PreparedWorkload {
    pub is_gemm: Vec<bool>,
    pub m: Vec<f64>,
    pub n: Vec<f64>,
    pub k: Vec<f64>,
    pub reps: Vec<f64>,
    pub weight_bytes: Vec<f64>,
    pub in_bytes: Vec<f64>,
    pub out_bytes: Vec<f64>,
    /// Largest pair of output-channel filters, 2·kh·kw·cin_g: a core holds whole filters in
    /// parameter memory, double-buffered (the mapper does not split a filter's reduction).
    pub filter_bytes: f64,
    /// Largest input window for two adjacent output pixels, kh·(stride + kw)·cin_g: the smallest
    /// input tile a core can work on, held in activation memory.
    pub window_bytes: f64,
    /// Largest int32 partial-sum row, out_w · PSUM_MIN_CHANNELS · 4: the smallest output tile,
    /// held in core memory.
    pub psum_row_bytes: f64,
    /// Largest double-buffered input row band, 2·kh·in_w·in_c, held in PE memory.
    pub band_bytes: f64,
    /// Total multiply-accumulates (for energy).
    pub macs: f64,
    /// Program size (instruction entries) by (cores, parameter memory, activation memory) index:
    /// it depends on nothing else, so it is tabulated once per workload and the instruction
    /// rule costs one lookup per design.
    pub program_entries: Vec<f64>,
    /// Each op's per-parameter-group values for the kernel (`kernel::OpTables`).
    pub(super) tables: Vec<OpTables>,
}

impl PreparedWorkload {
    pub fn new(ops: &[Op]) -> Self {
        let mut p = PreparedWorkload::default();
        for op in ops {
            let gemm = op.kind == OpKind::Gemm;
            p.is_gemm.push(gemm);
            p.m.push(op.m as f64);
            p.n.push(op.n as f64);
            p.k.push(op.k as f64);
            p.reps.push(op.reps as f64);
            p.weight_bytes.push(op.weight_bytes as f64);
            p.in_bytes.push(op.in_bytes as f64);
            p.out_bytes.push(op.out_bytes as f64);
            if gemm {
                let out_w = op.in_w.div_ceil(op.stride.max(1));
                // Products in f64: lowering bounds each factor, not these products, which may
                // pass u64::MAX for a valid file (and then only fail the memory rules).
                let (kh, kw, cin_g) = (op.kh as f64, op.kw as f64, op.cin_g as f64);
                p.filter_bytes = p.filter_bytes.max(FILTERS_RESIDENT * kh * kw * cin_g);
                p.window_bytes = p.window_bytes.max(kh * (op.stride as f64 + kw) * cin_g);
                p.psum_row_bytes = p.psum_row_bytes.max(out_w as f64 * PSUM_MIN_CHANNELS * 4.0);
                p.band_bytes = p.band_bytes.max(2.0 * kh * op.in_w as f64 * op.in_c as f64);
                p.macs += op.macs() as f64;
            }
        }
        p.program_entries = Vec::with_capacity(N_CORES * N_MP * N_MA);
        for &c in PARAMS[idx::CORES_PER_PE].values {
            for &mp in PARAMS[idx::PARAMETER_MEMORY].values {
                for &ma in PARAMS[idx::ACTIVATION_MEMORY].values {
                    let (c_mp, c_ma) = ((c * mp) as f64, (c * ma) as f64);
                    let total: f64 = ops
                        .iter()
                        .map(|op| {
                            let act = op.in_bytes as f64 + op.out_bytes as f64;
                            INSTR_PER_OP
                                + INSTR_PER_WEIGHT_TILE * cdiv(op.weight_bytes as f64, c_mp)
                                + INSTR_PER_ACT_TILE * cdiv(act, c_ma)
                        })
                        .sum();
                    p.program_entries.push(total);
                }
            }
        }
        p.tables = (0..p.len()).map(|i| OpTables::of(&p, i)).collect();
        p
    }

    /// Instruction entries of the compiled program for a design's (cores, Mp, Ma) indices.
    #[inline]
    pub fn program_entries_of(&self, cores: u8, mp: u8, ma: u8) -> f64 {
        self.program_entries[(cores as usize * N_MP + mp as usize) * N_MA + ma as usize]
    }

    pub fn len(&self) -> usize {
        self.m.len()
    }

    pub fn is_empty(&self) -> bool {
        self.m.is_empty()
    }
}
