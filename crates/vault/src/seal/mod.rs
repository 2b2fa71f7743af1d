//! `seal`: hashes every input (file sha256 and record tree in one pass) and every file of
//! the case folder, builds the case tree, writes an evidence record for each cited post,
//! appends a `seal` entry to the case log and signs a checkpoint of the log (optionally
//! time-stamped). Everything is computed — and the TSA asked — before the case is touched;
//! then the new files are written into a staging folder inside the case and renamed into
//! place, the log last: a failure leaves the case as it was.

mod commit;
mod locate;

use crate::case::{self, Manifest};
use crate::error::{Result, VaultError};
use crate::evidence::{EvidenceRecord, FileLeaf, PathProof, TreeHead, EVIDENCE_FORMAT};
use crate::layout::{self, resolve_input};
use crate::log::{self, kind, make_line, now_rfc3339, Entry, NewEntry};
use crate::merkle::{self, consistency_proof, Hash};
use crate::note::{self, Checkpoint};
use crate::records::{self, InputDigest};
use crate::{keys, tsa, verify};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use commit::commit;
use locate::locate;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to seal.
#[derive(Debug, Clone)]
pub struct SealOptions {
    /// The Ed25519 private key (PKCS#8 PEM). Never copied into the case.
    pub key: PathBuf,
    /// An RFC 3161 time-stamping authority (http:// URL).
    pub tsa: Option<String>,
    /// The TSA's CA certificate (PEM), copied into the case for `openssl ts -verify`.
    pub tsa_ca: Option<PathBuf>,
    /// Find inputs under this folder, laid out as an export does, instead of as recorded.
    pub inputs_dir: Option<PathBuf>,
    pub tsa_timeout: Duration,
    /// Sealed cases this one builds on: on a first seal, a `derived_from` entry for each
    /// (with its signed checkpoint) follows the `detect` entry.
    pub derived_from: Vec<PathBuf>,
}

impl SealOptions {
    pub fn new(key: impl Into<PathBuf>) -> SealOptions {
        SealOptions {
            key: key.into(),
            tsa: None,
            tsa_ca: None,
            inputs_dir: None,
            tsa_timeout: Duration::from_secs(30),
            derived_from: Vec::new(),
        }
    }
}

/// What a seal did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SealOutcome {
    pub origin: String,
    pub checkpoint: String,
    pub checkpoint_size: u64,
    pub root: String,
    pub case_tree_size: u64,
    pub inputs: usize,
    pub records: u64,
    /// Bytes hashed (inputs as stored, and the case's files).
    pub bytes: u64,
    pub evidence: usize,
    /// Cited posts without an evidence record, and why.
    pub skipped: Vec<(String, String)>,
    /// Extends this earlier checkpoint (with a stored consistency proof).
    pub extends: Option<u64>,
    /// The TSA's time, when time-stamped.
    pub timestamp: Option<String>,
    pub seconds: f64,
}

/// At most this many group hashes per input (128 KiB): `verify` names changed lines to
/// within `records / 2048` lines.
const GROUPS: usize = 4096;

