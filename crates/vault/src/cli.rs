//! Ready-to-wire command line: clap `Args` for `keygen`, `seal`, `verify`, `prove` and
//! `export`, and `run_*` functions returning typed outcomes whose `Display` is what the
//! command prints. The binary maps `Err` to exit 1 and [`VerifyOutcome::exit_code`] (0 or 3)
//! for `verify`.

use crate::bundle::{self, Target};
use crate::error::{Result, VaultError};
use crate::verify::{VerifyOptions, VerifyReport};
use crate::{keys, ExportOutcome, KeyFiles, SealOptions, SealOutcome};
use clap::Args;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct KeygenArgs {
    /// Folder for lockstep-vault.key (PKCS#8 PEM, mode 0600) and lockstep-vault.pub (SPKI PEM).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct SealArgs {
    /// The case folder written by `detect`.
    pub case: PathBuf,
    /// Ed25519 private key (PKCS#8 PEM, from `keygen` or `openssl genpkey -algorithm ed25519`).
    #[arg(long)]
    pub key: PathBuf,
    /// RFC 3161 time-stamping authority URL (http://) to time-stamp the checkpoint.
    #[arg(long)]
    pub tsa: Option<String>,
    /// The TSA's CA certificate (PEM), kept in the case for `openssl ts -verify`.
    #[arg(long, requires = "tsa")]
    pub tsa_ca: Option<PathBuf>,
    /// Seconds to wait for the TSA.
    #[arg(long, default_value_t = 30)]
    pub tsa_timeout: u64,
    /// Find the inputs under this folder (laid out as an export's inputs/) instead of at the
    /// paths the manifest records.
    #[arg(long)]
    pub inputs: Option<PathBuf>,
    /// A sealed case this one builds on (first seal only; repeatable): logged with its
    /// signed checkpoint as a `derived_from` entry.
    #[arg(long)]
    pub derived_from: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The case folder (sealed: everything; unsealed: the manifest's hashes).
    #[arg(required_unless_present = "bundle")]
    pub case: Option<PathBuf>,
    /// Check signatures with this public key (SPKI PEM) instead of the case's own copy.
    #[arg(long)]
    pub pubkey: Option<PathBuf>,
    /// Check a proof bundle written by `prove` instead of a case.
    #[arg(long, conflicts_with = "case")]
    pub bundle: Option<PathBuf>,
    /// Find the inputs under this folder (laid out as an export's inputs/).
    #[arg(long)]
    pub inputs: Option<PathBuf>,
    /// A checkpoint of this case held elsewhere (repeatable): the log must still hold what
    /// it signed (catches a case rolled back to an earlier seal).
    #[arg(long)]
    pub checkpoint: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ProveArgs {
    /// The sealed case folder.
    pub case: PathBuf,
    /// A record: an input as the manifest names it and a 1-based line, `FILE:N`.
    #[arg(long, required_unless_present = "post", conflicts_with = "post")]
    pub record: Option<String>,
    /// A post cited as evidence, by id.
    #[arg(long)]
    pub post: Option<String>,
    /// Write the bundle here instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Find the inputs under this folder (laid out as an export's inputs/).
    #[arg(long)]
    pub inputs: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// The sealed case folder.
    pub case: PathBuf,
    /// The zip to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Check the case with this public key before exporting.
    #[arg(long)]
    pub pubkey: Option<PathBuf>,
    /// Find the inputs under this folder (laid out as an export's inputs/).
    #[arg(long)]
    pub inputs: Option<PathBuf>,
}

pub fn run_keygen(a: &KeygenArgs) -> Result<KeyFiles> {
    keys::keygen(&a.out)
}

impl fmt::Display for KeyFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "private key: {} (keep it secret; mode 0600)",
            self.private_key.display()
        )?;
        write!(
            f,
            "public key:  {} (give it to whoever verifies)",
            self.public_key.display()
        )
    }
}

pub fn run_seal(a: &SealArgs) -> Result<SealOutcome> {
    let mut o = SealOptions::new(&a.key);
    o.tsa = a.tsa.clone();
    o.tsa_ca = a.tsa_ca.clone();
    o.inputs_dir = a.inputs.clone();
    o.tsa_timeout = Duration::from_secs(a.tsa_timeout);
    o.derived_from = a.derived_from.clone();
    crate::seal(&a.case, &o)
}

