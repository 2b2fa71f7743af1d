//! One pass over a file gives both its sha256 and its record tree. A record leaf is one
//! physical line of the *decompressed* content with its LF (the last line may lack one;
//! CR stays part of the line), hashed as `H(0x00 ‖ line)`. The raw bytes are hashed on a
//! thread of their own while this thread decompresses, splits and hashes the lines, so the
//! two hashes share one read and both cores.

use crate::merkle::{leaf_hash, Groups, Hash, StreamTree};
use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};

const BUF: usize = 1 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// What one pass over an input file gives.
pub struct InputDigest {
    pub sha256: Hash,
    pub bytes: u64,
    pub records: u64,
    pub record_root: Hash,
    /// Audit paths of the asked-for leaves (0-based line index → path).
    pub proofs: BTreeMap<u64, Vec<Hash>>,
    /// The raw bytes of the asked-for lines.
    pub lines: BTreeMap<u64, Vec<u8>>,
    /// Group hashes of the record tree (see [`Groups`]), when asked for.
    pub groups: Option<Groups>,
}

/// Which group hashes [`hash_input`] keeps: none, at a level (verify), or adaptive with at
/// most this many (seal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMode {
    Off,
    Level(u32),
    Adaptive(usize),
}

/// Hashes a file's raw bytes (sha256 and size) only.
pub fn hash_file(path: &Path) -> io::Result<(Hash, u64)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; BUF];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((h.finalize().into(), n))
}

/// Hashes an input: sha256 of the raw bytes and the record tree of its decompressed lines,
/// with audit paths and bytes for the leaves in `wanted` (0-based line indices).
/// `groups` says which group hashes of the record tree to keep.
pub fn hash_input(path: &Path, wanted: &[u64], groups: GroupMode) -> io::Result<InputDigest> {
    let file = File::open(path)?;
    let (tx, rx) = sync_channel::<Vec<u8>>(8);
    let (back, spare) = channel::<Vec<u8>>();
    let hasher = std::thread::spawn(move || {
        let mut h = Sha256::new();
        let mut n = 0u64;
        for chunk in rx {
            h.update(&chunk);
            n += chunk.len() as u64;
            let _ = back.send(chunk);
        }
        (<[u8; 32]>::from(h.finalize()), n)
    });
    let tee = Tee {
        inner: file,
        tx: Some(tx),
        spare,
    };
    let mut lines = Lines::new(wanted);
    match groups {
        GroupMode::Off => {}
        GroupMode::Level(l) => lines.tree.keep_groups(Some(l), 0),
        GroupMode::Adaptive(cap) => lines.tree.keep_groups(None, cap),
    }
    let fed = feed(tee, &mut lines);
    // The tee (and its sender) is gone once `feed` returns, so the hasher ends.
    let (sha256, bytes) = hasher
        .join()
        .map_err(|_| io::Error::other("the hashing thread stopped"))?;
    fed?;
    Ok(lines.finish(sha256, bytes))
}

fn feed(tee: Tee<File>, lines: &mut Lines) -> io::Result<()> {
    let mut r = decode(tee)?;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        lines.feed(buf);
        let n = buf.len();
        r.consume(n);
    }
}

/// Splits a byte stream into lines and hashes each as a leaf. A line cut by a block
/// boundary is hashed as it comes, not buffered (only kept when asked for), so memory does
/// not grow with line length: a TikTok dump can be one line of gigabytes.
struct Lines {
    tree: StreamTree,
    /// The hash of a line begun in an earlier block and not yet ended.
    partial: Option<Sha256>,
    /// Its bytes, when it is an asked-for line.
    partial_kept: Option<Vec<u8>>,
    wanted: Vec<u64>,
    next: usize,
    kept: BTreeMap<u64, Vec<u8>>,
}

impl Lines {
    fn new(wanted: &[u64]) -> Lines {
        let mut w = wanted.to_vec();
        w.sort_unstable();
        w.dedup();
        let mut tree = StreamTree::new();
        tree.want(&w);
        Lines {
            tree,
            partial: None,
            partial_kept: None,
            wanted: w,
            next: 0,
            kept: BTreeMap::new(),
        }
    }

    /// Whether the line about to be pushed is asked for (and moves past it if so).
    #[inline]
    fn take_wanted(&mut self) -> bool {
        let hit = self.wanted.get(self.next) == Some(&self.tree.size());
        if hit {
            self.next += 1;
        }
        hit
    }

