//! Byte-level input: hashing the file as it is read and undoing compression.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

use std::rc::Rc;

use crate::ReadLimits;
use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use sha2::{Digest, Sha256};

/// Large buffers: reading is sequential and the files can be gigabytes.
pub(crate) const BUF_SIZE: usize = 1 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Hashes and counts every byte that passes through. Past the first megabyte the hashing
/// runs on a thread of its own, so that it overlaps parsing instead of adding to it (a small
/// input is hashed in place: a thread costs more than its bytes).
pub struct Hashing<R> {
    inner: R,
    local: Option<Sha256>,
    thread: Option<HashThread>,
    bytes: u64,
}

/// Bytes hashed in place before a thread takes over.
const LOCAL_HASH: u64 = 1 << 20;

struct HashThread {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    /// Chunks the hashing thread is done with, to be filled again: a fresh megabyte per read
    /// cost a page fault every 4 KB.
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    handle: std::thread::JoinHandle<String>,
}

impl HashThread {
    fn spawn(mut h: Sha256) -> HashThread {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
        let (back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        let handle = std::thread::spawn(move || {
            for chunk in rx {
                h.update(&chunk);
                let _ = back.send(chunk);
            }
            hex::encode(h.finalize())
        });
        HashThread { tx, spare, handle }
    }
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Hashing {
            inner,
            local: Some(Sha256::new()),
            thread: None,
            bytes: 0,
        }
    }

    /// The hex SHA-256 and the number of bytes read so far.
    pub fn finish(self) -> io::Result<(String, u64)> {
        let sha = match (self.local, self.thread) {
            (Some(h), _) => hex::encode(h.finalize()),
            (None, Some(t)) => {
                drop(t.tx);
                t.handle
                    .join()
                    .map_err(|_| io::Error::other("the hashing thread stopped"))?
            }
            (None, None) => return Err(io::Error::other("the hashing thread stopped")),
        };
        Ok((sha, self.bytes))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(h) = &mut self.local {
                h.update(&buf[..n]);
                if self.bytes + n as u64 > LOCAL_HASH {
                    self.thread = self.local.take().map(HashThread::spawn);
                }
            } else if let Some(t) = &self.thread {
                let mut chunk = t.spare.try_recv().unwrap_or_default();
                chunk.clear();
                chunk.extend_from_slice(&buf[..n]);
                t.tx.send(chunk)
                    .map_err(|_| io::Error::other("the hashing thread stopped"))?;
            }
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Wraps `raw` in a buffered reader of its decompressed content, chosen by magic bytes.
/// Within the default [`ReadLimits`](crate::ReadLimits) (a decompression bomb is refused).
pub fn decode<'a, R: Read + 'a>(raw: R) -> io::Result<Box<dyn BufRead + 'a>> {
    decode_with(raw, &crate::ReadLimits::default())
}

/// [`decode`] within the given limits.
pub fn decode_with<'a, R: Read + 'a>(
    raw: R,
    limits: &ReadLimits,
) -> io::Result<Box<dyn BufRead + 'a>> {
    // The magic bytes are gathered first: a pipe may deliver them one at a time.
    let mut raw = raw;
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match raw.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = &head[..got];
    let (gzip, zstd) = (head.starts_with(&GZIP_MAGIC), head.starts_with(&ZSTD_MAGIC));
    let mut buf = Peek::new(io::Cursor::new(head.to_vec()).chain(raw));
    if !gzip && !zstd {
        // What follows the magic bytes is read too (one read, as a `BufReader` would make), so
        // that a caller's first `fill_buf` sees more than those few bytes (weblog's binary
        // sniff looks at it).
        buf.peek(got + 1)?;
    }
    let compressed = Rc::new(Cell::new(0));
    let counted = Consumed {
        inner: buf,
        count: compressed.clone(),
    };
    fn guard<R>(name: &'static str, inner: R, c: Rc<Cell<u64>>, l: &ReadLimits) -> Guard<R> {
        Guard {
            inner,
            name,
            out: 0,
            compressed: c,
            ratio: l.max_expansion,
            floor: l.expansion_floor,
        }
    }
    Ok(if gzip {
        let gz = guard("gzip", Gzip::new(counted), compressed, limits);
        Box::new(BufReader::with_capacity(BUF_SIZE, gz))
    } else if zstd {
        let zst = guard("zstd", Zstd::new(counted), compressed, limits);
        Box::new(BufReader::with_capacity(BUF_SIZE, zst))
    } else {
        Box::new(counted.inner)
    })
}

/// A buffered reader that can be asked to hold at least a few bytes (gzip's magic after a
/// member, when the stream gives one byte at a time).
struct Peek<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
}

impl<R: Read> Peek<R> {
    fn new(inner: R) -> Self {
        Peek {
            inner,
            // Grown to `BUF_SIZE` as the input proves long (zeroing a megabyte for a small
            // input cost more than reading it).
            buf: vec![0; 1 << 16],
            pos: 0,
            end: 0,
        }
    }

    /// Reads until `n` bytes are buffered or the input ends; returns what is buffered.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.end - self.pos < n {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            while self.end < n {
                match self.inner.read(&mut self.buf[self.end..]) {
                    Ok(0) => break,
                    Ok(k) => self.end += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }
}

impl<R: Read> Read for Peek<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // Large reads of an empty buffer go straight through, as `BufReader` does.
        if self.pos == self.end && out.len() >= self.buf.len() {
            return self.inner.read(out);
        }
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Peek<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            if self.end == self.buf.len() && self.buf.len() < BUF_SIZE {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            self.pos = 0;
            self.end = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
        }
        Ok(&self.buf[self.pos..self.end])
    }
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }
}

