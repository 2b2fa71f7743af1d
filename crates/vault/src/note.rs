//! Checkpoints in the C2SP formats: a tlog-checkpoint (origin, tree size, base64 root hash,
//! extension lines) as the text of a signed note, with an Ed25519 signature line
//! `— <name> <base64(key id ‖ signature)>` where the key id is the first 4 bytes of
//! `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)` (signed-note's Ed25519 type). The name is the
//! origin, so the verifier key is `<origin>+<hex key id>+<base64(0x01 ‖ public key)>`.
//!
//! One extension line, `lockstep-last-entry <hex>`, carries the leaf hash of the log's
//! last entry under this checkpoint: with each entry's `prev` hash it lets `verify` name
//! the exact entry that changed. Checkpoint readers ignore extension lines they do not know.

use crate::merkle::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

const EM_DASH_SPACE: &str = "\u{2014} ";
const ED25519: u8 = 0x01;
pub const LAST_ENTRY: &str = "lockstep-last-entry ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Leaf hash of the last log entry the checkpoint covers.
    pub last_entry: Option<Hash>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("not a signed note (no blank line before the signatures)")]
    NoSignatureBlock,
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error("no signature by key {0}")]
    NoSignature(String),
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
}

impl Checkpoint {
    /// The note text (what is signed), ending in a line break.
    pub fn body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        if let Some(h) = &self.last_entry {
            s.push_str(LAST_ENTRY);
            s.push_str(&hex::encode(h));
            s.push('\n');
        }
        s
    }

    /// The signed note: body, blank line, one signature line.
    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.body();
        let sig = key.sign(body.as_bytes());
        let mut blob = key_id(&self.origin, &key.verifying_key()).to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        format!(
            "{body}\n{EM_DASH_SPACE}{} {}\n",
            self.origin,
            B64.encode(blob)
        )
    }

    /// Parses a signed checkpoint and checks its signature by `key` under the note's origin.
    pub fn open(note: &str, key: &VerifyingKey) -> Result<Checkpoint, NoteError> {
        let (body, sigs) = split_note(note)?;
        let cp = parse_body(body)?;
        let id = key_id(&cp.origin, key);
        let mut found = false;
        for line in sigs.split_inclusive('\n') {
            let line = line
                .strip_suffix('\n')
                .ok_or(NoteError::Malformed("signature line without line break"))?;
            let rest = line
                .strip_prefix(EM_DASH_SPACE)
                .ok_or(NoteError::Malformed(
                    "signature line does not start with '— '",
                ))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or(NoteError::Malformed("signature line without a signature"))?;
            let blob = B64
                .decode(b64)
                .map_err(|_| NoteError::Malformed("signature is not base64"))?;
            if name != cp.origin || blob.len() != 68 || blob[..4] != id {
                // Another key's signature: signed notes may carry several (witnesses).
                continue;
            }
            found = true;
            let sig = ed25519_dalek::Signature::from_slice(&blob[4..])
                .map_err(|_| NoteError::BadSignature(cp.origin.clone()))?;
            key.verify_strict(body.as_bytes(), &sig)
                .map_err(|_| NoteError::BadSignature(cp.origin.clone()))?;
        }
        if !found {
            return Err(NoteError::NoSignature(vkey(&cp.origin, key)));
        }
        Ok(cp)
    }
}

/// Splits a note into its text (with the final line break) and signature lines.
pub fn split_note(note: &str) -> Result<(&str, &str), NoteError> {
    let at = note.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
    Ok((&note[..at + 1], &note[at + 2..]))
}

fn parse_body(body: &str) -> Result<Checkpoint, NoteError> {
    let mut lines = body.split_terminator('\n');
    let origin = lines.next().filter(|o| !o.is_empty() && !o.contains(' '));
    let origin = origin.ok_or(NoteError::Malformed("bad origin line"))?;
    let size = lines
        .next()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .filter(|s| s.len() == 1 || !s.starts_with('0'))
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or(NoteError::Malformed("bad tree size line"))?;
    let root: Hash = lines
        .next()
        .and_then(|s| B64.decode(s).ok())
        .filter(|r| B64.encode(r).len() == 44)
        .and_then(|r| r.try_into().ok())
        .ok_or(NoteError::Malformed("bad root hash line"))?;
    let mut last_entry = None;
    for ext in lines {
        if let Some(h) = ext.strip_prefix(LAST_ENTRY) {
            let h = hex::decode(h)
                .ok()
                .and_then(|v| <Hash>::try_from(v).ok())
                .ok_or(NoteError::Malformed("bad lockstep-last-entry line"))?;
            last_entry = Some(h);
        } else if ext.is_empty() {
            return Err(NoteError::Malformed("empty extension line"));
        }
    }
    Ok(Checkpoint {
        origin: origin.to_string(),
        size,
        root,
        last_entry,
    })
}

/// signed-note key id: the first 4 bytes of `SHA-256(name ‖ "\n" ‖ 0x01 ‖ key)`.
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519]);
    h.update(key.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The signed-note verifier key string, as Go's `note.NewVerifier` and others read it.
pub fn vkey(name: &str, key: &VerifyingKey) -> String {
    let mut k = vec![ED25519];
    k.extend_from_slice(key.as_bytes());
    format!(
        "{name}+{}+{}",
        hex::encode(key_id(name, key)),
        B64.encode(k)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_open_and_reject() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let cp = Checkpoint {
            origin: "lockstep.vault/case/abc".into(),
            size: 3,
            root: [9u8; 32],
            last_entry: Some([1u8; 32]),
        };
        let note = cp.sign(&key);
        assert_eq!(Checkpoint::open(&note, &key.verifying_key()).unwrap(), cp);
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
        assert!(matches!(
            Checkpoint::open(&note, &other),
            Err(NoteError::NoSignature(_))
        ));
        let tampered = note.replacen("\n3\n", "\n4\n", 1);
        assert!(Checkpoint::open(&tampered, &key.verifying_key()).is_err());
    }
}
