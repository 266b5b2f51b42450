//! Schema-driven reading of TFRecord files of Examples into columns.
//!
//! Each file is read sequentially through a bounded buffer; files are read in parallel (rayon)
//! and concatenated in input order, so results never depend on the thread count.

use std::fs::File;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::example::{Decoder, Scalar};
use super::framing::{Frame, Framer};
use crate::{Error, Result};

/// How many skipped-record descriptions are kept (the count is always exact).
const MAX_SKIP_DETAILS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Float,
    Int64,
}

/// The features to extract: each must be present in every record with exactly one value.
/// Slots are the float features in order, then the int64 features in order.
#[derive(Clone, Debug)]
pub struct Schema {
    names: Vec<String>,
    kinds: Vec<Kind>,
    n_float: usize,
}

impl Schema {
    pub fn new<S: AsRef<str>>(floats: &[S], ints: &[S]) -> Result<Schema> {
        let names: Vec<String> = floats
            .iter()
            .chain(ints.iter())
            .map(|s| s.as_ref().to_string())
            .collect();
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(Error::InvalidArgument(format!(
                    "feature '{n}' is listed twice"
                )));
            }
        }
        if names.is_empty() {
            return Err(Error::InvalidArgument(
                "the schema names no features".into(),
            ));
        }
        let kinds = (0..names.len())
            .map(|i| {
                if i < floats.len() {
                    Kind::Float
                } else {
                    Kind::Int64
                }
            })
            .collect();
        Ok(Schema {
            names,
            kinds,
            n_float: floats.len(),
        })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn name(&self, slot: usize) -> &str {
        &self.names[slot]
    }

    pub fn key(&self, slot: usize) -> &[u8] {
        self.names[slot].as_bytes()
    }

    pub fn kind(&self, slot: usize) -> Kind {
        self.kinds[slot]
    }

    pub fn n_float(&self) -> usize {
        self.n_float
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Skip (and count) corrupt or truncated records instead of failing on the first one.
    pub skip_corrupt: bool,
}

/// One skipped record (skip-corrupt mode).
#[derive(Clone, Debug, PartialEq)]
pub struct Skip {
    pub source: String,
    pub offset: u64,
    pub detail: String,
}

/// Per-file accounting.
#[derive(Clone, Debug, PartialEq)]
pub struct FileReport {
    pub source: String,
    pub rows: u64,
    pub skipped: u64,
}

/// The extracted columns of all files, in input order.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    /// One column per float feature of the schema, in schema order.
    pub floats: Vec<Vec<f32>>,
    /// One column per int64 feature of the schema, in schema order.
    pub ints: Vec<Vec<i64>>,
    pub files: Vec<FileReport>,
    /// The first skipped records (at most 100); the exact count is in `files`.
    pub skips: Vec<Skip>,
}

impl Columns {
    fn empty(schema: &Schema) -> Columns {
        Columns {
            floats: vec![Vec::new(); schema.n_float()],
            ints: vec![Vec::new(); schema.len() - schema.n_float()],
            files: Vec::new(),
            skips: Vec::new(),
        }
    }

    pub fn rows(&self) -> usize {
        match (self.floats.first(), self.ints.first()) {
            (Some(c), _) => c.len(),
            (None, Some(c)) => c.len(),
            (None, None) => 0,
        }
    }

    pub fn skipped(&self) -> u64 {
        self.files.iter().map(|f| f.skipped).sum()
    }

    fn append(&mut self, mut other: Columns) {
        for (a, b) in self.floats.iter_mut().zip(other.floats.iter_mut()) {
            a.append(b);
        }
        for (a, b) in self.ints.iter_mut().zip(other.ints.iter_mut()) {
            a.append(b);
        }
        self.files.append(&mut other.files);
        let room = MAX_SKIP_DETAILS.saturating_sub(self.skips.len());
        self.skips.extend(other.skips.into_iter().take(room));
    }
}

