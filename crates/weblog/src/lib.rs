//! Readers for the logs an election authority's CERT holds: web access logs (nginx/Apache
//! combined and common formats, JSON access logs), ModSecurity JSON audit logs, and
//! sshd/PAM authentication logs (syslog files or `journalctl -o json`).
//!
//! The format is recognised per line, from content ([`parse_line`]), so one file may mix
//! formats (a syslog collector's output). Files are plain, gzip or zstd (by magic bytes,
//! through `lockstep_read::decode`) or standard input (`-`). [`read_blocks`] streams a file
//! as blocks of whole lines for parallel parsing; lines longer than [`Limits::max_line`] are cut out
//! and reported, never buffered. [`read_file`] is the sequential reader built on both, with
//! the accounting `read = accepted + quarantined`.
//!
//! This crate knows log formats and nothing about attacks.

mod auth;
mod clf;
mod json;
mod record;
pub mod time;

pub use record::{parse_ip, Auth, AuthOutcome, Http, LineFormat, Record, WafMatch};
pub use time::Time;

use lockstep_core::Quarantined;
use std::io::{self, BufRead, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Default longest line parsed (1 MiB): longer ones are quarantined unread (a request line
/// is at most a few KB; an audit record with bodies, rarely more than 100 KB).
pub const MAX_LINE: usize = 1 << 20;
/// How much of the start is checked for binary content.
const SNIFF: usize = 8192;
/// Longest raw text kept with a quarantined line, in characters.
const RAW_CHARS: usize = 300;

/// How to read the logs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Proxies (address, prefix length) whose X-Forwarded-For is believed: the client is the
    /// right-most address in the list that is not one of them. Empty: the peer is the client.
    pub trusted_proxies: Vec<(IpAddr, u8)>,
    pub limits: Limits,
}

/// What the block reader holds at most: one adversary's file cannot take unbounded memory or
/// time, and what it exceeds is named in the quarantine or the error.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest line parsed; longer ones are quarantined unread. Default [`MAX_LINE`].
    pub max_line: usize,
    /// Bytes of whole lines per block handed to the parser (memory in flight is a few
    /// blocks). Default 4 MiB.
    pub block_bytes: usize,
    /// Decompression limits (a gzip or zstd bomb is refused): `max_expansion` and
    /// `expansion_floor` apply.
    pub read: lockstep_read::ReadLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: MAX_LINE,
            block_bytes: 4 << 20,
            read: lockstep_read::ReadLimits::default(),
        }
    }
}

impl Config {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .any(|&(net, len)| in_prefix(ip, net, len))
    }

    pub(crate) fn client_behind(&self, peer: IpAddr, xff: &str) -> IpAddr {
        if self.trusted_proxies.is_empty() {
            return peer;
        }
        clf::rightmost_untrusted(peer, xff, &|ip| self.trusts(ip))
    }
}

/// Whether `ip` is inside `net/len` (families must match).
pub fn in_prefix(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let len = u32::from(len.min(32));
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let len = u32::from(len.min(128));
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Parses `10.0.0.0/8`, `2001:db8::/32` or a single address.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (a, l) = s.split_once('/').unwrap_or((s, ""));
    let ip: IpAddr = a.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = if l.is_empty() {
        max
    } else {
        l.trim().parse().ok()?
    };
    (len <= max).then_some((ip, len))
}

/// Parses one log line, recognising its format. An error is the reason to quarantine it.
pub fn parse_line<'a>(line: &'a [u8], cfg: &Config) -> Result<(Record<'a>, LineFormat), String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let line = &line[start..];
    if line.is_empty() {
        return Err("empty line".into());
    }
    if line[0] == b'{' {
        return match json::parse(line, cfg)? {
            Some(r) => Ok(r),
            None => Err("JSON of no known log kind (no client address, request and status)".into()),
        };
    }
    if let Some((r, combined)) = clf::parse(line, cfg)? {
        let f = if combined {
            LineFormat::Combined
        } else {
            LineFormat::Common
        };
        return Ok((r, f));
    }
    if let Some(r) = auth::parse(line)? {
        return Ok((r, LineFormat::Syslog));
    }
    if line.contains(&0) || std::str::from_utf8(line).is_err() {
        return Err("binary or non-UTF-8 bytes in a line of no known format".into());
    }
    Err("not an access log, audit log or syslog line".into())
}

/// A whole file could not be read. Every message starts with the file's path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    #[error("{}: {detail}", path.display())]
    Format { path: PathBuf, detail: String },
}

impl ReadError {
    fn io(path: &Path, error: io::Error) -> ReadError {
        if error.kind() == io::ErrorKind::NotFound {
            ReadError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            ReadError::Io {
                path: path.to_path_buf(),
                error,
            }
        }
    }
}

/// Whole lines of a file, for parsing.
#[derive(Debug, Default)]
pub struct LineBlock {
    /// Lines, each ending in `\n` (the file's last line may not).
    pub bytes: Vec<u8>,
    /// Line number (1-based) of the first line in `bytes`.
    pub first_line: u64,
    /// Lines longer than [`Limits::max_line`] that were cut out before this block: (line, bytes,
    /// their first bytes).
    pub too_long: Vec<(u64, u64, Vec<u8>)>,
}

