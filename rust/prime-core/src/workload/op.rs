//! The lowered form of a layer that the simulator consumes: one GEMM-like or memory-only
//! operation with its shapes and byte counts. Every layer of the IR lowers to one or more `Op`s;
//! the simulator never sees the layer kinds, only these numbers.
//!
//! Convolutions (dense, grouped, depthwise), dense layers and the matmuls of an LSTM are all
//! `Gemm`: `m` output rows (output pixels, or time steps), `n` output channels, `k` reduction
//! length per output (`kh * kw * cin_g`). A depthwise conv is `n = channels`, `k = kh * kw`,
//! `cin_g = 1`. An LSTM's recurrent matmul is `m = 1` with `reps = T` sequential steps reusing the
//! same weights. Pooling, residual adds, concatenation and resizing are `Memory` passes (no MACs).
//!
//! [`Op::check`] is the one admission rule for ops, whether lowered from layers or handed over
//! as a table: every field, and every size the simulator and the context vector derive from the
//! fields, stays at or below [`MAX_OP_SIZE`]. The kernel's integer products therefore cannot
//! overflow, its f64 arithmetic sees exact integers, and the fields export losslessly as i64.

use serde::{Deserialize, Serialize};

/// Largest MAC count of one op accepted (1e15: far beyond any edge workload) so that sums over
/// ops and the simulator's products stay far inside u64.
pub const MAX_OP_MACS: u64 = 1_000_000_000_000_000;

/// Largest value of any op field or derived size: 2^53, the range where f64 holds every integer.
pub const MAX_OP_SIZE: u64 = 1 << 53;

/// Names of the numeric fields, in the order of [`Op::fields`] (the op-table columns after
/// `kind`).
pub const OP_FIELDS: [&str; 13] = [
    "m",
    "n",
    "k",
    "reps",
    "kh",
    "kw",
    "cin_g",
    "stride",
    "in_w",
    "in_c",
    "weight_bytes",
    "in_bytes",
    "out_bytes",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpKind {
    Gemm,
    Memory,
}

impl OpKind {
    /// The op-table code: 0 GEMM, 1 memory.
    pub fn code(self) -> u8 {
        match self {
            OpKind::Gemm => 0,
            OpKind::Memory => 1,
        }
    }

    pub fn from_code(code: i64) -> Option<OpKind> {
        match code {
            0 => Some(OpKind::Gemm),
            1 => Some(OpKind::Memory),
            _ => None,
        }
    }
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

/// Product in u128, saturating: the operands are checked u64 values, so saturation only ever
/// marks "far beyond any limit".
fn product(xs: &[u64]) -> u128 {
    xs.iter()
        .try_fold(1u128, |a, &b| a.checked_mul(b as u128))
        .unwrap_or(u128::MAX)
}

impl Op {
    /// Multiply-accumulates over all repetitions (exact for ops that passed [`Op::check`]).
    pub fn macs(&self) -> u64 {
        match self.kind {
            OpKind::Gemm => self.m * self.n * self.k * self.reps,
            OpKind::Memory => 0,
        }
    }

    /// The numeric fields in [`OP_FIELDS`] order.
    pub fn fields(&self) -> [u64; 13] {
        [
            self.m,
            self.n,
            self.k,
            self.reps,
            self.kh,
            self.kw,
            self.cin_g,
            self.stride,
            self.in_w,
            self.in_c,
            self.weight_bytes,
            self.in_bytes,
            self.out_bytes,
        ]
    }

    /// An op from its kind and the numeric fields in [`OP_FIELDS`] order (unchecked).
    pub fn from_fields(kind: OpKind, f: [u64; 13]) -> Op {
        let [m, n, k, reps, kh, kw, cin_g, stride, in_w, in_c, weight_bytes, in_bytes, out_bytes] =
            f;
        Op {
            kind,
            m,
            n,
            k,
            reps,
            kh,
            kw,
            cin_g,
            stride,
            in_w,
            in_c,
            weight_bytes,
            in_bytes,
            out_bytes,
        }
    }

    /// The admission rule (see the module docs). The message says which size is too large.
    pub fn check(&self) -> Result<(), String> {
        if self.kind == OpKind::Gemm && [self.m, self.n, self.k, self.reps].contains(&0) {
            return Err("a GEMM with a zero dimension (m, n, k and reps must be >= 1)".into());
        }
        let macs = match self.kind {
            OpKind::Gemm => product(&[self.m, self.n, self.k, self.reps]),
            OpKind::Memory => 0,
        };
        if macs > MAX_OP_MACS as u128 {
            return Err(format!(
                "too large: {macs} MACs exceed the limit {MAX_OP_MACS}"
            ));
        }
        let window = self.stride as u128 + self.kw as u128;
        let derived: [(&str, u128); 5] = [
            // The feasibility rules' working sets (sim/prepared.rs) and the activation traffic
            // of the context vector (context.rs).
            (
                "filter bytes kh*kw*cin_g",
                product(&[self.kh, self.kw, self.cin_g]),
            ),
            (
                "input window kh*(stride+kw)*cin_g",
                product(&[self.kh, self.cin_g]).saturating_mul(window),
            ),
            (
                "row band 2*kh*in_w*in_c",
                product(&[2, self.kh, self.in_w, self.in_c]),
            ),
            (
                "activation bytes in+out",
                self.in_bytes as u128 + self.out_bytes as u128,
            ),
            (
                "activation traffic (in+out)*reps",
                (self.in_bytes as u128 + self.out_bytes as u128).saturating_mul(self.reps as u128),
            ),
        ];
        let named = OP_FIELDS
            .iter()
            .zip(self.fields())
            .map(|(&name, v)| (name, v as u128));
        for (what, v) in named.chain(derived) {
            if v > MAX_OP_SIZE as u128 {
                return Err(format!(
                    "too large: {what} = {v} exceeds the limit 2^53 = {MAX_OP_SIZE}"
                ));
            }
        }
        Ok(())
    }
}
