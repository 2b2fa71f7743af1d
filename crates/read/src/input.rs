//! Byte-level input: hashing the file as it is read and undoing compression.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use sha2::{Digest, Sha256};

/// Large buffers: reading is sequential and the files can be gigabytes.
pub(crate) const BUF_SIZE: usize = 1 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Hashes and counts every byte that passes through. The hashing runs on a thread of its
/// own, so that it overlaps parsing instead of adding to it.
pub(crate) struct Hashing<R> {
    inner: R,
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    /// Chunks the hashing thread is done with, to be filled again: a fresh megabyte per read
    /// cost a page fault every 4 KB.
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    hasher: Option<std::thread::JoinHandle<String>>,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub(crate) fn new(inner: R) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
        let (back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        let hasher = std::thread::spawn(move || {
            let mut h = Sha256::new();
            for chunk in rx {
                h.update(&chunk);
                let _ = back.send(chunk);
            }
            hex::encode(h.finalize())
        });
        Hashing {
            inner,
            tx: Some(tx),
            spare,
            hasher: Some(hasher),
            bytes: 0,
        }
    }

    /// The hex SHA-256 and the number of bytes read so far.
    pub(crate) fn finish(mut self) -> io::Result<(String, u64)> {
        drop(self.tx.take());
        let sha = self
            .hasher
            .take()
            .and_then(|h| h.join().ok())
            .ok_or_else(|| io::Error::other("the hashing thread stopped"))?;
        Ok((sha, self.bytes))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(tx) = &self.tx {
                let mut chunk = self.spare.try_recv().unwrap_or_default();
                chunk.clear();
                chunk.extend_from_slice(&buf[..n]);
                tx.send(chunk)
                    .map_err(|_| io::Error::other("the hashing thread stopped"))?;
            }
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Wraps `raw` in a buffered reader of its decompressed content, chosen by magic bytes.
pub(crate) fn decode<'a, R: Read + 'a>(raw: R) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut buf = BufReader::with_capacity(BUF_SIZE, raw);
    let head = buf.fill_buf()?;
    Ok(if head.starts_with(&GZIP_MAGIC) {
        // Multi-member: `cat a.gz b.gz` and bgzip output are valid gzip files.
        let gz = flate2::bufread::MultiGzDecoder::new(buf);
        Box::new(BufReader::with_capacity(BUF_SIZE, gz))
    } else if head.starts_with(&ZSTD_MAGIC) {
        Box::new(BufReader::with_capacity(BUF_SIZE, Zstd::new(buf)))
    } else {
        Box::new(buf)
    })
}

/// A zstd stream of any number of frames (ruzstd's `StreamingDecoder` reads only one).
struct Zstd<R> {
    source: R,
    decoder: FrameDecoder,
    in_frame: bool,
}

impl<R: BufRead> Zstd<R> {
    fn new(source: R) -> Self {
        Zstd {
            source,
            decoder: FrameDecoder::new(),
            in_frame: false,
        }
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                let d = &mut self.decoder;
                while d.can_collect() < buf.len() && !d.is_finished() {
                    let want = buf.len() - d.can_collect();
                    d.decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(want))
                        .map_err(zstd_error)?;
                }
                let n = d.read(buf)?;
                if n > 0 {
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
                        return Err(zstd_error("truncated skippable frame"));
                    }
                }
                Err(e) => return Err(zstd_error(e)),
            }
        }
    }
}

fn zstd_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
}