impl fmt::Display for SealOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sealed {} files ({} inputs, {} records, {:.1} MB) in {:.1} s",
            self.case_tree_size,
            self.inputs,
            self.records,
            self.bytes as f64 / 1e6,
            self.seconds
        )?;
        writeln!(f, "evidence records: {}", self.evidence)?;
        for (id, why) in &self.skipped {
            writeln!(f, "  skipped post {id}: {why}")?;
        }
        if let Some(m) = self.extends {
            writeln!(f, "extends checkpoint {m} (consistency proof stored)")?;
        }
        if let Some(t) = &self.timestamp {
            writeln!(f, "time-stamped by the TSA at {t}")?;
        }
        write!(
            f,
            "checkpoint {} of {}: {} entries, root {}",
            self.checkpoint, self.origin, self.checkpoint_size, self.root
        )
    }
}

/// `verify`'s result: a case report or a bundle's problems.
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    pub report: VerifyReport,
    pub json: bool,
}

impl VerifyOutcome {
    /// 0 when everything holds, 3 when anything does not.
    pub fn exit_code(&self) -> u8 {
        self.report.exit_code()
    }
}

pub fn run_verify(a: &VerifyArgs) -> Result<VerifyOutcome> {
    let pubkey = a.pubkey.as_deref().map(keys::load_public).transpose()?;
    let report = if let Some(b) = &a.bundle {
        let text = std::fs::read_to_string(b).map_err(|e| VaultError::io(b, e))?;
        let problems = bundle::verify_bundle(&text, pubkey.as_ref())?;
        let mut r = VerifyReport {
            sealed: true,
            problems,
            ..VerifyReport::default()
        };
        if pubkey.is_none() {
            r.notes.push(
                "checked with the bundle's own public key: compare it with one you trust (--pubkey)"
                    .into(),
            );
        }
        r
    } else {
        let case = a
            .case
            .as_ref()
            .ok_or_else(|| VaultError::NotFound("give a case folder or --bundle".into()))?;
        let mut against = Vec::new();
        for c in &a.checkpoint {
            let text = std::fs::read_to_string(c).map_err(|e| VaultError::io(c, e))?;
            against.push((c.display().to_string(), text));
        }
        crate::verify_case(
            case,
            &VerifyOptions {
                pubkey,
                inputs_dir: a.inputs.clone(),
                against,
            },
        )?
    };
    Ok(VerifyOutcome {
        report,
        json: a.json,
    })
}

impl fmt::Display for VerifyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        if self.json {
            return write!(
                f,
                "{}",
                serde_json::to_string_pretty(r).map_err(|_| fmt::Error)?
            );
        }
        for p in &r.problems {
            writeln!(f, "{p}")?;
        }
        for n in &r.notes {
            writeln!(f, "note: {n}")?;
        }
        if r.ok() {
            write!(
                f,
                "verified: {} files, {} proofs and signatures hold",
                r.files_checked, r.proofs_checked
            )?;
            if let Some((size, root)) = &r.checkpoint {
                write!(f, " (checkpoint {size}, root {root})")?;
            }
            Ok(())
        } else {
            write!(f, "{} problems: the case does not verify", r.problems.len())
        }
    }
}

/// `prove`'s result: the bundle's JSON, and where it was written (if `--out`).
#[derive(Debug, Clone)]
pub struct ProveOutcome {
    pub bundle: String,
    pub written: Option<PathBuf>,
}

pub fn run_prove(a: &ProveArgs) -> Result<ProveOutcome> {
    let target = match (&a.record, &a.post) {
        (Some(r), _) => Target::parse_record(r)?,
        (None, Some(p)) => Target::Post(p.clone()),
        (None, None) => {
            return Err(VaultError::BadRecordSpec(
                "give --record FILE:N or --post ID".into(),
            ))
        }
    };
    let b = bundle::prove(&a.case, &target, a.inputs.as_deref())?;
    let mut json = serde_json::to_string_pretty(&b).map_err(|e| VaultError::Json(e.to_string()))?;
    json.push('\n');
    if let Some(out) = &a.out {
        std::fs::write(out, &json).map_err(|e| VaultError::io(out, e))?;
    }
    Ok(ProveOutcome {
        bundle: json,
        written: a.out.clone(),
    })
}

impl fmt::Display for ProveOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.written {
            Some(p) => write!(f, "wrote proof bundle {}", p.display()),
            None => write!(f, "{}", self.bundle.trim_end()),
        }
    }
}

pub fn run_export(a: &ExportArgs) -> Result<ExportOutcome> {
    let pubkey = a.pubkey.as_deref().map(keys::load_public).transpose()?;
    crate::export(
        &a.case,
        &a.out,
        &VerifyOptions {
            pubkey,
            inputs_dir: a.inputs.clone(),
            ..Default::default()
        },
    )
}

impl fmt::Display for ExportOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote {} ({} files, {:.1} MB; sha256 {}); logged as entry {}. See VERIFY.md inside.",
            self.bundle.display(),
            self.files,
            self.bytes as f64 / 1e6,
            self.sha256,
            self.log_entry
        )
    }
}
