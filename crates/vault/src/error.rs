//! The vault's errors. Problems found *in* a case (a changed file, a bad proof) are not
//! errors: `verify` reports them as [`crate::Problem`]s. These are failures to do the work.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is not a case folder (no readable manifest.json with inputs and outputs)")]
    NotACase(PathBuf),
    #[error("{path}: {reason}")]
    BadCase { path: PathBuf, reason: String },
    #[error("{path}: not a usable key: {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("the key does not match the case's public key (vault/vault.pub): it was sealed with another key")]
    KeyMismatch,
    #[error("{0}: refusing to overwrite an existing key")]
    KeyExists(PathBuf),
    #[error("the case does not verify, so it cannot be extended: {0}")]
    CaseDoesNotVerify(String),
    #[error("time-stamping authority {url}: {reason}")]
    Tsa { url: String, reason: String },
    #[error("{0}")]
    BadRecordSpec(String),
    #[error("{0}")]
    NotFound(String),
    #[error("bad proof bundle: {0}")]
    BadBundle(String),
    #[error("writing the export: {0}")]
    Zip(String),
    #[error("{0}")]
    Json(String),
}

impl VaultError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> VaultError {
        VaultError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = VaultError> = std::result::Result<T, E>;
