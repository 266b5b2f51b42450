//! The TFRecord codec for logged data in the format of the published PRIME release.
//!
//! The release stores one `tf.train.Example` per simulated design in TFRecord files. This module
//! parses them natively, without TensorFlow:
//!
//! * [`framing`]: the TFRecord container (length, masked CRC-32C of the length, payload, masked
//!   CRC-32C of the payload), read in bounded chunks so memory does not grow with file size;
//! * [`example`]: a minimal protobuf decoder for `tf.train.Example` that extracts one scalar per
//!   named feature straight into columns;
//! * [`columns`]: the schema-driven streaming reader over many files (bounded batches decoded in
//!   parallel, results in input order), which can convert the design parameters to index rows,
//!   with an optional skip-corrupt mode that counts what it dropped;
//! * [`write`]: the matching encoder, used by tests, benches and `export` paths.

pub mod columns;
pub mod example;
pub mod framing;
pub mod write;

pub use columns::{
    read_files, Batch, Columns, FileReport, Invalid, ReadOptions, Reader, Schema, Skip,
};
pub use framing::{masked_crc32c, MAX_RECORD_LEN};
