//! A minimal protobuf decoder for `tf.train.Example`, just enough for logged designs.
//!
//! ```text
//! Example  { Features features = 1; }
//! Features { map<string, Feature> feature = 1; }      // entry: key = 1, value = 2
//! Feature  { oneof { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
//! FloatList { repeated float value = 1 [packed]; }     Int64List { repeated int64 value = 1 [packed]; }
//! ```
//! Both packed and unpacked encodings of the repeated fields are accepted (protobuf parsers must
//! accept either). Unknown fields are skipped. Each feature of the [`Schema`] must hold exactly
//! one value of the declared kind; other features are ignored without being decoded.

use super::columns::{Kind, Schema};

/// Protobuf wire types.
const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

pub type DecodeResult<T> = std::result::Result<T, String>;

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cursor<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cursor { b, p: 0 }
    }

    fn done(&self) -> bool {
        self.p >= self.b.len()
    }

    #[inline(always)]
    fn varint(&mut self) -> DecodeResult<u64> {
        // Fast path: tags, lengths and small values are single bytes.
        match self.b.get(self.p) {
            Some(&b) if b < 0x80 => {
                self.p += 1;
                Ok(u64::from(b))
            }
            _ => self.varint_slow(),
        }
    }

    #[inline(never)]
    fn varint_slow(&mut self) -> DecodeResult<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let byte = *self.b.get(self.p).ok_or("truncated varint")?;
            self.p += 1;
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    #[inline]
    fn tag(&mut self) -> DecodeResult<(u64, u8)> {
        let t = self.varint()?;
        Ok((t >> 3, (t & 7) as u8))
    }

    #[inline]
    fn bytes(&mut self) -> DecodeResult<&'a [u8]> {
        let n = self.varint()?;
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.p.checked_add(n))
            .filter(|&e| e <= self.b.len())
            .ok_or("length-delimited field runs past the end of its message")?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }

    #[inline]
    fn fixed<const N: usize>(&mut self) -> DecodeResult<[u8; N]> {
        let s = self
            .b
            .get(self.p..self.p + N)
            .ok_or("truncated fixed-width field")?;
        self.p += N;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    fn skip(&mut self, wire: u8) -> DecodeResult<()> {
        match wire {
            VARINT => self.varint().map(|_| ()),
            I64 => self.fixed::<8>().map(|_| ()),
            LEN => self.bytes().map(|_| ()),
            I32 => self.fixed::<4>().map(|_| ()),
            w => Err(format!("unsupported wire type {w}")),
        }
    }
}

/// One decoded scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    F(f32),
    I(i64),
}

/// Reusable per-thread decoding state: the values of the current record and a key-order hint
/// (records written by one program list their features in the same order, so trying the slot
/// that matched at this position last time almost always hits first).
pub struct Decoder<'s> {
    schema: &'s Schema,
    pub values: Vec<Scalar>,
    seen: Vec<bool>,
    hint: Vec<usize>,
}

impl<'s> Decoder<'s> {
    pub fn new(schema: &'s Schema) -> Self {
        let n = schema.len();
        Decoder {
            schema,
            values: vec![Scalar::I(0); n],
            seen: vec![false; n],
            hint: Vec::new(),
        }
    }

    fn lookup(&mut self, entry: usize, key: &[u8]) -> Option<usize> {
        if let Some(&h) = self.hint.get(entry) {
            if h < self.schema.len() && self.schema.key(h) == key {
                return Some(h);
            }
        }
        let found = (0..self.schema.len()).find(|&i| self.schema.key(i) == key);
        let slot = found.unwrap_or(usize::MAX);
        if entry < self.hint.len() {
            self.hint[entry] = slot;
        } else {
            self.hint.push(slot);
        }
        found
    }

