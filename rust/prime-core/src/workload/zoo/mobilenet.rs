//! The MobileNet family, from the TF-slim architecture tables
//! (`tensorflow/models research/slim/nets/mobilenet/{mobilenet_v2,mobilenet_v3}.py`).
//! Convs followed by batch-norm have no bias; SE FCs, the un-normalised 1x1 conv after pooling
//! (V3) and the 1001-class logits do.

use super::builder::{make_divisible, Net};
use crate::workload::Workload;
use crate::Result;

/// One inverted-bottleneck block.
pub struct Block {
    /// Expansion factor applied to the input channels (rounded to a multiple of 8); the
    /// expansion conv is skipped when the rounded width does not exceed the input (slim does).
    pub ef: f64,
    pub out: i64,
    pub k: i64,
    pub s: i64,
    /// Squeeze-excite on the expanded map (squeeze = expanded / 4 rounded to 8).
    pub se: bool,
    /// "Fused" (EdgeTPU): a full kxk expansion conv replaces expansion + depthwise.
    pub fused: bool,
    pub residual: bool,
}

const fn b(ef: f64, out: i64, k: i64, s: i64, se: bool) -> Block {
    Block {
        ef,
        out,
        k,
        s,
        se,
        fused: false,
        residual: true,
    }
}

pub fn inverted_residual(net: &mut Net, name: &str, blk: &Block) {
    let in_c = net.c;
    let expanded = make_divisible(in_c as f64 * blk.ef, 8);
    let expand = expanded > in_c;
    if blk.fused {
        if expand {
            net.conv(&format!("{name}/expand"), expanded, blk.k, blk.s, false);
        }
    } else {
        if expand {
            net.conv(&format!("{name}/expand"), expanded, 1, 1, false);
        }
        net.depthwise(&format!("{name}/depthwise"), blk.k, blk.s, false);
    }
    if blk.se {
        let squeeze = make_divisible(net.c as f64 / 4.0, 8);
        net.squeeze_excite(&format!("{name}/se"), squeeze);
    }
    net.conv(&format!("{name}/project"), blk.out, 1, 1, false);
    if blk.residual && blk.s == 1 && blk.out == in_c {
        net.add(&format!("{name}/add"));
    }
}

/// MobileNetV2 (t, c, n, s) table, shared with SSDLite.
const V2_TABLE: [(f64, i64, usize, i64); 7] = [
    (1.0, 16, 1, 1),
    (6.0, 24, 2, 2),
    (6.0, 32, 3, 2),
    (6.0, 64, 4, 2),
    (6.0, 96, 3, 1),
    (6.0, 160, 3, 2),
    (6.0, 320, 1, 1),
];

fn v2_blocks() -> Vec<Block> {
    V2_TABLE
        .iter()
        .flat_map(|&(t, c, n, s)| {
            (0..n).map(move |i| b(t, c, 3, if i == 0 { s } else { 1 }, false))
        })
        .collect()
}

/// MobileNetV2 backbone through the 1280-wide 1x1 conv ("layer_19"); blocks are named
/// `block0`..`block16`.
pub fn v2_backbone(net: &mut Net) {
    net.conv("conv0", 32, 3, 2, false);
    for (i, blk) in v2_blocks().iter().enumerate() {
        inverted_residual(net, &format!("block{i}"), blk);
    }
    net.conv("conv_head", 1280, 1, 1, false);
}

/// MobileNetV2 1.0 at 224x224x3, 1001 classes.
/// Published: 300 M MACs, 3.47 M parameters (TF-slim `research/slim/nets/mobilenet/README.md`,
/// row "mobilenet_v2_1.0_224": MACs 300, Parameters 3.47 M).
pub fn mobilenet_v2() -> Result<Workload> {
    let mut net = Net::new(224, 224, 3);
    v2_backbone(&mut net);
    net.global_pool("pool");
    net.dense("logits", 1001, true);
    net.finish(
        "mobilenet_v2",
        "MobileNetV2 1.0, 224x224 input, 1001 classes (TF-slim)",
        300_000_000,
        3_470_000,
    )
}

fn v3(
    name: &str,
    desc: &str,
    table: &[Block],
    head: i64,
    pool_conv: i64,
    pm: u64,
    pp: u64,
) -> Result<Workload> {
    let mut net = Net::new(224, 224, 3);
    // Both V3 variants start with a 16-wide 3x3/2 conv.
    net.conv("conv0", 16, 3, 2, false);
    for (i, blk) in table.iter().enumerate() {
        inverted_residual(&mut net, &format!("block{i}"), blk);
    }
    net.conv("conv_head", head, 1, 1, false);
    net.global_pool("pool");
    net.dense("conv_pooled", pool_conv, true);
    net.dense("logits", 1001, true);
    net.finish(name, desc, pm, pp)
}

