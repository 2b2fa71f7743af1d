//! Readers: turn input files into normalized [`Event`]s.
//!
//! [`discover`] expands the paths a user gives into data files; [`read_file`] opens one file,
//! undoes gzip/zstd compression, recognises its format from the content (not the name) and
//! streams every record out as either an accepted [`Event`] or a [`Quarantined`] record with a
//! reason. Nothing is dropped silently and nothing in the input can make a reader panic: a
//! record that cannot become an event is quarantined, and only a file that is unreadable or of
//! no known shape as a whole is a [`ReadError`].
//!
//! Formats (see [`Format`]): TikTok Research API results, the X/Twitter Information Operations
//! archive CSV, X API v2 JSON, rtweet CSV exports, CrowdTangle/CooRnet link shares, the CSV
//! inputs of the peer tools CooRTweet and coordination-network-toolkit, and lockstep's own
//! NDJSON/CSV schema; Telegram Desktop chat exports, Bluesky Jetstream events, Meta Content
//! Library CSV downloads and YouTube Data API v3 responses. One module per format; `detect`,
//! `json` and `table` hold what the families share.
//!
//! Some records are neither activity nor bad (a Telegram service message, a Bluesky delete or
//! identity event, a YouTube search result that is a channel): they are *skipped*, passed to
//! [`Sink::skipped`] with what they are, and not counted in `read`.
//!
//! Inputs are written by the people under investigation, so every size the reader holds or
//! waits for is bounded by [`ReadLimits`] and named in the message when hit.
//!
//! **Identifiers and text** (every format alike): an identifier (post id, account, parent,
//! parent account, sound, media, platform, and the hashtags, mentions and links given as
//! fields) is trimmed of leading and trailing ASCII whitespace and otherwise kept byte for
//! byte; if it is not valid UTF-8 the record is quarantined ("account is not valid UTF-8"),
//! so two different byte strings can never become one account. Invalid UTF-8 in free text is
//! replaced by U+FFFD and the event kept; hashtags, mentions and links are not taken from a
//! text's replaced bytes.

use std::fs::{self, File};
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::time::Duration;

use lockstep_core::{Event, Quarantined};
use serde::{Deserialize, Serialize};

mod crowdtangle;
mod detect;
mod input;
mod json;
pub mod lockstep;
pub mod peers;
mod rtweet;
mod table;
pub mod tiktok;
mod time;
pub mod x;

mod bluesky;
mod meta;
mod telegram;
mod youtube;

pub use input::{decode, decode_with, Hashing};
pub use peers::parse_unix_seconds_lenient;

/// The input formats lockstep recognises. Names are defined here once: the manifest, the
/// summary and messages all use them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Format {
    #[strum(serialize = "tiktok-research")]
    TikTokResearch,
    XArchiveCsv,
    #[strum(serialize = "x-api-v2")]
    XApiV2,
    #[strum(serialize = "coortweet-csv")]
    CoorTweetCsv,
    #[strum(serialize = "coortweet-multimodal-csv")]
    CoorTweetMultimodalCsv,
    CntCsv,
    LockstepNdjson,
    LockstepCsv,
    #[strum(serialize = "crowdtangle-csv")]
    CrowdTangleCsv,
    RtweetCsv,
    #[strum(serialize = "telegram-json")]
    TelegramJson,
    #[strum(serialize = "bluesky-jetstream")]
    BlueskyJetstream,
    #[strum(serialize = "meta-content-library-csv")]
    MetaContentLibraryCsv,
    #[strum(serialize = "youtube-api-v3")]
    YoutubeApiV3,
}
lockstep_core::serde_by_name!(Format);

impl Format {
    pub fn name(&self) -> &'static str {
        (*self).into()
    }

    /// Whether the format spreads one post over several rows, one per object it shares
    /// (CooRTweet's layouts): rows with one post id are then parts of one post, not
    /// conflicting versions of it.
    pub fn rows_per_post(&self) -> bool {
        matches!(self, Format::CoorTweetCsv | Format::CoorTweetMultimodalCsv)
    }
}

