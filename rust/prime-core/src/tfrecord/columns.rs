//! Schema-driven reading of TFRecord files of Examples into columns, in bounded batches.
//!
//! [`Reader`] walks the files in the order given, one [`Framer`] at a time, gathers up to a batch
//! of verified payloads and decodes them in parallel (rayon over fixed-size chunks of the batch).
//! Rows come out in record order and each record is decoded on its own, so results never depend
//! on the thread count; memory is bounded by the batch, not by the number of records.
//!
//! A schema built with [`Schema::with_design`] also reads the ten design parameters (raw values
//! in the float features `param_1`..`param_10` of the published data) and converts them to index
//! rows with the space's one value -> index rule ([`space::index_of_value`]); rows holding a
//! value outside the space are flagged in [`Batch::invalid`], never rounded.

use std::fs::File;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::example::{Decoder, Scalar};
use super::framing::{Frame, Framer};
use crate::space::{self, Design, N_PARAMS, PARAMS};
use crate::{Error, Result};

/// How many skipped-record descriptions are kept (the count is always exact).
const MAX_SKIP_DETAILS: usize = 100;

/// Records one rayon task decodes: large enough to amortise scheduling, small enough that a
/// batch of a few ten thousand records spreads over every core.
const DECODE_CHUNK: usize = 2048;

/// The batch size of [`read_files`].
const READ_ALL_BATCH: usize = 1 << 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Float,
    Int64,
}

/// The features to extract: each must be present in every record with exactly one value.
/// Slots are the design parameters (if any), then the float features in order, then the int64
/// features in order.
#[derive(Clone, Debug)]
pub struct Schema {
    names: Vec<String>,
    kinds: Vec<Kind>,
    /// Number of leading slots that are design parameters: 0 or [`N_PARAMS`].
    n_design: usize,
    n_float: usize,
}

impl Schema {
    pub fn new<S: AsRef<str>>(floats: &[S], ints: &[S]) -> Result<Schema> {
        Self::build(0, floats, ints)
    }

    /// The ten design parameters (by their `param_k` keys, float-valued) followed by `floats`
    /// and `ints`.
    pub fn with_design<S: AsRef<str>>(floats: &[S], ints: &[S]) -> Result<Schema> {
        Self::build(N_PARAMS, floats, ints)
    }

