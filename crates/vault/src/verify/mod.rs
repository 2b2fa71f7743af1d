//! `verify`: re-checks a sealed case from its files alone — every file hash, the case tree,
//! every evidence record's proofs, the log's hash chain against each signed checkpoint,
//! the consistency proofs between checkpoints, the timestamp tokens — and names what is
//! wrong: the file, the record, the log entry, the checkpoint or its signature.
//! An unsealed case gets today's manifest check ([`verify_case`]).

mod chain;
mod files;

use crate::case;
use crate::error::{Result, VaultError};
use crate::evidence::parse_hash;
use crate::layout;
use crate::log::kind;
use crate::merkle::{self, leaf_hash, Hash};
use crate::note::Checkpoint;
use crate::tsa;
use chain::{check_consistency, check_key, checkpoint_files, find_changed, vault_name};
use ed25519_dalek::VerifyingKey;
use files::{check_files, check_hash};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Check signatures with this key instead of the case's own `vault/vault.pub` (which
    /// must then be the same key).
    pub pubkey: Option<VerifyingKey>,
    /// Find inputs under this folder, laid out as an export does.
    pub inputs_dir: Option<PathBuf>,
    /// Checkpoints of this case held elsewhere (an export, a bundle, a court filing), as
    /// (name, signed note): the log must still contain what each signed, which catches a
    /// case rolled back to an earlier seal.
    pub against: Vec<(String, String)>,
}

