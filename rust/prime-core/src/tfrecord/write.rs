//! The encoder matching [`super::example`] and [`super::framing`]: writes `tf.train.Example`
//! records in the layout TensorFlow produces (packed value lists). Used by tests, the throughput
//! bench and anyone exporting prime-rs data back to the PRIME format.

use std::io::Write;
use std::path::Path;

use super::framing::frame_into;
use crate::{Error, Result};

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn len_field(out: &mut Vec<u8>, field: u8, body: &[u8]) {
    out.push((field << 3) | 2);
    varint(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// Reusable scratch buffers for encoding many Examples without reallocating.
#[derive(Default)]
pub struct ExampleWriter {
    feats: Vec<u8>,
    entry: Vec<u8>,
    feature: Vec<u8>,
    list: Vec<u8>,
}

impl ExampleWriter {
    /// Encode an Example with one value per feature.
    pub fn encode(
        &mut self,
        floats: &[(&str, f32)],
        ints: &[(&str, i64)],
        bytes: &[(&str, &[u8])],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out, floats, ints, bytes);
        out
    }

    pub fn encode_into(
        &mut self,
        out: &mut Vec<u8>,
        floats: &[(&str, f32)],
        ints: &[(&str, i64)],
        bytes: &[(&str, &[u8])],
    ) {
        self.feats.clear();
        for (k, v) in floats {
            self.list.clear();
            len_field(&mut self.list, 1, &v.to_le_bytes());
            self.push_entry(k, 2);
        }
        for (k, v) in ints {
            let mut packed = Vec::with_capacity(10);
            varint(&mut packed, *v as u64);
            self.list.clear();
            len_field(&mut self.list, 1, &packed);
            self.push_entry(k, 3);
        }
        for (k, v) in bytes {
            self.list.clear();
            len_field(&mut self.list, 1, v);
            self.push_entry(k, 1);
        }
        len_field(out, 1, &self.feats);
    }

    /// Encode an Example whose features may hold several values (for schema tests).
    pub fn encode_lists(
        &mut self,
        floats: &[(&str, Vec<f32>)],
        ints: &[(&str, Vec<i64>)],
    ) -> Vec<u8> {
        self.feats.clear();
        for (k, vs) in floats {
            let body: Vec<u8> = vs.iter().flat_map(|v| v.to_le_bytes()).collect();
            self.list.clear();
            len_field(&mut self.list, 1, &body);
            self.push_entry(k, 2);
        }
        for (k, vs) in ints {
            let mut body = Vec::new();
            vs.iter().for_each(|v| varint(&mut body, *v as u64));
            self.list.clear();
            len_field(&mut self.list, 1, &body);
            self.push_entry(k, 3);
        }
        let mut out = Vec::new();
        len_field(&mut out, 1, &self.feats);
        out
    }

    /// Wrap `self.list` as Feature{field: list} and append the map entry {key, feature}.
    fn push_entry(&mut self, key: &str, field: u8) {
        self.feature.clear();
        len_field(&mut self.feature, field, &self.list);
        self.entry.clear();
        len_field(&mut self.entry, 1, key.as_bytes());
        len_field(&mut self.entry, 2, &self.feature);
        len_field(&mut self.feats, 1, &self.entry);
    }
}

/// Write columns as a TFRecord file of Examples: float features `floats[i].0` with values
/// `floats[i].1[row]`, likewise int64 features. All columns must have the same length.
pub fn write_file(path: &Path, floats: &[(&str, &[f32])], ints: &[(&str, &[i64])]) -> Result<u64> {
    let n = floats
        .first()
        .map(|c| c.1.len())
        .or(ints.first().map(|c| c.1.len()))
        .unwrap_or(0);
    if floats.iter().any(|c| c.1.len() != n) || ints.iter().any(|c| c.1.len() != n) {
        return Err(Error::InvalidArgument(
            "all feature columns must have the same length".into(),
        ));
    }
    let io = |e: std::io::Error| Error::Record {
        source: path.display().to_string(),
        offset: 0,
        detail: format!("cannot write: {e}"),
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut enc = ExampleWriter::default();
    let (mut fv, mut iv) = (
        Vec::with_capacity(floats.len()),
        Vec::with_capacity(ints.len()),
    );
    let (mut msg, mut framed) = (Vec::new(), Vec::new());
    for row in 0..n {
        fv.clear();
        fv.extend(floats.iter().map(|(k, c)| (*k, c[row])));
        iv.clear();
        iv.extend(ints.iter().map(|(k, c)| (*k, c[row])));
        msg.clear();
        enc.encode_into(&mut msg, &fv, &iv, &[]);
        framed.clear();
        frame_into(&mut framed, &msg);
        w.write_all(&framed).map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(n as u64)
}