pub fn seal(case: &Path, opts: &SealOptions) -> Result<SealOutcome> {
    let started = Instant::now();
    let manifest = case::read_manifest(case)?;
    let key = keys::load_private(&opts.key)?;
    let public = key.verifying_key();
    let public_pem = keys::public_pem(&public).map_err(|e| VaultError::BadKey {
        path: opts.key.clone(),
        reason: e,
    })?;
    let sealed = layout::is_sealed(case);
    let mut entries: Vec<Entry> = Vec::new();
    if sealed {
        let existing = keys::load_public(&case.join(layout::PUBKEY))?;
        if existing != public {
            return Err(VaultError::KeyMismatch);
        }
        let report = verify::verify_sealed(
            case,
            &verify::VerifyOptions {
                pubkey: Some(public),
                inputs_dir: opts.inputs_dir.clone(),
                ..Default::default()
            },
        )?;
        if !report.problems.is_empty() {
            let list: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
            return Err(VaultError::CaseDoesNotVerify(list.join("; ")));
        }
        entries = log::read(case)?;
    } else if case.join(layout::EVIDENCE).exists() {
        return Err(VaultError::BadCase {
            path: case.join(layout::EVIDENCE),
            reason: "an unsealed case already has an evidence/ folder".into(),
        });
    }
    if let Some(url) = &opts.tsa {
        if !url.starts_with("http://") {
            return Err(VaultError::Tsa {
                url: url.clone(),
                reason: "only http:// time-stamping URLs are supported (tokens are signed)".into(),
            });
        }
    }
    let tsa_ca = match &opts.tsa_ca {
        Some(p) => Some(std::fs::read(p).map_err(|e| VaultError::io(p, e))?),
        None => None,
    };

    // Where the cited posts' records are.
    let posts = case::cited_posts(case)?;
    let (located, mut skipped) = locate(&posts, &manifest, opts.inputs_dir.as_deref())?;

    // Hash: the case folder's files on a thread of their own, inputs here (two threads each).
    let files = case::case_files(case)?;
    let outputs = {
        let case = case.to_path_buf();
        let files = files.clone();
        std::thread::spawn(move || -> Result<Vec<FileLeaf>> {
            files
                .iter()
                .map(|f| {
                    let p = case.join(f);
                    let (sha, bytes) = records::hash_file(&p).map_err(|e| VaultError::io(&p, e))?;
                    Ok(FileLeaf {
                        role: "output".into(),
                        path: f.clone(),
                        bytes,
                        sha256: hex::encode(sha),
                        records: None,
                        record_root: None,
                    })
                })
                .collect()
        })
    };
    let mut digests: Vec<InputDigest> = Vec::new();
    for (i, input) in manifest.inputs.iter().enumerate() {
        check_path(&input.path)?;
        let wanted: Vec<u64> = located
            .iter()
            .filter(|l| l.0 == i)
            .flat_map(|l| l.1.first..l.1.first + l.1.lines)
            .collect();
        let p = resolve_input(&input.path, opts.inputs_dir.as_deref());
        let d = records::hash_input(&p, &wanted, records::GroupMode::Adaptive(GROUPS))
            .map_err(|e| VaultError::io(&p, e))?;
        digests.push(d);
    }
    let outputs = outputs
        .join()
        .map_err(|_| VaultError::Json("the hashing thread stopped".into()))??;
    for o in &outputs {
        check_path(&o.path)?;
    }

    // A first seal seals what detect wrote: the files must still match the manifest.
    if !sealed {
        let mut changed = Vec::new();
        for (input, d) in manifest.inputs.iter().zip(&digests) {
            if hex::encode(d.sha256) != input.sha256 {
                changed.push(input.path.clone());
            }
        }
        for (name, sha) in &manifest.outputs {
            match outputs.iter().find(|o| &o.path == name) {
                Some(o) if &o.sha256 == sha => {}
                _ => changed.push(name.clone()),
            }
        }
        if !changed.is_empty() {
            return Err(VaultError::BadCase {
                path: case.join("manifest.json"),
                reason: format!(
                    "these files no longer match the manifest: {}",
                    changed.join(", ")
                ),
            });
        }
    }

    // The case tree: inputs in manifest order, then the case's files by path.
    let mut leaves: Vec<FileLeaf> = manifest
        .inputs
        .iter()
        .zip(&digests)
        .map(|(input, d)| FileLeaf {
            role: "input".into(),
            path: input.path.clone(),
            bytes: d.bytes,
            sha256: hex::encode(d.sha256),
            records: Some(d.records),
            record_root: Some(hex::encode(d.record_root)),
        })
        .collect();
    leaves.extend(outputs);
    let leaf_hashes: Vec<Hash> = leaves.iter().map(FileLeaf::leaf).collect();
    let case_root = merkle::root(&leaf_hashes);
    let case_tree = TreeHead {
        size: leaves.len() as u64,
        root: hex::encode(case_root),
    };

    // Evidence records.
    let mut evidence_files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut index_posts = Vec::new();
    let mut used_names: BTreeMap<String, usize> = BTreeMap::new();
    for (input_index, l) in &located {
        let d = &digests[*input_index];
        let post = &posts[l.post];
        if l.first + l.lines > d.records {
            skipped.push((
                post.id.clone(),
                format!(
                    "line {} is past the end of {} ({} lines)",
                    l.first + l.lines,
                    manifest.inputs[*input_index].path,
                    d.records
                ),
            ));
            continue;
        }
        let mut bytes = Vec::new();
        let mut leaf_proofs = Vec::new();
        for m in l.first..l.first + l.lines {
            // Every asked-for line within the file was kept with its path.
            if let (Some(b), Some(p)) = (d.lines.get(&m), d.proofs.get(&m)) {
                bytes.extend_from_slice(b);
                leaf_proofs.push(PathProof::new(m, p));
            }
        }
        if leaf_proofs.len() as u64 != l.lines {
            skipped.push((post.id.clone(), "its lines could not be proven".into()));
            continue;
        }
        let file_path = manifest.inputs[*input_index].path.clone();
        let rec = EvidenceRecord {
            format: EVIDENCE_FORMAT.into(),
            post: post.post.clone(),
            clusters: post.clusters.clone(),
            file: file_path.clone(),
            line: l.first + 1,
            lines: l.lines,
            located_by: l.by.into(),
            record_text: std::str::from_utf8(&bytes).ok().map(str::to_string),
            record_base64: B64.encode(&bytes),
            record_tree: TreeHead {
                size: d.records,
                root: hex::encode(d.record_root),
            },
            leaf_proofs,
            file_leaf: leaves[*input_index].leaf_data(),
            case_tree: case_tree.clone(),
            file_proof: PathProof::new(
                *input_index as u64,
                &merkle::inclusion_proof(&leaf_hashes, *input_index).unwrap_or_default(),
            ),
        };
        let base = layout::safe_name(&post.id);
        let n = used_names.entry(base.clone()).or_insert(0);
        *n += 1;
        let name = if *n == 1 {
            format!("{}/post-{base}.json", layout::EVIDENCE)
        } else {
            format!("{}/post-{base}-{n}.json", layout::EVIDENCE)
        };
        let json = rec.to_file_bytes();
        index_posts.push(json!({
            "id": post.id, "clusters": post.clusters, "file": file_path,
            "line": l.first + 1, "lines": l.lines, "located_by": l.by, "evidence": name,
        }));
        evidence_files.insert(name, json);
    }
    skipped.sort();
    let index = json!({
        "format": "lockstep-evidence-index/1",
        "posts": index_posts,
        "skipped": skipped.iter().map(|(id, why)| json!({"id": id, "reason": why})).collect::<Vec<_>>(),
    });
    let mut index_bytes =
        serde_json::to_vec_pretty(&index).map_err(|e| VaultError::Json(e.to_string()))?;
    index_bytes.push(b'\n');
    evidence_files.insert(layout::EVIDENCE_INDEX.into(), index_bytes);

    // The log: the detect run first (on a first seal), then this seal.
    let time = now_rfc3339();
    if entries.is_empty() {
        let e = detect_entry(&manifest, case)?;
        entries.push(Entry::from_line(make_line(0, None, &e, &time)));
        for d in &opts.derived_from {
            let e = log::derived_from(d)?;
            let seq = entries.len() as u64;
            let line = make_line(seq, entries.last().map(|e| &e.leaf), &e, &time);
            entries.push(Entry::from_line(line));
        }
    } else if !opts.derived_from.is_empty() {
        return Err(VaultError::BadCase {
            path: case.to_path_buf(),
            reason:
                "derived_from is recorded at the first seal; append a derived_from entry instead"
                    .into(),
        });
    }
    let origin = format!(
        "lockstep.vault/case/{}",
        &hex::encode(entries[0].leaf)[..16]
    );
    let prev_checkpoint = last_checkpoint_size(&entries);
    let seq = entries.len() as u64;
    let size = seq + 1;
    let nonce = rand_nonce();
    let tsa_field = match &opts.tsa {
        Some(url) => json!({
            "url": url,
            "nonce": hex::encode(tsa::nonce_bytes(nonce)),
            "ca_sha256": tsa_ca.as_ref().map(|c| hex::encode(Sha256::digest(c))),
        }),
        None => Value::Null,
    };
    let mut group_files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut group_list = Vec::new();
    for (i, d) in digests.iter().enumerate() {
        if let Some(g) = &d.groups {
            let bytes: Vec<u8> = g.hashes.iter().flatten().copied().collect();
            let path = layout::record_groups(i);
            group_list.push(json!({
                "input": i, "path": path, "level": g.level, "count": g.hashes.len(),
                "sha256": hex::encode(Sha256::digest(&bytes)),
            }));
            group_files.push((path, bytes));
        }
    }
    let seal_entry = NewEntry::new(kind::SEAL)
        .with("origin", origin.clone())
        .with("lockstep_vault_version", env!("CARGO_PKG_VERSION"))
        .with("checkpoint_size", size)
        .with(
            "case_tree",
            json!({"size": case_tree.size, "root": case_tree.root}),
        )
        .with(
            "files",
            serde_json::to_value(&leaves).map_err(|e| VaultError::Json(e.to_string()))?,
        )
        .with(
            "evidence",
            evidence_files
                .iter()
                .map(|(p, b)| json!({"path": p, "sha256": hex::encode(Sha256::digest(b))}))
                .collect::<Vec<_>>(),
        )
        .with("record_groups", group_list)
        .with("public_key", note::vkey(&origin, &public))
        .with(
            "public_key_sha256",
            hex::encode(Sha256::digest(public_pem.as_bytes())),
        )
        .with("tsa", tsa_field);
    let line = make_line(seq, entries.last().map(|e| &e.leaf), &seal_entry, &time);
    entries.push(Entry::from_line(line));
    let log_leaves: Vec<Hash> = entries.iter().map(|e| e.leaf).collect();
    let cp = Checkpoint {
        origin: origin.clone(),
        size,
        root: merkle::root(&log_leaves),
        last_entry: log_leaves.last().copied(),
    };
    let signed = cp.sign(&key);
    let consistency = match prev_checkpoint {
        Some(m) => {
            let proof = consistency_proof(&log_leaves, m as usize).unwrap_or_default();
            let doc = json!({
                "size1": m, "size2": size,
                "root1": hex::encode(merkle::root(&log_leaves[..m as usize])),
                "root2": hex::encode(cp.root),
                "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
            });
            let mut b =
                serde_json::to_vec_pretty(&doc).map_err(|e| VaultError::Json(e.to_string()))?;
            b.push(b'\n');
            Some((layout::consistency(m, size), b))
        }
        None => None,
    };
    // The TSA last: nothing is written if it fails or answers wrongly.
    let mut timestamp = None;
    let mut token_file = None;
    if let Some(url) = &opts.tsa {
        let tsa_err = |reason: String| VaultError::Tsa {
            url: url.clone(),
            reason,
        };
        let digest: [u8; 32] = Sha256::digest(signed.as_bytes()).into();
        let req = tsa::request(&digest, nonce).map_err(tsa_err)?;
        let resp = tsa::post(url, &req, opts.tsa_timeout).map_err(tsa_err)?;
        let token = tsa::token_from_response(&resp).map_err(tsa_err)?;
        let info = tsa::verify_token(&token, signed.as_bytes(), nonce)
            .map_err(|e| tsa_err(format!("its answer does not hold: {e}")))?;
        timestamp = Some(info.gen_time);
        token_file = Some(token);
    }

    // Write: everything into a staging folder inside the case, then renamed into place.
    let mut new_files: Vec<(String, Vec<u8>)> = Vec::new();
    new_files.push((layout::checkpoint(size), signed.clone().into_bytes()));
    if let Some(c) = consistency {
        new_files.push(c);
    }
    if let Some(t) = token_file {
        new_files.push((layout::token(size), t));
    }
    if let Some(ca) = tsa_ca {
        new_files.push((layout::tsa_ca(size), ca));
    }
    if !sealed {
        new_files.push((layout::PUBKEY.into(), public_pem.into_bytes()));
    }
    let evidence_count = evidence_files.len() - 1;
    let old_evidence: Vec<String> = if sealed {
        case::all_files(case)?
            .into_iter()
            .filter(|f| f.starts_with("evidence/") && !evidence_files.contains_key(f))
            .collect()
    } else {
        Vec::new()
    };
    new_files.extend(evidence_files);
    new_files.extend(group_files);
    commit(case, sealed, &new_files, &entries)?;
    for f in old_evidence {
        let _ = std::fs::remove_file(case.join(f));
    }
    Ok(SealOutcome {
        origin,
        checkpoint: layout::checkpoint(size),
        checkpoint_size: size,
        root: hex::encode(cp.root),
        case_tree_size: case_tree.size,
        inputs: manifest.inputs.len(),
        records: digests.iter().map(|d| d.records).sum(),
        bytes: leaves.iter().map(|l| l.bytes).sum(),
        evidence: evidence_count,
        skipped,
        extends: prev_checkpoint,
        timestamp,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Tabs and line breaks would break the case tree's one-line leaves.
fn check_path(p: &str) -> Result<()> {
    if p.contains(['\t', '\n', '\r']) {
        return Err(VaultError::BadCase {
            path: PathBuf::from(p),
            reason: "file names with tabs or line breaks cannot be sealed".into(),
        });
    }
    Ok(())
}

/// The size of the latest checkpoint: one past the last seal entry.
pub(crate) fn last_checkpoint_size(entries: &[Entry]) -> Option<u64> {
    entries
        .iter()
        .enumerate()
        .rev()
        .find(|(_, e)| {
            e.value()
                .is_some_and(|v| v.get("kind").and_then(Value::as_str) == Some(kind::SEAL))
        })
        .map(|(i, _)| i as u64 + 1)
}

fn detect_entry(m: &Manifest, case: &Path) -> Result<NewEntry> {
    let mpath = case.join("manifest.json");
    let bytes = std::fs::read(&mpath).map_err(|e| VaultError::io(&mpath, e))?;
    let j = &m.json;
    Ok(NewEntry::new(kind::DETECT)
        .with(
            "lockstep_version",
            j.get("lockstep_version").cloned().unwrap_or(Value::Null),
        )
        .with(
            "parameters",
            j.get("parameters").cloned().unwrap_or(Value::Null),
        )
        .with("inputs", j.get("inputs").cloned().unwrap_or(Value::Null))
        .with("counts", j.get("counts").cloned().unwrap_or(Value::Null))
        .with("manifest_sha256", hex::encode(Sha256::digest(&bytes))))
}

fn rand_nonce() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}