impl LineBlock {
    /// The block's lines in order with their numbers (line breaks removed), long lines
    /// as [`Line::TooLong`] in their place.
    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> {
        let mut skips = self.too_long.iter().peekable();
        let mut n = self.first_line;
        let mut text = self.bytes.split_inclusive(|&b| b == b'\n');
        std::iter::from_fn(move || {
            if let Some(t) = skips.next_if(|t| t.0 == n) {
                n += 1;
                return Some(Line::TooLong {
                    number: t.0,
                    bytes: t.1,
                    head: &t.2,
                });
            }
            match text.next() {
                Some(l) => {
                    n += 1;
                    Some(Line::Text(n - 1, l.strip_suffix(b"\n").unwrap_or(l)))
                }
                None => skips.next().map(|t| Line::TooLong {
                    number: t.0,
                    bytes: t.1,
                    head: &t.2,
                }),
            }
        })
    }
}

/// One line of a [`LineBlock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// Line number and content.
    Text(u64, &'a [u8]),
    /// A line longer than [`Limits::max_line`]: its number, length and first bytes.
    TooLong {
        number: u64,
        bytes: u64,
        head: &'a [u8],
    },
}

/// What was read from one file: its hash and size on disk.
#[derive(Debug, Clone)]
pub struct Digest {
    pub sha256: String,
    pub bytes: u64,
}

/// Streams `path` (`-`: standard input) as blocks of whole lines, undoing gzip/zstd. A file
/// whose first bytes are binary (a NUL byte, or not UTF-8) is an error, not a million
/// quarantined lines; so is a truncated or corrupt compressed stream. `on_block` may stop
/// the read with an error of its own.
pub fn read_blocks<E: From<ReadError>>(
    path: &Path,
    limits: &Limits,
    on_block: &mut dyn FnMut(LineBlock) -> Result<(), E>,
) -> Result<Digest, E> {
    read_source_blocks(open(path)?, path, limits, on_block)
}

/// `path`, or standard input for `-`.
fn open(path: &Path) -> Result<Box<dyn Read>, ReadError> {
    Ok(if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| ReadError::io(path, e))?)
    })
}

/// [`read_blocks`] on bytes from anywhere (a socket, a message, memory); `path` names the
/// source in errors.
pub fn read_source_blocks<E: From<ReadError>>(
    source: Box<dyn Read + '_>,
    path: &Path,
    limits: &Limits,
    on_block: &mut dyn FnMut(LineBlock) -> Result<(), E>,
) -> Result<Digest, E> {
    let mut raw = lockstep_read::Hashing::new(source);
    {
        let mut stream = lockstep_read::decode_with(&mut raw, &limits.read)
            .map_err(|e| ReadError::io(path, e))?;
        let head = stream.fill_buf().map_err(|e| ReadError::io(path, e))?;
        let head = &head[..head.len().min(SNIFF)];
        let binary = head.contains(&0)
            || matches!(std::str::from_utf8(head), Err(e) if e.error_len().is_some() && head.len() > 3 && looks_binary(head));
        if binary {
            return Err(ReadError::Format {
                path: path.to_path_buf(),
                detail: "binary content, not a text log".into(),
            }
            .into());
        }
        stream_lines(&mut stream, path, limits, on_block)?;
    }
    io::copy(&mut raw, &mut io::sink()).map_err(|e| ReadError::io(path, e))?;
    let (sha256, bytes) = raw.finish().map_err(|e| ReadError::io(path, e))?;
    Ok(Digest { sha256, bytes })
}

