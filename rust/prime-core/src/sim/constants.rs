//! Every constant of the simulator, with where it comes from. One technology point throughout:
//! a 16 nm-class edge chip (the Edge TPU's node is not public). Numbers tagged "calibrated" were
//! set once against the targets of docs/simulator.md section 4 (reference design ≈ 27 mm², MobileNetV2
//! within 3x of Coral's 2.5 ms, 10-40% of uniform random designs feasible per application) and are
//! frozen; the calibration section of tests/test_simulator.py holds the targets. Sources are
//! discussed in docs/simulator.md section 2.

/// Writes each constant once: the `pub const` the kernel uses and its row in [`ALL`], the table
/// the Python references and the simulator fingerprint read, cannot drift apart.
macro_rules! constants {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: f64 = $value;)*

        /// All constants by name, in declaration order (the Python references read them from
        /// here, and the simulator fingerprint hashes them).
        pub const ALL: &[(&str, f64)] = &[$((stringify!($name), $name),)*];
    };
}

constants! {
    /// Core clock. Coral's Edge TPU delivers 4 TOPS int8 with 4096 MACs (4x4 PEs x 4 cores x 64
    /// lanes, our reference design), which is 500 MHz (coral.ai FAQ; docs/simulator.md section 3).
    CLOCK_GHZ = 0.5;

    /// Width of a PE memory's port towards its cores (bytes per cycle per PE): a 512-bit port, the
    /// size of ZigZag's edge_tpu_like weight SRAM access (docs/simulator.md section 1).
    ONCHIP_BYTES_PER_CYCLE = 64.0;

    /// Pipeline fill/drain per pass of the lanes over one output tile (cycles). SCALE-Sim's WS fold
    /// costs 2R + C - 2 beyond its T streaming cycles (docs/simulator.md section 1); with short
    /// SIMD rows rather than a systolic array we charge a fixed 8 (calibrated), which also covers
    /// the log2(256) = 8 levels of a core's adder tree when lanes split the reduction (mod.rs).
    PASS_FILL_CYCLES = 8.0;

    /// Instruction entries per op (set-up, DMA descriptors, synchronisation; calibrated), per
    /// weight tile (a weight tile also carries its quantisation and bias set-up, so it costs more)
    /// and per activation tile the compiler emits (calibrated).
    INSTR_PER_OP = 24.0;
    INSTR_PER_WEIGHT_TILE = 12.0;
    INSTR_PER_ACT_TILE = 4.0;

    /// Whole filters a core keeps in parameter memory: the one in use and the next, loading (double
    /// buffering; calibrated).
    FILTERS_RESIDENT = 2.0;

    /// Fixed per-op cost (cycles): barrier and DMA start-up across the array. Coral's measured
    /// Edge TPU times for MobileNet v1 (2.4 ms, 29 ops) and v2 (2.6 ms, 64 ops), fitted as
    /// `T0 + a·ops + this model's op and issue times` on the reference design, give a ≈ 3,500
    /// cycles (and T0 ≈ 1.8 ms of host time per invocation, which the chip model leaves out);
    /// 4000 is within 15% of it (docs/simulator.md section 2; a test holds it within 50%).
    OP_OVERHEAD_CYCLES = 4000.0;
    /// Issue time per instruction entry (calibrated): the program grows with the op count and
    /// the tiles per op (`INSTR_PER_*`), so issue time follows both.
    ISSUE_CYCLES_PER_INSTR = 20.0;

    /// Minimal output-channel group whose int32 partial sums for one output row must fit core
    /// memory (the smallest tile the mapper emits; calibrated).
    PSUM_MIN_CHANNELS = 16.0;

    /// Energy per int8 MAC (pJ): Accelergy's 8-bit MAC at 45-65 nm is 0.2-0.3 pJ; scaled to 16 nm.
    ENERGY_MAC_PJ = 0.1;
    /// Energy per byte moved between PE memory and core memories (pJ): ≈0.3-1.6 pJ/B for 32 KB-2 MB
    /// SRAMs (Accelergy, ZigZag edge_tpu_like).
    ENERGY_SRAM_PJ_PER_BYTE = 1.0;
    /// Energy per DRAM byte (pJ): LPDDR4 64 pJ/B (Accelergy), ≈88 pJ/B (ZigZag).
    ENERGY_DRAM_PJ_PER_BYTE = 80.0;
    /// Static (leakage and clock-tree) power per mm² (mW): ≈0.27 W for the 27 mm² reference.
    STATIC_MW_PER_MM2 = 10.0;

    /// SRAM macro area = a·bytes + b·sqrt(bytes) (mm²). a = 0.8 mm²/MiB: CACTI's 3.36 mm²/MiB
    /// at 45 nm (Accelergy ART) scaled to a 16 nm-class node (calibrated within that range). b
    /// makes a 4 KiB macro ≈2.5x less dense per byte than a 4 MiB one (b = 96·a per sqrt-byte),
    /// the periphery share of small arrays (docs/simulator.md section 2).
    SRAM_MM2_PER_BYTE = 0.8 / 1_048_576.0;
    SRAM_MM2_PER_SQRT_BYTE = 96.0 * 0.8 / 1_048_576.0;
    /// One int8 MAC lane with its int32 accumulator and pipeline registers: 350 µm² (Aladdin parts
    /// and MAESTRO's 283 µm² at 28 nm; docs/simulator.md section 2).
    MAC_LANE_MM2 = 350e-6;
    /// Instruction memory word: 4 bytes per entry (not published; our choice, documented).
    INSTR_BYTES_PER_ENTRY = 4.0;
    /// Control logic per core (sequencer, address generators) and per PE (router port, DMA).
    CORE_CTRL_MM2 = 0.01;
    PE_CTRL_MM2 = 0.05;
    /// Network-on-chip: per PE, times log2(2P) for the growing bisection of a larger array.
    NOC_MM2_PER_PE = 0.01;
    /// Fixed pads, clocking and host interface; DRAM PHY growing with bandwidth (LPDDR PHYs are a
    /// few mm² for tens of GB/s).
    IO_MM2 = 1.0;
    PHY_MM2_PER_GBPS = 0.04;
}