/// MobileNetV3-Large 1.0 at 224 (slim `V3_LARGE`).
/// Published: 217 M MACs, 5.4 M parameters (TF-slim mobilenet README, "Large dm=1 (float)";
/// also Howard et al. 2019, Table 3: 219 M MAdds, 5.4 M params).
pub fn mobilenet_v3_large() -> Result<Workload> {
    let t = [
        b(1.0, 16, 3, 1, false),
        b(4.0, 24, 3, 2, false),
        b(3.0, 24, 3, 1, false),
        b(3.0, 40, 5, 2, true),
        b(3.0, 40, 5, 1, true),
        b(3.0, 40, 5, 1, true),
        b(6.0, 80, 3, 2, false),
        b(2.5, 80, 3, 1, false),
        b(184.0 / 80.0, 80, 3, 1, false),
        b(184.0 / 80.0, 80, 3, 1, false),
        b(6.0, 112, 3, 1, true),
        b(6.0, 112, 3, 1, true),
        b(6.0, 160, 5, 2, true),
        b(6.0, 160, 5, 1, true),
        b(6.0, 160, 5, 1, true),
    ];
    v3(
        "mobilenet_v3_large",
        "MobileNetV3-Large 1.0, 224x224 input, 1001 classes (TF-slim V3_LARGE; SE, 5x5 depthwise)",
        &t,
        960,
        1280,
        217_000_000,
        5_400_000,
    )
}

/// MobileNetV3-Small 1.0 at 224 (slim `V3_SMALL`).
/// Published (matched): 56 M MACs, 2.5 M parameters, Howard et al. 2019 ("Searching for
/// MobileNetV3"), Table 4. The TF-slim README lists 66 M / 2.9 M for its Small checkpoint,
/// which counts differently; the slim `V3_SMALL` table built here gives the paper's figures.
pub fn mobilenet_v3_small() -> Result<Workload> {
    let t = [
        b(1.0, 16, 3, 2, true),
        b(72.0 / 16.0, 24, 3, 2, false),
        b(88.0 / 24.0, 24, 3, 1, false),
        b(4.0, 40, 5, 2, true),
        b(6.0, 40, 5, 1, true),
        b(6.0, 40, 5, 1, true),
        b(3.0, 48, 5, 1, true),
        b(3.0, 48, 5, 1, true),
        b(6.0, 96, 5, 2, true),
        b(6.0, 96, 5, 1, true),
        b(6.0, 96, 5, 1, true),
    ];
    v3(
        "mobilenet_v3_small",
        "MobileNetV3-Small 1.0, 224x224 input, 1001 classes (TF-slim V3_SMALL; SE, 5x5 depthwise)",
        &t,
        576,
        1024,
        56_000_000,
        2_500_000,
    )
}

/// MobileNetEdgeTPU, depth multiplier 1.0, 224 (slim `V3_EDGETPU`: 9 fused blocks, 13 regular).
/// Published: 990 M MACs, 4.0 M parameters (TF-slim mobilenet README, "MobilenetEdgeTPU
/// dm=1 (float)"). Matching it needs the expansion conv skipped when the expansion factor is 1,
/// as slim's `expanded_conv` does (with it: ~1,106 M).
pub fn mobilenet_edgetpu() -> Result<Workload> {
    let f = |ef: f64, out: i64, s: i64| Block {
        ef,
        out,
        k: 3,
        s,
        se: false,
        fused: true,
        residual: true,
    };
    let r = |ef: f64, out: i64, k: i64, s: i64| b(ef, out, k, s, false);
    let t = [
        f(1.0, 16, 1),
        f(8.0, 32, 2),
        f(4.0, 32, 1),
        f(4.0, 32, 1),
        f(4.0, 32, 1),
        f(8.0, 48, 2),
        f(4.0, 48, 1),
        f(4.0, 48, 1),
        f(4.0, 48, 1),
        r(8.0, 96, 3, 2),
        r(4.0, 96, 3, 1),
        r(4.0, 96, 3, 1),
        r(4.0, 96, 3, 1),
        Block {
            residual: false,
            ..r(8.0, 96, 3, 1)
        },
        r(4.0, 96, 3, 1),
        r(4.0, 96, 3, 1),
        r(4.0, 96, 3, 1),
        r(8.0, 160, 5, 2),
        r(4.0, 160, 5, 1),
        r(4.0, 160, 5, 1),
        r(4.0, 160, 5, 1),
        r(8.0, 192, 3, 1),
    ];
    let mut net = Net::new(224, 224, 3);
    net.conv("conv0", 32, 3, 2, false);
    for (i, blk) in t.iter().enumerate() {
        inverted_residual(&mut net, &format!("block{i}"), blk);
    }
    net.conv("conv_head", 1280, 1, 1, false);
    net.global_pool("pool");
    net.dense("logits", 1001, true);
    net.finish(
        "mobilenet_edgetpu",
        "MobileNetEdgeTPU 1.0, 224x224 input, 1001 classes (TF-slim V3_EDGETPU; fused 3x3 expansion blocks)",
        990_000_000,
        4_000_000,
    )
}
