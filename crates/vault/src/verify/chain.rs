//! Checks of the vault's own files: the key, the log's hash chain, checkpoint names,
//! consistency proofs.

use super::{file, LogLine, Subject, VerifyOptions, VerifyReport};
use crate::evidence::parse_hash;
use crate::keys;
use crate::layout;
use crate::merkle::{verify_consistency, Hash};
use crate::note::Checkpoint;
use ed25519_dalek::VerifyingKey;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Whether a path is one of the names the vault writes.
pub(super) fn vault_name(rel: &str) -> bool {
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    rel == layout::LOG
        || rel == layout::PUBKEY
        || rel
            .strip_prefix("vault/checkpoints/")
            .and_then(|n| n.strip_suffix(".ckpt"))
            .is_some_and(num)
        || rel
            .strip_prefix("vault/consistency/")
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.split_once('-'))
            .is_some_and(|(a, b)| num(a) && num(b))
        || rel
            .strip_prefix("vault/records/")
            .and_then(|n| n.strip_suffix(".groups"))
            .is_some_and(num)
        || rel
            .strip_prefix("vault/timestamps/")
            .and_then(|n| n.strip_suffix(".tst").or_else(|| n.strip_suffix("-ca.pem")))
            .is_some_and(num)
}

/// Sizes of the checkpoint files present (by their names).
pub(super) fn checkpoint_files(case: &Path) -> BTreeSet<u64> {
    let Ok(rd) = std::fs::read_dir(case.join("vault/checkpoints")) else {
        return BTreeSet::new();
    };
    rd.filter_map(|e| {
        let name = e.ok()?.file_name().into_string().ok()?;
        let n: u64 = name.strip_suffix(".ckpt")?.parse().ok()?;
        (n > 0 && layout::checkpoint(n).ends_with(&name)).then_some(n)
    })
    .collect()
}

pub(super) fn check_key(
    case: &Path,
    opts: &VerifyOptions,
    r: &mut VerifyReport,
) -> Option<VerifyingKey> {
    let own = std::fs::read_to_string(case.join(layout::PUBKEY))
        .ok()
        .map(|t| keys::parse_public(&t));
    match (&opts.pubkey, own) {
        (Some(k), Some(Ok(own))) if own != *k => {
            r.problem(
                Subject::Key,
                "vault/vault.pub is not the given public key: the case was sealed with another key, or the file was replaced",
            );
            Some(*k)
        }
        (Some(k), _) => Some(*k),
        (None, Some(Ok(own))) => Some(own),
        (None, Some(Err(e))) => {
            r.problem(file(layout::PUBKEY), format!("not a public key: {e}"));
            None
        }
        (None, None) => {
            r.problem(
                file(layout::PUBKEY),
                "MISSING (give --pubkey to check the signatures)",
            );
            None
        }
    }
}

pub(super) fn find_changed(lines: &[LogLine], last: Option<Hash>) -> Option<u64> {
    let mut expected = last?;
    for i in (0..lines.len()).rev() {
        if lines[i].leaf != expected {
            return Some(i as u64);
        }
        let prev = lines[i].value.as_ref()?.get("prev")?;
        if prev.is_null() {
            return if i == 0 { None } else { Some(i as u64) };
        }
        expected = parse_hash(prev.as_str()?).ok()?;
    }
    None
}

pub(super) fn check_consistency(
    text: &str,
    a: &Checkpoint,
    b: &Checkpoint,
) -> std::result::Result<(), String> {
    let v: Value = serde_json::from_str(text).map_err(|_| "not JSON".to_string())?;
    let get = |k: &str| v.get(k).ok_or_else(|| format!("no {k}"));
    let size1 = get("size1")?.as_u64().ok_or("bad size1")?;
    let size2 = get("size2")?.as_u64().ok_or("bad size2")?;
    let root1 = parse_hash(get("root1")?.as_str().ok_or("bad root1")?)?;
    let root2 = parse_hash(get("root2")?.as_str().ok_or("bad root2")?)?;
    let proof: Vec<Hash> = get("proof")?
        .as_array()
        .ok_or("bad proof")?
        .iter()
        .map(|h| parse_hash(h.as_str().unwrap_or("")))
        .collect::<std::result::Result<_, _>>()?;
    if (size1, size2, root1, root2) != (a.size, b.size, a.root, b.root) {
        return Err("does not name the two signed checkpoints".into());
    }
    verify_consistency(size1, size2, &root1, &root2, &proof)
        .map_err(|e| format!("checkpoint {size2} does not extend checkpoint {size1}: {e}"))
}
