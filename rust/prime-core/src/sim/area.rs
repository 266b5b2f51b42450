//! Chip area (mm²): analytic in the design alone, so it needs no workload and costs nothing
//! next to a simulation. Strictly increasing in every resource by construction: every term is a
//! positive multiple of a resource or of an SRAM whose size is a resource.

use super::constants::*;
use super::design::DesignValues;

#[inline]
pub(crate) fn sram_mm2(bytes: f64) -> f64 {
    SRAM_MM2_PER_BYTE * bytes + SRAM_MM2_PER_SQRT_BYTE * bytes.sqrt()
}

#[inline]
pub fn area_of(d: &DesignValues) -> f64 {
    let core = d.lanes * MAC_LANE_MM2
        + sram_mm2(d.core_mem)
        + sram_mm2(d.param_mem)
        + sram_mm2(d.act_mem)
        + sram_mm2(d.instr_entries * INSTR_BYTES_PER_ENTRY)
        + CORE_CTRL_MM2;
    let pe = d.cores * core + sram_mm2(d.pe_mem) + PE_CTRL_MM2;
    let noc = NOC_MM2_PER_PE * d.pes * (2.0 * d.pes).log2();
    d.pes * pe + noc + IO_MM2 + PHY_MM2_PER_GBPS * d.bandwidth
}
