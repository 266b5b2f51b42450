//! ResNet-50: a public stand-in for one of PRIME's proprietary workloads.

use super::builder::Net;
use crate::workload::layer::Padding;
use crate::workload::Workload;
use crate::Result;

/// ResNet-50 v1.5 (stride in the 3x3 conv, as torchvision), 224x224, 1000 classes.
/// Published: 4.09 G MACs ("GFLOPS 4.09") and 25,557,032 parameters, torchvision model
/// documentation for `resnet50` (`ResNet50_Weights.IMAGENET1K_V1`). That parameter count
/// includes batch-norm (~53 k); ours excludes it (25.50 M, -0.2%).
pub fn resnet50() -> Result<Workload> {
    let mut net = Net::new(224, 224, 3);
    net.conv("conv1", 64, 7, 2, false);
    // torchvision pads the 3x3/2 max-pool by 1: 112 -> 56, which "same" reproduces.
    net.max_pool("maxpool", 3, 2, Padding::Same);
    for (stage, &(width, blocks, stride)) in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]
        .iter()
        .enumerate()
    {
        for i in 0..blocks {
            let s = if i == 0 { stride } else { 1 };
            let name = format!("layer{}.{i}", stage + 1);
            let (h, w, c) = (net.h, net.w, net.c);
            if i == 0 {
                net.conv(&format!("{name}/downsample"), width * 4, 1, s, false);
                net.set_shape(h, w, c);
            }
            net.conv(&format!("{name}/conv1"), width, 1, 1, false);
            net.conv(&format!("{name}/conv2"), width, 3, s, false);
            net.conv(&format!("{name}/conv3"), width * 4, 1, 1, false);
            net.add(&format!("{name}/add"));
        }
    }
    net.global_pool("avgpool");
    net.dense("fc", 1000, true);
    net.finish(
        "resnet50",
        "ResNet-50 v1.5, 224x224 input, 1000 classes (stand-in for a proprietary PRIME workload)",
        4_090_000_000,
        25_557_032,
    )
}
