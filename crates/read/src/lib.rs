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
//! archive CSV, X API v2 JSON, the CSV inputs of the peer tools CooRTweet and
//! coordination-network-toolkit, and lockstep's own NDJSON/CSV schema. One module per format;
//! `detect`, `json` and `table` hold what the families share.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use lockstep_core::{Event, Quarantined};
use serde::{Deserialize, Serialize};

mod detect;
mod input;
mod json;
pub mod lockstep;
pub mod peers;
mod table;
pub mod tiktok;
mod time;
pub mod x;

pub use peers::parse_unix_seconds_lenient;

/// The input formats lockstep recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    #[serde(rename = "tiktok-research")]
    TikTokResearch,
    #[serde(rename = "x-archive-csv")]
    XArchiveCsv,
    #[serde(rename = "x-api-v2")]
    XApiV2,
    #[serde(rename = "coortweet-csv")]
    CoorTweetCsv,
    CoorTweetMultimodalCsv,
    #[serde(rename = "cnt-csv")]
    CntCsv,
    #[serde(rename = "lockstep-ndjson")]
    LockstepNdjson,
    #[serde(rename = "lockstep-csv")]
    LockstepCsv,
}

impl Format {
    pub fn name(&self) -> &'static str {
        match self {
            Format::TikTokResearch => "tiktok-research",
            Format::XArchiveCsv => "x-archive-csv",
            Format::XApiV2 => "x-api-v2",
            Format::CoorTweetCsv => "coortweet-csv",
            Format::CoorTweetMultimodalCsv => "coortweet-multimodal-csv",
            Format::CntCsv => "cnt-csv",
            Format::LockstepNdjson => "lockstep-ndjson",
            Format::LockstepCsv => "lockstep-csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What was read from one file, for the run manifest. `read == accepted + quarantined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFile {
    pub path: String,
    /// Hex SHA-256 of the bytes on disk (before decompression).
    pub sha256: String,
    /// Size on disk.
    pub bytes: u64,
    pub format: Format,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
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
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Io(e)
    }
}

impl From<csv::Error> for Fail {
    fn from(e: csv::Error) -> Fail {
        match e.into_kind() {
            csv::ErrorKind::Io(e) => Fail::Io(e),
            // Not expected with flexible byte records; a broken file all the same.
            other => Fail::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("CSV: {other:?}"),
            )),
        }
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
        }
    }
}

/// Expands files and directories (recursively) into a sorted, de-duplicated list of files.
///
/// In directories only data files are taken: names ending in `.json`, `.jsonl`, `.ndjson`,
/// `.csv` or `.tsv`, optionally followed by `.gz`, `.zst` or `.zstd`; hidden files and
/// directories are skipped. A file named explicitly is always taken.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| ReadError::io(path, e))?;
        if meta.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let entries = fs::read_dir(dir).map_err(|e| ReadError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ReadError::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        // `metadata` follows symlinks, so a linked data directory is walked too.
        let meta = fs::metadata(&path).map_err(|e| ReadError::io(&path, e))?;
        if meta.is_dir() {
            walk(&path, out)?;
        } else if meta.is_file() && is_data_name(&name) {
            out.push(path);
        }
    }
    Ok(())
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

/// Reads one file: detects gzip/zstd compression by magic bytes and the format by content,
/// then calls `on_event` for each accepted event and `on_bad` for each quarantined record, in
/// file order. The SHA-256 covers every byte of the file on disk.
pub fn read_file(
    path: &Path,
    on_event: &mut dyn FnMut(Event),
    on_bad: &mut dyn FnMut(Quarantined),
) -> Result<InputFile, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
    let mut raw = input::Hashing::new(file);
    let name = path.display().to_string();
    let mut sink = Sink::new(&name, on_event, on_bad);
    let format = input::decode(&mut raw)
        .map_err(Fail::from)
        .and_then(|stream| read_stream(stream, &mut sink))
        .map_err(|f| f.at(path))?;
    // Readers consume their input to the end, but hash whatever may follow regardless.
    io::copy(&mut raw, &mut io::sink()).map_err(|e| ReadError::io(path, e))?;
    let (sha256, bytes) = raw.finish().map_err(|e| ReadError::io(path, e))?;
    Ok(InputFile {
        path: name.clone(),
        sha256,
        bytes,
        format,
        read: sink.read,
        accepted: sink.accepted,
        quarantined: sink.quarantined,
    })
}

fn read_stream(mut stream: Box<dyn BufRead + '_>, sink: &mut Sink) -> Result<Format, Fail> {
    match detect::sniff(&mut stream)? {
        (detect::Family::Json, line) => json::read(stream, line, sink),
        (detect::Family::Csv { delimiter }, line) => table::read(stream, delimiter, line, sink),
    }
}

/// Where records go: counts them and forwards them to the caller's callbacks.
pub(crate) struct Sink<'a> {
    file: &'a str,
    on_event: &'a mut dyn FnMut(Event),
    on_bad: &'a mut dyn FnMut(Quarantined),
    read: u64,
    accepted: u64,
    quarantined: u64,
}

/// Longest raw text kept with a quarantined record, in characters.
const RAW_CHARS: usize = 300;

impl<'a> Sink<'a> {
    pub(crate) fn new(
        file: &'a str,
        on_event: &'a mut dyn FnMut(Event),
        on_bad: &'a mut dyn FnMut(Quarantined),
    ) -> Sink<'a> {
        Sink {
            file,
            on_event,
            on_bad,
            read: 0,
            accepted: 0,
            quarantined: 0,
        }
    }

    /// Passes on a record another sink collected.
    pub(crate) fn replay(&mut self, o: json::Outcome) {
        self.read += 1;
        match o {
            json::Outcome::Event(e) => {
                self.accepted += 1;
                (self.on_event)(e);
            }
            json::Outcome::Bad(q) => {
                self.quarantined += 1;
                (self.on_bad)(q);
            }
        }
    }

    pub(crate) fn accept(&mut self, event: Event) {
        self.read += 1;
        self.accepted += 1;
        (self.on_event)(event);
    }

    pub(crate) fn reject(&mut self, record: u64, reason: impl Into<String>, raw: &[u8]) {
        self.read += 1;
        self.quarantined += 1;
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        let raw = match text.char_indices().nth(RAW_CHARS) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.to_string(),
        };
        (self.on_bad)(Quarantined {
            file: self.file.to_string(),
            record,
            reason: reason.into(),
            raw,
        });
    }

    pub(crate) fn emit(&mut self, record: u64, raw: &[u8], result: Result<Event, String>) {
        match result {
            Ok(event) => self.accept(event),
            Err(reason) => self.reject(record, reason, raw),
        }
    }
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
        (t, m, u) =
            lockstep_core::extract(text, hashtags.is_none(), mentions.is_none(), urls.is_none());
    }
    event.hashtags = hashtags.map_or(t, |v| clean_list(v, Some('#')));
    event.mentions = mentions.map_or(m, |v| clean_list(v, Some('@')));
    event.urls = urls.map_or(u, |v| clean_list(v, None));
}

fn clean_list(items: Vec<String>, sigil: Option<char>) -> Vec<String> {
    items
        .into_iter()
        .filter_map(|s| {
            let t = s.trim();
            let t = sigil.map_or(t, |c| t.trim_start_matches(c));
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
    fn formats_serialize_by_name() {
        let s = serde_json::to_string(&Format::CoorTweetCsv).unwrap();
        assert_eq!(s, "\"coortweet-csv\"");
        assert_eq!(Format::LockstepNdjson.to_string(), "lockstep-ndjson");
    }
}
