//! Putting a seal in place: staged inside the case, then renamed.

use crate::case;
use crate::error::{Result, VaultError};
use crate::layout;
use crate::log::Entry;
use std::path::{Path, PathBuf};

/// Writes the new files and the log into the case: staged, then renamed; the log (or, on a
/// first seal, the whole vault/ folder) goes last, so a seal is either all there or not.
pub(super) fn commit(
    case: &Path,
    sealed: bool,
    files: &[(String, Vec<u8>)],
    entries: &[Entry],
) -> Result<()> {
    let staging = tempfile::Builder::new()
        .prefix(case::STAGING_PREFIX)
        .tempdir_in(case)
        .map_err(|e| VaultError::io(case, e))?;
    let sp = staging.path();
    let write = |rel: &str, bytes: &[u8]| -> Result<()> {
        let p = sp.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(|e| VaultError::io(d, e))?;
        }
        let f = std::fs::File::create(&p).map_err(|e| VaultError::io(&p, e))?;
        use std::io::Write;
        let mut w = std::io::BufWriter::new(f);
        w.write_all(bytes).map_err(|e| VaultError::io(&p, e))?;
        let f = w
            .into_inner()
            .map_err(|e| VaultError::io(&p, e.into_error()))?;
        f.sync_all().map_err(|e| VaultError::io(&p, e))
    };
    for (rel, bytes) in files {
        write(rel, bytes)?;
    }
    let mut log_bytes = Vec::new();
    for e in entries {
        log_bytes.extend_from_slice(e.line.as_bytes());
        log_bytes.push(b'\n');
    }
    write(layout::LOG, &log_bytes)?;
    let mv = |from: PathBuf, to: PathBuf| -> Result<()> {
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d).map_err(|e| VaultError::io(d, e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| VaultError::io(&to, e))
    };
    if !sealed {
        mv(sp.join(layout::EVIDENCE), case.join(layout::EVIDENCE))?;
        mv(sp.join(layout::VAULT), case.join(layout::VAULT))?;
    } else {
        for (rel, _) in files {
            mv(sp.join(rel), case.join(rel))?;
        }
        mv(sp.join(layout::LOG), case.join(layout::LOG))?;
    }
    if let Ok(d) = std::fs::File::open(case) {
        let _ = d.sync_all();
    }
    Ok(())
}
