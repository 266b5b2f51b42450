//! The layer IR, the built-in zoo, workload files and context vectors.
pub mod op;
