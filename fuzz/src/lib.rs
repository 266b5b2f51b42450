//! The bodies of the fuzz targets. Each takes arbitrary bytes and must return without a panic,
//! whatever they hold; the invariants asserted here are what "no crash" means beyond that.
//!
//! This file is also compiled into prime-core's `tests/fuzz_regressions.rs`, which replays every
//! input under `fuzz/regressions/` with a plain `cargo test`, so it may use `prime_core` only.

use prime_core::sim::prepared::PreparedWorkload;
use prime_core::sim::simulate_one;
use prime_core::space::{self, CARDINALITIES, N_PARAMS};
use prime_core::tfrecord::columns::decode_records;
use prime_core::tfrecord::framing::{Frame, Framer, HEADER_LEN, MAX_RECORD_LEN};
use prime_core::tfrecord::Schema;
use prime_core::workload::{self, Format};

/// Frame `data` without and with resync, then decode every verified payload (and `data` itself,
/// as one bare payload) with the published PRIME schema, design conversion included.
pub fn tfrecord(data: &[u8]) {
    let schema = Schema::with_design(&["runtime", "area"], &["infeasible"])
        .expect("the PRIME schema is valid");
    for resync in [false, true] {
        let mut framer = Framer::new(data, resync);
        let mut payloads: Vec<Vec<u8>> = Vec::new();
        let mut frames = 0usize;
        let mut consumed = 0usize;
        while let Some(frame) = framer.next_frame().expect("reading a slice cannot fail") {
            frames += 1;
            // Every frame consumes input: a frame per byte at most, plus the final one.
            assert!(frames <= data.len() + 1, "framer made no progress");
            match frame {
                Frame::Record { offset, payload } => {
                    assert!(payload.len() as u64 <= MAX_RECORD_LEN);
                    assert!(offset as usize + HEADER_LEN + payload.len() <= data.len());
                    consumed = offset as usize + payload.len();
                    payloads.push(payload.to_vec());
                }
                Frame::Corrupt(e) => assert!(e.offset as usize <= data.len(), "{e:?}"),
            }
        }
        assert!(consumed <= data.len());
        payloads.push(data.to_vec());
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let (batch, bad) = decode_records(&schema, &refs);
        assert_eq!(batch.rows() + bad.len(), refs.len());
        assert_eq!(batch.designs.len(), batch.rows());
        for d in &batch.designs {
            assert!(
                space::is_valid(d),
                "decoded an index row outside the space: {d:?}"
            );
        }
        for v in &batch.invalid {
            assert!((v.row as usize) < batch.rows() && v.param < N_PARAMS);
        }
    }
}

/// Parse `data` as workload text in both formats; a workload that parses is lowered, prepared
/// and simulated on the smallest, the largest and a middle design.
pub fn workload(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Json, Format::Toml] {
        let Ok(w) = workload::parse(text, format, "fuzz") else {
            continue;
        };
        let prepared = PreparedWorkload::new(&w.ops);
        for pick in [0usize, 1, 2] {
            let mut design = [0u8; N_PARAMS];
            for (k, d) in design.iter_mut().enumerate() {
                *d = (pick * (CARDINALITIES[k] - 1) / 2) as u8;
            }
            let out = simulate_one(&design, &prepared);
            assert_eq!(out.latency_ms.len(), 1);
        }
        assert!(w.context.iter().all(|c| c.is_finite()), "{:?}", w.context);
    }
}
