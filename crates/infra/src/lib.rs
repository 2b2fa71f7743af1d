//! `lockstep infra`: intrusion attempts on election infrastructure, and the network sources
//! that act in concert.
//!
//! Pipeline: [`ingest`] (read, parse with `lockstep_weblog`, classify with [`classify`], in
//! parallel) → [`analysis`] (one content order, [`behaviour`] over time, traces, the
//! coordination stage in [`engine`] — lockstep's own sweep, null model and Leiden — and
//! scores) → [`case`] (the case folder: CSV, JSON, STIX 2.1, MISP, blocklists, report,
//! manifest). [`sim`] writes logs with ground truth, [`eval`] scores a case against it.

pub mod analysis;
pub mod behaviour;
pub mod bench;
pub mod case;
pub mod classify;
pub mod cli;
pub mod engine;
pub mod enrich;
pub mod eval;
pub mod export;
pub mod ingest;
pub mod live;
pub mod params;
pub mod rules_eval;
pub mod sim;

pub use params::{ActorLevel, Params};

use std::path::Path;

/// What can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// A parameter or argument is wrong (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// An input cannot be read as a whole (exit code 1).
    #[error(transparent)]
    Read(#[from] lockstep_weblog::ReadError),
    #[error("{0}")]
    Input(String),
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{0}")]
    Internal(String),
}

impl InfraError {
    pub fn io(path: &Path, error: std::io::Error) -> InfraError {
        InfraError::Io {
            path: path.display().to_string(),
            error,
        }
    }
}

/// Runs `lockstep infra` on `inputs` and writes the case folder `out`.
pub fn infra(
    inputs: &[std::path::PathBuf],
    out: &Path,
    p: &Params,
) -> Result<case::Outcome, InfraError> {
    std::fs::create_dir_all(out).map_err(|e| InfraError::io(out, e))?;
    let mut q = lockstep_output::AtomicFile::create(out.join("quarantine.ndjson"))
        .map_err(|e| InfraError::io(out, e))?;
    let mut write_bad = |r: lockstep_core::Quarantined| -> Result<(), InfraError> {
        use std::io::Write;
        let line =
            serde_json::json!({"file": r.file, "line": r.record, "reason": r.reason, "raw": r.raw});
        writeln!(q, "{line}").map_err(|e| InfraError::io(out, e))
    };
    let a = analysis::analyse(inputs, p, &mut write_bad)?;
    let t = std::time::Instant::now();
    let mut outputs = std::collections::BTreeMap::new();
    outputs.insert(
        "quarantine.ndjson".to_string(),
        q.commit().map_err(|e| InfraError::io(out, e))?,
    );
    let mut o = case::write_case(&a, p, out, outputs)?;
    let mut stages = a.stages.clone();
    stages.push(analysis::Stage {
        name: "write",
        seconds: t.elapsed().as_secs_f64(),
        items: o.attempts,
        peak_mib: analysis::peak_rss_mib(),
    });
    o.stages = stages;
    Ok(o)
}
