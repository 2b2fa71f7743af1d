//! `manifest.json`: what a case was made from, with what, and the hash of every output. One
//! typed, versioned record, written by the case writer and read back by `verify` through the
//! same type.

use lockstep_read::InputFile;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The manifest's shape. Bumped when a field changes meaning or goes away; new fields may be
/// added within a version.
pub const SCHEMA_VERSION: u32 = 1;

/// One input as the manifest records it: the reader's [`InputFile`], with the format by
/// name (so manifests of commands that read other formats, such as `infra`'s logs, read
/// through the same type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ManifestInput {
    pub path: String,
    /// Hex SHA-256 of the bytes on disk (before decompression).
    pub sha256: String,
    #[serde(default)]
    pub bytes: u64,
    /// The format's name (`tiktok-research`, `x-archive-csv`, …).
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub read: u64,
    #[serde(default)]
    pub accepted: u64,
    #[serde(default)]
    pub quarantined: u64,
    #[serde(default)]
    pub duplicates: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_resolution_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// Records passed over as not actions, by what they are (not counted in `read`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, u64>,
}

impl From<&InputFile> for ManifestInput {
    fn from(f: &InputFile) -> ManifestInput {
        ManifestInput {
            path: f.path.clone(),
            sha256: f.sha256.clone(),
            bytes: f.bytes,
            format: f.format.name().to_string(),
            read: f.read,
            accepted: f.accepted,
            quarantined: f.quarantined,
            duplicates: f.duplicates,
            time_resolution_ms: f.time_resolution_ms,
            same_as: f.same_as.clone(),
            skipped: f.skipped.clone(),
        }
    }
}

/// A case's manifest. `P` is the run's parameters and `C` its counts (`lockstep_detect`'s
/// `Params` and [`Counts`] when `detect` writes it; any JSON when read by a tool that does
/// not interpret them, such as `verify`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(bound(deserialize = "P: Deserialize<'de> + Default, C: Deserialize<'de> + Default"))]
#[schemars(bound = "P: schemars::JsonSchema + Default, C: schemars::JsonSchema + Default")]
pub struct Manifest<P = serde_json::Value, C = Counts> {
    /// 0 for manifests written before it was versioned.
    #[serde(default)]
    pub schema_version: u32,
    // Readers such as `verify` need only the inputs and outputs: the rest may be absent.
    #[serde(default)]
    pub lockstep_version: String,
    /// The command that wrote the case, when not `detect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default)]
    pub parameters: P,
    pub inputs: Vec<ManifestInput>,
    #[serde(default)]
    pub counts: C,
    /// What the work bound skipped: the most crowded traces and their crowded hits.
    #[serde(default)]
    pub crowded_traces: Vec<(String, u64)>,
    #[serde(default)]
    pub significance: SignificanceCounts,
    /// The co-action windows as applied, given the inputs' clocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<Windows>,
    /// Output file name → sha256 (hex), every file of the case but the manifest itself.
    pub outputs: BTreeMap<String, String>,
}

/// The figures a run reports (the summary table, the report's header).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Counts {
    pub files: usize,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub accounts: usize,
    pub hits: u64,
    pub traces: u64,
    pub crowded_hits: u64,
    pub co_action_records: u64,
    /// (pair, trace) records the sweep kept for testing; pairs that co-acted only once are
    /// counted in `pairs_tested` without one.
    pub pair_traces: u64,
    pub pairs_tested: u64,
    pub edges_kept: u64,
    pub clusters: usize,
    /// Members of clusters and amplifiers of them.
    pub flagged_accounts: usize,
    /// Of them, amplifiers (accounts outside the clusters reported as amplifying one).
    #[serde(default)]
    pub amplifiers: usize,
}

/// The windows the sweep used. With inputs stamped to the minute or coarser (resolution
/// `resolution_ms`), two stamps at most `window − resolution` apart are surely within the
/// window whatever the true times were, so that is the window applied (same stamps only when
/// the window is not wider than the resolution); finer clocks are taken as exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Windows {
    /// The coarsest clock of the inputs, in ms (60,000: whole minutes).
    pub resolution_ms: u64,
    /// The window applied to stamps, in ms.
    pub window_ms: i64,
    /// The window applied to near-duplicate scripts' stamps, in ms.
    pub text_window_ms: i64,
}

/// What the significance test did with the pairs (fields in name order, as before the
/// manifest was typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct SignificanceCounts {
    pub below_min_co_actions: u64,
    pub dropped_by_min_participation: u64,
    pub kept: u64,
    pub not_significant: u64,
    pub tested: u64,
}

/// A manifest that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a lockstep manifest: {source}", path.display())]
    Parse {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: manifest schema version {found} is newer than this lockstep reads ({SCHEMA_VERSION})", path.display())]
    Version {
        path: std::path::PathBuf,
        found: u32,
    },
}

impl Manifest<serde_json::Value, serde_json::Value> {
    /// Reads `CASE/manifest.json`, whatever command wrote it.
    pub fn read(case: &Path) -> Result<Self, ManifestError> {
        let path = case.join("manifest.json");
        let text = std::fs::read(&path).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        let m: Self = serde_json::from_slice(&text).map_err(|source| ManifestError::Parse {
            path: path.clone(),
            source,
        })?;
        if m.schema_version > SCHEMA_VERSION {
            return Err(ManifestError::Version {
                path,
                found: m.schema_version,
            });
        }
        Ok(m)
    }
}
