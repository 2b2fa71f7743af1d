//! Re-checks a case folder against its `manifest.json`.

use crate::manifest::{Manifest, ManifestError};
use lockstep_output::sha256_file;
use std::path::Path;

/// A file whose hash no longer matches the manifest (or that is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    /// `None` when the file is missing or unreadable.
    pub actual: Option<String>,
}

/// Recomputes the sha256 of every input and output the manifest names. Input paths are taken
/// as recorded (relative to the working directory the run used, or absolute); outputs are
/// relative to the case folder. Returns the mismatches (empty: everything verifies) and the
/// number of files checked.
pub fn verify(case: &Path) -> Result<(Vec<Mismatch>, usize), ManifestError> {
    let m = Manifest::read(case)?;
    let mut checks: Vec<(String, std::path::PathBuf, String)> = Vec::new();
    for input in &m.inputs {
        checks.push((
            input.path.clone(),
            input.path.clone().into(),
            input.sha256.clone(),
        ));
    }
    for (name, h) in &m.outputs {
        checks.push((
            case.join(name).display().to_string(),
            case.join(name),
            h.clone(),
        ));
    }
    let mut bad = Vec::new();
    for (shown, path, expected) in &checks {
        let actual = sha256_file(path).ok();
        if actual.as_deref() != Some(expected.as_str()) {
            bad.push(Mismatch {
                path: shown.clone(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok((bad, checks.len()))
}
