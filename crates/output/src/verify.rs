//! Re-checks a case folder against its `manifest.json`.

use crate::sha256_file;
use anyhow::{Context, Result};
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
pub fn verify(case: &Path) -> Result<(Vec<Mismatch>, usize)> {
    let mpath = case.join("manifest.json");
    let text = std::fs::read_to_string(&mpath)
        .with_context(|| format!("{}: cannot read", mpath.display()))?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", mpath.display()))?;
    let mut checks: Vec<(String, std::path::PathBuf, String)> = Vec::new();
    for input in m["inputs"]
        .as_array()
        .context("manifest has no inputs list")?
    {
        let p = input["path"].as_str().context("input without path")?;
        let h = input["sha256"].as_str().context("input without sha256")?;
        checks.push((p.to_string(), p.into(), h.to_string()));
    }
    for (name, h) in m["outputs"]
        .as_object()
        .context("manifest has no outputs map")?
    {
        let h = h.as_str().context("output hash is not a string")?;
        checks.push((
            case.join(name).display().to_string(),
            case.join(name),
            h.to_string(),
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
