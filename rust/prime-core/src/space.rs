//! The PRIME design space (DESIGN.md section 3): ten discrete parameters with the exact value
//! lists of the released PRIME code. A design is a row of ten small indices (`[u8; 10]`), one per
//! parameter in key order (`param_1` .. `param_10`).

/// One parameter of the space: its physical name (our interpretation), the `param_k` key of the
/// published data, its unit and its allowed raw values in increasing order.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub key: &'static str,
    pub unit: &'static str,
    pub values: &'static [u64],
}

const KI: u64 = 1024;
const MI: u64 = 1024 * 1024;

pub const N_PARAMS: usize = 10;

pub const PARAMS: [Param; N_PARAMS] = [
    Param {
        name: "pe_x",
        key: "param_1",
        unit: "count",
        values: &[1, 2, 4, 6, 8, 10, 12, 14, 16, 32],
    },
    Param {
        name: "pe_y",
        key: "param_2",
        unit: "count",
        values: &[1, 2, 4, 6, 8, 10, 12, 14, 16, 32],
    },
    Param {
        name: "simd_lanes",
        key: "param_3",
        unit: "count",
        values: &[4, 8, 16, 32, 64, 128, 256],
    },
    Param {
        name: "cores_per_pe",
        key: "param_4",
        unit: "count",
        values: &[1, 2, 4, 6, 8, 10, 12, 14, 16, 32],
    },
    Param {
        name: "pe_memory",
        key: "param_5",
        unit: "bytes",
        values: &[256 * KI, 512 * KI, MI, 2 * MI, 4 * MI, 8 * MI, 16 * MI],
    },
    Param {
        name: "core_memory",
        key: "param_6",
        unit: "bytes",
        values: &[
            4 * KI,
            8 * KI,
            16 * KI,
            32 * KI,
            64 * KI,
            128 * KI,
            256 * KI,
            512 * KI,
            MI,
            2 * MI,
            4 * MI,
        ],
    },
    Param {
        name: "instruction_memory",
        key: "param_7",
        unit: "entries",
        values: &[256, 512, 1024, 2048, 4096, 8192, 16384],
    },
    Param {
        name: "parameter_memory",
        key: "param_8",
        unit: "bytes",
        values: &[8192, 16384, 32768, 65536],
    },
    Param {
        name: "activation_memory",
        key: "param_9",
        unit: "bytes",
        values: &[2048, 4096, 8192, 16384, 32768],
    },
    Param {
        name: "dram_bandwidth",
        key: "param_10",
        unit: "GB/s",
        values: &[5, 10, 16, 20, 25, 30],
    },
];

/// A design as indices into each parameter's value list.
pub type Design = [u8; N_PARAMS];

/// Index of each parameter in [`PARAMS`], named so the simulator reads like the model.
pub mod idx {
    pub const PE_X: usize = 0;
    pub const PE_Y: usize = 1;
    pub const SIMD_LANES: usize = 2;
    pub const CORES_PER_PE: usize = 3;
    pub const PE_MEMORY: usize = 4;
    pub const CORE_MEMORY: usize = 5;
    pub const INSTRUCTION_MEMORY: usize = 6;
    pub const PARAMETER_MEMORY: usize = 7;
    pub const ACTIVATION_MEMORY: usize = 8;
    pub const DRAM_BANDWIDTH: usize = 9;
}

/// Raw values of a design that is already known to be valid.
#[inline]
pub fn values_of(d: &Design) -> [u64; N_PARAMS] {
    let mut out = [0u64; N_PARAMS];
    for (k, p) in PARAMS.iter().enumerate() {
        out[k] = p.values[d[k] as usize];
    }
    out
}