/// Counts the compressed bytes a decoder has taken (not those merely buffered ahead).
struct Consumed<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Consumed<Peek<R>> {
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        self.inner.peek(n)
    }
}

impl<R: BufRead> Read for Consumed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Consumed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.count.set(self.count.get() + n as u64);
        self.inner.consume(n);
    }
}

/// Refuses a decompressed stream that grows past `ratio` times the compressed bytes read:
/// a decompression bomb costs time even when no record is kept whole.
struct Guard<R> {
    inner: R,
    name: &'static str,
    out: u64,
    compressed: Rc<Cell<u64>>,
    ratio: u64,
    floor: u64,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.compressed.get().max(1);
        if self.ratio > 0 && self.out > self.floor && self.out / compressed >= self.ratio {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: {} bytes of content from {} compressed bytes, more than {} times as \
                     many (limit max_expansion): a decompression bomb?",
                    self.name, self.out, compressed, self.ratio
                ),
            ));
        }
        Ok(n)
    }
}

/// A gzip stream of any number of members (`cat a.gz b.gz` and bgzip output are valid gzip
/// files), optionally followed by zero bytes, which `gzip -d` also accepts (tape and
/// block-device padding). Anything else after the last member is an error, as is a stream
/// that ends inside a member.
struct Gzip<R> {
    member: Option<flate2::bufread::GzDecoder<R>>,
    /// Decompressed bytes so far, for messages.
    out: u64,
    /// After an error every read fails: a reader that tried again must not see an end.
    failed: Option<String>,
}

impl<R: Read> Gzip<Consumed<Peek<R>>> {
    fn new(source: Consumed<Peek<R>>) -> Self {
        Gzip {
            member: Some(flate2::bufread::GzDecoder::new(source)),
            out: 0,
            failed: None,
        }
    }

    fn error(&mut self, e: io::Error) -> io::Error {
        let at_end = self
            .member
            .as_mut()
            .is_some_and(|m| m.get_mut().fill_buf().is_ok_and(|b| b.is_empty()));
        let what = if at_end || e.kind() == io::ErrorKind::UnexpectedEof {
            "the compressed data ends early (a truncated file?)".to_string()
        } else {
            format!("corrupt compressed data ({e})")
        };
        self.fail(format!("gzip: {what} after {} bytes of content", self.out))
    }

    fn fail(&mut self, message: String) -> io::Error {
        self.member = None;
        self.failed = Some(message.clone());
        io::Error::new(io::ErrorKind::InvalidData, message)
    }
}

impl<R: Read> Read for Gzip<Consumed<Peek<R>>> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(message) = &self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, message.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            match member.read(buf) {
                Ok(0) => {}
                Ok(n) => {
                    self.out += n as u64;
                    return Ok(n);
                }
                Err(e) => return Err(self.error(e)),
            }
            // The member ended (its checksum verified): another, zero padding, or the end.
            let Some(mut source) = self.member.take().map(|m| m.into_inner()) else {
                return Ok(0);
            };
            let next = source.peek(GZIP_MAGIC.len())?;
            if next.starts_with(&GZIP_MAGIC) {
                self.member = Some(flate2::bufread::GzDecoder::new(source));
                continue;
            }
            loop {
                let rest = source.fill_buf()?;
                if rest.is_empty() {
                    return Ok(0);
                }
                if let Some(at) = rest.iter().position(|&b| b != 0) {
                    let byte = rest[at];
                    return Err(self.fail(format!(
                        "gzip: after the last member, after {} bytes of content, comes a byte \
                         0x{byte:02x} that is neither another gzip member nor zero padding \
                         (trailing garbage)",
                        self.out
                    )));
                }
                let n = rest.len();
                source.consume(n);
            }
        }
    }
}

/// A zstd stream of any number of frames (ruzstd's `StreamingDecoder` reads only one).
struct Zstd<R> {
    source: R,
    decoder: FrameDecoder,
    in_frame: bool,
    out: u64,
    /// After an error every read fails: a reader that tried again must not see an end.
    failed: Option<String>,
}

impl<R: BufRead> Zstd<R> {
    fn new(source: R) -> Self {
        Zstd {
            source,
            decoder: FrameDecoder::new(),
            in_frame: false,
            out: 0,
            failed: None,
        }
    }

    fn error(&mut self, e: impl std::fmt::Display) -> io::Error {
        let what = if self.source.fill_buf().is_ok_and(|b| b.is_empty()) {
            "the compressed data ends early (a truncated file?)".to_string()
        } else {
            format!("corrupt compressed data ({e})")
        };
        let message = format!("zstd: {what} after {} bytes of content", self.out);
        self.failed = Some(message.clone());
        io::Error::new(io::ErrorKind::InvalidData, message)
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(message) = &self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, message.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                while self.decoder.can_collect() < buf.len() && !self.decoder.is_finished() {
                    let want = buf.len() - self.decoder.can_collect();
                    // Each call decodes a block or fails: a cut frame ends in an error.
                    if let Err(e) = self
                        .decoder
                        .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(want))
                    {
                        return Err(self.error(e));
                    }
                }
                let n = self.decoder.read(buf)?;
                if n > 0 {
                    self.out += n as u64;
                    return Ok(n);
                }
                self.in_frame = false;
            }
            if self.source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.decoder.init(&mut self.source) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped =
                        io::copy(&mut (&mut self.source).take(length.into()), &mut io::sink())?;
                    if skipped < u64::from(length) {
                        return Err(self.error("truncated skippable frame"));
                    }
                }
                Err(e) => return Err(self.error(e)),
            }
        }
    }
}
