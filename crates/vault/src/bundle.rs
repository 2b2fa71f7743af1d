//! `prove`: a self-contained proof bundle for one record — its bytes, its proofs into the
//! record tree and the case tree (an [`EvidenceRecord`]), the seal entry naming that case
//! tree, the seal entry's audit path into the signed log, the signed checkpoint, the public
//! key and the timestamp token. [`verify_bundle`] (or `verify_merkle.py`-style code and
//! `openssl`) checks it alone.

use crate::error::{Result, VaultError};
use crate::evidence::{EvidenceRecord, FileLeaf, PathProof, TreeHead, EVIDENCE_FORMAT};
use crate::layout::{self, resolve_input};
use crate::log;
use crate::merkle::{self, leaf_hash, verify_inclusion, Hash};
use crate::note::Checkpoint;
use crate::verify::{Problem, Subject};
use crate::{keys, records, tsa};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

pub const BUNDLE_FORMAT: &str = "lockstep-proof/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    pub format: String,
    pub evidence: EvidenceRecord,
    /// The log line of the seal whose case tree the evidence proves into.
    pub seal_entry: String,
    /// Its audit path into the checkpoint's log tree.
    pub log_proof: PathProof,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// The sealing public key (SPKI PEM). Check it against a copy you trust (`--pubkey`).
    pub public_key: String,
    /// The RFC 3161 token over the checkpoint, DER in base64, when the seal had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_token: Option<String>,
}

/// What to prove.
#[derive(Debug, Clone)]
pub enum Target {
    /// An input as the manifest names it, and a 1-based line.
    Record { file: String, line: u64 },
    /// A post cited as evidence.
    Post(String),
}

impl Target {
    /// Parses `FILE:N` (the last `:` splits, so paths may hold colons).
    pub fn parse_record(spec: &str) -> Result<Target> {
        let bad = || VaultError::BadRecordSpec(format!("{spec:?}: expected FILE:LINE (1-based)"));
        let (file, n) = spec.rsplit_once(':').ok_or_else(bad)?;
        let line: u64 = n.parse().map_err(|_| bad())?;
        if line == 0 || file.is_empty() {
            return Err(bad());
        }
        Ok(Target::Record {
            file: file.to_string(),
            line,
        })
    }
}

/// Builds the bundle for `target` against the case's latest seal.
pub fn prove(case: &Path, target: &Target, inputs_dir: Option<&Path>) -> Result<ProofBundle> {
    if !layout::is_sealed(case) {
        return Err(VaultError::NotACase(case.to_path_buf()));
    }
    let entries = log::read(case)?;
    let size = crate::seal::last_checkpoint_size(&entries).ok_or_else(|| {
        VaultError::NotFound(format!("{}: the log has no seal entry", case.display()))
    })?;
    let seal_line = entries[size as usize - 1].line.clone();
    let seal: Value =
        serde_json::from_str(&seal_line).map_err(|e| VaultError::Json(e.to_string()))?;
    let files: Vec<FileLeaf> = serde_json::from_value(seal["files"].clone())
        .map_err(|e| VaultError::Json(format!("seal entry: {e}")))?;
    let case_tree: TreeHead = serde_json::from_value(seal["case_tree"].clone())
        .map_err(|e| VaultError::Json(format!("seal entry: {e}")))?;
    let evidence = match target {
        Target::Post(id) => post_record(case, id)?,
        Target::Record { file, line } => record(file, *line, &files, &case_tree, inputs_dir)?,
    };
    let leaves: Vec<Hash> = entries[..size as usize].iter().map(|e| e.leaf).collect();
    let path = merkle::inclusion_proof(&leaves, size as usize - 1).unwrap_or_default();
    let rd =
        |rel: String| std::fs::read(case.join(&rel)).map_err(|e| VaultError::io(case.join(rel), e));
    let checkpoint = String::from_utf8(rd(layout::checkpoint(size))?)
        .map_err(|_| VaultError::Json("checkpoint is not UTF-8".into()))?;
    let public_key = String::from_utf8(rd(layout::PUBKEY.into())?)
        .map_err(|_| VaultError::Json("public key is not UTF-8".into()))?;
    let timestamp_token = std::fs::read(case.join(layout::token(size)))
        .ok()
        .map(|t| B64.encode(t));
    Ok(ProofBundle {
        format: BUNDLE_FORMAT.into(),
        evidence,
        seal_entry: seal_line,
        log_proof: PathProof::new(size - 1, &path),
        checkpoint,
        public_key,
        timestamp_token,
    })
}

