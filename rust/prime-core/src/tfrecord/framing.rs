//! The TFRecord container: each record is
//! `u64 length (LE) | u32 masked_crc32c(length bytes) | payload | u32 masked_crc32c(payload)`.
//!
//! [`Framer`] walks a file through a bounded buffer (it never maps or slurps the file), verifies
//! both checksums and hands out each payload with its byte offset. In skip-corrupt mode it resyncs
//! after a damaged header by scanning forward for the next position whose header checksum holds.

use std::io::Read;

/// The TFRecord masking of CRC-32C (so that CRCs of data containing CRCs stay well distributed).
#[inline]
pub fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Header bytes before the payload: length (8) + its masked CRC (4).
pub const HEADER_LEN: usize = 12;
/// Footer bytes after the payload: the payload's masked CRC.
pub const FOOTER_LEN: usize = 4;

/// The largest payload accepted. A `tf.train.Example` of logged results is a few hundred bytes;
/// a larger length is a damaged or hostile header, and honouring it would mean buffering it.
pub const MAX_RECORD_LEN: u64 = 64 << 20;

/// The first buffer; each refill doubles it up to [`CHUNK`].
const FIRST_CHUNK: usize = 64 << 10;

/// Buffer refill granularity. Large enough that syscalls are negligible, small enough that
/// rayon over several files keeps memory flat.
const CHUNK: usize = 4 << 20;

/// One framing problem, at the byte offset where the damaged record starts.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError {
    pub offset: u64,
    pub detail: String,
    /// True when nothing after this point can be read (truncation at the end of the file).
    pub fatal: bool,
}

/// What the framer yields: a verified payload, or a damaged region (already stepped over).
pub enum Frame<'a> {
    Record { offset: u64, payload: &'a [u8] },
    Corrupt(FrameError),
}

pub struct Framer<R: Read> {
    reader: R,
    buf: Vec<u8>,
    /// Start of unread bytes in `buf`.
    pos: usize,
    /// End of valid bytes in `buf`.
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// Resync after a damaged header instead of stopping.
    resync: bool,
    done: bool,
}

impl<R: Read> Framer<R> {
    pub fn new(reader: R, resync: bool) -> Self {
        Framer {
            reader,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            resync,
            done: false,
        }
    }

    fn avail(&self) -> usize {
        self.end - self.pos
    }