/// Bounds on what one input can make the reader hold in memory or wait for. A record past a
/// record limit is quarantined (the reason names the limit) and reading goes on after it; a
/// file past a file limit is a [`ReadError`] naming the file and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Longest record, in bytes: a line of JSON lines, or a CSV record with the line breaks of
    /// its quoted fields. A longer one is quarantined; no more than this is held for it. A
    /// Telegram message longer than this (or 16 MiB) ends its streamed export, the rest of the
    /// file one quarantined record. Default 64 MiB.
    pub max_record_bytes: usize,
    /// Most lines one CSV record may span (quoted fields with line breaks). A quoted field
    /// still open after this many lines is taken for a stray quote: the line it opened on is
    /// quarantined and the lines after it are read as records again. Default 10,000.
    pub max_record_lines: usize,
    /// Largest file of multi-line (pretty-printed) JSON documents, which is read into memory
    /// whole; a larger one is an error (JSON lines and Telegram exports are streamed and have
    /// no such limit). Default 1 GiB.
    pub max_document_bytes: usize,
    /// Deepest nesting of JSON arrays around records (`[[{…}]]` is 2); a value nested deeper
    /// is quarantined. The fields of a record cannot nest: a value deeper than its field's
    /// type is a type error, and ignored fields are skipped without recursion. Also bounds
    /// the chats in chats of a streamed Telegram export. Default 128.
    pub max_json_depth: usize,
    /// Largest ratio of decompressed to compressed size a gzip or zstd stream may reach once
    /// past `expansion_floor` of content; beyond it the file is refused as a likely decompression bomb.
    /// Real exports compress 5–30 times; gzip cannot pass about 1032. `0` turns it off.
    /// Default 1000.
    pub max_expansion: u64,
    /// Content a gzip or zstd stream may reach before `max_expansion` is checked: small
    /// files of repeated rows compress far better than real exports without being a danger.
    /// Default 64 MiB.
    pub expansion_floor: u64,
    /// How long [`read_file_with`] waits for a named pipe (FIFO) to get a writer and data
    /// before giving up; once data flows it reads to the end. Default 30 s.
    pub fifo_wait: Duration,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_record_bytes: 64 << 20,
            max_record_lines: 10_000,
            max_document_bytes: 1 << 30,
            max_json_depth: 128,
            max_expansion: 1000,
            expansion_floor: 64 << 20,
            fifo_wait: Duration::from_secs(30),
        }
    }
}

/// What was read from one file, for the run manifest. `read == accepted + quarantined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InputFile {
    pub path: String,
    /// Hex SHA-256 of the bytes on disk (before decompression).
    pub sha256: String,
    /// Size on disk.
    pub bytes: u64,
    /// The format's name (`tiktok-research`, `x-archive-csv`, …).
    #[schemars(with = "String")]
    pub format: Format,
    /// `read == accepted + quarantined + duplicates`.
    #[serde(default)]
    pub read: u64,
    #[serde(default)]
    pub accepted: u64,
    #[serde(default)]
    pub quarantined: u64,
    /// Accepted records dropped as identical repeats of a record already read (same platform
    /// and post id, same content), here or in an earlier file. Filled in by the ingest stage.
    #[serde(default)]
    pub duplicates: u64,
    /// The coarsest clock all of the file's timestamps fit: 1000 when every time is a whole
    /// second, 60000 for whole minutes, 3600000 for whole hours (1 for milliseconds). Filled
    /// in by the ingest stage; absent for a file without events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_resolution_ms: Option<u64>,
    /// When the file's bytes equal an earlier input's, that input's path: the file is not read
    /// a second time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// Records that are neither actions nor bad, passed over, by what they are (Telegram
    /// service messages, Bluesky deletes, …). Not counted in `read`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub skipped: std::collections::BTreeMap<String, u64>,
}

/// A whole file could not be read. Every message starts with the file's path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    /// The message includes the I/O error, so it is not repeated as the error's source.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    #[error("{}: not a recognised format: {detail}", path.display())]
    UnknownFormat { path: PathBuf, detail: String },
    /// The file as a whole is past one of the [`ReadLimits`].
    #[error("{}: {detail}", path.display())]
    Limit { path: PathBuf, detail: String },
    /// Reading broke off part way (a truncated or corrupt compressed stream, trailing
    /// garbage, a decompression bomb, an I/O error). Every record before `line` was passed to
    /// the sink; `partial` counts them, and hashes the whole file.
    #[error(
        "{}: {reason}; reading stopped at line {line} of the content, after {} records ({} accepted, {} quarantined)",
        path.display(), partial.read, partial.accepted, partial.quarantined
    )]
    Stopped {
        path: PathBuf,
        reason: String,
        line: u64,
        partial: Box<InputFile>,
    },
}

