//! The case tree's leaves (one per file) and the evidence record: one raw input record with
//! the proofs that tie it to the case tree — its lines' audit paths into its file's record
//! tree, and that file's audit path into the case tree. A record checks on its own
//! ([`EvidenceRecord::check`]); the signed log then ties the case tree to a checkpoint.

use crate::merkle::{leaf_hash, verify_inclusion, Hash};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

pub const EVIDENCE_FORMAT: &str = "lockstep-evidence/1";

/// One leaf of the case tree. Its leaf data is one text line, tab-separated:
/// `input\t<path>\t<bytes>\t<sha256>\t<records>\t<record root>\n` for an input,
/// `output\t<path>\t<bytes>\t<sha256>\n` for a file of the case folder (hashes in hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLeaf {
    pub role: String,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_root: Option<String>,
}

impl FileLeaf {
    pub fn leaf_data(&self) -> String {
        match (&self.records, &self.record_root) {
            (Some(n), Some(r)) => format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                self.role, self.path, self.bytes, self.sha256, n, r
            ),
            _ => format!(
                "{}\t{}\t{}\t{}\n",
                self.role, self.path, self.bytes, self.sha256
            ),
        }
    }
    pub fn leaf(&self) -> Hash {
        leaf_hash(self.leaf_data().as_bytes())
    }
}

impl EvidenceRecord {
    /// The bytes `seal` writes for it (pretty JSON and a line break): their sha256 is in
    /// the seal entry, so a record re-serialized from a bundle can be matched to it.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
    }
}

/// A tree's size and root (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    pub size: u64,
    pub root: String,
}

/// An audit path: the leaf's index and the sibling hashes leaf to root (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathProof {
    pub index: u64,
    pub path: Vec<String>,
}

impl PathProof {
    pub fn new(index: u64, path: &[Hash]) -> PathProof {
        PathProof {
            index,
            path: path.iter().map(hex::encode).collect(),
        }
    }
    pub fn hashes(&self) -> Result<Vec<Hash>, String> {
        self.path.iter().map(|h| parse_hash(h)).collect()
    }
}

pub fn parse_hash(h: &str) -> Result<Hash, String> {
    hex::decode(h)
        .ok()
        .and_then(|v| Hash::try_from(v).ok())
        .ok_or_else(|| format!("{h:?} is not a 32-byte hex hash"))
}

/// `evidence/post-<id>.json`: the raw record of a cited post and its proofs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRecord {
    pub format: String,
    /// The post as `clusters.json` cites it (null for a record asked for by line).
    pub post: serde_json::Value,
    pub clusters: Vec<u64>,
    /// The input as the manifest names it, 1-based first line, lines spanned.
    pub file: String,
    pub line: u64,
    pub lines: u64,
    /// `source` (clusters.json said where), `scan` (found by its id), `line` (asked for).
    pub located_by: String,
    /// The exact bytes of the record's lines (LFs included).
    pub record_base64: String,
    /// The same bytes as text, for reading, when they are UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_text: Option<String>,
    pub record_tree: TreeHead,
    /// One audit path per line, into `record_tree`.
    pub leaf_proofs: Vec<PathProof>,
    /// The case tree's leaf data for the file (see [`FileLeaf`]).
    pub file_leaf: String,
    pub case_tree: TreeHead,
    pub file_proof: PathProof,
}

impl EvidenceRecord {
    /// The record's bytes split into its lines.
    pub fn record_lines(&self) -> Result<Vec<Vec<u8>>, String> {
        let bytes = B64
            .decode(&self.record_base64)
            .map_err(|_| "record_base64 is not base64".to_string())?;
        Ok(bytes
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect())
    }

    /// Checks the chain record → record tree → file leaf → case tree root. The error says
    /// which link fails.
    pub fn check(&self) -> Result<(), String> {
        let at = format!("record line {} of {}", self.line, self.file);
        if self.format != EVIDENCE_FORMAT {
            return Err(format!("unknown format {:?}", self.format));
        }
        if self.line == 0 {
            return Err(format!("{at}: lines are numbered from 1"));
        }
        let lines = self.record_lines()?;
        if lines.len() as u64 != self.lines || self.leaf_proofs.len() as u64 != self.lines {
            return Err(format!(
                "{at}: says {} lines, has {} lines and {} proofs",
                self.lines,
                lines.len(),
                self.leaf_proofs.len()
            ));
        }
        if let Some(t) = &self.record_text {
            if B64.encode(t.as_bytes()) != self.record_base64 {
                return Err(format!("{at}: record_text is not the record's bytes"));
            }
        }
        let rroot = parse_hash(&self.record_tree.root)?;
        for (k, (line, p)) in lines.iter().zip(&self.leaf_proofs).enumerate() {
            let index = self.line - 1 + k as u64;
            if p.index != index {
                return Err(format!(
                    "{at}: proof {k} is for leaf {}, not {index}",
                    p.index
                ));
            }
            verify_inclusion(
                &leaf_hash(line),
                index,
                self.record_tree.size,
                &p.hashes()?,
                &rroot,
            )
            .map_err(|e| {
                format!(
                    "{at}: line {} does not prove into the file's record tree ({e})",
                    index + 1
                )
            })?;
        }
        let fields: Vec<&str> = self
            .file_leaf
            .strip_suffix('\n')
            .unwrap_or("")
            .split('\t')
            .collect();
        let fits = fields.len() == 6
            && fields[0] == "input"
            && fields[1] == self.file
            && fields[4] == self.record_tree.size.to_string()
            && fields[5] == self.record_tree.root;
        if !fits {
            return Err(format!(
                "{at}: file_leaf does not name this file and record tree"
            ));
        }
        verify_inclusion(
            &leaf_hash(self.file_leaf.as_bytes()),
            self.file_proof.index,
            self.case_tree.size,
            &self.file_proof.hashes()?,
            &parse_hash(&self.case_tree.root)?,
        )
        .map_err(|e| format!("{at}: the file does not prove into the case tree ({e})"))
    }
}