    /// Make at least `need` unread bytes available unless the input ends first.
    fn fill(&mut self, need: usize) -> std::io::Result<()> {
        if self.avail() >= need || self.eof {
            return Ok(());
        }
        // Compact: move the unread tail to the front.
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        // Refills double the buffer up to CHUNK, so a small input never costs a large one.
        if self.buf.len() < CHUNK {
            let doubled = (self.buf.len() * 2).clamp(FIRST_CHUNK, CHUNK);
            self.buf.resize(doubled, 0);
        }
        while self.end < need && !self.eof {
            if self.end == self.buf.len() {
                // A record larger than the buffer: grow (doubling) only as its bytes arrive,
                // since a header may claim far more than the input holds.
                let grown = need.min(self.buf.len().saturating_mul(2));
                self.buf.resize(grown, 0);
            }
            // Read as much as fits so the next few hundred records need no syscall.
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Next record or damaged region; `None` at a clean end of input.
    pub fn next_frame(&mut self) -> std::io::Result<Option<Frame<'_>>> {
        if self.done {
            return Ok(None);
        }
        self.fill(HEADER_LEN)?;
        let start = self.offset();
        if self.avail() == 0 {
            self.done = true;
            return Ok(None);
        }
        if self.avail() < HEADER_LEN {
            self.done = true;
            return Ok(Some(Frame::Corrupt(FrameError {
                offset: start,
                detail: format!(
                    "truncated record header: {} of {HEADER_LEN} bytes",
                    self.avail()
                ),
                fatal: true,
            })));
        }
        let len = self.header_len();
        let plausible = len <= MAX_RECORD_LEN;
        if !plausible || !self.header_ok() {
            let detail = if plausible {
                "length checksum mismatch (corrupt record header)".to_string()
            } else {
                format!("record length {len} exceeds the {MAX_RECORD_LEN}-byte limit of a record")
            };
            if !self.resync {
                self.done = true;
                return Ok(Some(Frame::Corrupt(FrameError {
                    offset: start,
                    detail,
                    fatal: true,
                })));
            }
            // Scan forward one byte at a time for the next plausible header.
            let skipped_from = start;
            loop {
                self.pos += 1;
                self.fill(HEADER_LEN)?;
                if self.avail() < HEADER_LEN {
                    self.pos = self.end;
                    self.done = true;
                    break;
                }
                if self.header_len() <= MAX_RECORD_LEN && self.header_ok() {
                    break;
                }
            }
            return Ok(Some(Frame::Corrupt(FrameError {
                offset: skipped_from,
                detail: format!(
                    "{detail}; skipped {} bytes to the next valid header",
                    self.offset() - skipped_from
                ),
                fatal: false,
            })));
        }
        // At most 64 MiB + 16 by the check above, so this fits a usize on every target.
        let total = HEADER_LEN as u64 + len + FOOTER_LEN as u64;
        let total = total as usize;
        self.fill(total)?;
        if self.avail() < total {
            let have = self.avail();
            self.pos = self.end;
            self.done = true;
            return Ok(Some(Frame::Corrupt(FrameError {
                offset: start,
                detail: format!("truncated record: needs {total} bytes, file ends after {have}"),
                fatal: true,
            })));
        }
        let p = self.pos;
        self.pos += total;
        let payload = &self.buf[p + HEADER_LEN..p + total - FOOTER_LEN];
        let stored = u32::from_le_bytes(
            self.buf[p + total - FOOTER_LEN..p + total]
                .try_into()
                .unwrap_or([0; 4]),
        );
        if masked_crc32c(payload) != stored {
            return Ok(Some(Frame::Corrupt(FrameError {
                offset: start,
                detail: "data checksum mismatch (corrupt record payload)".into(),
                fatal: false,
            })));
        }
        Ok(Some(Frame::Record {
            offset: start,
            payload,
        }))
    }

    fn header_len(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        u64::from_le_bytes(b)
    }

    fn header_ok(&self) -> bool {
        let h = &self.buf[self.pos..self.pos + HEADER_LEN];
        let mut c = [0u8; 4];
        c.copy_from_slice(&h[8..12]);
        masked_crc32c(&h[..8]) == u32::from_le_bytes(c)
    }
}

/// Frame one payload (the writer's half of the format).
pub fn frame_into(out: &mut Vec<u8>, payload: &[u8]) {
    let len = (payload.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&masked_crc32c(payload).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(bytes: &[u8], resync: bool) -> Vec<Result<(u64, Vec<u8>), FrameError>> {
        let mut f = Framer::new(bytes, resync);
        let mut out = Vec::new();
        while let Some(fr) = f.next_frame().unwrap() {
            out.push(match fr {
                Frame::Record { offset, payload } => Ok((offset, payload.to_vec())),
                Frame::Corrupt(e) => Err(e),
            });
        }
        out
    }

    #[test]
    #[allow(clippy::manual_rotate)] // the spec's formula, spelled as the spec spells it
    fn crc32c_known_vectors() {
        // RFC 3720 B.4: 32 zero bytes.
        assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8a91_36aa);
        // The masking is the TFRecord one.
        let crc = crc32c::crc32c(b"abc");
        assert_eq!(
            masked_crc32c(b"abc"),
            ((crc >> 15) | (crc << 17)).wrapping_add(0xa282_ead8)
        );
    }

    #[test]
    fn round_trip_and_offsets() {
        let mut buf = Vec::new();
        frame_into(&mut buf, b"hello");
        frame_into(&mut buf, b"");
        frame_into(&mut buf, &[7u8; 1000]);
        let got = frames(&buf, false);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok((0, b"hello".to_vec())));
        assert_eq!(got[1], Ok((21, Vec::new())));
        assert_eq!(got[2], Ok((37, vec![7u8; 1000])));
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let mut buf = Vec::new();
        frame_into(&mut buf, b"payload-one");
        frame_into(&mut buf, b"payload-two");
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            let got = frames(&bad, false);
            assert!(got.iter().any(|r| r.is_err()), "flip at {i} not detected");
            let first_rec = 12 + 11 + 4;
            let expect_off = if i < first_rec { 0 } else { first_rec as u64 };
            let err = got.iter().find_map(|r| r.as_ref().err()).unwrap();
            assert_eq!(err.offset, expect_off, "flip at {i}");
        }
    }

    #[test]
    fn truncation_is_reported_at_the_record_offset() {
        let mut buf = Vec::new();
        frame_into(&mut buf, b"abcdef");
        frame_into(&mut buf, b"ghijkl");
        for cut in 23..buf.len() {
            let got = frames(&buf[..cut], false);
            assert_eq!(got[0], Ok((0, b"abcdef".to_vec())));
            if cut > 22 {
                let e = got[1].as_ref().unwrap_err();
                assert_eq!(e.offset, 22);
                assert!(e.detail.contains("truncated"), "{}", e.detail);
            }
        }
    }

    #[test]
    fn resync_skips_a_damaged_header() {
        let mut buf = Vec::new();
        frame_into(&mut buf, b"first");
        frame_into(&mut buf, b"second");
        frame_into(&mut buf, b"third");
        let second = 12 + 5 + 4;
        buf[second + 3] ^= 1; // damage the second record's length
        let got = frames(&buf, true);
        assert_eq!(got[0], Ok((0, b"first".to_vec())));
        assert!(got[1].is_err());
        assert_eq!(got[2].as_ref().unwrap().1, b"third".to_vec());
        assert_eq!(got.len(), 3);
    }

    /// A reader that counts what it hands out, to show a huge claim reads no more than exists.
    struct Counting<'a>(&'a [u8], usize);

    impl Read for Counting<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out.len().min(self.0.len() - self.1);
            out[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    fn header(len: u64) -> Vec<u8> {
        let mut h = len.to_le_bytes().to_vec();
        h.extend_from_slice(&masked_crc32c(&len.to_le_bytes()).to_le_bytes());
        h
    }

    #[test]
    fn huge_lengths_are_refused_without_buffering_them() {
        for claim in [MAX_RECORD_LEN + 1, 1 << 40, 1 << 60, u64::MAX] {
            let mut buf = Vec::new();
            frame_into(&mut buf, b"ok");
            let at = buf.len() as u64;
            buf.extend(header(claim));
            buf.extend([0u8; 64]);
            let mut f = Framer::new(Counting(&buf, 0), false);
            assert!(matches!(
                f.next_frame().unwrap(),
                Some(Frame::Record { .. })
            ));
            match f.next_frame().unwrap() {
                Some(Frame::Corrupt(e)) => {
                    assert_eq!(e.offset, at);
                    assert!(e.fatal && e.detail.contains("exceeds"), "{}", e.detail);
                }
                _ => panic!("claim {claim} accepted"),
            }
            assert!(f.next_frame().unwrap().is_none());
            assert!(f.buf.len() <= CHUNK, "buffer grew to {}", f.buf.len());
        }
    }

    #[test]
    fn a_plausible_claim_past_the_end_grows_only_with_the_data() {
        let mut buf = header(MAX_RECORD_LEN); // valid and plausible, but the file is 76 bytes
        buf.extend([0u8; 64]);
        let mut f = Framer::new(Counting(&buf, 0), true);
        match f.next_frame().unwrap() {
            Some(Frame::Corrupt(e)) => assert!(e.detail.contains("truncated"), "{}", e.detail),
            _ => panic!("truncation not reported"),
        }
        assert!(f.buf.len() <= CHUNK, "buffer grew to {}", f.buf.len());
    }

    #[test]
    fn resync_steps_over_an_implausible_header() {
        let mut buf = Vec::new();
        frame_into(&mut buf, b"first");
        let at = buf.len() as u64;
        buf.extend(header(1 << 60));
        frame_into(&mut buf, b"second");
        let got = frames(&buf, true);
        assert_eq!(got.len(), 3);
        let e = got[1].as_ref().unwrap_err();
        assert_eq!(e.offset, at);
        assert!(
            !e.fatal && e.detail.contains("skipped 12 bytes"),
            "{}",
            e.detail
        );
        assert_eq!(got[2].as_ref().unwrap().1, b"second".to_vec());
    }

    #[test]
    fn records_larger_than_the_chunk_are_read() {
        let big = vec![3u8; CHUNK + 123];
        let mut buf = Vec::new();
        frame_into(&mut buf, b"x");
        frame_into(&mut buf, &big);
        frame_into(&mut buf, b"y");
        let got = frames(&buf, false);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].as_ref().unwrap().1.len(), big.len());
        assert_eq!(got[2].as_ref().unwrap().1, b"y".to_vec());
    }
}
