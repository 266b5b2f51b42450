//! The built-in network zoo, generated from architecture tables (not hand-listed layers).
//! Each builder documents its configuration and the source of its reference totals.

pub mod builder;
pub mod efficientnet;
pub mod mobilenet;
pub mod resnet;
pub mod rnnt;
pub mod ssd;
pub mod unet;

use super::Workload;
use crate::Result;

pub struct Builtin {
    pub name: &'static str,
    pub build: fn() -> Result<Workload>,
}

pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "mobilenet_v2",
        build: mobilenet::mobilenet_v2,
    },
    Builtin {
        name: "mobilenet_v3_large",
        build: mobilenet::mobilenet_v3_large,
    },
    Builtin {
        name: "mobilenet_v3_small",
        build: mobilenet::mobilenet_v3_small,
    },
    Builtin {
        name: "mobilenet_edgetpu",
        build: mobilenet::mobilenet_edgetpu,
    },
    Builtin {
        name: "unet",
        build: unet::unet,
    },
    Builtin {
        name: "rnnt_encoder",
        build: rnnt::rnnt_encoder,
    },
    Builtin {
        name: "rnnt_decoder",
        build: rnnt::rnnt_decoder,
    },
    Builtin {
        name: "ssd_mobilenet_v2",
        build: ssd::ssd_mobilenet_v2,
    },
    Builtin {
        name: "efficientnet_lite0",
        build: efficientnet::efficientnet_lite0,
    },
    Builtin {
        name: "resnet50",
        build: resnet::resnet50,
    },
];

/// Build a built-in by name; `None` when the name is not built in.
pub fn build(name: &str) -> Option<Result<Workload>> {
    BUILTINS
        .iter()
        .find(|b| b.name == name)
        .map(|b| (b.build)())
}