    /// Decode one serialized Example into `self.values` (slot order of the schema).
    pub fn decode(&mut self, msg: &[u8]) -> DecodeResult<()> {
        self.seen.iter_mut().for_each(|s| *s = false);
        let mut ex = Cursor::new(msg);
        let mut entry = 0usize;
        while !ex.done() {
            let (field, wire) = ex.tag()?;
            if field != 1 || wire != LEN {
                ex.skip(wire)?;
                continue;
            }
            // Features message (may in principle appear more than once; protobuf merges them).
            let mut feats = Cursor::new(ex.bytes()?);
            while !feats.done() {
                let (field, wire) = feats.tag()?;
                if field != 1 || wire != LEN {
                    feats.skip(wire)?;
                    continue;
                }
                let mut ent = Cursor::new(feats.bytes()?);
                let mut key: &[u8] = &[];
                let mut value: Option<&[u8]> = None;
                while !ent.done() {
                    match ent.tag()? {
                        (1, LEN) => key = ent.bytes()?,
                        (2, LEN) => value = Some(ent.bytes()?),
                        (_, w) => ent.skip(w)?,
                    }
                }
                let slot = self.lookup(entry, key);
                entry += 1;
                if let Some(slot) = slot {
                    let kind = self.schema.kind(slot);
                    let v = decode_feature(value.unwrap_or(&[]), kind)
                        .map_err(|e| format!("feature '{}': {e}", String::from_utf8_lossy(key)))?;
                    self.values[slot] = v;
                    self.seen[slot] = true;
                }
            }
        }
        if let Some(missing) = self.seen.iter().position(|s| !s) {
            return Err(format!(
                "feature '{}' is missing",
                self.schema.name(missing)
            ));
        }
        Ok(())
    }
}

/// Decode a `Feature` that must hold exactly one value of `kind`.
#[inline]
fn decode_feature(msg: &[u8], kind: Kind) -> DecodeResult<Scalar> {
    // Fast path for the canonical encodings TensorFlow writes for one value:
    // float: Feature{2: FloatList{1: packed [f32]}} = 12 06 0a 04 <4 bytes>;
    // int64: Feature{3: Int64List{1: packed [varint]}} = 1a n+2 0a n <n-byte varint>.
    match (kind, msg) {
        (Kind::Float, [0x12, 0x06, 0x0a, 0x04, a, b, c, d]) => {
            return Ok(Scalar::F(f32::from_le_bytes([*a, *b, *c, *d])));
        }
        (Kind::Int64, [0x1a, outer, 0x0a, n, rest @ ..])
            if usize::from(*outer) == usize::from(*n) + 2 && rest.len() == usize::from(*n) =>
        {
            let mut c = Cursor::new(rest);
            let v = c.varint()?;
            if c.done() {
                return Ok(Scalar::I(v as i64));
            }
        }
        _ => {}
    }
    decode_feature_general(msg, kind)
}

