//! Server-side inputs: only inside the roots an admin configured (`--input-root`). A path is
//! resolved (symbolic links and `..` included) before it is compared with the roots, and so
//! is every file found in a folder, so no link leads a run outside them.

use crate::error::ApiError;
use std::path::{Path, PathBuf};

fn inside(roots: &[PathBuf], p: &Path) -> bool {
    roots.iter().any(|r| p.starts_with(r))
}

fn canonical_inside(roots: &[PathBuf], raw: &str) -> Result<PathBuf, ApiError> {
    if roots.is_empty() {
        return Err(ApiError::forbidden(
            "the server has no input roots (start it with --input-root DIR)",
        ));
    }
    if raw.is_empty() || raw.len() > 4096 || raw.contains('\0') {
        return Err(ApiError::bad_request("bad path"));
    }
    let p = Path::new(raw);
    // A relative path is taken inside the first root.
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        roots[0].join(p)
    };
    // The same answer whether the path is missing or outside: nothing is learnt about
    // files outside the roots.
    let refused =
        || ApiError::forbidden(format!("{raw}: not a readable path inside the input roots"));
    let c = std::fs::canonicalize(&p).map_err(|_| refused())?;
    if !inside(roots, &c) {
        return Err(refused());
    }
    Ok(c)
}

/// The paths, resolved and checked against the roots (folders stay folders: for `watch`).
pub fn resolve_roots_only(roots: &[PathBuf], paths: &[String]) -> Result<Vec<PathBuf>, ApiError> {
    paths.iter().map(|p| canonical_inside(roots, p)).collect()
}

/// Every data file the paths name or hold, each checked against the roots.
pub fn resolve(roots: &[PathBuf], paths: &[String]) -> Result<Vec<PathBuf>, ApiError> {
    let tops = resolve_roots_only(roots, paths)?;
    let found = lockstep_read::discover(&tops)
        .map_err(|e| ApiError::bad_request(format!("cannot list the inputs: {e}")))?;
    let mut files = Vec::with_capacity(found.files.len());
    for f in found.files {
        let c = std::fs::canonicalize(&f)
            .map_err(|_| ApiError::bad_request(format!("{}: cannot be read", f.display())))?;
        if !inside(roots, &c) {
            return Err(ApiError::forbidden(format!(
                "{}: leads outside the input roots",
                f.display()
            )));
        }
        files.push(c);
    }
    if files.is_empty() {
        return Err(ApiError::bad_request(
            "no data files there (.json, .jsonl, .ndjson, .csv, .tsv, optionally .gz or .zst)",
        ));
    }
    files.sort();
    files.dedup();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_outside_the_roots() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        let outside = t.path().join("outside");
        std::fs::create_dir_all(root.join("d")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("d/a.csv"), "x").unwrap();
        std::fs::write(outside.join("secret.csv"), "x").unwrap();
        let roots = vec![std::fs::canonicalize(&root).unwrap()];
        let s = |p: &Path| p.display().to_string();
        assert_eq!(resolve(&roots, &[s(&root.join("d"))]).unwrap().len(), 1);
        assert_eq!(resolve(&roots, &["d/a.csv".into()]).unwrap().len(), 1);
        for bad in [
            s(&outside.join("secret.csv")),
            s(&root.join("../outside/secret.csv")),
            "../outside/secret.csv".to_string(),
            "/etc/passwd".to_string(),
            s(&root.join("missing.csv")),
        ] {
            assert_eq!(
                resolve(&roots, std::slice::from_ref(&bad))
                    .unwrap_err()
                    .status,
                403,
                "{bad}"
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, root.join("d/link")).unwrap();
            let e = resolve(&roots, &[s(&root.join("d"))]).unwrap_err();
            assert_eq!(e.status, 403);
            std::os::unix::fs::symlink(outside.join("secret.csv"), root.join("l.csv")).unwrap();
            assert_eq!(
                resolve(&roots, &[s(&root.join("l.csv"))])
                    .unwrap_err()
                    .status,
                403
            );
        }
        assert_eq!(resolve(&[], &["x".into()]).unwrap_err().status, 403);
    }
}
