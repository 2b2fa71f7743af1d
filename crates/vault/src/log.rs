//! The case log: every action on a case is one JSON object on one line of
//! `vault/log.ndjson`. A leaf of the log tree is the line's bytes without its LF. Each entry
//! carries `seq` (its index), `kind`, `time` (UTC, RFC 3339) and `prev` (the leaf hash of the
//! entry before it, `null` for the first), so a changed entry is found exactly; the signed
//! checkpoints make the whole log append-only.

use crate::error::{Result, VaultError};
use crate::layout;
use crate::merkle::{leaf_hash, Hash};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// Known kinds (others are allowed: the log is open to new actions).
pub mod kind {
    /// The `lockstep detect` run that made the case: version, parameters, inputs.
    pub const DETECT: &str = "detect";
    pub const SEAL: &str = "seal";
    pub const EXPORT: &str = "export";
    /// An analyst's verdict on a cluster or account (team server).
    pub const VERDICT: &str = "verdict";
    pub const NOTE: &str = "note";
    pub const WATCH_SNAPSHOT: &str = "watch_snapshot";
    /// New work built on a sealed case: names it by origin and signed checkpoint.
    pub const DERIVED_FROM: &str = "derived_from";
}

/// An entry to append: its kind and its own fields (`seq`, `kind`, `time`, `prev` are added).
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: String,
    pub fields: Map<String, Value>,
}

impl NewEntry {
    pub fn new(kind: &str) -> NewEntry {
        NewEntry {
            kind: kind.to_string(),
            fields: Map::new(),
        }
    }
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> NewEntry {
        self.fields.insert(key.to_string(), value.into());
        self
    }
}

/// One line of the log as stored.
#[derive(Debug, Clone)]
pub struct Entry {
    pub line: String,
    pub leaf: Hash,
}

impl Entry {
    pub fn from_line(line: String) -> Entry {
        let leaf = leaf_hash(line.as_bytes());
        Entry { line, leaf }
    }
    pub fn value(&self) -> Option<Value> {
        serde_json::from_str(&self.line).ok()
    }
}

/// Builds the line for `e` as entry `seq` after an entry whose leaf hash is `prev`.
pub fn make_line(seq: u64, prev: Option<&Hash>, e: &NewEntry, time: &str) -> String {
    let mut m = e.fields.clone();
    m.insert("seq".into(), seq.into());
    m.insert("kind".into(), e.kind.clone().into());
    m.insert("time".into(), time.into());
    m.insert(
        "prev".into(),
        prev.map_or(Value::Null, |h| hex::encode(h).into()),
    );
    // serde_json maps are sorted by key: the same entry always gives the same line.
    Value::Object(m).to_string()
}

/// Reads the log's lines. Fails on unreadable files or non-UTF-8 content; `verify` reads
/// the raw bytes itself to name damaged lines.
pub fn read(case: &Path) -> Result<Vec<Entry>> {
    let path = case.join(layout::LOG);
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8(b).map_err(|_| VaultError::BadCase {
            path: path.clone(),
            reason: "the log is not UTF-8".into(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(VaultError::io(path, e)),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(VaultError::BadCase {
            path,
            reason: "the log does not end with a line break".into(),
        });
    }
    Ok(text
        .split_terminator('\n')
        .map(|l| Entry::from_line(l.to_string()))
        .collect())
}

/// Appends an entry to a case's log (atomically: the log is rewritten under a temporary
/// name and renamed). It is covered by a signature at the next `seal`; until then `verify`
/// reports it as pending. The team server and `watch` call this.
pub fn append_entry(case: &Path, entry: &NewEntry) -> Result<u64> {
    if !layout::is_sealed(case) {
        return Err(VaultError::NotFound(format!(
            "{}: not a sealed case (no vault/); seal it first",
            case.display()
        )));
    }
    let mut entries = read(case)?;
    let seq = entries.len() as u64;
    let line = make_line(seq, entries.last().map(|e| &e.leaf), entry, &now_rfc3339());
    entries.push(Entry::from_line(line));
    write(case, &entries)?;
    Ok(seq)
}

/// Writes the whole log atomically.
pub fn write(case: &Path, entries: &[Entry]) -> Result<()> {
    let path = case.join(layout::LOG);
    let dir = case.join(layout::VAULT);
    let mut t = tempfile::NamedTempFile::new_in(&dir).map_err(|e| VaultError::io(&dir, e))?;
    let mut buf = Vec::new();
    for e in entries {
        buf.extend_from_slice(e.line.as_bytes());
        buf.push(b'\n');
    }
    t.write_all(&buf)
        .and_then(|_| t.as_file().sync_all())
        .map_err(|e| VaultError::io(&path, e))?;
    t.persist(&path)
        .map_err(|e| VaultError::io(&path, e.error))?;
    Ok(())
}

/// The entry new work puts in its own log to say it builds on a sealed case: the sealed
/// case's latest signed checkpoint, verbatim (its origin is the checkpoint's first line).
/// `seal` adds it on a first seal (`SealOptions::derived_from`); later, `append_entry` it.
pub fn derived_from(sealed_case: &Path) -> Result<NewEntry> {
    let entries = read(sealed_case)?;
    let size = entries.len() as u64;
    let mut last = None;
    for s in (1..=size).rev() {
        let p = sealed_case.join(layout::checkpoint(s));
        if let Ok(text) = std::fs::read_to_string(&p) {
            last = Some((s, text));
            break;
        }
    }
    let (s, text) = last.ok_or_else(|| {
        VaultError::NotFound(format!(
            "{}: no checkpoint: not a sealed case",
            sealed_case.display()
        ))
    })?;
    Ok(NewEntry::new(kind::DERIVED_FROM)
        .with("case", sealed_case.display().to_string())
        .with("checkpoint_size", s)
        .with("checkpoint", text))
}

/// Now, UTC, to the second: `2024-12-05T10:00:00Z`.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    rfc3339(secs)
}

fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_lines() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_733_392_800), "2024-12-05T10:00:00Z");
        let e = NewEntry::new("note").with("text", "x");
        let l = make_line(0, None, &e, "t");
        assert_eq!(
            l,
            r#"{"kind":"note","prev":null,"seq":0,"text":"x","time":"t"}"#
        );
    }
}