fn decode_feature_general(msg: &[u8], kind: Kind) -> DecodeResult<Scalar> {
    let mut f = Cursor::new(msg);
    let mut list: Option<(u64, &[u8])> = None;
    while !f.done() {
        let (field, wire) = f.tag()?;
        if (1..=3).contains(&field) && wire == LEN {
            list = Some((field, f.bytes()?)); // a oneof: the last one set wins
        } else {
            f.skip(wire)?;
        }
    }
    let (which, body) = list.ok_or("holds no value list")?;
    let expected = match kind {
        Kind::Float => 2,
        Kind::Int64 => 3,
    };
    if which != expected {
        let name = |w| match w {
            1 => "bytes_list",
            2 => "float_list",
            _ => "int64_list",
        };
        return Err(format!(
            "is a {}, expected a {}",
            name(which),
            name(expected)
        ));
    }
    let mut c = Cursor::new(body);
    let mut count = 0usize;
    let mut last = match kind {
        Kind::Float => Scalar::F(0.0),
        Kind::Int64 => Scalar::I(0),
    };
    while !c.done() {
        match (kind, c.tag()?) {
            (Kind::Float, (1, LEN)) => {
                let packed = c.bytes()?;
                if packed.len() % 4 != 0 {
                    return Err(format!("packed float list of {} bytes", packed.len()));
                }
                count += packed.len() / 4;
                if let Some(tail) = packed.len().checked_sub(4).map(|s| &packed[s..]) {
                    last = Scalar::F(f32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
                }
            }
            (Kind::Float, (1, I32)) => {
                count += 1;
                last = Scalar::F(f32::from_le_bytes(c.fixed::<4>()?));
            }
            (Kind::Int64, (1, LEN)) => {
                let mut p = Cursor::new(c.bytes()?);
                while !p.done() {
                    count += 1;
                    last = Scalar::I(p.varint()? as i64);
                }
            }
            (Kind::Int64, (1, VARINT)) => {
                count += 1;
                last = Scalar::I(c.varint()? as i64);
            }
            (_, (_, w)) => c.skip(w)?,
        }
    }
    if count != 1 {
        return Err(format!("holds {count} values, expected exactly 1"));
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::super::write::ExampleWriter;
    use super::*;

    fn schema() -> Schema {
        Schema::new(&["a", "b"], &["n"]).unwrap()
    }

    #[test]
    fn decodes_packed_examples() {
        let s = schema();
        let mut w = ExampleWriter::default();
        let msg = w.encode(&[("b", 2.5), ("a", -1.0)], &[("n", -7)], &[]);
        let mut d = Decoder::new(&s);
        d.decode(&msg).unwrap();
        assert_eq!(
            d.values,
            vec![Scalar::F(-1.0), Scalar::F(2.5), Scalar::I(-7)]
        );
    }

    #[test]
    fn decodes_unpacked_values_and_skips_unknown_features() {
        // Hand-built: feature "a" as unpacked float (wire type 5), "n" as unpacked varint,
        // an extra bytes feature "z" that must be ignored.
        fn len(field: u8, body: &[u8]) -> Vec<u8> {
            let mut v = vec![(field << 3) | 2, body.len() as u8];
            v.extend_from_slice(body);
            v
        }
        fn entry(key: &str, feature: Vec<u8>) -> Vec<u8> {
            let mut e = len(1, key.as_bytes());
            e.extend(len(2, &feature));
            len(1, &e)
        }
        let mut fl = vec![(1 << 3) | 5];
        fl.extend_from_slice(&3.0f32.to_le_bytes());
        let fa = len(2, &fl);
        let fb = len(2, &len(1, &4.0f32.to_le_bytes()));
        let fn_ = len(3, &[(1 << 3), 42]);
        let fz = len(1, &len(1, b"junk"));
        let mut feats = entry("z", fz);
        feats.extend(entry("a", fa));
        feats.extend(entry("b", fb));
        feats.extend(entry("n", fn_));
        let msg = len(1, &feats);
        let s = schema();
        let mut d = Decoder::new(&s);
        d.decode(&msg).unwrap();
        assert_eq!(
            d.values,
            vec![Scalar::F(3.0), Scalar::F(4.0), Scalar::I(42)]
        );
    }

    #[test]
    fn schema_violations_are_named() {
        let s = schema();
        let mut w = ExampleWriter::default();
        let mut d = Decoder::new(&s);
        let missing = w.encode(&[("a", 1.0)], &[("n", 1)], &[]);
        assert!(d.decode(&missing).unwrap_err().contains("'b' is missing"));
        let wrong_kind = w.encode(&[("a", 1.0)], &[("n", 1), ("b", 2)], &[]);
        assert!(d
            .decode(&wrong_kind)
            .unwrap_err()
            .contains("int64_list, expected a float_list"));
        let two = w.encode_lists(
            &[("a", vec![1.0, 2.0]), ("b", vec![1.0])],
            &[("n", vec![1])],
        );
        assert!(d.decode(&two).unwrap_err().contains("holds 2 values"));
    }

    #[test]
    fn garbage_never_panics() {
        let s = schema();
        let mut d = Decoder::new(&s);
        let mut w = ExampleWriter::default();
        let good = w.encode(&[("a", 1.0), ("b", 2.0)], &[("n", 3)], &[]);
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                let _ = d.decode(&bad);
                let _ = d.decode(&bad[..i]);
            }
        }
    }
}
