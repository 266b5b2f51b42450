//! The workload context vector fed to PRIME's contextual surrogate.
//!
//! Fixed length [`CONTEXT_LEN`], order [`CONTEXT_FEATURES`]. Normalisation uses fixed constants
//! chosen so that edge workloads land roughly in [0, 1]; nothing is fitted on the zoo, so an
//! unseen user network gets a vector on the same scale:
//!
//! | # | feature | value |
//! | --- | --- | --- |
//! | 0-3 | conv / depthwise / dense / LSTM layer counts | ln(1 + n) / ln(257) |
//! | 4 | total MACs | (log10 MACs - 6) / 6 (1e6 -> 0, 1e12 -> 1) |
//! | 5 | parameters | (log10 params - 4) / 5 (1e4 -> 0, 1e9 -> 1) |
//! | 6 | activation bytes, sum over ops of (in + out) x reps | (log10 - 4) / 6 |
//! | 7 | peak activation bytes, max over ops of in + out | (log10 - 3) / 6 |
//! | 8 | arithmetic intensity MACs / (weight + activation bytes) | log10(1 + ai) / 4 |
//! | 9 | fraction of MACs in depthwise layers | [0, 1] |
//! | 10 | fraction of MACs in LSTM and dense layers | [0, 1] |
//! | 11 | number of ops | ln(1 + n) / ln(1025) |
//!
//! Conv counts include grouped and transposed convs; depthwise counts `depthwise` layers and
//! `conv2d` with `groups == in_c`.

use super::layer::LayerClass;
use super::op::Op;

pub const CONTEXT_LEN: usize = 12;

pub const CONTEXT_FEATURES: [&str; CONTEXT_LEN] = [
    "conv_layers",
    "depthwise_layers",
    "dense_layers",
    "lstm_layers",
    "log_macs",
    "log_params",
    "log_activation_bytes",
    "log_peak_activation_bytes",
    "log_arithmetic_intensity",
    "depthwise_mac_fraction",
    "lstm_dense_mac_fraction",
    "ops",
];

fn log10(x: f64) -> f64 {
    x.max(1.0).log10()
}

/// `classes[i]` and `layer_macs[i]` describe layer i; `ops` is the lowered op list.
pub fn context_vector(
    classes: &[LayerClass],
    layer_macs: &[u64],
    params: u64,
    ops: &[Op],
) -> [f64; CONTEXT_LEN] {
    let count = |c: LayerClass| classes.iter().filter(|&&k| k == c).count() as f64;
    let count_norm = |n: f64| (1.0 + n).ln() / 257f64.ln();
    let macs: f64 = layer_macs.iter().map(|&m| m as f64).sum();
    let macs_of = |pred: &dyn Fn(LayerClass) -> bool| -> f64 {
        classes
            .iter()
            .zip(layer_macs)
            .filter(|(c, _)| pred(**c))
            // fold from +0.0: an empty f64 `sum()` is -0.0.
            .fold(0.0, |a, (_, &m)| a + m as f64)
    };
    let act: f64 = ops
        .iter()
        .map(|o| (o.in_bytes as f64 + o.out_bytes as f64) * o.reps as f64)
        .sum();
    let peak = ops
        .iter()
        // In f64: each byte count fits a u64, their sum may not.
        .map(|o| o.in_bytes as f64 + o.out_bytes as f64)
        .fold(0.0, f64::max);
    let weights: f64 = ops.iter().map(|o| o.weight_bytes as f64).sum();
    let ai = macs / (weights + act).max(1.0);
    let frac = |x: f64| if macs > 0.0 { x / macs } else { 0.0 };
    [
        count_norm(count(LayerClass::Conv)),
        count_norm(count(LayerClass::Depthwise)),
        count_norm(count(LayerClass::Dense)),
        count_norm(count(LayerClass::Lstm)),
        (log10(macs) - 6.0) / 6.0,
        (log10(params as f64) - 4.0) / 5.0,
        (log10(act) - 4.0) / 6.0,
        (log10(peak) - 3.0) / 6.0,
        (1.0 + ai).log10() / 4.0,
        frac(macs_of(&|c| c == LayerClass::Depthwise)),
        frac(macs_of(&|c| {
            matches!(c, LayerClass::Lstm | LayerClass::Dense)
        })),
        (1.0 + ops.len() as f64).ln() / 1025f64.ln(),
    ]
}
