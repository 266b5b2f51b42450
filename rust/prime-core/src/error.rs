//! One error type for the whole core. Variants are coarse on purpose: each maps to exactly one
//! Python exception class in `prime_rs.errors`, and the message always names the offending thing.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A design row holds an index or value that is not in the design space.
    InvalidDesign {
        row: usize,
        param: &'static str,
        detail: String,
    },
    /// A workload name that is neither built in nor a readable file.
    UnknownWorkload { name: String, known: Vec<String> },
    /// A workload file that exists but cannot be parsed or describes an impossible layer.
    WorkloadFile { source: String, detail: String },
    /// A logged-data record that is corrupt or truncated (TFRecord framing, checksums, schema).
    Record {
        source: String,
        offset: u64,
        detail: String,
    },
    /// An argument of the wrong shape or range (array shapes, counts, probabilities).
    InvalidArgument(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidDesign { row, param, detail } => {
                write!(f, "invalid design at row {row}: parameter '{param}' {detail}")
            }
            Error::UnknownWorkload { name, known } => write!(
                f,
                "unknown workload '{name}': not a built-in name ({}) nor a readable .json/.toml file",
                known.join(", ")
            ),
            Error::WorkloadFile { source, detail } => write!(f, "bad workload file {source}: {detail}"),
            Error::Record { source, offset, detail } => {
                write!(f, "corrupt record in {source} at byte offset {offset}: {detail}")
            }
            Error::InvalidArgument(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