/// Read one TFRecord file into columns.
pub fn read_file(path: &Path, schema: &Schema, opts: ReadOptions) -> Result<Columns> {
    let source = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::Record {
        source: source.clone(),
        offset: 0,
        detail: format!("cannot open: {e}"),
    })?;
    let mut out = Columns::empty(schema);
    let mut framer = Framer::new(file, opts.skip_corrupt);
    let mut decoder = Decoder::new(schema);
    let (mut rows, mut skipped) = (0u64, 0u64);
    let n_float = schema.n_float();
    loop {
        let frame = framer.next_frame().map_err(|e| Error::Record {
            source: source.clone(),
            offset: 0,
            detail: format!("read error: {e}"),
        })?;
        let problem = match frame {
            None => break,
            Some(Frame::Record { offset, payload }) => match decoder.decode(payload) {
                Ok(()) => {
                    for (slot, v) in decoder.values.iter().enumerate() {
                        match *v {
                            Scalar::F(x) => out.floats[slot].push(x),
                            Scalar::I(x) => out.ints[slot - n_float].push(x),
                        }
                    }
                    rows += 1;
                    continue;
                }
                Err(detail) => (offset, format!("malformed tf.train.Example: {detail}")),
            },
            Some(Frame::Corrupt(e)) => (e.offset, e.detail),
        };
        if !opts.skip_corrupt {
            return Err(Error::Record {
                source,
                offset: problem.0,
                detail: problem.1,
            });
        }
        skipped += 1;
        if out.skips.len() < MAX_SKIP_DETAILS {
            out.skips.push(Skip {
                source: source.clone(),
                offset: problem.0,
                detail: problem.1,
            });
        }
    }
    out.files.push(FileReport {
        source,
        rows,
        skipped,
    });
    Ok(out)
}

/// Read many files in parallel; the result concatenates them in the order given.
pub fn read_files(paths: &[PathBuf], schema: &Schema, opts: ReadOptions) -> Result<Columns> {
    let parts: Vec<Result<Columns>> = paths
        .par_iter()
        .map(|p| read_file(p, schema, opts))
        .collect();
    let mut out = Columns::empty(schema);
    for part in parts {
        out.append(part?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::write::write_file;
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("prime-core-tfrecord-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn files_round_trip_in_order() {
        let schema = Schema::new(&["x", "y"], &["k"]).unwrap();
        let a = tmp("a.tfrecord");
        let b = tmp("b.tfrecord");
        let xs: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5).collect();
        let ys: Vec<f32> = (0..1000).map(|i| -(i as f32)).collect();
        let ks: Vec<i64> = (0..1000).map(|i| i64::from(i % 3 == 0) - 1).collect();
        write_file(&a, &[("x", &xs), ("y", &ys)], &[("k", &ks)]).unwrap();
        write_file(
            &b,
            &[("y", &ys[..10]), ("x", &xs[..10])],
            &[("k", &ks[..10])],
        )
        .unwrap();
        let cols = read_files(&[a.clone(), b.clone()], &schema, ReadOptions::default()).unwrap();
        assert_eq!(cols.rows(), 1010);
        assert_eq!(&cols.floats[0][..1000], &xs[..]);
        assert_eq!(&cols.floats[1][1000..], &ys[..10]);
        assert_eq!(&cols.ints[0][..1000], &ks[..]);
        assert_eq!(
            cols.files.iter().map(|f| f.rows).collect::<Vec<_>>(),
            vec![1000, 10]
        );
    }

    #[test]
    fn corruption_fails_or_is_skipped_and_counted() {
        let schema = Schema::new(&["x"], &["k"]).unwrap();
        let p = tmp("c.tfrecord");
        let xs: Vec<f32> = (0..50).map(|i| i as f32).collect();
        let ks: Vec<i64> = vec![1; 50];
        write_file(&p, &[("x", &xs)], &[("k", &ks)]).unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        let rec = bytes.len() / 50;
        bytes[rec * 7 + 20] ^= 0xff; // inside record 7's payload
        std::fs::write(&p, &bytes).unwrap();
        let err =
            read_files(std::slice::from_ref(&p), &schema, ReadOptions::default()).unwrap_err();
        match err {
            Error::Record {
                source,
                offset,
                detail,
            } => {
                assert!(source.ends_with("c.tfrecord"));
                assert_eq!(offset, (rec * 7) as u64);
                assert!(detail.contains("checksum"), "{detail}");
            }
            e => panic!("unexpected {e:?}"),
        }
        let cols = read_files(
            std::slice::from_ref(&p),
            &schema,
            ReadOptions { skip_corrupt: true },
        )
        .unwrap();
        assert_eq!(cols.rows(), 49);
        assert_eq!(cols.skipped(), 1);
        assert_eq!(cols.skips[0].offset, (rec * 7) as u64);
        assert!(!cols.floats[0].contains(&7.0));
        // Truncation of the last record.
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        let cols = read_files(
            std::slice::from_ref(&p),
            &schema,
            ReadOptions { skip_corrupt: true },
        )
        .unwrap();
        assert_eq!((cols.rows(), cols.skipped()), (48, 2));
        let err = read_files(&[p], &schema, ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}"); // record 7 comes first
    }

    #[test]
    fn missing_file_is_a_record_error() {
        let schema = Schema::new(&["x"], &["k"]).unwrap();
        let err = read_files(&[tmp("nope.tfrecord")], &schema, ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Record { .. }));
        assert!(Schema::new(&["x", "x"], &["k"]).is_err());
    }
}
