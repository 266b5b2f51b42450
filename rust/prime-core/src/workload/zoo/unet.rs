//! U-Net (Ronneberger et al. 2015) as a parameterised builder, and PRIME's small variant.

use super::builder::Net;
use crate::workload::layer::Padding;
use crate::workload::Workload;
use crate::Result;

/// The 2015 topology: 4 down levels of two 3x3 convs + 2x2 max-pool, a bottleneck of two 3x3
/// convs at 16x the base width, 4 up levels of a 2x2 stride-2 up-convolution (halving channels),
/// concatenation with the (cropped) skip, two 3x3 convs, then a 1x1 conv to `classes`. Convs have
/// biases (no batch-norm in the original).
pub fn unet_net(size: i64, in_c: i64, base: i64, classes: i64, padding: Padding) -> Net {
    let mut net = Net::new(size, size, in_c);
    let mut skips = Vec::new();
    for level in 0..4 {
        let width = base << level;
        net.conv_pad(&format!("down{level}/conv1"), width, 3, 1, padding, true);
        net.conv_pad(&format!("down{level}/conv2"), width, 3, 1, padding, true);
        skips.push(net.c);
        net.max_pool(&format!("down{level}/pool"), 2, 2, Padding::Valid);
    }
    net.conv_pad("bottom/conv1", base << 4, 3, 1, padding, true);
    net.conv_pad("bottom/conv2", base << 4, 3, 1, padding, true);
    for level in (0..4).rev() {
        let width = base << level;
        net.conv_transpose(&format!("up{level}/upconv"), width, 2, 2);
        net.concat(&format!("up{level}/concat"), skips[level]);
        net.conv_pad(&format!("up{level}/conv1"), width, 3, 1, padding, true);
        net.conv_pad(&format!("up{level}/conv2"), width, 3, 1, padding, true);
    }
    net.conv_pad("head", classes, 1, 1, padding, true);
    net
}

/// PRIME's U-Net is small (its mean runtime is ~10x MobileNetV2's, while the original U-Net has
/// ~500x MobileNetV2's MACs), so the built-in is the 2015 topology with **base width 32**, a
/// **256x256x3** input, **"same"** padding and 2 output classes.
///
/// Reference figures (no single published number exists for this variant; computed in closed
/// form and re-derived independently in `tests/test_workloads.py`):
/// params = Σ 3x3 convs (9·cin·cout + cout) + Σ up-convs (4·cin·cout + cout) + head (32·2 + 2)
///        = 7,760,130 (the 64-wide, 572x572 "valid" original gives 31,030,658, the
///          commonly quoted ~31 M, and 150.4 G MACs: checked in the unit tests);
/// MACs   = Σ 3x3 convs H·W·9·cin·cout + Σ up-convs h·w·4·cin·cout + 256²·32·2
///        = 12,073,304,064 (12.1 G, ~40x MobileNetV2's MACs: dense 3x3 convs use the array far
///          better than depthwise ones, which brings the runtime ratio towards PRIME's ~10x).
pub fn unet() -> Result<Workload> {
    unet_net(256, 3, 32, 2, Padding::Same).finish(
        "unet",
        "U-Net (2015 topology), base width 32, 256x256x3 input, same padding, 2 classes",
        UNET_MACS,
        UNET_PARAMS,
    )
}

pub const UNET_MACS: u64 = 12_073_304_064;
pub const UNET_PARAMS: u64 = 7_760_130;