    fn build<S: AsRef<str>>(n_design: usize, floats: &[S], ints: &[S]) -> Result<Schema> {
        let names: Vec<String> = PARAMS[..n_design]
            .iter()
            .map(|p| p.key.to_string())
            .chain(
                floats
                    .iter()
                    .chain(ints.iter())
                    .map(|s| s.as_ref().to_string()),
            )
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
        let n_float = floats.len();
        let kinds = (0..names.len())
            .map(|i| {
                if i < n_design + n_float {
                    Kind::Float
                } else {
                    Kind::Int64
                }
            })
            .collect();
        Ok(Schema {
            names,
            kinds,
            n_design,
            n_float,
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

    /// Float features outside the design.
    pub fn n_float(&self) -> usize {
        self.n_float
    }

    pub fn has_design(&self) -> bool {
        self.n_design > 0
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

/// A row whose design parameters are not values of the space: the first offending parameter
/// (key order) and its raw value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Invalid {
    pub row: u64,
    pub param: usize,
    pub value: f32,
}

/// Decoded rows, in record order.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Index rows (schemas with a design only); an invalid row holds zeros.
    pub designs: Vec<Design>,
    /// Rows (of this batch) whose parameters are outside the space, in row order.
    pub invalid: Vec<Invalid>,
    /// One column per float feature outside the design, in schema order.
    pub floats: Vec<Vec<f32>>,
    /// One column per int64 feature of the schema, in schema order.
    pub ints: Vec<Vec<i64>>,
    /// (file index, rows): which input file each run of rows came from, in order.
    pub runs: Vec<(usize, u64)>,
}

impl Batch {
    fn empty(schema: &Schema) -> Batch {
        Batch {
            floats: vec![Vec::new(); schema.n_float()],
            ints: vec![Vec::new(); schema.len() - schema.n_design - schema.n_float()],
            ..Batch::default()
        }
    }

    pub fn rows(&self) -> usize {
        self.runs.iter().map(|r| r.1 as usize).sum()
    }

    fn push_run(&mut self, file: usize, rows: u64) {
        match self.runs.last_mut() {
            Some(last) if last.0 == file => last.1 += rows,
            _ if rows == 0 => {}
            _ => self.runs.push((file, rows)),
        }
    }

    fn append(&mut self, mut other: Batch) {
        let base = self.rows() as u64;
        self.designs.append(&mut other.designs);
        self.invalid.extend(other.invalid.into_iter().map(|mut v| {
            v.row += base;
            v
        }));
        for (a, b) in self.floats.iter_mut().zip(other.floats.iter_mut()) {
            a.append(b);
        }
        for (a, b) in self.ints.iter_mut().zip(other.ints.iter_mut()) {
            a.append(b);
        }
        for (f, n) in other.runs {
            self.push_run(f, n);
        }
    }
}

/// Everything [`read_files`] read.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    pub data: Batch,
    pub files: Vec<FileReport>,
    /// The first skipped records (at most 100); the exact count is in `files`.
    pub skips: Vec<Skip>,
}

impl Columns {
    pub fn rows(&self) -> usize {
        self.data.rows()
    }

    pub fn skipped(&self) -> u64 {
        self.files.iter().map(|f| f.skipped).sum()
    }
}

/// The space's value -> index rule ([`space::index_of_value`]) memoised for float32 inputs: the
/// bit patterns of the allowed values, each with the index the rule gives it. A value whose bits
/// are not listed goes through the rule itself, so the answer is always the rule's; the memo only
/// turns ten float comparisons with a tolerance into a few integer ones.
struct ValueIndex {
    bits: [Vec<(u32, u8)>; N_PARAMS],
}

impl ValueIndex {
    fn new() -> ValueIndex {
        let bits = std::array::from_fn(|k| {
            PARAMS[k]
                .values
                .iter()
                .filter_map(|&v| {
                    let x = v as f32;
                    let i = space::index_of_value(k, f64::from(x)).ok()?;
                    Some((x.to_bits(), i))
                })
                .collect()
        });
        ValueIndex { bits }
    }

    #[inline]
    fn index(&self, k: usize, x: f32) -> Option<u8> {
        let b = x.to_bits();
        match self.bits[k].iter().find(|e| e.0 == b) {
            Some(&(_, i)) => Some(i),
            None => space::index_of_value(k, f64::from(x)).ok(),
        }
    }
}

/// One framed record of a batch: its file, byte offset and span in the batch's payload buffer.
struct Rec {
    file: usize,
    offset: u64,
    start: usize,
    end: usize,
}

/// Streams records of many files as batches of decoded rows.
pub struct Reader {
    paths: Vec<PathBuf>,
    schema: Schema,
    opts: ReadOptions,
    next_file: usize,
    current: Option<(usize, Framer<File>)>,
    files: Vec<FileReport>,
    skips: Vec<Skip>,
    failed: bool,
    /// Payloads of the batch being built, kept across batches: a fresh buffer of tens of MB
    /// per batch costs as much in page faults as the decoding.
    payloads: Vec<u8>,
    recs: Vec<Rec>,
}

impl Reader {
    pub fn new(paths: Vec<PathBuf>, schema: Schema, opts: ReadOptions) -> Reader {
        Reader {
            paths,
            schema,
            opts,
            next_file: 0,
            current: None,
            files: Vec::new(),
            skips: Vec::new(),
            failed: false,
            payloads: Vec::new(),
            recs: Vec::new(),
        }
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Per-file accounting of the files opened so far (all of them once the reader is drained).
    pub fn files(&self) -> &[FileReport] {
        &self.files
    }

    /// The first skipped records (at most 100), in file order.
    pub fn skips(&self) -> &[Skip] {
        &self.skips
    }

    /// The next batch of at most `max_rows` records' rows, or `None` once every file has been
    /// read (the last batch may be empty when its records were all skipped). Without skip-corrupt, the first damaged record is an [`Error::Record`] naming
    /// its file and byte offset; the reader then stays exhausted.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>> {
        if self.failed {
            return Ok(None);
        }
        let result = self.fill_batch(max_rows.max(1));
        if result.is_err() {
            self.failed = true;
            self.current = None;
        }
        result
    }

    fn source(&self, file: usize) -> String {
        self.paths[file].display().to_string()
    }

    fn skip(&mut self, file: usize, offset: u64, detail: String) {
        self.files[file].skipped += 1;
        if self.skips.len() < MAX_SKIP_DETAILS {
            let source = self.source(file);
            self.skips.push(Skip {
                source,
                offset,
                detail,
            });
        }
    }

    fn fill_batch(&mut self, max_rows: usize) -> Result<Option<Batch>> {
        let mut payloads = std::mem::take(&mut self.payloads);
        let mut recs = std::mem::take(&mut self.recs);
        payloads.clear();
        recs.clear();
        let result = self.frame_and_decode(max_rows, &mut payloads, &mut recs);
        self.payloads = payloads;
        self.recs = recs;
        result
    }

    fn frame_and_decode(
        &mut self,
        max_rows: usize,
        payloads: &mut Vec<u8>,
        recs: &mut Vec<Rec>,
    ) -> Result<Option<Batch>> {
        // Framing problems of this batch (file, offset, detail), in order; decoding problems
        // are merged in by position afterwards so errors and skips keep file order.
        let mut framing: Vec<(usize, u64, String)> = Vec::new();
        let mut stop: Option<Error> = None;
        while recs.len() < max_rows {
            if self.current.is_none() {
                if self.next_file == self.paths.len() {
                    break;
                }
                let i = self.next_file;
                self.next_file += 1;
                self.files.push(FileReport {
                    source: self.source(i),
                    rows: 0,
                    skipped: 0,
                });
                match File::open(&self.paths[i]) {
                    Ok(f) => self.current = Some((i, Framer::new(f, self.opts.skip_corrupt))),
                    Err(e) => {
                        stop = Some(Error::Record {
                            source: self.source(i),
                            offset: 0,
                            detail: format!("cannot open: {e}"),
                        });
                        break;
                    }
                }
            }
            let Some((file, framer)) = self.current.as_mut() else {
                break;
            };
            let file = *file;
            match framer.next_frame() {
                Err(e) => {
                    stop = Some(Error::Record {
                        source: self.source(file),
                        offset: 0,
                        detail: format!("read error: {e}"),
                    });
                    break;
                }
                Ok(None) => self.current = None,
                Ok(Some(Frame::Record { offset, payload })) => {
                    let start = payloads.len();
                    payloads.extend_from_slice(payload);
                    recs.push(Rec {
                        file,
                        offset,
                        start,
                        end: payloads.len(),
                    });
                }
                Ok(Some(Frame::Corrupt(e))) => {
                    if !self.opts.skip_corrupt {
                        stop = Some(Error::Record {
                            source: self.source(file),
                            offset: e.offset,
                            detail: e.detail,
                        });
                        break;
                    }
                    framing.push((file, e.offset, e.detail));
                }
            }
        }
        if recs.is_empty() && framing.is_empty() {
            return match stop {
                Some(e) => Err(e),
                None => Ok(None),
            };
        }
        let (batch, bad) = decode_all(&self.schema, payloads, recs);
        if let Some(&(i, _)) = bad.first() {
            if !self.opts.skip_corrupt {
                let (_, detail) = bad.into_iter().next().unwrap_or_default();
                return Err(Error::Record {
                    source: self.source(recs[i].file),
                    offset: recs[i].offset,
                    detail,
                });
            }
        }
        if let Some(e) = stop {
            return Err(e);
        }
        // Skips in file order: framing problems and undecodable records interleave by offset.
        let mut skipped: Vec<(usize, u64, String)> = framing;
        skipped.extend(
            bad.into_iter()
                .map(|(i, d)| (recs[i].file, recs[i].offset, d)),
        );
        skipped.sort_by_key(|s| (s.0, s.1));
        for (file, offset, detail) in skipped {
            self.skip(file, offset, detail);
        }
        for &(file, rows) in &batch.runs {
            self.files[file].rows += rows;
        }
        Ok(Some(batch))
    }
}

/// Decode bare payloads as the reader decodes a batch (rows in order, undecodable (payload,
/// detail)); every row is attributed to file 0. For callers that frame records themselves.
pub fn decode_records(schema: &Schema, payloads: &[&[u8]]) -> (Batch, Vec<(usize, String)>) {
    let mut buf = Vec::new();
    let recs: Vec<Rec> = payloads
        .iter()
        .map(|p| {
            let start = buf.len();
            buf.extend_from_slice(p);
            Rec {
                file: 0,
                offset: 0,
                start,
                end: buf.len(),
            }
        })
        .collect();
    decode_all(schema, &buf, &recs)
}

/// Decode the records of one batch in parallel; (rows in order, undecodable (record, detail)).
fn decode_all(schema: &Schema, payloads: &[u8], recs: &[Rec]) -> (Batch, Vec<(usize, String)>) {
    let parts: Vec<(Batch, Vec<(usize, String)>)> = recs
        .par_chunks(DECODE_CHUNK)
        .enumerate()
        .map(|(c, chunk)| decode_chunk(schema, payloads, chunk, c * DECODE_CHUNK))
        .collect();
    let mut out = Batch::empty(schema);
    let mut bad = Vec::new();
    for (part, b) in parts {
        out.append(part);
        bad.extend(b);
    }
    (out, bad)
}

fn decode_chunk(
    schema: &Schema,
    payloads: &[u8],
    recs: &[Rec],
    first: usize,
) -> (Batch, Vec<(usize, String)>) {
    let mut out = Batch::empty(schema);
    let mut bad = Vec::new();
    let mut decoder = Decoder::new(schema);
    let values = ValueIndex::new();
    let (n_design, n_float) = (schema.n_design, schema.n_float());
    for (j, rec) in recs.iter().enumerate() {
        if let Err(detail) = decoder.decode(&payloads[rec.start..rec.end]) {
            bad.push((first + j, format!("malformed tf.train.Example: {detail}")));
            continue;
        }
        if n_design > 0 {
            let mut d: Design = [0; N_PARAMS];
            for (k, slot) in d.iter_mut().enumerate() {
                let Scalar::F(x) = decoder.values[k] else {
                    continue;
                };
                match values.index(k, x) {
                    Some(i) => *slot = i,
                    None => {
                        out.invalid.push(Invalid {
                            row: out.designs.len() as u64,
                            param: k,
                            value: x,
                        });
                        d = [0; N_PARAMS];
                        break;
                    }
                }
            }
            out.designs.push(d);
        }
        for (slot, v) in decoder.values.iter().enumerate().skip(n_design) {
            match *v {
                Scalar::F(x) => out.floats[slot - n_design].push(x),
                Scalar::I(x) => out.ints[slot - n_design - n_float].push(x),
            }
        }
        out.push_run(rec.file, 1);
    }
    (out, bad)
}

/// Read one TFRecord file into columns.
pub fn read_file(path: &Path, schema: &Schema, opts: ReadOptions) -> Result<Columns> {
    read_files(&[path.to_path_buf()], schema, opts)
}

/// Read many files; the result concatenates them in the order given.
pub fn read_files(paths: &[PathBuf], schema: &Schema, opts: ReadOptions) -> Result<Columns> {
    let mut reader = Reader::new(paths.to_vec(), schema.clone(), opts);
    let mut data = Batch::empty(schema);
    while let Some(batch) = reader.next_batch(READ_ALL_BATCH)? {
        data.append(batch);
    }
    Ok(Columns {
        data,
        files: reader.files,
        skips: reader.skips,
    })
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
        assert_eq!(&cols.data.floats[0][..1000], &xs[..]);
        assert_eq!(&cols.data.floats[1][1000..], &ys[..10]);
        assert_eq!(&cols.data.ints[0][..1000], &ks[..]);
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
        assert!(!cols.data.floats[0].contains(&7.0));
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
    fn the_value_memo_answers_as_the_space_rule() {
        let memo = ValueIndex::new();
        for (k, p) in PARAMS.iter().enumerate() {
            assert_eq!(memo.bits[k].len(), p.values.len(), "{}", p.name);
            for &v in p.values {
                let x = v as f32;
                for y in [x, x.next_up(), x.next_down(), -x, x + 0.5, x * 3.0] {
                    let rule = space::index_of_value(k, f64::from(y)).ok();
                    assert_eq!(memo.index(k, y), rule, "{} = {y}", p.name);
                }
            }
            for y in [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                0.0,
                -0.0,
                f32::MAX,
            ] {
                assert_eq!(
                    memo.index(k, y),
                    space::index_of_value(k, f64::from(y)).ok()
                );
            }
        }
    }

    #[test]
    fn design_schema_reads_index_rows_and_flags_values_outside_the_space() {
        let schema = Schema::with_design(&["runtime"], &["infeasible"]).unwrap();
        let p = tmp("d.tfrecord");
        let designs = space::sample(300, 7);
        let mut cols: Vec<Vec<f32>> = (0..N_PARAMS)
            .map(|k| {
                designs
                    .iter()
                    .map(|d| PARAMS[k].values[d[k] as usize] as f32)
                    .collect()
            })
            .collect();
        cols[2][17] = 12.0; // simd_lanes 12 is not a value of the space
        cols[0][250] = 2.5;
        let runtime: Vec<f32> = (0..300).map(|i| i as f32).collect();
        let mut floats: Vec<(&str, &[f32])> = PARAMS
            .iter()
            .zip(&cols)
            .map(|(p, c)| (p.key, c.as_slice()))
            .collect();
        floats.push(("runtime", &runtime));
        let inf = vec![0i64; 300];
        write_file(&p, &floats, &[("infeasible", &inf)]).unwrap();
        let mut reader = Reader::new(vec![p.clone(), p], schema, ReadOptions::default());
        let mut all = Batch::empty(reader.schema());
        while let Some(b) = reader.next_batch(128).unwrap() {
            assert!(b.rows() <= 128);
            all.append(b);
        }
        assert_eq!(all.rows(), 600);
        assert_eq!(all.runs, vec![(0, 300), (1, 300)]);
        let bad: Vec<(u64, usize, f32)> = all
            .invalid
            .iter()
            .map(|v| (v.row, v.param, v.value))
            .collect();
        assert_eq!(
            bad,
            vec![(17, 2, 12.0), (250, 0, 2.5), (317, 2, 12.0), (550, 0, 2.5)]
        );
        for (r, d) in all.designs.iter().enumerate() {
            if bad.iter().all(|b| b.0 as usize != r) {
                assert_eq!(d, &designs[r % 300], "row {r}");
            }
        }
        assert_eq!(all.floats[0][299], 299.0);
        assert_eq!(reader.files().iter().map(|f| f.rows).sum::<u64>(), 600);
    }

    #[test]
    fn missing_file_is_a_record_error() {
        let schema = Schema::new(&["x"], &["k"]).unwrap();
        let err = read_files(&[tmp("nope.tfrecord")], &schema, ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Record { .. }));
        assert!(Schema::new(&["x", "x"], &["k"]).is_err());
    }
}
