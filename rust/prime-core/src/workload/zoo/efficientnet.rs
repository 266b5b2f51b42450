//! EfficientNet-Lite0: a public stand-in for one of PRIME's proprietary workloads.

use super::builder::Net;
use super::mobilenet::{inverted_residual, Block};
use crate::workload::Workload;
use crate::Result;

/// EfficientNet-Lite0, 224x224, 1000 classes: EfficientNet-B0's MBConv table without
/// squeeze-excite (ReLU6 instead of swish: activations are free here), stem 32 and head 1280
/// not scaled.
/// Published: 4.7 M parameters (official `tensorflow/tpu models/official/efficientnet/lite`
/// README). MACs: 385 M, the figure of the reference re-implementation
/// `d-li14/efficientnet-lite.pytorch` README (4.652 M params, 0.385 G); the official README's
/// "407M MAdds" uses a counter that includes more than conv/FC multiply-adds and is 5.7% above
/// any conv+FC count of this table.
pub fn efficientnet_lite0() -> Result<Workload> {
    // (expansion, out channels, repeats, stride, kernel) of EfficientNet-B0.
    let table = [
        (1.0, 16, 1, 1, 3),
        (6.0, 24, 2, 2, 3),
        (6.0, 40, 2, 2, 5),
        (6.0, 80, 3, 2, 3),
        (6.0, 112, 3, 1, 5),
        (6.0, 192, 4, 2, 5),
        (6.0, 320, 1, 1, 3),
    ];
    let mut net = Net::new(224, 224, 3);
    net.conv("stem", 32, 3, 2, false);
    let mut idx = 0;
    for &(ef, out, n, s, k) in &table {
        for i in 0..n {
            let blk = Block {
                ef,
                out,
                k,
                s: if i == 0 { s } else { 1 },
                se: false,
                fused: false,
                residual: true,
            };
            inverted_residual(&mut net, &format!("block{idx}"), &blk);
            idx += 1;
        }
    }
    net.conv("head", 1280, 1, 1, false);
    net.global_pool("pool");
    net.dense("fc", 1000, true);
    net.finish(
        "efficientnet_lite0",
        "EfficientNet-Lite0, 224x224 input, 1000 classes (stand-in for a proprietary PRIME workload)",
        385_000_000,
        4_700_000,
    )
}