impl ReadError {
    fn io(path: &Path, source: io::Error) -> ReadError {
        if source.kind() == io::ErrorKind::NotFound {
            ReadError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            ReadError::Io {
                path: path.to_path_buf(),
                error: source,
            }
        }
    }
}

/// A failure inside a reader, before the file path is attached.
#[derive(Debug)]
pub(crate) enum Fail {
    Io(io::Error),
    Format(String),
    Limit(String),
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Io(e)
    }
}

impl Fail {
    fn at(self, path: &Path) -> ReadError {
        match self {
            Fail::Io(e) => ReadError::io(path, e),
            Fail::Format(detail) => ReadError::UnknownFormat {
                path: path.to_path_buf(),
                detail,
            },
            Fail::Limit(detail) => ReadError::Limit {
                path: path.to_path_buf(),
                detail,
            },
        }
    }
}

/// What [`discover`] found: data files to read, and paths it passed over with the reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Sorted, each once.
    pub files: Vec<PathBuf>,
    /// Paths inside the given folders that were not taken, with why (a symbolic-link loop, a
    /// FIFO or device, an unreadable file or folder). Hidden files and names that are not
    /// data files are not listed.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Expands files and directories (recursively, following symbolic links) into a sorted,
/// de-duplicated list of files.
///
/// In directories only data files are taken: names ending in `.json`, `.jsonl`, `.ndjson`,
/// `.csv` or `.tsv`, optionally followed by `.gz`, `.zst` or `.zstd`; hidden files and
/// directories are skipped, and so (listed in [`Discovery::skipped`]) are symbolic-link
/// loops, FIFOs, sockets and devices, and entries that cannot be read. A path named
/// explicitly is always taken (a FIFO too); only a named path that does not exist or cannot
/// be examined is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Discovery, ReadError> {
    let mut d = Discovery::default();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| ReadError::io(path, e))?;
        if meta.is_dir() {
            walk(path, &mut d);
        } else {
            d.files.push(path.clone());
        }
    }
    d.files.sort();
    d.files.dedup();
    d.skipped.sort();
    d.skipped.dedup();
    Ok(d)
}

fn walk(dir: &Path, d: &mut Discovery) {
    let hidden =
        |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    let entries = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !hidden(e));
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                let reason = if e.loop_ancestor().is_some() {
                    "a symbolic link back to a folder above it (a loop): not followed".to_string()
                } else {
                    match e.io_error() {
                        Some(io) => format!("cannot read: {io}"),
                        None => e.to_string(),
                    }
                };
                d.skipped.push((path, reason));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() || !is_data_name(&entry.file_name().to_string_lossy()) {
            continue;
        }
        if !ft.is_file() {
            d.skipped.push((
                entry.into_path(),
                format!("not a regular file ({})", file_kind(&ft)),
            ));
            continue;
        }
        // Unreadable files are reported now, not found by the reader after others were read.
        match File::open(entry.path()) {
            Ok(_) => d.files.push(entry.into_path()),
            Err(e) => d
                .skipped
                .push((entry.into_path(), format!("cannot read: {e}"))),
        }
    }
}

fn file_kind(ft: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    let _ = ft;
    "not a file"
}

fn is_data_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let base = [".gz", ".zst", ".zstd"]
        .iter()
        .find_map(|c| name.strip_suffix(c))
        .unwrap_or(&name);
    [".json", ".jsonl", ".ndjson", ".csv", ".tsv"]
        .iter()
        .any(|ext| base.ends_with(ext))
}

