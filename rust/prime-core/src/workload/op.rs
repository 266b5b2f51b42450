//! The lowered form of a layer that the simulator consumes: one GEMM-like or memory-only
//! operation with its shapes and byte counts. Every layer of the IR lowers to one or more `Op`s;
//! the simulator never sees the layer kinds, only these numbers.
//!
//! Convolutions (dense, grouped, depthwise), dense layers and the matmuls of an LSTM are all
//! `Gemm`: `m` output rows (output pixels, or time steps), `n` output channels, `k` reduction
//! length per output (`kh * kw * cin_g`). A depthwise conv is `n = channels`, `k = kh * kw`,
//! `cin_g = 1`. An LSTM's recurrent matmul is `m = 1` with `reps = T` sequential steps reusing the
//! same weights. Pooling, residual adds, concatenation and resizing are `Memory` passes (no MACs).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpKind {
    Gemm,
    Memory,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub kind: OpKind,
    /// Output rows of the GEMM per repetition (output pixels; time steps; 1 for a recurrence step).
    pub m: u64,
    /// Output channels.
    pub n: u64,
    /// Reduction length per output element (`kh * kw * cin_g`); 0 for memory passes.
    pub k: u64,
    /// Sequential repetitions that reuse the same weights (LSTM time steps); 1 otherwise.
    pub reps: u64,
    /// Kernel height and width (1 for matmuls and memory passes without a window).
    pub kh: u64,
    pub kw: u64,
    /// Input channels per group entering each output (`cin / groups`; 1 for depthwise).
    pub cin_g: u64,
    /// Spatial stride (1 for matmuls).
    pub stride: u64,
    /// Input feature-map width and total input channels (row-band sizes for feasibility).
    pub in_w: u64,
    pub in_c: u64,
    /// int8 weight bytes of the op (biases included, one byte each), reused across `reps`.
    pub weight_bytes: u64,
    /// int8 input / output activation bytes per repetition.
    pub in_bytes: u64,
    pub out_bytes: u64,
}

impl Op {
    /// Multiply-accumulates over all repetitions.
    pub fn macs(&self) -> u64 {
        match self.kind {
            OpKind::Gemm => self.m * self.n * self.k * self.reps,
            OpKind::Memory => 0,
        }
    }
}
