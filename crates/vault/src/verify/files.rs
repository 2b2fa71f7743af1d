//! Checks of the sealed files: inputs (and which of their lines changed), the case
//! folder's files, evidence records, record groups.

use super::{file, Problem, Subject, VerifyOptions, VerifyReport};
use crate::evidence::{EvidenceRecord, FileLeaf, TreeHead};
use crate::layout::{self, resolve_input};
use crate::merkle::{self, Hash};
use crate::records;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub(super) fn check_hash(
    case: &Path,
    rel: &str,
    sha: &str,
    r: &mut VerifyReport,
) -> Option<Vec<u8>> {
    r.files_checked += 1;
    match std::fs::read(case.join(rel)) {
        Err(_) => {
            r.problem(file(rel), format!("MISSING (sealed with sha256 {sha})"));
            None
        }
        Ok(b) => {
            let now = hex::encode(Sha256::digest(&b));
            if now != sha {
                r.problem(file(rel), format!("CHANGED (sealed {sha}, now {now})"));
            }
            Some(b)
        }
    }
}

pub(super) fn check_files(
    case: &Path,
    opts: &VerifyOptions,
    seal: &Value,
    seal_index: u64,
    r: &mut VerifyReport,
    known: &mut BTreeSet<String>,
) {
    let entry = Subject::LogEntry { index: seal_index };
    let files: Vec<FileLeaf> = match seal.get("files").cloned().map(serde_json::from_value) {
        Some(Ok(f)) => f,
        _ => {
            r.problem(entry, "seal entry without a readable file list");
            return;
        }
    };
    let tree: Option<TreeHead> = seal
        .get("case_tree")
        .cloned()
        .and_then(|t| serde_json::from_value(t).ok());
    let leaves: Vec<Hash> = files.iter().map(FileLeaf::leaf).collect();
    let root = hex::encode(merkle::root(&leaves));
    if tree.as_ref().map(|t| (t.size, &t.root)) != Some((files.len() as u64, &root)) {
        r.problem(
            entry.clone(),
            "its case tree root is not that of its file list",
        );
    }
    if let Some(sha) = seal.get("public_key_sha256").and_then(Value::as_str) {
        check_hash(case, layout::PUBKEY, sha, r);
    }
    // Record-tree group hashes per input index: (level, sealed hashes if intact).
    let mut groups: BTreeMap<usize, (u32, Option<Vec<Hash>>)> = BTreeMap::new();
    for g in seal
        .get("record_groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(i), Some(path), Some(level), Some(sha)) = (
            g.get("input").and_then(Value::as_u64),
            g.get("path").and_then(Value::as_str),
            g.get("level").and_then(Value::as_u64),
            g.get("sha256").and_then(Value::as_str),
        ) else {
            r.problem(entry.clone(), "a record_groups item is malformed");
            continue;
        };
        known.insert(path.to_string());
        let intact = check_hash(case, path, sha, r)
            .filter(|b| b.len() % 32 == 0)
            .map(|b| {
                b.chunks_exact(32)
                    .map(|c| <Hash>::try_from(c).unwrap_or_default())
                    .collect()
            });
        groups.insert(i as usize, (level.min(63) as u32, intact));
    }
    for (i, f) in files.iter().enumerate() {
        r.files_checked += 1;
        if f.role == "input" {
            let p = resolve_input(&f.path, opts.inputs_dir.as_deref());
            let mode = groups
                .get(&i)
                .map_or(records::GroupMode::Off, |g| records::GroupMode::Level(g.0));
            match records::hash_input(&p, &[], mode) {
                Err(_) => r.problem(
                    file(&f.path),
                    format!("MISSING input (sealed with sha256 {})", f.sha256),
                ),
                Ok(d) => {
                    let now = hex::encode(d.sha256);
                    let rroot = hex::encode(d.record_root);
                    if now != f.sha256 || d.bytes != f.bytes {
                        let records = if Some(rroot) == f.record_root
                            && Some(d.records) == f.records
                        {
                            "its records are unchanged (the compressed form changed)".to_string()
                        } else {
                            format!(
                                "its record tree differs ({} records sealed, {} now)",
                                f.records.unwrap_or(0),
                                d.records
                            )
                        };
                        r.problem(
                            file(&f.path),
                            format!("CHANGED input (sealed {}, now {now}); {records}", f.sha256),
                        );
                        if let (Some((level, Some(sealed))), Some(now)) =
                            (groups.get(&i), &d.groups)
                        {
                            if let Some(p) = changed_lines(
                                &f.path,
                                *level,
                                sealed,
                                &now.hashes,
                                f.records,
                                d.records,
                            ) {
                                r.problems.push(p);
                            }
                        }
                    }
                }
            }
        } else {
            known.insert(f.path.clone());
            let p = case.join(&f.path);
            match records::hash_file(&p) {
                Err(_) => r.problem(
                    file(&f.path),
                    format!("MISSING (sealed with sha256 {})", f.sha256),
                ),
                Ok((sha, bytes)) => {
                    let now = hex::encode(sha);
                    if now != f.sha256 || bytes != f.bytes {
                        r.problem(
                            file(&f.path),
                            format!("CHANGED (sealed {}, now {now})", f.sha256),
                        );
                    }
                }
            }
        }
    }
    // Evidence records: their hashes, and their proofs against this seal's case tree.
    let evidence: Vec<(String, String)> = seal
        .get("evidence")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some((
                        e.get("path")?.as_str()?.to_string(),
                        e.get("sha256")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for (rel, sha) in evidence {
        known.insert(rel.clone());
        let Some(bytes) = check_hash(case, &rel, &sha, r) else {
            continue;
        };
        if rel == layout::EVIDENCE_INDEX {
            continue;
        }
        let rec: EvidenceRecord = match serde_json::from_slice(&bytes) {
            Ok(rec) => rec,
            Err(_) => {
                r.problem(file(&rel), "not an evidence record");
                continue;
            }
        };
        let at = Subject::Record {
            file: rec.file.clone(),
            line: rec.line,
        };
        if let Err(e) = rec.check() {
            r.problem(at, format!("{rel}: {e}"));
            continue;
        }
        let sealed_leaf = files
            .get(rec.file_proof.index as usize)
            .map(FileLeaf::leaf_data);
        if Some(&rec.case_tree) != tree.as_ref() || sealed_leaf.as_ref() != Some(&rec.file_leaf) {
            r.problem(
                at,
                format!("{rel}: its proofs are not for this seal's case tree"),
            );
            continue;
        }
        r.proofs_checked += rec.lines as usize + 1;
    }
}
/// Names the first lines of a changed input that are not as sealed, from the group hashes.
pub(super) fn changed_lines(
    path: &str,
    level: u32,
    sealed: &[Hash],
    now: &[Hash],
    sealed_records: Option<u64>,
    records: u64,
) -> Option<Problem> {
    let w = 1u64 << level;
    let k = sealed.iter().zip(now).position(|(a, b)| a != b);
    let (first, what) = match k {
        Some(k) => (
            k as u64 * w + 1,
            format!(
                "changed: lines {}–{} are not as sealed (the first of its groups of {w} lines that differs)",
                k as u64 * w + 1,
                (k as u64 + 1) * w
            ),
        ),
        None if sealed.len() != now.len() || sealed_records != Some(records) => {
            let from = sealed.len().min(now.len()) as u64 * w + 1;
            (
                from,
                format!(
                    "changed: lines from {from} on are not as sealed ({} lines sealed, {records} now)",
                    sealed_records.unwrap_or(0)
                ),
            )
        }
        None => return None,
    };
    Some(Problem {
        subject: Subject::Record {
            file: path.to_string(),
            line: first,
        },
        what,
    })
}