    fn feed(&mut self, block: &[u8]) {
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', block) {
            let piece = &block[start..=end];
            match self.partial.take() {
                None => {
                    if self.take_wanted() {
                        self.kept.insert(self.tree.size(), piece.to_vec());
                    }
                    self.tree.push(leaf_hash(piece));
                }
                Some(mut h) => {
                    h.update(piece);
                    if let Some(mut k) = self.partial_kept.take() {
                        k.extend_from_slice(piece);
                        self.kept.insert(self.tree.size(), k);
                    }
                    self.tree.push(h.finalize().into());
                }
            }
            start = end + 1;
        }
        let rest = &block[start..];
        if rest.is_empty() {
            return;
        }
        match &mut self.partial {
            Some(h) => {
                h.update(rest);
                if let Some(k) = &mut self.partial_kept {
                    k.extend_from_slice(rest);
                }
            }
            None => {
                let mut h = Sha256::new();
                h.update([0u8]);
                h.update(rest);
                self.partial = Some(h);
                if self.take_wanted() {
                    self.partial_kept = Some(rest.to_vec());
                }
            }
        }
    }

    fn finish(mut self, sha256: Hash, bytes: u64) -> InputDigest {
        // The last line, without a line break.
        if let Some(h) = self.partial.take() {
            if let Some(k) = self.partial_kept.take() {
                self.kept.insert(self.tree.size(), k);
            }
            self.tree.push(h.finalize().into());
        }
        let proofs = self
            .wanted
            .iter()
            .filter_map(|&m| Some((m, self.tree.inclusion_proof(m)?)))
            .collect();
        InputDigest {
            groups: self.tree.groups().cloned(),
            sha256,
            bytes,
            records: self.tree.size(),
            record_root: self.tree.root(),
            proofs,
            lines: self.kept,
        }
    }
}

/// Finds, for each id, a line (0-based) where it occurs as a whole token: the first where
/// it is the value of a JSON `"id"` key, else the first where it occurs at all (CSV, other
/// keys — a reply names its parent's id too, so the `"id"` match is preferred). The fallback
/// for evidence posts without a `source`: a pass of its own over the decompressed file,
/// slower than the sealing pass. Tokens are maximal runs of the bytes the ids are made of.
pub fn scan_for_ids(path: &Path, ids: &[String]) -> io::Result<BTreeMap<String, (u64, bool)>> {
    let mut class = [false; 256];
    for id in ids {
        for &b in id.as_bytes() {
            class[b as usize] = true;
        }
    }
    class[b'\n' as usize] = false;
    let wanted: std::collections::HashSet<&[u8]> = ids
        .iter()
        .map(|i| i.as_bytes())
        .filter(|i| !i.is_empty())
        .collect();
    let (min, max) = wanted.iter().fold((usize::MAX, 0), |(lo, hi), i| {
        (lo.min(i.len()), hi.max(i.len()))
    });
    let mut found = Found::default();
    let end_token = |found: &mut Found, tok: &[u8], line: u64, keyed: bool| {
        if tok.len() >= min && wanted.contains(tok) {
            found.add(tok, line, keyed);
        }
    };
    // Byte by byte, so no line is ever held whole: the token being read (at most as long as
    // the longest id) and the last 8 bytes before it are all that is kept.
    let mut r = decode(File::open(path)?)?;
    let (mut line, mut tok, mut in_tok, mut too_long, mut keyed) =
        (0u64, Vec::with_capacity(max), false, false, false);
    // The 8 bytes before a token may reach into the previous block.
    let mut prev_tail = [0u8; 8];
    loop {
        let block = r.fill_buf()?;
        if block.is_empty() {
            break;
        }
        for (i, &b) in block.iter().enumerate() {
            if class[b as usize] {
                if !in_tok {
                    let mut before = [0u8; 8];
                    if i >= 8 {
                        before.copy_from_slice(&block[i - 8..i]);
                    } else {
                        before[..8 - i].copy_from_slice(&prev_tail[i..]);
                        before[8 - i..].copy_from_slice(&block[..i]);
                    }
                    (in_tok, too_long, keyed) = (true, false, json_id_value(&before));
                    tok.clear();
                }
                if tok.len() < max {
                    tok.push(b);
                } else {
                    too_long = true;
                }
            } else {
                if in_tok && !too_long {
                    end_token(&mut found, &tok, line, keyed);
                }
                in_tok = false;
                if b == b'\n' {
                    line += 1;
                }
            }
        }
        let n = block.len();
        if n >= 8 {
            prev_tail.copy_from_slice(&block[n - 8..]);
        } else {
            prev_tail.copy_within(n.., 0);
            prev_tail[8 - n..].copy_from_slice(block);
        }
        r.consume(n);
        if found.keyed == wanted.len() {
            break;
        }
    }
    if in_tok && !too_long {
        end_token(&mut found, &tok, line, keyed);
    }
    Ok(found.lines)
}

/// The best line found so far per id: a keyed (`"id"`) match beats an earlier bare one.
#[derive(Default)]
struct Found {
    lines: BTreeMap<String, (u64, bool)>,
    keyed: usize,
}