/// Mostly non-text: more than a tenth of the sample is control bytes or invalid UTF-8. A
/// log with a few raw bytes in one request line is still a log.
fn looks_binary(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let bad = text
        .chars()
        .filter(|&c| c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
        .count();
    bad * 10 > text.chars().count()
}

fn stream_lines<E: From<ReadError>>(
    stream: &mut dyn BufRead,
    path: &Path,
    limits: &Limits,
    on_block: &mut dyn FnMut(LineBlock) -> Result<(), E>,
) -> Result<(), E> {
    let (max_line, block_bytes) = (limits.max_line.max(1), limits.block_bytes.max(1));
    let head_of = |line: &[u8]| line[..RAW_CHARS.min(line.len())].to_vec();
    let mut buf: Vec<u8> = Vec::with_capacity(block_bytes.saturating_add(max_line).min(8 << 20));
    // The pending block: lines from `first`, long lines cut out of it, then `buf`, of which
    // `lines` are complete and the rest, from `tail`, is the start of the next line.
    let (mut first, mut lines, mut tail) = (1u64, 0u64, 0usize);
    let mut too_long: Vec<(u64, u64, Vec<u8>)> = Vec::new();
    // A long line being skipped: its number, length so far and first bytes.
    let mut skipping: Option<(u64, u64, Vec<u8>)> = None;
    loop {
        let chunk = stream.fill_buf().map_err(|e| ReadError::io(path, e))?;
        let n = chunk.len();
        if n == 0 {
            break;
        }
        if let Some((_, len, _)) = &mut skipping {
            match memchr::memchr(b'\n', chunk) {
                Some(p) => {
                    *len += p as u64;
                    stream.consume(p + 1);
                    too_long.extend(skipping.take());
                }
                None => {
                    *len += n as u64;
                    stream.consume(n);
                }
            }
            continue;
        }
        let mut at = buf.len();
        buf.extend_from_slice(chunk);
        stream.consume(n);
        // Lines completed by this chunk: the limit holds for every line, wherever the
        // chunks happen to end.
        while let Some(p) = memchr::memchr(b'\n', &buf[at..]) {
            let end = at + p;
            if end - tail > max_line {
                let number = first + too_long.len() as u64 + lines;
                too_long.push((number, (end - tail) as u64, head_of(&buf[tail..end])));
                buf.drain(tail..=end);
                at = tail;
            } else {
                lines += 1;
                tail = end + 1;
                at = tail;
            }
        }
        if buf.len() - tail > max_line {
            // The line after the last break is already too long: skip the rest of it unread.
            let number = first + too_long.len() as u64 + lines;
            skipping = Some((number, (buf.len() - tail) as u64, head_of(&buf[tail..])));
            buf.truncate(tail);
        }
        if buf.len() >= block_bytes && tail > 0 {
            let rest = buf[tail..].to_vec();
            buf.truncate(tail);
            let block = LineBlock {
                bytes: std::mem::replace(&mut buf, rest),
                first_line: first,
                too_long: std::mem::take(&mut too_long),
            };
            first += lines + block.too_long.len() as u64;
            (lines, tail) = (0, 0);
            on_block(block)?;
        }
    }
    too_long.extend(skipping.take());
    if !buf.is_empty() || !too_long.is_empty() {
        on_block(LineBlock {
            bytes: buf,
            first_line: first,
            too_long,
        })?;
    }
    Ok(())
}

/// Counts of one file: `read = accepted + quarantined`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// Accepted lines per format.
    pub formats: std::collections::BTreeMap<LineFormat, u64>,
}

impl Counts {
    /// `combined`, or `combined+syslog` for a file of mixed formats (most lines first).
    pub fn format_name(&self) -> String {
        let mut f: Vec<(&LineFormat, &u64)> = self.formats.iter().collect();
        f.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let names: Vec<&str> = f.iter().map(|(f, _)| f.name()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join("+")
        }
    }
}

/// The quarantine reason of a line longer than `max_line`.
pub fn too_long_reason(bytes: u64, max_line: usize) -> String {
    format!("line of {bytes} bytes, longer than {max_line} (limit max_line_bytes)")
}

/// A quarantine record for a line.
pub fn quarantined(file: &str, line: u64, reason: String, raw: &[u8]) -> Quarantined {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim();
    let raw = match text.char_indices().nth(RAW_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    };
    Quarantined {
        file: file.to_string(),
        record: line,
        reason,
        raw,
    }
}

/// Reads a whole file sequentially: each record goes to `on_record` with its line number,
/// each bad line to `on_bad`.
pub fn read_file(
    path: &Path,
    cfg: &Config,
    on_record: &mut dyn FnMut(u64, Record<'_>, LineFormat),
    on_bad: &mut dyn FnMut(Quarantined),
) -> Result<(Digest, Counts), ReadError> {
    read_source(open(path)?, path, cfg, on_record, on_bad)
}

/// [`read_file`] on bytes from anywhere; `path` names the source in errors and quarantine.
pub fn read_source(
    source: Box<dyn Read + '_>,
    path: &Path,
    cfg: &Config,
    on_record: &mut dyn FnMut(u64, Record<'_>, LineFormat),
    on_bad: &mut dyn FnMut(Quarantined),
) -> Result<(Digest, Counts), ReadError> {
    let name = path.display().to_string();
    let mut counts = Counts::default();
    let digest = read_source_blocks::<ReadError>(source, path, &cfg.limits, &mut |block| {
        for item in block.lines() {
            let (n, line) = match item {
                Line::Text(n, line) => (n, line),
                Line::TooLong {
                    number,
                    bytes,
                    head,
                } => {
                    counts.read += 1;
                    counts.quarantined += 1;
                    let reason = too_long_reason(bytes, cfg.limits.max_line);
                    on_bad(quarantined(&name, number, reason, head));
                    continue;
                }
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            counts.read += 1;
            match parse_line(line, cfg) {
                Ok((r, f)) => {
                    counts.accepted += 1;
                    *counts.formats.entry(f).or_default() += 1;
                    on_record(n, r, f);
                }
                Err(reason) => {
                    counts.quarantined += 1;
                    on_bad(quarantined(&name, n, reason, line));
                }
            }
        }
        Ok(())
    })?;
    Ok((digest, counts))
}

#[cfg(test)]
mod tests;
