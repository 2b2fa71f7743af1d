//! The evidence vault: makes a lockstep case folder checkable by anyone, without trusting
//! lockstep. `seal` builds RFC 9162 Merkle trees over the case's files and over each
//! input's raw records, keeps the cited posts' records with their proofs, and appends to an
//! append-only case log whose checkpoints are signed C2SP notes (optionally RFC 3161
//! time-stamped); `verify` re-checks all of it and names what is wrong; `prove` hands out
//! one record with its proofs; `export` writes the evidentiary copy with instructions that
//! need only standard tools. See README.md for the formats.

pub mod bundle;
pub mod case;
#[cfg(feature = "cli")]
pub mod cli;
mod error;
pub mod evidence;
pub mod export;
pub mod keys;
pub mod layout;
pub mod log;
pub mod merkle;
pub mod note;
pub mod records;
mod seal;
pub mod tsa;
pub mod verify;

pub use bundle::{prove, verify_bundle, ProofBundle, Target};
pub use error::{Result, VaultError};
pub use export::{export, ExportOutcome};
pub use keys::{keygen, KeyFiles};
pub use layout::is_sealed;
pub use log::{append_entry, derived_from, NewEntry};
pub use seal::{seal, SealOptions, SealOutcome};
pub use verify::{verify_case, verify_sealed, Problem, Subject, VerifyOptions, VerifyReport};