impl Found {
    fn add(&mut self, tok: &[u8], line: u64, keyed: bool) {
        let id = String::from_utf8_lossy(tok).into_owned();
        match self.lines.get(&id) {
            Some((_, true)) => {}
            Some((_, false)) if !keyed => {}
            _ => {
                self.keyed += usize::from(keyed);
                self.lines.insert(id, (line, keyed));
            }
        }
    }
}

/// Whether a token after these bytes is the value of a JSON `"id"` key (`"id":7`,
/// `"id": "7"`).
fn json_id_value(before: &[u8; 8]) -> bool {
    let mut j = before.len();
    if before[j - 1] == b'"' {
        j -= 1;
    }
    while j > 0 && before[j - 1] == b' ' {
        j -= 1;
    }
    j >= 5 && &before[j - 5..j] == b"\"id\":"
}

/// Sends a copy of every byte read to the hashing thread.
struct Tee<R> {
    inner: R,
    tx: Option<SyncSender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
}

impl<R: Read> Read for Tee<R> {
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
        Ok(n)
    }
}

/// The decompressed content, by magic bytes: gzip (multi-member), zstd (multi-frame), else
/// the bytes as they are — as `lockstep detect` reads its inputs.
pub fn decode<'a, R: Read + 'a>(raw: R) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut buf = BufReader::with_capacity(BUF, raw);
    let head = buf.fill_buf()?;
    Ok(if head.starts_with(&GZIP_MAGIC) {
        let gz = flate2::bufread::MultiGzDecoder::new(buf);
        Box::new(BufReader::with_capacity(BUF, gz))
    } else if head.starts_with(&ZSTD_MAGIC) {
        Box::new(BufReader::with_capacity(BUF, Zstd::new(buf)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{inclusion_proof, root};
    use std::io::Write;

    #[test]
    fn lines_are_leaves_across_blocks_and_compression() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"a\r\nbb\n\nccc\nlast-no-lf";
        let expect: Vec<Hash> = [&b"a\r\n"[..], b"bb\n", b"\n", b"ccc\n", b"last-no-lf"]
            .iter()
            .map(|l| leaf_hash(l))
            .collect();
        let plain = dir.path().join("p.txt");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("p.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&text[..5]).unwrap();
        let mut two = e.finish().unwrap();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&text[5..]).unwrap();
        two.extend(e.finish().unwrap());
        std::fs::write(&gz, &two).unwrap();
        for p in [&plain, &gz] {
            let d = hash_input(p, &[3], GroupMode::Off).unwrap();
            assert_eq!(d.records, 5);
            assert_eq!(d.record_root, root(&expect));
            assert_eq!(d.proofs[&3], inclusion_proof(&expect, 3).unwrap());
            assert_eq!(d.lines[&3], b"ccc\n");
            assert_eq!(d.sha256, hash_file(p).unwrap().0);
        }
        // Fed a byte at a time, the lines and kept bytes are the same.
        for wanted in [vec![0u64, 3, 4], vec![1, 2]] {
            let mut l = Lines::new(&wanted);
            for b in text.iter() {
                l.feed(std::slice::from_ref(b));
            }
            let d = l.finish([0; 32], 0);
            assert_eq!(d.record_root, root(&expect));
            for m in wanted {
                assert_eq!(leaf_hash(&d.lines[&m]), expect[m as usize]);
                assert_eq!(d.proofs[&m], inclusion_proof(&expect, m as usize).unwrap());
            }
        }
        let ids = vec!["cc".to_string(), "ccc".to_string(), "last".to_string()];
        let found = scan_for_ids(&gz, &ids).unwrap();
        assert_eq!(found.get("ccc"), Some(&(3, false)));
        assert_eq!(found.get("cc"), None);
        assert_eq!(found.get("last"), Some(&(4, false)));
        // A token, or the `"id":` before it, across the reader's 1 MiB blocks.
        for (k, at) in [(0, BUF - 2), (1, BUF - 3), (2, BUF + 1)] {
            let p = dir.path().join(format!("big{k}.ndjson"));
            let mut b = vec![b'x'; at - 6];
            b.extend_from_slice(b"\n{\"id\":\"987654\"}\n");
            std::fs::write(&p, &b).unwrap();
            let found = scan_for_ids(&p, &["987654".to_string()]).unwrap();
            assert_eq!(found.get("987654"), Some(&(1, true)), "case {k}");
        }
        let j = dir.path().join("j.ndjson");
        std::fs::write(&j, b"{\"parent\":\"77\"}\n{\"id\": 77}\n").unwrap();
        let found = scan_for_ids(&j, &["77".to_string()]).unwrap();
        assert_eq!(found.get("77"), Some(&(1, true)));
    }
}
