//! Workload text (JSON and TOML) through parsing, lowering, preparation and simulation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prime_rs_fuzz::workload(data));