/// Where a reader's records go, in input order: every record is either an accepted event or
/// a quarantined record (`read == accepted + quarantined`). Implemented by the detection
/// pipeline, by tests ([`Collect`]) and by anything that wants to consume a format: a socket,
/// an HTTP body, a message queue or a Python buffer goes through [`read_stream`] exactly as
/// a file does.
pub trait Sink {
    /// An accepted event; `record` is where it starts in the input (the 1-based line of the
    /// decompressed stream, as quarantined records give it).
    fn event(&mut self, event: Event, record: u64);
    fn quarantined(&mut self, record: Quarantined);
    /// A record that is neither an action nor bad, passed over: `what` says what it is
    /// (`"service message"`, `"delete"`, …). Not counted in `read`.
    fn skipped(&mut self, _record: u64, _what: &'static str) {}
    /// The stream ended; `input` has its counts, format and hash.
    fn finish(&mut self, _input: &InputFile) {}
}

/// A sink that keeps everything: for tests and small inputs.
#[derive(Debug, Default)]
pub struct Collect {
    pub events: Vec<Event>,
    pub quarantined: Vec<Quarantined>,
    /// Where each skipped record starts, and what it was.
    pub skipped: Vec<(u64, &'static str)>,
}

impl Sink for Collect {
    fn event(&mut self, event: Event, _record: u64) {
        self.events.push(event);
    }
    fn quarantined(&mut self, record: Quarantined) {
        self.quarantined.push(record);
    }
    fn skipped(&mut self, record: u64, what: &'static str) {
        self.skipped.push((record, what));
    }
}

/// Two callbacks as a sink (the first ignores where the event starts).
pub struct FnSink<E, Q>(pub E, pub Q);

impl<E: FnMut(Event), Q: FnMut(Quarantined)> Sink for FnSink<E, Q> {
    fn event(&mut self, event: Event, _record: u64) {
        (self.0)(event)
    }
    fn quarantined(&mut self, record: Quarantined) {
        (self.1)(record)
    }
}

/// Reads one file (see [`read_stream`]) with the default [`ReadLimits`]; errors name the path.
pub fn read_file(path: &Path, sink: &mut dyn Sink) -> Result<InputFile, ReadError> {
    read_file_with(path, &ReadLimits::default(), sink)
}

/// [`read_file`] within the given limits. A named pipe (FIFO) is opened without blocking and
/// waited on for at most [`ReadLimits::fifo_wait`].
pub fn read_file_with(
    path: &Path,
    limits: &ReadLimits,
    sink: &mut dyn Sink,
) -> Result<InputFile, ReadError> {
    let file = open(path, limits.fifo_wait)?;
    read_named(file, path, &path.display().to_string(), limits, sink)
}

/// [`read_file_with`] that stops part way once `stop()` is true (polled at every block read
/// from the file): a run whose memory budget is spent. Stopped after the format was known,
/// the read ends in [`ReadError::Stopped`] describing what was read; before, in an I/O error.
pub fn read_file_until(
    path: &Path,
    limits: &ReadLimits,
    sink: &mut dyn Sink,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<InputFile, ReadError> {
    let file = open(path, limits.fifo_wait)?;
    let until = Until { inner: file, stop };
    read_named(until, path, &path.display().to_string(), limits, sink)
}

/// A stream that fails once `stop()` is true.
struct Until<'a, R> {
    inner: R,
    stop: &'a (dyn Fn() -> bool + Sync),
}

impl<R: io::Read> io::Read for Until<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if (self.stop)() {
            return Err(io::Error::other("reading stopped by the run"));
        }
        self.inner.read(buf)
    }
}

/// Opens `path` for reading; a FIFO without blocking on a writer that never comes.
fn open(path: &Path, wait: Duration) -> Result<File, ReadError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let meta = fs::metadata(path).map_err(|e| ReadError::io(path, e))?;
        if meta.file_type().is_fifo() {
            return fifo::open(path, wait).map_err(|e| ReadError::io(path, e));
        }
    }
    let _ = wait;
    File::open(path).map_err(|e| ReadError::io(path, e))
}