fn post_record(case: &Path, id: &str) -> Result<EvidenceRecord> {
    let idx_path = case.join(layout::EVIDENCE_INDEX);
    let text = std::fs::read_to_string(&idx_path).map_err(|e| VaultError::io(&idx_path, e))?;
    let idx: Value = serde_json::from_str(&text).map_err(|e| VaultError::Json(e.to_string()))?;
    let hit = idx["posts"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"].as_str() == Some(id)))
        .and_then(|p| p["evidence"].as_str())
        .ok_or_else(|| {
            VaultError::NotFound(format!(
                "post {id} has no evidence record in this case (not cited, or skipped: see {}); use --record FILE:LINE",
                layout::EVIDENCE_INDEX
            ))
        })?;
    let p = case.join(hit);
    let bytes = std::fs::read(&p).map_err(|e| VaultError::io(&p, e))?;
    serde_json::from_slice(&bytes).map_err(|e| VaultError::Json(format!("{hit}: {e}")))
}

/// A record by line: one pass over its input for the proof, checked against the seal.
fn record(
    file: &str,
    line: u64,
    files: &[FileLeaf],
    case_tree: &TreeHead,
    inputs_dir: Option<&Path>,
) -> Result<EvidenceRecord> {
    let (index, leaf) = files
        .iter()
        .enumerate()
        .find(|(_, f)| f.role == "input" && f.path == file)
        .ok_or_else(|| VaultError::NotFound(format!("{file} is not an input of this case")))?;
    let p = resolve_input(file, inputs_dir);
    let d = records::hash_input(&p, &[line - 1], records::GroupMode::Off)
        .map_err(|e| VaultError::io(&p, e))?;
    if Some(hex::encode(d.record_root)) != leaf.record_root {
        return Err(VaultError::CaseDoesNotVerify(format!(
            "{file} changed since it was sealed"
        )));
    }
    let (Some(bytes), Some(path)) = (d.lines.get(&(line - 1)), d.proofs.get(&(line - 1))) else {
        return Err(VaultError::NotFound(format!(
            "{file} has {} lines, not {line}",
            d.records
        )));
    };
    let leaves: Vec<Hash> = files.iter().map(FileLeaf::leaf).collect();
    Ok(EvidenceRecord {
        format: EVIDENCE_FORMAT.into(),
        post: Value::Null,
        clusters: Vec::new(),
        file: file.to_string(),
        line,
        lines: 1,
        located_by: "line".into(),
        record_text: std::str::from_utf8(bytes).ok().map(str::to_string),
        record_base64: B64.encode(bytes),
        record_tree: TreeHead {
            size: d.records,
            root: hex::encode(d.record_root),
        },
        leaf_proofs: vec![PathProof::new(line - 1, path)],
        file_leaf: leaf.leaf_data(),
        case_tree: case_tree.clone(),
        file_proof: PathProof::new(
            index as u64,
            &merkle::inclusion_proof(&leaves, index).unwrap_or_default(),
        ),
    })
}

/// Checks a bundle on its own. With `pubkey` the signature is checked with that key (and
/// the bundle's own key must be it); without, with the bundle's key — say so to whoever
/// relies on it. Returns the problems (none: the record is proven).
pub fn verify_bundle(text: &str, pubkey: Option<&VerifyingKey>) -> Result<Vec<Problem>> {
    let b: ProofBundle =
        serde_json::from_str(text).map_err(|e| VaultError::BadBundle(e.to_string()))?;
    let mut out = Vec::new();
    let ev = &b.evidence;
    let rec = Subject::Record {
        file: ev.file.clone(),
        line: ev.line,
    };
    let mut problem = |s: Subject, w: String| {
        out.push(Problem {
            subject: s,
            what: w,
        })
    };
    if b.format != BUNDLE_FORMAT {
        problem(
            Subject::Log,
            format!("unknown bundle format {:?}", b.format),
        );
    }
    if let Err(e) = ev.check() {
        problem(rec.clone(), e);
    }
    let seal: Value = serde_json::from_str(&b.seal_entry).unwrap_or(Value::Null);
    let entry = Subject::LogEntry {
        index: b.log_proof.index,
    };
    let tree: Option<TreeHead> = serde_json::from_value(seal["case_tree"].clone()).ok();
    let files: Option<Vec<FileLeaf>> = serde_json::from_value(seal["files"].clone()).ok();
    let sealed_leaf = files
        .as_ref()
        .and_then(|f| f.get(ev.file_proof.index as usize))
        .map(FileLeaf::leaf_data);
    // A cited post's record is the sealed evidence file, description included; a record
    // asked for by line has no description.
    if ev.located_by == "line" {
        if !ev.post.is_null() || !ev.clusters.is_empty() {
            problem(
                rec.clone(),
                "a record by line carries a post description".into(),
            );
        }
    } else {
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(ev.to_file_bytes()));
        let sealed = seal["evidence"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["sha256"].as_str() == Some(sha.as_str())));
        if !sealed {
            problem(
                rec.clone(),
                "the evidence record is not one the seal lists".into(),
            );
        }
    }
    if tree.as_ref() != Some(&ev.case_tree) || sealed_leaf.as_ref() != Some(&ev.file_leaf) {
        problem(
            rec.clone(),
            "the seal entry does not name this case tree and file".into(),
        );
    }
    // Canonical PEM only: a parser that skips text around the key must not let the
    // bundle change unseen.
    let own = keys::parse_public(&b.public_key).and_then(|k| {
        if keys::public_pem(&k)? == b.public_key {
            Ok(k)
        } else {
            Err("not in canonical PEM form".to_string())
        }
    });
    let key = match (pubkey, &own) {
        (Some(k), Ok(o)) if k != o => {
            problem(
                Subject::Key,
                "the bundle's public key is not the given one".into(),
            );
            Some(*k)
        }
        (Some(k), Err(e)) => {
            problem(
                Subject::Key,
                format!("the bundle's public key is unreadable: {e}"),
            );
            Some(*k)
        }
        (Some(k), Ok(_)) => Some(*k),
        (None, Ok(o)) => Some(*o),
        (None, Err(e)) => {
            problem(
                Subject::Key,
                format!("the bundle's public key is unreadable: {e}"),
            );
            None
        }
    };
    let cp_sub = Subject::Checkpoint {
        path: "checkpoint".into(),
    };
    if let Some(key) = key {
        match Checkpoint::open(&b.checkpoint, &key) {
            Err(e) => problem(cp_sub, format!("signature check failed: {e}")),
            Ok(cp) => {
                let path: std::result::Result<Vec<Hash>, String> = b.log_proof.hashes();
                let ok = path.and_then(|p| {
                    verify_inclusion(
                        &leaf_hash(b.seal_entry.as_bytes()),
                        b.log_proof.index,
                        cp.size,
                        &p,
                        &cp.root,
                    )
                    .map_err(|e| e.to_string())
                });
                if let Err(e) = ok {
                    problem(
                        entry,
                        format!("the seal entry is not in the signed log: {e}"),
                    );
                }
                if let Some(t) = &b.timestamp_token {
                    let nonce = seal["tsa"]["nonce"]
                        .as_str()
                        .and_then(|h| hex::decode(h).ok())
                        .filter(|v| v.len() <= 8)
                        .map(|v| v.iter().fold(0u64, |a, &x| a << 8 | u64::from(x)));
                    let token = B64.decode(t).unwrap_or_default();
                    let sub = Subject::Timestamp {
                        path: "timestamp_token".into(),
                    };
                    match nonce.map(|n| tsa::verify_token(&token, b.checkpoint.as_bytes(), n)) {
                        None => problem(sub, "the seal entry holds no TSA nonce".into()),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => problem(sub, e.to_string()),
                    }
                }
            }
        }
    }
    Ok(out)
}
