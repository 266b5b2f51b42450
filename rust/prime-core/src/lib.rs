//! prime-core: the pure-Rust heart of prime-rs.
//!
//! * [`space`]: the PRIME design space (10 parameters, 452,760,000 designs): indices, values,
//!   mixed-radix ids, one-hot, seeded sampling, mutation and crossover.
//! * [`workload`]: the layer IR, the built-in network zoo, workload files and context vectors.
//! * [`sim`]: the analytical EdgeTPU-like simulator (latency, area, energy, feasibility).
//! * [`search`]: population kernels shared by the optimisers.
//! * [`rng`]: per-row random streams and the parallel maps that keep results thread-count free.
//! * [`dataset`]: readers for logged data (the published PRIME TFRecords).
//!
//! Nothing here knows about Python; the `prime-py` crate is a thin binding over these modules.

pub mod dataset;
pub mod error;
pub mod rng;
pub mod search;
pub mod sim;
pub mod space;
pub mod workload;

pub use error::{Error, Result};