#[cfg(unix)]
mod fifo {
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// Opening a FIFO for reading blocks until a writer opens it, forever if none does. It is
    /// opened non-blocking instead and polled: data, or a writer that came and went
    /// (POLLHUP), ends the wait; then the descriptor is made blocking again and read as any
    /// file, to its end.
    pub(super) fn open(path: &Path, wait: Duration) -> io::Result<File> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        let fd = file.as_raw_fd();
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
            // SAFETY: `pfd` is a valid pollfd for the duration of the call; one entry.
            let n = unsafe { libc::poll(&mut pfd, 1, ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n > 0 && pfd.revents != 0 {
                break;
            }
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "a named pipe (FIFO) that got no writer and no data within {:.1} s \
                         (limit fifo_wait)",
                        wait.as_secs_f64()
                    ),
                ));
            }
        }
        // SAFETY: plain fcntl calls on a descriptor this function owns.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(file)
    }
}

/// Reads a byte stream of any supported format: detects gzip/zstd compression by magic bytes
/// and the format by content, then passes every record to `sink` in input order. `name` is
/// how records and errors refer to the stream (a file path, `-`, `nats:subject`). The SHA-256
/// and size cover every byte of the stream as given (before decompression). Uses the default
/// [`ReadLimits`].
pub fn read_stream(
    stream: impl io::Read,
    name: &str,
    sink: &mut dyn Sink,
) -> Result<InputFile, ReadError> {
    read_stream_with(stream, name, &ReadLimits::default(), sink)
}

/// [`read_stream`] within the given limits.
pub fn read_stream_with(
    stream: impl io::Read,
    name: &str,
    limits: &ReadLimits,
    sink: &mut dyn Sink,
) -> Result<InputFile, ReadError> {
    read_named(stream, Path::new(name), name, limits, sink)
}

fn read_named(
    stream: impl io::Read,
    path: &Path,
    name: &str,
    limits: &ReadLimits,
    sink: &mut dyn Sink,
) -> Result<InputFile, ReadError> {
    let mut raw = input::Hashing::new(stream);
    let mut records = Records::new(name, *limits, sink);
    let result = input::decode_with(&mut raw, limits)
        .map_err(Fail::from)
        .and_then(|stream| read_family(stream, &mut records));
    // Readers consume their input to the end, but hash whatever may follow regardless (after
    // an error too: the manifest names the file by all its bytes).
    let rest = io::copy(&mut raw, &mut io::sink());
    let (sha256, bytes) = raw.finish().map_err(|e| ReadError::io(path, e))?;
    let input = InputFile {
        path: name.to_string(),
        sha256,
        bytes,
        format: records.format.unwrap_or(Format::LockstepNdjson),
        read: records.read,
        accepted: records.accepted,
        quarantined: records.quarantined,
        duplicates: 0,
        time_resolution_ms: None,
        same_as: None,
        skipped: records
            .skipped
            .iter()
            .map(|(k, &n)| (k.to_string(), n))
            .collect(),
    };
    match result {
        Ok(format) => {
            rest.map_err(|e| ReadError::io(path, e))?;
            let input = InputFile { format, ..input };
            records.out.finish(&input);
            Ok(input)
        }
        // Broken off after the format was known: what was read is described, not thrown away.
        Err(Fail::Io(e)) if records.format.is_some() => Err(ReadError::Stopped {
            path: path.to_path_buf(),
            reason: e.to_string(),
            line: records.at_line,
            partial: Box::new(input),
        }),
        Err(f) => Err(f.at(path)),
    }
}

fn read_family(stream: Box<dyn BufRead + '_>, sink: &mut Records) -> Result<Format, Fail> {
    match detect::sniff(stream)? {
        (detect::Family::Json, line, stream) => json::read(stream, line, sink),
        (detect::Family::Csv { delimiter }, line, stream) => {
            table::read(stream, delimiter, line, sink)
        }
    }
}

/// A reader's view of the caller's [`Sink`]: counts records and names their file.
pub(crate) struct Records<'a> {
    file: &'a str,
    out: &'a mut dyn Sink,
    pub(crate) limits: ReadLimits,
    read: u64,
    accepted: u64,
    quarantined: u64,
    skipped: std::collections::BTreeMap<&'static str, u64>,
    /// Set by a reader once it knows the format (an I/O error after that stops a read part
    /// way, see [`ReadError::Stopped`]).
    pub(crate) format: Option<Format>,
    /// The first line not yet read, for [`ReadError::Stopped`].
    pub(crate) at_line: u64,
    /// The record being handled is a copy with invalid UTF-8 replaced by U+FFFD: an event
    /// with U+FFFD in an identifier is quarantined instead of accepted.
    pub(crate) replaced: bool,
}

