//! Ed25519 keys as standard PEM files: the private key as PKCS#8 (`BEGIN PRIVATE KEY`, mode
//! 0600), the public key as SPKI (`BEGIN PUBLIC KEY`) — what `openssl pkey` reads and writes.

use crate::error::{Result, VaultError};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::io::Write;
use std::path::{Path, PathBuf};

/// File names `keygen` writes into its folder.
pub const PRIVATE_KEY_FILE: &str = "lockstep-vault.key";
pub const PUBLIC_KEY_FILE: &str = "lockstep-vault.pub";

/// Where `keygen` put the two files.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
}

/// Makes a fresh key pair in `dir` (created if needed); never overwrites a key.
pub fn keygen(dir: &Path) -> Result<KeyFiles> {
    std::fs::create_dir_all(dir).map_err(|e| VaultError::io(dir, e))?;
    let private_key = dir.join(PRIVATE_KEY_FILE);
    let public_key = dir.join(PUBLIC_KEY_FILE);
    for p in [&private_key, &public_key] {
        if p.exists() {
            return Err(VaultError::KeyExists(p.clone()));
        }
    }
    let key = SigningKey::generate(&mut rand_core::OsRng);
    // PKCS#8 v1 (no embedded public key), as `openssl genpkey` writes it: OpenSSL 3.0
    // does not read the v2 form ed25519-dalek writes by default.
    let v1 = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let pem = v1
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| bad_key(&private_key, e))?;
    let public = public_pem(&key.verifying_key()).map_err(|e| bad_key(&public_key, e))?;
    // Temporary files are created 0600, so the private key is never readable by others,
    // not even for a moment; persisting without clobbering refuses a key that appeared since.
    write_new(&private_key, pem.as_bytes())?;
    write_new(&public_key, public.as_bytes())?;
    Ok(KeyFiles {
        private_key,
        public_key,
    })
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut t = tempfile::NamedTempFile::new_in(dir).map_err(|e| VaultError::io(dir, e))?;
    t.write_all(bytes)
        .and_then(|_| t.as_file().sync_all())
        .map_err(|e| VaultError::io(path, e))?;
    t.persist_noclobber(path)
        .map_err(|e| VaultError::io(path, e.error))?;
    Ok(())
}

fn bad_key(path: &Path, e: impl std::fmt::Display) -> VaultError {
    VaultError::BadKey {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The SPKI PEM of a public key.
pub fn public_pem(key: &VerifyingKey) -> std::result::Result<String, String> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())
}

/// Reads a PKCS#8 PEM private key (as `keygen` or `openssl genpkey -algorithm ed25519` write).
pub fn load_private(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path).map_err(|e| VaultError::io(path, e))?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| bad_key(path, e))
}

/// Reads an SPKI PEM public key.
pub fn load_public(path: &Path) -> Result<VerifyingKey> {
    let text = std::fs::read_to_string(path).map_err(|e| VaultError::io(path, e))?;
    parse_public(&text).map_err(|e| bad_key(path, e))
}

pub fn parse_public(pem: &str) -> std::result::Result<VerifyingKey, String> {
    VerifyingKey::from_public_key_pem(pem).map_err(|e| e.to_string())
}
