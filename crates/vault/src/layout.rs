//! Where the vault's files live in a case folder, and how input paths map into an export.
//!
//! ```text
//! CASE/evidence/index.json          posts cited in clusters.json → evidence files (or why not)
//! CASE/evidence/post-<id>.json      one raw record with its proofs (lockstep-evidence/1)
//! CASE/vault/log.ndjson             the case log, one JSON entry a line
//! CASE/vault/vault.pub              the sealing public key (SPKI PEM)
//! CASE/vault/checkpoints/<N>.ckpt   signed checkpoint of the log's first N entries
//! CASE/vault/consistency/<M>-<N>.json  RFC 9162 consistency proof, checkpoint M → N
//! CASE/vault/timestamps/<N>.tst     RFC 3161 token (DER) over <N>.ckpt
//! CASE/vault/timestamps/<N>-ca.pem  the TSA CA certificate given when sealing, if any
//! CASE/vault/records/<I>.groups     input I's record-tree group hashes (names changed lines)
//! ```

use std::path::{Path, PathBuf};

pub use lockstep_case::VAULT_DIR as VAULT;
pub const EVIDENCE: &str = "evidence";
pub const LOG: &str = "vault/log.ndjson";
pub const PUBKEY: &str = "vault/vault.pub";
pub const EVIDENCE_INDEX: &str = "evidence/index.json";

pub fn checkpoint(size: u64) -> String {
    format!("vault/checkpoints/{size:06}.ckpt")
}
pub fn consistency(from: u64, to: u64) -> String {
    format!("vault/consistency/{from:06}-{to:06}.json")
}
pub fn token(size: u64) -> String {
    format!("vault/timestamps/{size:06}.tst")
}
/// Group hashes of input `index`'s record tree (32 bytes each), to name changed lines.
pub fn record_groups(index: usize) -> String {
    format!("vault/records/{index:06}.groups")
}
pub fn tsa_ca(size: u64) -> String {
    format!("vault/timestamps/{size:06}-ca.pem")
}

pub use lockstep_case::is_sealed;

/// Where an input recorded as `path` lies under an export's `inputs/` folder: a leading `/`
/// dropped, `.` components dropped, `..` components written `__`, so every input lands
/// inside the folder. `verify_merkle.py` applies the same rule.
pub fn export_name(path: &str) -> String {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(|c| if c == ".." { "__" } else { c })
        .collect::<Vec<_>>()
        .join("/")
}

/// Finds an input: as recorded (relative to the working directory, or absolute), or under
/// `inputs_dir` laid out as an export does.
pub fn resolve_input(path: &str, inputs_dir: Option<&Path>) -> PathBuf {
    match inputs_dir {
        Some(d) => d.join(export_name(path)),
        None => PathBuf::from(path),
    }
}

/// A file name for a post id: letters, digits, `.`, `-`, `_` kept, anything else `_`.
pub fn safe_name(id: &str) -> String {
    let s: String = id
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_stay_inside() {
        assert_eq!(export_name("/abs/a.ndjson"), "abs/a.ndjson");
        assert_eq!(export_name("../x/./b.csv"), "__/x/b.csv");
        assert_eq!(export_name("data/c.gz"), "data/c.gz");
        assert_eq!(safe_name("7:abc/../d"), "7_abc_.._d");
    }
}
