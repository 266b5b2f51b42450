//! prime-core: the pure-Rust heart of prime-rs.
//!
//! * [`space`]: the PRIME design space (10 parameters, 452,760,000 designs): indices, values,
//!   mixed-radix ids, one-hot, seeded sampling, mutation and crossover.
//! * [`workload`]: the layer IR, the built-in network zoo, workload files and context vectors.
//! * [`sim`]: the analytical EdgeTPU-like simulator (latency, area, energy, feasibility).
//! * [`search`]: population kernels shared by the optimisers.
//! * [`rng`]: per-row random streams and the parallel maps that keep results thread-count free.
//! * [`enumerate`]: exhaustive enumeration of a task's designs (the true optimum; evaluation only).
//! * [`tfrecord`]: the TFRecord / `tf.train.Example` codec for logged data (the published PRIME
//!   release), with the design-space value -> index conversion folded into the reader.
//!
//! Nothing here knows about Python; the `prime-py` crate is a thin binding over these modules.

pub mod enumerate;
pub mod error;
pub mod rng;
pub mod search;
pub mod sim;
pub mod space;
pub mod tfrecord;
pub mod workload;

pub use error::{Error, Result};
