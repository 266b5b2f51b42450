//! The feasibility rules as data: one row per rule, checked in table order, the first failing
//! rule wins. Each rule compares a *requirement* of the workload (the largest buffer any op
//! needs, a field of [`PreparedWorkload`]) with a *resource* of the design (the raw value of one
//! design parameter, so "more of a resource never makes a design infeasible" holds by
//! construction). The [`Reason`] codes, [`REASON_NAMES`], the kernel's [`first_violated`], the
//! binding's rule export and the simulator fingerprint are all generated from the one
//! `rules!` invocation below.
//!
//! Adding a rule: one row here, its requirement as a field computed in `prepared.rs`, and the
//! same quantity in the references' `prepare()` (`python/prime_rs/reference/_common.py`; they
//! check the exported table and raise `NotImplementedError` naming a requirement they lack, so
//! the equivalence tests point there). The fingerprint changes by itself, so generated data
//! cached under the old rules is not reused.

use super::PreparedWorkload;
use crate::space::{idx, Design, PARAMS};

/// One feasibility rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The reason code a design failing this rule gets.
    pub reason: Reason,
    /// Readable name of the reason (`REASON_NAMES[reason]`).
    pub name: &'static str,
    /// Name of the requirement (the `PreparedWorkload` field or table it reads).
    pub requirement: &'static str,
    /// How much the design must provide, given the prepared workload and the design's indices.
    pub required: fn(&PreparedWorkload, &Design) -> f64,
    /// Position of the design parameter whose raw value is the resource, in key order.
    pub resource: usize,
    /// One line on what must fit where.
    pub doc: &'static str,
}

impl Rule {
    /// Whether a design (indices into the space) fails this rule on a prepared workload.
    #[inline(always)]
    pub fn violated(&self, wl: &PreparedWorkload, d: &Design) -> bool {
        let r = self.resource;
        (self.required)(wl, d) > PARAMS[r].values[d[r] as usize] as f64
    }
}

/// Emits [`Reason`], [`REASON_NAMES`] and [`RULES`] from one list, so the codes, the names and
/// the checks cannot disagree.
macro_rules! rules {
    ($($variant:ident = $code:literal, $name:literal:
        $requirement:ident = $required:expr, within $resource:expr, $doc:literal;)*) => {
        /// Why a design is infeasible (0 = feasible). Codes follow the order the rules are
        /// checked in.
        #[repr(u8)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Reason {
            Feasible = 0,
            $($variant = $code,)*
        }

        /// Readable names of the reason codes, indexed by code (`""` = feasible).
        pub const REASON_NAMES: [&str; 1 + RULES.len()] = ["", $($name,)*];

        /// The rules in checking order.
        pub const RULES: [Rule; [$($code),*].len()] = [$(Rule {
            reason: Reason::$variant,
            name: $name,
            requirement: stringify!($requirement),
            required: $required,
            resource: $resource,
            doc: $doc,
        },)*];
    };
}

rules! {
    ParamMem = 1, "param_mem":
        filter_bytes = |wl, _| wl.filter_bytes, within idx::PARAMETER_MEMORY,
        "a core holds two whole filters (the one in use and the next) in parameter memory";
    ActMem = 2, "act_mem":
        window_bytes = |wl, _| wl.window_bytes, within idx::ACTIVATION_MEMORY,
        "the input window of two adjacent output pixels fits activation memory";
    CoreMem = 3, "core_mem":
        psum_row_bytes = |wl, _| wl.psum_row_bytes, within idx::CORE_MEMORY,
        "one int32 partial-sum row of the minimal channel group fits core memory";
    PeMem = 4, "pe_mem":
        band_bytes = |wl, _| wl.band_bytes, within idx::PE_MEMORY,
        "the double-buffered input row band fits PE memory";
    InstrMem = 5, "instr_mem":
        program_entries = |wl, d| program_entries(wl, d), within idx::INSTRUCTION_MEMORY,
        "the compiled program (per op, per weight tile, per activation tile) fits instruction \
         memory";
}

// Codes are the 1-based positions in the table: the references and logged datasets index
// REASON_NAMES by code.
const _: () = {
    let mut i = 0;
    while i < RULES.len() {
        assert!(RULES[i].reason as usize == i + 1);
        i += 1;
    }
};

/// Instruction entries of the compiled program of a design (tabulated per workload by
/// (cores, parameter memory, activation memory)).
#[inline(always)]
pub fn program_entries(wl: &PreparedWorkload, d: &Design) -> f64 {
    wl.program_entries_of(
        d[idx::CORES_PER_PE],
        d[idx::PARAMETER_MEMORY],
        d[idx::ACTIVATION_MEMORY],
    )
}

/// The first rule a valid design fails, or [`Reason::Feasible`].
#[inline]
pub fn first_violated(wl: &PreparedWorkload, d: &Design) -> Reason {
    for rule in &RULES {
        if rule.violated(wl, d) {
            return rule.reason;
        }
    }
    Reason::Feasible
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_follow_the_table() {
        assert_eq!(REASON_NAMES.len(), RULES.len() + 1);
        assert_eq!(REASON_NAMES[0], "");
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.reason as usize, i + 1);
            assert_eq!(REASON_NAMES[i + 1], rule.name);
        }
        let mut names = REASON_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            REASON_NAMES.len(),
            "reason names must be distinct"
        );
    }

    #[test]
    fn every_resource_is_a_memory_of_the_design() {
        for rule in &RULES {
            let p = &PARAMS[rule.resource];
            assert!(
                p.unit == "bytes" || p.unit == "entries",
                "{} checks against {} ({})",
                rule.name,
                p.name,
                p.unit
            );
        }
    }
}
