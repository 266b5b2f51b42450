//! The simulator fingerprint: a stable hash of everything that decides a simulated result and
//! can be read as data (the crate version, the model revision, the design space's value table,
//! every constant and every feasibility rule). Generated datasets record it and caches of
//! generated data are keyed by it, so a changed constant or rule can never silently reuse logs
//! of the old model.

use super::{constants, RULES};
use crate::space::PARAMS;

/// Revision of the model's formulas (mapping, DRAM traffic, requirements, area, energy) and of
/// the built-in workloads. Constants and rules are hashed as data; a formula or a zoo network is
/// not, so a change to one must bump this number. The test
/// `a_changed_output_needs_a_new_model_revision` enforces that: it pins the outputs of a fixed
/// probe over every built-in workload together with this revision.
pub const MODEL_REVISION: u32 = 2;

/// The canonical text the fingerprint hashes: one line per fact, floats by their bit patterns
/// so that no formatting choice can hide a change.
pub fn description() -> String {
    let mut s = format!(
        "prime-core {}\nmodel revision {MODEL_REVISION}\n",
        env!("CARGO_PKG_VERSION")
    );
    for p in &PARAMS {
        let values: Vec<String> = p.values.iter().map(u64::to_string).collect();
        s += &format!(
            "param {} {} {} {}\n",
            p.key,
            p.name,
            p.unit,
            values.join(",")
        );
    }
    for (name, value) in constants::ALL {
        s += &format!("const {name} {:016x}\n", value.to_bits());
    }
    for r in &RULES {
        s += &format!(
            "rule {} {} {} <= {}\n",
            r.reason as u8, r.name, r.requirement, PARAMS[r.resource].name
        );
    }
    s
}

/// FNV-1a, 64 bits (Fowler, Noll, Vo): a fixed, dependency-free hash. It detects changes; it
/// is not meant to resist deliberate collisions.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The fingerprint, `"sim-"` and 16 hex digits.
pub fn fingerprint() -> String {
    format!("sim-{:016x}", fnv1a64(description().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{simulate_batch, PreparedWorkload};
    use crate::workload::zoo::BUILTINS;

    /// Hash of the model's outputs for 2,000 fixed designs on every built-in workload, printed
    /// to 7 significant digits so that kernel rewrites which move only the last bits (and libm
    /// differences between platforms) leave it alone, while any change to a formula shows.
    fn probe() -> u64 {
        let designs = crate::space::sample(2000, 7);
        let mut text = String::new();
        for b in BUILTINS {
            let wl = (b.build)().expect("built-in workload");
            let out = simulate_batch(&designs, &PreparedWorkload::new(&wl.ops));
            for i in 0..designs.len() {
                text += &format!(
                    "{} {:.6e} {:.6e} {:.6e}\n",
                    out.reason[i], out.latency_ms[i], out.area_mm2[i], out.energy_mj[i]
                );
            }
        }
        fnv1a64(text.as_bytes())
    }

    #[test]
    fn a_changed_output_needs_a_new_model_revision() {
        assert_eq!(
            (MODEL_REVISION, format!("{:016x}", probe())),
            (2, "11561b477d502ccf".to_string()),
            "the simulator's outputs changed: bump MODEL_REVISION and pin the new probe hash"
        );
    }

    #[test]
    fn fnv_matches_its_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn fingerprint_is_stable_and_covers_every_fact() {
        assert_eq!(fingerprint(), fingerprint());
        let f = fingerprint();
        assert!(f.starts_with("sim-") && f.len() == 20, "{f}");
        let d = description();
        for (name, _) in constants::ALL {
            assert!(d.contains(&format!("const {name} ")), "{name} not hashed");
        }
        for r in &RULES {
            assert!(d.contains(&format!(" {} {} ", r.name, r.requirement)));
        }
        for p in &PARAMS {
            assert!(d.contains(p.key));
        }
    }

    #[test]
    fn a_changed_fact_changes_the_hash() {
        let d = description();
        let changed = d.replacen("rule 1 param_mem", "rule 1 param_memory", 1);
        assert_ne!(changed, d);
        assert_ne!(fnv1a64(changed.as_bytes()), fnv1a64(d.as_bytes()));
    }
}
