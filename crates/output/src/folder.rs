//! The case folder as a whole: at any instant it is either the previous complete case or the
//! new complete case, never a mix.
//!
//! A run takes an exclusive lock (`.CASE.lockstep-lock` beside the folder; a second run
//! refuses with a clear message), writes every file into a staging folder beside the case
//! (`.CASE.lockstep-staging`), and on success puts it in place in one step: renamed into
//! place when there is no case yet, atomically exchanged with the old case where the system
//! can (Linux `renameat2(RENAME_EXCHANGE)`), else the old case is moved aside, the new one
//! renamed in and the old one removed (a crash between the two renames is repaired by the
//! next run, which finds the old case aside). A killed run leaves at most its staging folder,
//! which the next run removes.

use std::fs;
use std::path::{Path, PathBuf};

/// The folder inside a case that the evidence vault (`lockstep seal`) writes: a case holding
/// it is sealed.
pub const VAULT_DIR: &str = "vault";

/// A sealed case is read-only evidence: nothing rewrites it (new work goes to a new case
/// that references it). Any `vault/` folder counts, even a damaged one.
pub fn is_sealed(dir: &Path) -> bool {
    dir.join(VAULT_DIR).is_dir()
}

/// Staging folders of runs under way, for [`abandon_staging`].
static ACTIVE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn active() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the staging folders of every run under way: for a signal handler (SIGINT,
/// SIGTERM) just before the process exits, so an interrupted run leaves nothing behind. The
/// case folders themselves are untouched.
pub fn abandon_staging() {
    for dir in active().drain(..) {
        let _ = fs::remove_dir_all(dir);
    }
}

/// How an input and a case folder overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// The input is the case folder or inside it: putting the case in place would replace it.
    InputInCase,
    /// The case folder is inside an input folder: a later run reads the case back, unless its
    /// reader passes over a case's own files (as `detect`'s does).
    CaseInInput,
}

/// An input that overlaps the case folder, and how: the first input inside the case if any
/// (the graver overlap, whatever the order of the inputs), else the first folder holding it.
/// The case need not exist yet.
pub fn overlapping_input<'a>(inputs: &'a [PathBuf], case: &Path) -> Option<(&'a PathBuf, Overlap)> {
    let case_abs = absolute(case)?;
    let resolved: Vec<(&PathBuf, PathBuf)> = inputs
        .iter()
        .filter_map(|i| Some((i, fs::canonicalize(i).ok()?)))
        .collect();
    let inside = resolved
        .iter()
        .find(|(_, a)| a.starts_with(&case_abs))
        .map(|(i, _)| (*i, Overlap::InputInCase));
    inside.or_else(|| {
        resolved
            .iter()
            .find(|(_, a)| case_abs.starts_with(a))
            .map(|(i, _)| (*i, Overlap::CaseInInput))
    })
}

/// Refuses a case folder whose overlap with an input is one of `refused`.
pub fn refuse_overlap(
    inputs: &[PathBuf],
    case: &Path,
    refused: &[Overlap],
) -> Result<(), FolderError> {
    match overlapping_input(inputs, case) {
        Some((input, how)) if refused.contains(&how) => Err(FolderError::OverlapsInput {
            case: case.to_path_buf(),
            input: input.clone(),
        }),
        _ => Ok(()),
    }
}

/// `path` made absolute with its links resolved; for a path that does not exist yet, its
/// nearest existing ancestor resolved and the rest appended.
fn absolute(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some(absolute(&parent)?.join(name))
}

/// A case being written: the lock held and the staging folder to write into.
#[derive(Debug)]
pub struct Staging {
    case: PathBuf,
    dir: PathBuf,
    aside: PathBuf,
    _lock: fs::File,
}

/// Why a case folder cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: another lockstep run is writing this case; wait for it to finish", path.display())]
    Busy { path: PathBuf },
    #[error("{}: a sealed case (read-only evidence): write new work to another folder and seal it with --derived-from", path.display())]
    Sealed { path: PathBuf },
    #[error("{}: holds files but no manifest.json: not a case folder, so it is not replaced (choose another --out)", path.display())]
    NotACase { path: PathBuf },
    #[error("{}: the case folder would replace an input ({}); choose another --out", case.display(), input.display())]
    OverlapsInput { case: PathBuf, input: PathBuf },
}

