//! Reading what `lockstep detect` wrote: the manifest's inputs, the posts `clusters.json`
//! cites as evidence, and the files of the case folder.

use crate::error::{Result, VaultError};
use crate::layout;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub use lockstep_case::ManifestInput;

/// The parts of `manifest.json` the vault relies on; the rest is kept as JSON.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub inputs: Vec<ManifestInput>,
    pub outputs: BTreeMap<String, String>,
    pub json: serde_json::Value,
}

pub fn read_manifest(case: &Path) -> Result<Manifest> {
    let not_a_case = || VaultError::NotACase(case.to_path_buf());
    // Read through the case crate's one manifest type; the JSON is kept for the log.
    let m = lockstep_case::Manifest::read(case).map_err(|_| not_a_case())?;
    let text = std::fs::read_to_string(case.join("manifest.json")).map_err(|_| not_a_case())?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|_| not_a_case())?;
    Ok(Manifest {
        inputs: m.inputs,
        outputs: m.outputs,
        json,
    })
}

/// Where a post's raw record is: `file` as in the manifest's inputs, 1-based first `line` of
/// the decompressed content, and how many physical `lines` it spans.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Source {
    pub file: String,
    pub line: u64,
    #[serde(default = "one")]
    pub lines: u64,
}

fn one() -> u64 {
    1
}

/// A post cited in `clusters.json`, with the clusters that cite it.
#[derive(Debug, Clone)]
pub struct CitedPost {
    pub id: String,
    pub post: serde_json::Value,
    pub clusters: Vec<u64>,
    pub source: Option<Source>,
}

#[derive(Deserialize)]
struct Clusters {
    clusters: Vec<Cluster>,
}
#[derive(Deserialize)]
struct Cluster {
    #[serde(default)]
    id: u64,
    #[serde(default)]
    evidence: Vec<serde_json::Value>,
}

/// Every post cited as evidence, once each, by id. No `clusters.json`: none.
pub fn cited_posts(case: &Path) -> Result<Vec<CitedPost>> {
    let path = case.join("clusters.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(VaultError::io(path, e)),
    };
    let c: Clusters = serde_json::from_str(&text).map_err(|e| VaultError::BadCase {
        path: path.clone(),
        reason: format!("not the clusters.json detect writes: {e}"),
    })?;
    let mut by_id: BTreeMap<String, CitedPost> = BTreeMap::new();
    for cl in c.clusters {
        for mut post in cl.evidence {
            let Some(id) = post.get("id").and_then(|v| v.as_str()).map(str::to_string) else {
                continue;
            };
            let source = post
                .as_object_mut()
                .and_then(|o| o.remove("source"))
                .and_then(|s| serde_json::from_value::<Source>(s).ok())
                .filter(|s| s.line >= 1 && s.lines >= 1);
            let e = by_id.entry(id.clone()).or_insert_with(|| CitedPost {
                id,
                post,
                clusters: Vec::new(),
                source: None,
            });
            if !e.clusters.contains(&cl.id) {
                e.clusters.push(cl.id);
            }
            if e.source.is_none() {
                e.source = source;
            }
        }
    }
    Ok(by_id.into_values().collect())
}

/// Relative paths (with `/`) of the case folder's files, sorted, leaving out the vault's own
/// folders and a seal's staging folder.
pub fn case_files(case: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    walk(case, "", &mut out, true)?;
    out.sort();
    Ok(out)
}

/// Every file under the case folder, the vault's included (to find added files).
pub fn all_files(case: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    walk(case, "", &mut out, false)?;
    out.sort();
    Ok(out)
}

pub(crate) const STAGING_PREFIX: &str = ".lockstep-seal-";

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>, skip_vault: bool) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| VaultError::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| VaultError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if rel.is_empty()
            && (name.starts_with(STAGING_PREFIX)
                || (skip_vault && (name == layout::VAULT || name == layout::EVIDENCE)))
        {
            continue;
        }
        let p = entry.path();
        let ft = std::fs::metadata(&p).map_err(|e| VaultError::io(&p, e))?;
        if ft.is_dir() {
            walk(&p, &r, out, skip_vault)?;
        } else {
            out.push(r);
        }
    }
    Ok(())
}