/// What a problem is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum Subject {
    /// A file (input as recorded, or relative to the case folder).
    File { path: String },
    /// A record of an input, by 1-based line.
    Record { file: String, line: u64 },
    /// An entry of the case log, by index (`seq`).
    LogEntry { index: u64 },
    /// The log as a whole (truncated, no seal entry, …).
    Log,
    /// A checkpoint or its signature.
    Checkpoint { path: String },
    /// A timestamp token.
    Timestamp { path: String },
    /// The public key.
    Key,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Problem {
    #[serde(flatten)]
    pub subject: Subject,
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            Subject::File { path } => write!(f, "file {path}: {}", self.what),
            Subject::Record { file, line } => write!(f, "record {file}:{line}: {}", self.what),
            Subject::LogEntry { index } => write!(f, "log entry {index}: {}", self.what),
            Subject::Log => write!(f, "log: {}", self.what),
            Subject::Checkpoint { path } => write!(f, "checkpoint {path}: {}", self.what),
            Subject::Timestamp { path } => write!(f, "timestamp {path}: {}", self.what),
            Subject::Key => write!(f, "public key: {}", self.what),
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VerifyReport {
    pub sealed: bool,
    pub problems: Vec<Problem>,
    /// Things worth knowing that are not failures (pending log entries, timestamp times).
    pub notes: Vec<String>,
    pub files_checked: usize,
    pub proofs_checked: usize,
    /// The latest checkpoint `(size, root hex)`, when one verified.
    pub checkpoint: Option<(u64, String)>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
    /// 0 when everything holds, 3 when anything does not.
    pub fn exit_code(&self) -> u8 {
        if self.ok() {
            0
        } else {
            3
        }
    }
    fn problem(&mut self, subject: Subject, what: impl Into<String>) {
        self.problems.push(Problem {
            subject,
            what: what.into(),
        });
    }
}

/// Verifies a case: sealed, everything above; unsealed, today's manifest check.
pub fn verify_case(case: &Path, opts: &VerifyOptions) -> Result<VerifyReport> {
    if layout::is_sealed(case) {
        return verify_sealed(case, opts);
    }
    let (bad, checked) = lockstep_case::verify(case).map_err(|e| {
        if case.join("manifest.json").exists() {
            VaultError::BadCase {
                path: case.join("manifest.json"),
                reason: format!("{e:#}"),
            }
        } else {
            VaultError::NotACase(case.to_path_buf())
        }
    })?;
    let mut r = VerifyReport {
        files_checked: checked,
        ..VerifyReport::default()
    };
    for m in bad {
        let what = match &m.actual {
            Some(h) => format!("CHANGED (manifest {}, now {h})", m.expected),
            None => format!("MISSING (manifest {})", m.expected),
        };
        r.problem(Subject::File { path: m.path }, what);
    }
    r.notes
        .push("not sealed: only the manifest's sha256 hashes were checked".into());
    Ok(r)
}

pub(super) struct LogLine {
    pub(super) leaf: Hash,
    pub(super) value: Option<Value>,
}

/// Verifies a sealed case (see the module comment). Errors only when the folder is not a
/// sealed case at all; everything wrong inside one is a [`Problem`].
pub fn verify_sealed(case: &Path, opts: &VerifyOptions) -> Result<VerifyReport> {
    if !layout::is_sealed(case) {
        return Err(VaultError::NotACase(case.to_path_buf()));
    }
    let mut r = VerifyReport {
        sealed: true,
        ..VerifyReport::default()
    };
    let key = check_key(case, opts, &mut r);

    // The log, line by line.
    let log_path = case.join(layout::LOG);
    let raw = match std::fs::read(&log_path) {
        Ok(b) => b,
        Err(_) => {
            r.problem(file(layout::LOG), "MISSING (the case log)");
            // Without the log nothing says which files belong; name the ones that cannot.
            for f in case::all_files(case)? {
                if f.starts_with("vault/") && !vault_name(&f) {
                    r.problem(file(&f), "ADDED (not a vault file)");
                }
            }
            return Ok(r);
        }
    };
    if !raw.is_empty() && raw.last() != Some(&b'\n') {
        r.problem(
            Subject::Log,
            "does not end with a line break (cut short or bytes added)",
        );
    }
    let mut lines: Vec<LogLine> = Vec::new();
    for (i, l) in raw
        .split(|&b| b == b'\n')
        .enumerate()
        .take_while(|(i, l)| !l.is_empty() || *i == 0 && raw.is_empty())
    {
        if l.is_empty() {
            break;
        }
        let value = std::str::from_utf8(l)
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .filter(Value::is_object);
        let idx = i as u64;
        match &value {
            None => r.problem(Subject::LogEntry { index: idx }, "not a JSON object"),
            Some(v) if v.get("seq").and_then(Value::as_u64) != Some(idx) => r.problem(
                Subject::LogEntry { index: idx },
                format!(
                    "seq is {}, expected {idx} (entries out of order?)",
                    v["seq"]
                ),
            ),
            _ => {}
        }
        lines.push(LogLine {
            leaf: leaf_hash(l),
            value,
        });
    }
    if raw.windows(2).any(|w| w == b"\n\n") {
        r.problem(Subject::Log, "has an empty line");
    }
    let n = lines.len() as u64;
    let seals: Vec<u64> = (0..n)
        .filter(|&i| kind_of(&lines[i as usize]) == Some(kind::SEAL))
        .collect();
    let Some(&latest) = seals.last() else {
        r.problem(
            Subject::Log,
            "no seal entry: the case was never sealed, or its log was cut",
        );
        return Ok(r);
    };
    let origin = lines[latest as usize]
        .value
        .as_ref()
        .and_then(|v| v.get("origin"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();

    // Checkpoints: one per seal entry, covering the log up to and including it. A
    // checkpoint file whose seal entry is no longer one is checked too, so a damaged seal
    // entry is named rather than its checkpoint reported as extra.
    let mut known: BTreeSet<String> = [layout::LOG.to_string(), layout::PUBKEY.to_string()].into();
    let mut cps: BTreeMap<u64, (Checkpoint, String)> = BTreeMap::new();
    let mut changed_entries: BTreeSet<u64> = BTreeSet::new();
    let mut sizes: BTreeSet<u64> = seals.iter().map(|s| s + 1).collect();
    let present = checkpoint_files(case);
    for &size in &present {
        if !sizes.contains(&size) {
            sizes.insert(size);
            let what = if size <= n {
                "is not a seal entry, but a signed checkpoint ends with it"
            } else {
                "missing: a signed checkpoint covers it (the log was cut short)"
            };
            r.problem(Subject::LogEntry { index: size - 1 }, what);
        }
    }
    for &size in &sizes {
        let s_idx = size - 1;
        let rel = layout::checkpoint(size);
        known.insert(rel.clone());
        let Ok(text) = std::fs::read_to_string(case.join(&rel)) else {
            r.problem(
                file(&rel),
                format!("MISSING (the checkpoint of seal entry {s_idx})"),
            );
            continue;
        };
        let sub = Subject::Checkpoint { path: rel.clone() };
        let Some(key) = &key else { continue };
        let cp = match Checkpoint::open(&text, key) {
            Ok(cp) => cp,
            Err(e) => {
                r.problem(sub, format!("signature check failed: {e}"));
                continue;
            }
        };
        if cp.size != size {
            r.problem(
                sub.clone(),
                format!("signs size {}, its name says {size}", cp.size),
            );
        }
        if cp.origin != origin {
            r.problem(
                sub.clone(),
                format!("origin {:?} is not the case's {origin:?}", cp.origin),
            );
        }
        if cp.size > n {
            r.problem(
                Subject::Log,
                format!(
                    "cut short: {rel} signs {} entries, the log has {n}",
                    cp.size
                ),
            );
            cps.insert(size, (cp, text));
            continue;
        }
        let leaves: Vec<Hash> = lines[..cp.size as usize].iter().map(|l| l.leaf).collect();
        if merkle::root(&leaves) != cp.root || cp.last_entry != leaves.last().copied() {
            // Walk down the hash chain from the signed last entry: the first entry whose hash
            // is not what its successor recorded is the one that changed.
            match find_changed(&lines[..cp.size as usize], cp.last_entry) {
                Some(j) => {
                    changed_entries.insert(j);
                }
                None => r.problem(sub, "the log's entries do not give its root"),
            }
        }
        r.proofs_checked += 1;
        cps.insert(size, (cp, text));
    }
    for j in &changed_entries {
        r.problem(
            Subject::LogEntry { index: *j },
            "changed, removed or moved since it was signed (not the entry the later ones chain to)",
        );
    }
    // Entries after the last checkpoint are allowed (appended, to be sealed next) but must
    // chain on.
    let sealed_len = latest + 1;
    for i in sealed_len.max(1)..n {
        let prev = lines[i as usize]
            .value
            .as_ref()
            .and_then(|v| v.get("prev"))
            .and_then(Value::as_str)
            .and_then(|h| parse_hash(h).ok());
        if prev != Some(lines[i as usize - 1].leaf) {
            r.problem(
                Subject::LogEntry { index: i },
                format!("does not chain to entry {} (its prev hash)", i - 1),
            );
        }
    }
    if n > sealed_len {
        r.notes.push(format!(
            "log entries {sealed_len}..{} were appended after the last seal and are not signed yet",
            n - 1
        ));
    }

    // Checkpoints held elsewhere: the log must still hold what they signed.
    for (name, text) in &opts.against {
        let sub = Subject::Checkpoint { path: name.clone() };
        let Some(key) = &key else { continue };
        match Checkpoint::open(text, key) {
            Err(e) => r.problem(sub, format!("signature check failed: {e}")),
            Ok(cp) if cp.origin != origin => r.problem(
                sub,
                format!("is a checkpoint of {:?}, not of this case", cp.origin),
            ),
            Ok(cp) if cp.size > n => r.problem(
                Subject::Log,
                format!(
                    "rolled back or cut short: {name} signs {} entries, the log has {n}",
                    cp.size
                ),
            ),
            Ok(cp) => {
                let leaves: Vec<Hash> = lines[..cp.size as usize].iter().map(|l| l.leaf).collect();
                if merkle::root(&leaves) == cp.root {
                    r.proofs_checked += 1;
                    r.notes
                        .push(format!("the log extends {name} ({} entries)", cp.size));
                } else {
                    match find_changed(&lines[..cp.size as usize], cp.last_entry) {
                        Some(j) => r.problem(
                            Subject::LogEntry { index: j },
                            format!("is not the entry {name} signed (the log was rewritten)"),
                        ),
                        None => r.problem(sub, "the log was rewritten since it was signed"),
                    }
                }
            }
        }
    }

    // Consistency between successive checkpoints.
    let sizes: Vec<u64> = sizes.iter().copied().collect();
    for w in sizes.windows(2) {
        let (a, b) = (w[0], w[1]);
        let rel = layout::consistency(a, b);
        known.insert(rel.clone());
        let sub = Subject::Checkpoint { path: rel.clone() };
        let Ok(text) = std::fs::read_to_string(case.join(&rel)) else {
            r.problem(file(&rel), "MISSING (consistency proof)");
            continue;
        };
        let (Some((ca, _)), Some((cb, _))) = (cps.get(&a), cps.get(&b)) else {
            continue;
        };
        match check_consistency(&text, ca, cb) {
            Ok(()) => r.proofs_checked += 1,
            Err(e) => r.problem(sub, e),
        }
    }

    // Timestamp tokens.
    for &s_idx in &seals {
        let size = s_idx + 1;
        let Some(tsa) = lines[s_idx as usize]
            .value
            .as_ref()
            .and_then(|v| v.get("tsa"))
            .filter(|t| t.is_object())
        else {
            continue;
        };
        let rel = layout::token(size);
        known.insert(rel.clone());
        if let Some(ca_sha) = tsa.get("ca_sha256").and_then(Value::as_str) {
            let ca = layout::tsa_ca(size);
            known.insert(ca.clone());
            check_hash(case, &ca, ca_sha, &mut r);
        }
        let Ok(token) = std::fs::read(case.join(&rel)) else {
            r.problem(file(&rel), "MISSING (the seal asked a TSA for it)");
            continue;
        };
        let Some((_, note)) = cps.get(&size) else {
            continue;
        };
        let nonce = tsa
            .get("nonce")
            .and_then(Value::as_str)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() <= 8)
            .map(|b| b.iter().fold(0u64, |a, &x| a << 8 | u64::from(x)));
        let Some(nonce) = nonce else {
            r.problem(Subject::LogEntry { index: s_idx }, "bad tsa nonce");
            continue;
        };
        match tsa::verify_token(&token, note.as_bytes(), nonce) {
            Ok(info) => {
                r.proofs_checked += 1;
                r.notes.push(format!(
                    "{rel}: checkpoint {size} existed at {} (TSA time)",
                    info.gen_time
                ));
            }
            Err(e) => r.problem(Subject::Timestamp { path: rel }, e.to_string()),
        }
    }

    // The files of the latest seal.
    let seal = lines[latest as usize].value.clone().unwrap_or(Value::Null);
    check_files(case, opts, &seal, latest, &mut r, &mut known);
    if let Some((size, (cp, _))) = cps.iter().next_back() {
        if r.problems.is_empty() || *size == latest + 1 {
            r.checkpoint = Some((*size, hex::encode(cp.root)));
        }
    }

    // Anything else in the folder was not sealed.
    for f in case::all_files(case)? {
        if !known.contains(&f) {
            r.problem(file(&f), "ADDED (not part of the sealed case)");
        }
    }
    r.problems.sort();
    r.problems.dedup();
    Ok(r)
}

pub(super) fn file(p: &str) -> Subject {
    Subject::File {
        path: p.to_string(),
    }
}

pub(super) fn kind_of(l: &LogLine) -> Option<&str> {
    l.value.as_ref()?.get("kind")?.as_str()
}
