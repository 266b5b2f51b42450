//! Replays every input kept under `fuzz/regressions/<target>/` (crashes the fuzzers found, and
//! the hostile inputs of the reliability review) through the same bodies the cargo-fuzz targets
//! run, so each stays fixed under a plain `cargo test`.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
mod harness;

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    files
}

fn replay(target: &str, body: fn(&[u8])) {
    for path in inputs(target) {
        let data = std::fs::read(&path).expect("readable regression input");
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{} panicked", path.display());
    }
}

#[test]
fn tfrecord_regressions_replay() {
    replay("tfrecord", harness::tfrecord);
}

#[test]
fn workload_regressions_replay() {
    replay("workload", harness::workload);
}
