//! RNN-T (He et al. 2019, "Streaming end-to-end speech recognition for mobile devices"): LSTM
//! layers of 2048 cells with a 640-d projection (LSTMP). The sequence lengths are ours (PRIME's
//! are unknown): T = 50 encoder input frames (80-d log-mel, 4 frames stacked -> 320-d input, 30
//! ms rate: 1.5 s of audio) and U = 10 prediction-network tokens.

use super::builder::Net;
use crate::workload::layer::{Embedding, Layer, Lstm};
use crate::workload::Workload;
use crate::Result;

pub const HIDDEN: i64 = 2048;
pub const PROJ: i64 = 640;
pub const ENCODER_INPUT: i64 = 320;
pub const FRAMES: i64 = 50;
pub const TOKENS: i64 = 10;
pub const VOCAB: i64 = 4096;

fn lstmp(name: &str, input: i64, steps: i64) -> Layer {
    Layer::Lstm(Lstm {
        name: Some(name.to_string()),
        input_size: input,
        hidden_size: HIDDEN,
        proj_size: Some(PROJ),
        steps,
        bias: true,
    })
}

/// Encoder: 8 LSTMP layers; a x2 time-reduction after layer 2 concatenates adjacent frames
/// (a free reshape), so layers 3-8 run 25 steps and layer 3 sees 2 x 640 = 1280 inputs.
///
/// Reference (computed; no published per-network totals): per LSTMP layer
/// params = 4H·(in + P) + 4H + P·H and MACs/step = 4H·in + 4H·P + P·H, giving
/// 97,058,816 params (the He et al. 2019 ~94 M figure is 8 x 11.8 M, ignoring the wider
/// layer-1/3 inputs) and 2,949,120,000 MACs for T = 50.
pub fn rnnt_encoder() -> Result<Workload> {
    let mut net = Net::new(1, 1, ENCODER_INPUT);
    net.push(lstmp("lstm1", ENCODER_INPUT, FRAMES));
    net.push(lstmp("lstm2", PROJ, FRAMES));
    net.push(lstmp("lstm3", 2 * PROJ, FRAMES / 2));
    for i in 4..=8 {
        net.push(lstmp(&format!("lstm{i}"), PROJ, FRAMES / 2));
    }
    net.finish(
        "rnnt_encoder",
        "RNN-T encoder (He et al. 2019): 8 LSTM(2048) + 640 projection, x2 time reduction after layer 2, 320-d input, T = 50 frames",
        RNNT_ENCODER_MACS,
        RNNT_ENCODER_PARAMS,
    )
}

/// Prediction network: a 4096 x 640 word-piece embedding and 2 LSTMP layers, U = 10 tokens.
///
/// Reference (computed): 2 x 11,804,672 LSTMP params (the ~24 M of the notes) + 2,621,440
/// embedding = 26,230,784 params; 2 x 11,796,480 MACs per token x 10 = 235,929,600 MACs.
pub fn rnnt_decoder() -> Result<Workload> {
    let mut net = Net::new(1, 1, PROJ);
    net.push(Layer::Embedding(Embedding {
        name: Some("embedding".into()),
        vocab: VOCAB,
        dim: PROJ,
        tokens: TOKENS,
    }));
    net.push(lstmp("lstm1", PROJ, TOKENS));
    net.push(lstmp("lstm2", PROJ, TOKENS));
    net.finish(
        "rnnt_decoder",
        "RNN-T prediction network (He et al. 2019): 4096x640 embedding + 2 LSTM(2048) with 640 projection, U = 10 tokens",
        RNNT_DECODER_MACS,
        RNNT_DECODER_PARAMS,
    )
}

pub const RNNT_ENCODER_MACS: u64 = 2_949_120_000;
pub const RNNT_ENCODER_PARAMS: u64 = 97_058_816;
pub const RNNT_DECODER_MACS: u64 = 235_929_600;
pub const RNNT_DECODER_PARAMS: u64 = 26_230_784;
