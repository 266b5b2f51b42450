//! Every constant of the simulator, with where it comes from. One technology point throughout:
//! a 16 nm-class edge chip (the Edge TPU's node is not public). Numbers tagged "calibrated" were
//! set once against the targets of DESIGN.md section 4 (reference design ≈ 27 mm², MobileNetV2 in
//! single-digit milliseconds, 10-40% of uniform random designs feasible per application) and are
//! frozen; tests/test_calibration.py holds the targets. Sources are listed in
//! shared/SIMULATOR_NOTES.md section 2.

/// Core clock. Coral's Edge TPU delivers 4 TOPS int8 with 4096 MACs (4x4 PEs x 4 cores x 64
/// lanes, our reference design), which is 500 MHz (SIMULATOR_NOTES 3.2, coral.ai FAQ).
pub const CLOCK_GHZ: f64 = 0.5;

/// Width of a PE memory's port towards its cores (bytes per cycle per PE): a 512-bit port, the
/// size of ZigZag's edge_tpu_like weight SRAM access (SIMULATOR_NOTES 1.3).
pub const ONCHIP_BYTES_PER_CYCLE: f64 = 64.0;

/// Pipeline fill/drain per pass of the lanes over one output tile (cycles). SCALE-Sim's WS fold
/// costs 2R + C - 2 beyond its T streaming cycles (SIMULATOR_NOTES 1.1); with short SIMD rows
/// rather than a systolic array we charge a fixed 8 (calibrated).
pub const PASS_FILL_CYCLES: f64 = 8.0;

/// Instruction entries per op (set-up, DMA descriptors, synchronisation; calibrated), per weight
/// tile (a weight tile also carries its quantisation and bias set-up, so it costs more) and per
/// activation tile the compiler emits (calibrated).
pub const INSTR_PER_OP: f64 = 24.0;
pub const INSTR_PER_WEIGHT_TILE: f64 = 12.0;
pub const INSTR_PER_ACT_TILE: f64 = 4.0;

/// Whole filters a core keeps in parameter memory: the one in use and the next, loading
/// (double buffering; calibrated).
pub const FILTERS_RESIDENT: f64 = 2.0;

/// Fixed per-op cost (cycles): barrier and DMA start-up across the array (calibrated so the
/// reference design runs MobileNetV2 near Coral's ≈2.5 ms class), plus issue time per
/// instruction entry (calibrated).
pub const OP_OVERHEAD_CYCLES: f64 = 4000.0;
pub const ISSUE_CYCLES_PER_INSTR: f64 = 20.0;

/// Minimal output-channel group whose int32 partial sums for one output row must fit core memory
/// (the smallest tile the mapper emits; calibrated).
pub const PSUM_MIN_CHANNELS: f64 = 16.0;

/// Energy per int8 MAC (pJ): Accelergy's 8-bit MAC at 45-65 nm is 0.2-0.3 pJ; scaled to 16 nm.
pub const ENERGY_MAC_PJ: f64 = 0.1;
/// Energy per byte moved between PE memory and core memories (pJ): ≈0.3-1.6 pJ/B for 32 KB-2 MB
/// SRAMs (Accelergy, ZigZag edge_tpu_like).
pub const ENERGY_SRAM_PJ_PER_BYTE: f64 = 1.0;
/// Energy per DRAM byte (pJ): LPDDR4 64 pJ/B (Accelergy), ≈88 pJ/B (ZigZag).
pub const ENERGY_DRAM_PJ_PER_BYTE: f64 = 80.0;
/// Static (leakage and clock-tree) power per mm² (mW): ≈0.27 W for the 27 mm² reference.
pub const STATIC_MW_PER_MM2: f64 = 10.0;

/// SRAM macro area = a·bytes + b·sqrt(bytes) (mm²). a = 0.8 mm²/MiB: CACTI's 3.36 mm²/MiB at
/// 45 nm (Accelergy ART) scaled to a 16 nm-class node (calibrated within that range). b makes a
/// 4 KiB macro ≈2.5x less dense per byte than a 4 MiB one (b = 96·a per sqrt-byte), the
/// periphery share of small arrays (SIMULATOR_NOTES 2).
pub const SRAM_MM2_PER_BYTE: f64 = 0.8 / 1_048_576.0;
pub const SRAM_MM2_PER_SQRT_BYTE: f64 = 96.0 * 0.8 / 1_048_576.0;
/// One int8 MAC lane with its int32 accumulator and pipeline registers: 350 µm² (Aladdin parts
/// and MAESTRO's 283 µm² at 28 nm; SIMULATOR_NOTES 2).
pub const MAC_LANE_MM2: f64 = 350e-6;
/// Instruction memory word: 4 bytes per entry (not published; our choice, documented).
pub const INSTR_BYTES_PER_ENTRY: f64 = 4.0;
/// Control logic per core (sequencer, address generators) and per PE (router port, DMA).
pub const CORE_CTRL_MM2: f64 = 0.01;
pub const PE_CTRL_MM2: f64 = 0.05;
/// Network-on-chip: per PE, times log2(2P) for the growing bisection of a larger array.
pub const NOC_MM2_PER_PE: f64 = 0.01;
/// Fixed pads, clocking and host interface; DRAM PHY growing with bandwidth (LPDDR PHYs are a few
/// mm² for tens of GB/s).
pub const IO_MM2: f64 = 1.0;
pub const PHY_MM2_PER_GBPS: f64 = 0.04;

/// All constants by name, for the Python reference simulators (one source of truth).
pub const ALL: &[(&str, f64)] = &[
    ("CLOCK_GHZ", CLOCK_GHZ),
    ("ONCHIP_BYTES_PER_CYCLE", ONCHIP_BYTES_PER_CYCLE),
    ("PASS_FILL_CYCLES", PASS_FILL_CYCLES),
    ("INSTR_PER_OP", INSTR_PER_OP),
    ("INSTR_PER_WEIGHT_TILE", INSTR_PER_WEIGHT_TILE),
    ("INSTR_PER_ACT_TILE", INSTR_PER_ACT_TILE),
    ("FILTERS_RESIDENT", FILTERS_RESIDENT),
    ("OP_OVERHEAD_CYCLES", OP_OVERHEAD_CYCLES),
    ("ISSUE_CYCLES_PER_INSTR", ISSUE_CYCLES_PER_INSTR),
    ("PSUM_MIN_CHANNELS", PSUM_MIN_CHANNELS),
    ("ENERGY_MAC_PJ", ENERGY_MAC_PJ),
    ("ENERGY_SRAM_PJ_PER_BYTE", ENERGY_SRAM_PJ_PER_BYTE),
    ("ENERGY_DRAM_PJ_PER_BYTE", ENERGY_DRAM_PJ_PER_BYTE),
    ("STATIC_MW_PER_MM2", STATIC_MW_PER_MM2),
    ("SRAM_MM2_PER_BYTE", SRAM_MM2_PER_BYTE),
    ("SRAM_MM2_PER_SQRT_BYTE", SRAM_MM2_PER_SQRT_BYTE),
    ("MAC_LANE_MM2", MAC_LANE_MM2),
    ("INSTR_BYTES_PER_ENTRY", INSTR_BYTES_PER_ENTRY),
    ("CORE_CTRL_MM2", CORE_CTRL_MM2),
    ("PE_CTRL_MM2", PE_CTRL_MM2),
    ("NOC_MM2_PER_PE", NOC_MM2_PER_PE),
    ("IO_MM2", IO_MM2),
    ("PHY_MM2_PER_GBPS", PHY_MM2_PER_GBPS),
];