/// Longest raw text kept with a quarantined record, in characters.
const RAW_CHARS: usize = 300;

impl<'a> Records<'a> {
    pub(crate) fn new(file: &'a str, limits: ReadLimits, out: &'a mut dyn Sink) -> Records<'a> {
        Records {
            file,
            out,
            limits,
            read: 0,
            accepted: 0,
            quarantined: 0,
            skipped: Default::default(),
            format: None,
            at_line: 1,
            replaced: false,
        }
    }

    pub(crate) fn read_so_far(&self) -> u64 {
        self.read
    }

    /// Passes on a record another sink collected.
    pub(crate) fn replay(&mut self, o: json::Outcome) {
        match o {
            json::Outcome::Event(e, record) => self.accept(record, e),
            json::Outcome::Bad(q) => {
                self.read += 1;
                self.quarantined += 1;
                self.out.quarantined(q);
            }
            json::Outcome::Skipped(record, what) => self.skip(record, what),
        }
    }

    /// A record passed over (see [`Sink::skipped`]); not counted in `read`.
    pub(crate) fn skip(&mut self, record: u64, what: &'static str) {
        *self.skipped.entry(what).or_default() += 1;
        self.out.skipped(record, what);
    }

    pub(crate) fn accept(&mut self, record: u64, event: Event) {
        self.read += 1;
        self.accepted += 1;
        self.out.event(event, record);
    }

    pub(crate) fn reject(&mut self, record: u64, reason: impl Into<String>, raw: &[u8]) {
        self.read += 1;
        self.quarantined += 1;
        // Only the start is kept, so only the start is converted (a quarantined line may be
        // megabytes of invalid UTF-8).
        let raw = raw.trim_ascii();
        let head = &raw[..raw.len().min(4 * RAW_CHARS + 4)];
        let text = String::from_utf8_lossy(head);
        let text = text.trim();
        let raw = match text.char_indices().nth(RAW_CHARS) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None if head.len() < raw.len() => format!("{text}…"),
            None => text.to_string(),
        };
        self.out.quarantined(Quarantined {
            file: self.file.to_string(),
            record,
            reason: reason.into(),
            raw,
        });
    }

    pub(crate) fn emit(&mut self, record: u64, raw: &[u8], result: Result<Event, String>) {
        match result {
            Ok(event) => match self.replaced.then(|| replaced_identifier(&event)).flatten() {
                Some(field) => self.reject(record, format!("{field} is not valid UTF-8"), raw),
                None => self.accept(record, event),
            },
            Err(reason) => self.reject(record, reason, raw),
        }
    }
}

/// The first identifier of `e` holding U+FFFD, the mark of a replaced invalid byte.
fn replaced_identifier(e: &Event) -> Option<&'static str> {
    const R: char = char::REPLACEMENT_CHARACTER;
    let bad = |s: &str| s.contains(R);
    let bad_opt = |s: &Option<String>| s.as_deref().is_some_and(bad);
    let bad_list = |l: &[String]| l.iter().any(|s| bad(s));
    [
        ("id", bad(&e.id)),
        ("account", bad(&e.account)),
        ("parent", bad_opt(&e.parent)),
        ("parent_account", bad_opt(&e.parent_account)),
        ("sound", bad_opt(&e.sound)),
        ("media", bad_opt(&e.media)),
        ("platform", bad(&e.platform)),
        ("hashtags", bad_list(&e.hashtags)),
        ("mentions", bad_list(&e.mentions)),
        ("urls", bad_list(&e.urls)),
    ]
    .into_iter()
    .find_map(|(name, is_bad)| is_bad.then_some(name))
}

