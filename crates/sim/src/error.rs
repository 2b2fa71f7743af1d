//! What can go wrong in a simulation: the scenario (its file, its TOML, a knob's value) or
//! writing the data set.

use std::io;
use std::path::{Path, PathBuf};

use lockstep_core::ErrorKind;

/// A scenario that cannot be read or simulated, or a data set that cannot be written.
/// [`SimError::kind`] says whether the user's configuration or the file system is to blame.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario file could not be read.
    #[error("{}: cannot read scenario: {source}", path.display())]
    ReadScenario { path: PathBuf, source: io::Error },
    /// The scenario file is not TOML, or not a scenario (an unknown knob, a wrong type).
    #[error("{}: not a valid scenario: {source}", path.display())]
    ParseScenario {
        path: PathBuf,
        source: toml::de::Error,
    },
    /// Scenario text given in memory is not a scenario.
    #[error("not a valid scenario: {0}")]
    Toml(#[source] toml::de::Error),
    /// A time that is neither RFC 3339, a date nor unix seconds.
    #[error("bad time `{text}`: {message}")]
    Time { text: String, message: String },
    /// A knob has a value the simulation cannot use.
    #[error("invalid scenario: {knob}: {problem}")]
    Knob { knob: String, problem: String },
    /// Creating, writing or removing a file or folder of the output failed.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        /// What was being done: `create`, `write`, `remove`.
        action: &'static str,
        source: io::Error,
    },
    /// A value could not be encoded (a bug: every type written is plainly serializable).
    #[error("cannot encode {what}: {message}")]
    Encode { what: &'static str, message: String },
}

impl SimError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SimError::ReadScenario { .. }
            | SimError::ParseScenario { .. }
            | SimError::Toml(_)
            | SimError::Time { .. }
            | SimError::Knob { .. } => ErrorKind::Config,
            SimError::Io { source, .. }
                if matches!(
                    source.kind(),
                    io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
                ) =>
            {
                ErrorKind::Resources
            }
            SimError::Io { .. } => ErrorKind::Io,
            SimError::Encode { .. } => ErrorKind::Internal,
        }
    }

    pub(crate) fn knob(knob: impl Into<String>, problem: impl Into<String>) -> SimError {
        SimError::Knob {
            knob: knob.into(),
            problem: problem.into(),
        }
    }
}

/// Attaches the file and what was being done to an I/O error.
pub(crate) trait At<T> {
    fn at(self, path: &Path, action: &'static str) -> Result<T, SimError>;
}

impl<T> At<T> for io::Result<T> {
    fn at(self, path: &Path, action: &'static str) -> Result<T, SimError> {
        self.map_err(|source| SimError::Io {
            path: path.to_path_buf(),
            action,
            source,
        })
    }
}
