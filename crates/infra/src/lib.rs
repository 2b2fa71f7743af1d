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
    /// The case folder cannot be taken (busy, sealed, not a case, overlapping an input) or
    /// put in place.
    #[error(transparent)]
    Folder(#[from] lockstep_output::FolderError),
    #[error("{0}")]
    Internal(String),
}

impl InfraError {
    /// A usage or configuration error (exit code 2): the run cannot start as asked.
    pub fn is_usage(&self) -> bool {
        match self {
            InfraError::Usage(_) => true,
            InfraError::Folder(e) => e.kind() == lockstep_core::ErrorKind::Config,
            _ => false,
        }
    }

    pub fn io(path: &Path, error: std::io::Error) -> InfraError {
        InfraError::Io {
            path: path.display().to_string(),
            error,
        }
    }
}

/// Runs `lockstep infra` on `inputs` and writes the case folder `out`, whole: into a staging
/// folder beside it, put in place only once complete (the previous case stays until then).
pub fn infra(
    inputs: &[std::path::PathBuf],
    out: &Path,
    p: &Params,
) -> Result<case::Outcome, InfraError> {
    refuse_overlap(inputs, out)?;
    let staging = lockstep_output::Staging::begin(out)?;
    let dir = staging.dir().to_path_buf();
    let mut q = Quarantine::create(&dir)?;
    let a = analysis::analyse(inputs, p, &mut |r| q.record(&r))?;
    let o = write_analysis(&a, p, &dir, q)?;
    staging.commit()?;
    Ok(o)
}

/// `quarantine.ndjson`, written while reading.
pub struct Quarantine {
    file: lockstep_output::AtomicFile,
    path: std::path::PathBuf,
}

impl Quarantine {
    pub fn create(dir: &Path) -> Result<Quarantine, InfraError> {
        let path = dir.join("quarantine.ndjson");
        let file =
            lockstep_output::AtomicFile::create(&path).map_err(|e| InfraError::io(&path, e))?;
        Ok(Quarantine { file, path })
    }

    pub fn record(&mut self, r: &lockstep_core::Quarantined) -> Result<(), InfraError> {
        use std::io::Write;
        let line =
            serde_json::json!({"file": r.file, "line": r.record, "reason": r.reason, "raw": r.raw});
        writeln!(self.file, "{line}").map_err(|e| InfraError::io(&self.path, e))
    }
}

/// Writes the case files of an analysis into `dir` (a staging folder), the quarantine first.
pub fn write_analysis(
    a: &analysis::Analysis,
    p: &Params,
    dir: &Path,
    q: Quarantine,
) -> Result<case::Outcome, InfraError> {
    let t = std::time::Instant::now();
    let mut outputs = std::collections::BTreeMap::new();
    outputs.insert(
        "quarantine.ndjson".to_string(),
        q.file.commit().map_err(|e| InfraError::io(&q.path, e))?,
    );
    let mut o = case::write_case(a, p, dir, outputs)?;
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

/// An input inside the case folder would be replaced by it; a case inside an input folder
/// would be read back as logs by the next run (infra's reader takes every file).
pub(crate) fn refuse_overlap(inputs: &[std::path::PathBuf], case: &Path) -> Result<(), InfraError> {
    use lockstep_output::Overlap;
    Ok(lockstep_output::refuse_overlap(
        inputs,
        case,
        &[Overlap::InputInCase, Overlap::CaseInInput],
    )?)
}
