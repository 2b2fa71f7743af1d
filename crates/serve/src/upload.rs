//! Uploads: a multipart form streamed to a staging folder under `--data`, each file within
//! the per-upload byte limit, file names reduced to a safe form. The caller removes the
//! staging folder on any error, so a failed upload leaves nothing.

use crate::error::ApiError;
use crate::Config;
use axum::extract::Multipart;
use serde_json::Value;
use std::path::Path;
use tokio::io::AsyncWriteExt;

pub struct Form {
    pub name: String,
    pub description: String,
    pub params: lockstep_detect::Params,
    pub params_json: Value,
    /// (stored name, bytes).
    pub files: Vec<(String, u64)>,
}

/// Data file endings the readers take (as `lockstep_read::discover` does in folders).
const ENDINGS: &[&str] = &[".json", ".jsonl", ".ndjson", ".csv", ".tsv"];
const COMPRESSED: &[&str] = &["", ".gz", ".zst", ".zstd"];

/// A safe file name for an uploaded file: its last path component, letters, digits, `.`,
/// `-`, `_` kept and anything else `_`, no leading dot, at most 120 bytes; `None` for a
/// name that is not a data file.
pub fn safe_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut s: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while s.starts_with('.') {
        s.replace_range(..1, "_");
    }
    if s.len() > 120 {
        s = s[s.len() - 120..].to_string();
    }
    let lower = s.to_ascii_lowercase();
    let ok = ENDINGS.iter().any(|e| {
        COMPRESSED
            .iter()
            .any(|z| lower.ends_with(&format!("{e}{z}")) && lower.len() > e.len() + z.len())
    });
    ok.then_some(s)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("the upload is larger than the server accepts")
    } else {
        ApiError::bad_request(format!(
            "the upload broke off or is malformed: {}",
            e.body_text()
        ))
    }
}

pub async fn receive(config: &Config, mut mp: Multipart, staging: &Path) -> Result<Form, ApiError> {
    let inputs = staging.join("inputs");
    tokio::fs::create_dir_all(&inputs).await.map_err(|e| {
        eprintln!("lockstep serve: {}: {e}", inputs.display());
        ApiError::internal()
    })?;
    let (mut name, mut description, mut params) = (None, String::new(), serde_json::Map::new());
    let mut files: Vec<(String, u64)> = Vec::new();
    let mut total: u64 = 0;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let field_name = field.name().unwrap_or("").to_string();
        match field_name.as_str() {
            "file" => {
                if files.len() >= config.max_files {
                    return Err(ApiError::bad_request(format!(
                        "at most {} files per case",
                        config.max_files
                    )));
                }
                let raw = field.file_name().unwrap_or("").to_string();
                let Some(mut stored) = safe_name(&raw) else {
                    return Err(ApiError::bad_request(format!(
                        "{raw:?}: not a data file name (.json, .jsonl, .ndjson, .csv, .tsv, optionally .gz or .zst)"
                    )));
                };
                if files.iter().any(|(n, _)| *n == stored) {
                    stored = format!("{}-{stored}", files.len() + 1);
                }
                let path = inputs.join(&stored);
                let mut f = tokio::fs::File::create_new(&path)
                    .await
                    .map_err(|_| ApiError::internal())?;
                let mut bytes: u64 = 0;
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    bytes += chunk.len() as u64;
                    total += chunk.len() as u64;
                    if total > config.max_upload_bytes {
                        return Err(ApiError::too_large(format!(
                            "the upload is larger than {} MiB",
                            config.max_upload_bytes >> 20
                        )));
                    }
                    f.write_all(&chunk)
                        .await
                        .map_err(|_| ApiError::internal())?;
                }
                f.flush().await.map_err(|_| ApiError::internal())?;
                if bytes == 0 {
                    return Err(ApiError::bad_request(format!("{raw:?} is empty")));
                }
                files.push((stored, bytes));
            }
            "name" | "description" | "params" => {
                let text = field.text().await.map_err(multipart_error)?;
                if text.len() > 64 * 1024 {
                    return Err(ApiError::too_large(format!("field {field_name} too long")));
                }
                match field_name.as_str() {
                    "name" => name = Some(text),
                    "description" => description = text,
                    _ => {
                        if !text.trim().is_empty() {
                            let v: Value = crate::extract::parse_json(text.as_bytes())?;
                            params = v
                                .as_object()
                                .cloned()
                                .ok_or_else(|| ApiError::bad_request("params is a JSON object"))?;
                        }
                    }
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unexpected form field {other:?}"
                )))
            }
        }
    }
    let name = name.ok_or_else(|| ApiError::bad_request("the form has no name"))?;
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "the case name is 1–200 characters, no control characters",
        ));
    }
    if description.chars().count() > 4000 {
        return Err(ApiError::bad_request(
            "the description is longer than 4000 characters",
        ));
    }
    if files.is_empty() {
        return Err(ApiError::bad_request("the form has no file"));
    }
    let (params, params_json) = crate::params::parse(&params)?;
    // The files are read by the same readers as any input: a file no reader recognises is
    // refused now, not found out by the run.
    let paths: Vec<_> = files.iter().map(|(n, _)| inputs.join(n)).collect();
    tokio::task::spawn_blocking(move || check_readable(&paths))
        .await
        .map_err(|_| ApiError::internal())??;
    Ok(Form {
        name,
        description: description.trim().to_string(),
        params,
        params_json,
        files,
    })
}

/// Reads each file through `lockstep_read` into a sink that keeps nothing: the format must
/// be recognised (a file of the wrong shape is an error naming it). Bad records are not an
/// error here: the run quarantines them.
fn check_readable(paths: &[std::path::PathBuf]) -> Result<(), ApiError> {
    struct Discard;
    impl lockstep_read::Sink for Discard {
        fn event(&mut self, _: lockstep_core::Event, _: u64) {}
        fn quarantined(&mut self, _: lockstep_core::Quarantined) {}
    }
    for p in paths {
        lockstep_read::read_file(p, &mut Discard).map_err(|e| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let msg = e.to_string().replace(&p.display().to_string(), &name);
            ApiError::bad_request(format!("{name}: {msg}"))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn names() {
        assert_eq!(safe_name("videos.jsonl").as_deref(), Some("videos.jsonl"));
        assert_eq!(safe_name("../../etc/x.csv.gz").as_deref(), Some("x.csv.gz"));
        assert_eq!(
            safe_name("C:\\a\\b c.ndjson").as_deref(),
            Some("b_c.ndjson")
        );
        assert_eq!(safe_name(".hidden.csv").as_deref(), Some("_hidden.csv"));
        assert_eq!(safe_name("a.exe"), None);
        assert_eq!(safe_name(".csv"), None);
        assert_eq!(safe_name(""), None);
    }
}