impl FolderError {
    pub fn kind(&self) -> lockstep_core::ErrorKind {
        use lockstep_core::ErrorKind;
        match self {
            FolderError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::StorageFull
                    || source.kind() == std::io::ErrorKind::QuotaExceeded =>
            {
                ErrorKind::Resources
            }
            FolderError::Io { .. } | FolderError::Busy { .. } => ErrorKind::Io,
            FolderError::Sealed { .. }
            | FolderError::NotACase { .. }
            | FolderError::OverlapsInput { .. } => ErrorKind::Config,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `.NAME.lockstep-SUFFIX` beside `case`.
fn beside(case: &Path, suffix: &str) -> PathBuf {
    let name = case
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "case".into());
    case.with_file_name(format!(".{name}.lockstep-{suffix}"))
}

/// A folder that holds files but no `manifest.json` is not a case: lockstep does not replace
/// it.
fn is_foreign(case: &Path) -> bool {
    match fs::read_dir(case) {
        Ok(mut entries) => entries.next().is_some() && !case.join("manifest.json").exists(),
        Err(_) => false,
    }
}

impl Staging {
    /// Locks `case` and prepares an empty staging folder beside it. Refuses when another run
    /// holds the lock, or when `case` is a folder of other files.
    pub fn begin(case: &Path) -> Result<Staging, FolderError> {
        // The folder may not exist yet: its parent must.
        let case = if case.is_absolute() {
            case.to_path_buf()
        } else {
            std::env::current_dir().map_err(io(case))?.join(case)
        };
        let parent = case.parent().unwrap_or(Path::new("/")).to_path_buf();
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let lock_path = beside(&case, "lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(FolderError::Busy { path: case.clone() })
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        let aside = beside(&case, "previous");
        // A run killed between its two renames left the old case aside and none in place.
        if !case.exists() && aside.join("manifest.json").exists() {
            fs::rename(&aside, &case).map_err(io(&aside))?;
        }
        if aside.exists() {
            fs::remove_dir_all(&aside).map_err(io(&aside))?;
        }
        if is_sealed(&case) {
            return Err(FolderError::Sealed { path: case.clone() });
        }
        if case.is_file() || is_foreign(&case) {
            return Err(FolderError::NotACase { path: case.clone() });
        }
        let dir = beside(&case, "staging");
        // What a killed run left behind.
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        fs::create_dir(&dir).map_err(io(&dir))?;
        active().push(dir.clone());
        Ok(Staging {
            case,
            dir,
            aside,
            _lock: lock,
        })
    }

    /// The folder to write the case into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The case folder the staging folder becomes.
    pub fn case(&self) -> &Path {
        &self.case
    }

    /// Puts the staged case in place of the old one (if any), in one step.
    pub fn commit(self) -> Result<(), FolderError> {
        active().retain(|d| *d != self.dir);
        sync_dir(&self.dir);
        if !self.case.exists() {
            fs::rename(&self.dir, &self.case).map_err(io(&self.case))?;
        } else if exchange(&self.dir, &self.case).is_ok() {
            // The old case is now in the staging folder's place.
            fs::remove_dir_all(&self.dir).map_err(io(&self.dir))?;
        } else {
            fs::rename(&self.case, &self.aside).map_err(io(&self.case))?;
            fs::rename(&self.dir, &self.case).map_err(io(&self.case))?;
            fs::remove_dir_all(&self.aside).map_err(io(&self.aside))?;
        }
        if let Some(parent) = self.case.parent() {
            sync_dir(parent);
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// A run that fails or is dropped leaves no staging folder (the old case is untouched).
    fn drop(&mut self) {
        active().retain(|d| *d != self.dir);
        if self.dir.exists() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Swaps two paths atomically, where the system can.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings for the duration of the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Flushes a folder's entries to disk (a rename is durable only then); best effort.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_case(dir: &Path, text: &str) {
        fs::write(dir.join("manifest.json"), text).unwrap();
        fs::write(dir.join("accounts.csv"), text).unwrap();
    }

    #[test]
    fn a_case_in_an_input_folder_overlaps_it_before_it_exists() {
        let root = tempfile::tempdir().unwrap();
        let logs = root.path().join("logs");
        fs::create_dir(&logs).unwrap();
        let inputs = vec![root.path().join("other"), logs.clone()];
        assert_eq!(
            overlapping_input(&inputs, &logs.join("new").join("case")),
            Some((&logs, Overlap::CaseInInput))
        );
        assert_eq!(
            overlapping_input(&inputs, &logs),
            Some((&logs, Overlap::InputInCase))
        );
        assert_eq!(
            overlapping_input(&inputs, root.path()),
            Some((&logs, Overlap::InputInCase))
        );
        assert_eq!(overlapping_input(&inputs, &root.path().join("case")), None);
        // An input inside the case counts whatever comes first.
        let case = logs.join("case");
        fs::create_dir(&case).unwrap();
        fs::write(case.join("edges.csv"), "x").unwrap();
        let both = vec![logs.clone(), case.join("edges.csv")];
        assert_eq!(
            overlapping_input(&both, &case),
            Some((&both[1], Overlap::InputInCase))
        );
        // A sibling whose name starts with the input's is not inside it.
        assert_eq!(overlapping_input(&inputs, &root.path().join("logs2")), None);
    }

    #[test]
    fn a_case_is_replaced_whole_or_not_at_all() {
        let root = tempfile::tempdir().unwrap();
        let case = root.path().join("case");
        let s = Staging::begin(&case).unwrap();
        write_case(s.dir(), "one");
        s.commit().unwrap();
        assert_eq!(
            fs::read_to_string(case.join("accounts.csv")).unwrap(),
            "one"
        );
        // A failed rerun (dropped before commit) leaves the old case and no staging folder.
        let s = Staging::begin(&case).unwrap();
        write_case(s.dir(), "half");
        drop(s);
        assert_eq!(
            fs::read_to_string(case.join("accounts.csv")).unwrap(),
            "one"
        );
        // A rerun replaces every file, including ones the new case no longer writes.
        fs::write(case.join("stale.csv"), "x").unwrap();
        let s = Staging::begin(&case).unwrap();
        write_case(s.dir(), "two");
        s.commit().unwrap();
        assert_eq!(
            fs::read_to_string(case.join("accounts.csv")).unwrap(),
            "two"
        );
        assert!(!case.join("stale.csv").exists());
        let left: Vec<String> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with("lockstep-lock"))
            .collect();
        assert_eq!(left, ["case"]);
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_case() {
        let root = tempfile::tempdir().unwrap();
        let case = root.path().join("case");
        let first = Staging::begin(&case).unwrap();
        let second = Staging::begin(&case);
        assert!(
            matches!(second, Err(FolderError::Busy { .. })),
            "{second:?}"
        );
        drop(first);
        assert!(Staging::begin(&case).is_ok());
    }

    #[test]
    fn folders_of_other_files_are_not_replaced() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::write(data.join("tweets.csv"), "x").unwrap();
        assert!(matches!(
            Staging::begin(&data),
            Err(FolderError::NotACase { .. })
        ));
        assert!(data.join("tweets.csv").exists());
        // An empty folder is fine.
        let empty = root.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert!(Staging::begin(&empty).is_ok());
    }

    #[test]
    fn a_sealed_case_is_never_rewritten() {
        let root = tempfile::tempdir().unwrap();
        let case = root.path().join("case");
        let s = Staging::begin(&case).unwrap();
        write_case(s.dir(), "one");
        s.commit().unwrap();
        fs::create_dir(case.join(VAULT_DIR)).unwrap();
        assert!(matches!(
            Staging::begin(&case),
            Err(FolderError::Sealed { .. })
        ));
        assert_eq!(
            fs::read_to_string(case.join("accounts.csv")).unwrap(),
            "one"
        );
    }

    #[test]
    fn a_crash_between_the_renames_is_repaired() {
        let root = tempfile::tempdir().unwrap();
        let case = root.path().join("case");
        let aside = beside(&case, "previous");
        fs::create_dir(&aside).unwrap();
        write_case(&aside, "old");
        // Left behind by a killed run: a staging folder too.
        fs::create_dir(beside(&case, "staging")).unwrap();
        let s = Staging::begin(&case).unwrap();
        assert_eq!(
            fs::read_to_string(case.join("accounts.csv")).unwrap(),
            "old"
        );
        assert!(!aside.exists());
        drop(s);
    }
}