/// Fills hashtags, mentions and URLs: the given lists (sigils stripped) where present, the
/// ones found in the text where not.
pub(crate) fn set_entities(
    event: &mut Event,
    hashtags: Option<Vec<String>>,
    mentions: Option<Vec<String>>,
    urls: Option<Vec<String>>,
) {
    let (mut t, mut m, mut u) = Default::default();
    if let Some(text) = &event.text {
        // Only what is missing is collected.
        let (tags, ments, links) = (hashtags.is_none(), mentions.is_none(), urls.is_none());
        // U+FFFD is EF BF BD: a byte search says no at memory speed for almost every text.
        let replaced = memchr::memchr(0xef, text.as_bytes()).is_some()
            && text.contains(char::REPLACEMENT_CHARACTER);
        if replaced {
            // Not from replaced bytes: `#café` in Latin-1 must not become `#caf`, nor
            // `#bad\xff` and `#bad\xfe` one hashtag. A letter stands in for each replaced
            // byte so that an entity touching one holds it, and is dropped.
            const MARK: char = '\u{a66e}';
            let marked = text.replace(char::REPLACEMENT_CHARACTER, "\u{a66e}");
            (t, m, u) = lockstep_core::extract(&marked, tags, ments, links);
            for list in [&mut t, &mut m, &mut u] {
                list.retain(|s: &String| !s.contains(MARK));
            }
        } else {
            (t, m, u) = lockstep_core::extract(text, tags, ments, links);
        }
    }
    event.hashtags = hashtags.map_or(t, |v| clean_list(v, Some('#')));
    event.mentions = mentions.map_or(m, |v| clean_list(v, Some('@')));
    event.urls = urls.map_or(u, |v| clean_list(v, None));
}

fn clean_list(items: Vec<String>, sigil: Option<char>) -> Vec<String> {
    items
        .into_iter()
        .filter_map(|s| {
            let t = s.trim_ascii();
            let t = sigil.map_or(t, |c| t.trim_start_matches(c).trim_ascii_start());
            if t.is_empty() {
                None
            } else if t.len() == s.len() {
                Some(s)
            } else {
                Some(t.to_string())
            }
        })
        .collect()
}

/// `Some(s)` unless `s` is empty or blank.
pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// An identifier as every reader keeps it: without leading and trailing ASCII whitespace,
/// `None` when nothing is left.
pub(crate) fn ident(s: Option<String>) -> Option<String> {
    let s = s?;
    let t = s.trim_ascii();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_string())
    }
}

/// A follower count: an integer, or a float such as `"1234.0"` from pandas exports.
pub(crate) fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim();
    s.parse().ok().or_else(|| {
        let f: f64 = s.parse().ok()?;
        (f.is_finite() && f >= 0.0 && f < u64::MAX as f64).then_some(f as u64)
    })
}

/// `https://x.com/i/status/<id>`: a quoted post as a shared link.
pub(crate) fn status_url(id: &str) -> String {
    format!("https://x.com/i/status/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_names() {
        for n in [
            "a.csv",
            "a.CSV",
            "a.jsonl.gz",
            "a.ndjson.zst",
            "a.json.zstd",
            "a.tsv",
        ] {
            assert!(is_data_name(n), "{n}");
        }
        for n in ["a.png", "a.gz", "a.csv.bak", "readme.md", "json"] {
            assert!(!is_data_name(n), "{n}");
        }
    }

    #[test]
    fn entity_lists_are_cleaned() {
        let mut e = Event::new("1", "a", 0);
        e.text = Some("hi #x @y https://z.example".into());
        set_entities(&mut e, Some(vec!["#Tag".into(), " ".into()]), None, None);
        assert_eq!(e.hashtags, vec!["Tag"]);
        assert_eq!(e.mentions, vec!["y"]);
        assert_eq!(e.urls, vec!["https://z.example"]);
    }

    #[test]
    fn formats_are_named_once() {
        use strum::VariantArray;
        let names: Vec<&str> = Format::VARIANTS.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "tiktok-research",
                "x-archive-csv",
                "x-api-v2",
                "coortweet-csv",
                "coortweet-multimodal-csv",
                "cnt-csv",
                "lockstep-ndjson",
                "lockstep-csv",
                "crowdtangle-csv",
                "rtweet-csv",
                "telegram-json",
                "bluesky-jetstream",
                "meta-content-library-csv",
                "youtube-api-v3"
            ]
        );
        for &f in Format::VARIANTS {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.name()));
            assert_eq!(serde_json::from_str::<Format>(&json).unwrap(), f);
            assert_eq!(f.to_string(), f.name());
        }
    }
}
