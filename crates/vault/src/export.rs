//! `export`: the evidentiary copy for a preservation order, one zip kept apart from the
//! working copy: the inputs (`inputs/`, laid out by [`layout::export_name`]), the whole case
//! folder (`case/`: outputs, evidence, log, checkpoints, consistency proofs, tokens, public
//! key), `SHA256SUMS`, `VERIFY.md` (how to check it with `sha256sum`, `openssl` and
//! `python3` alone) and `verify_merkle.py`. The export is itself logged in the case.

use crate::error::{Result, VaultError};
use crate::evidence::FileLeaf;
use crate::layout::{self, export_name, resolve_input};
use crate::log::{self, kind, NewEntry};
use crate::verify::{self, VerifyOptions};
use crate::{case, keys, note};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub const VERIFY_PY: &str = include_str!("../assets/verify_merkle.py");

#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportOutcome {
    pub bundle: PathBuf,
    pub sha256: String,
    pub files: usize,
    pub bytes: u64,
    /// The log entry recording the export.
    pub log_entry: u64,
}

/// Writes the export zip at `out` (atomically) after checking the case verifies.
pub fn export(case: &Path, out: &Path, opts: &VerifyOptions) -> Result<ExportOutcome> {
    let report = verify::verify_sealed(case, opts)?;
    if !report.ok() {
        let list: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        return Err(VaultError::CaseDoesNotVerify(list.join("; ")));
    }
    let entries = log::read(case)?;
    let size = crate::seal::last_checkpoint_size(&entries)
        .ok_or_else(|| VaultError::NotFound("no seal entry".into()))?;
    let seal: Value = serde_json::from_str(&entries[size as usize - 1].line)
        .map_err(|e| VaultError::Json(e.to_string()))?;
    let files: Vec<FileLeaf> = serde_json::from_value(seal["files"].clone())
        .map_err(|e| VaultError::Json(e.to_string()))?;

    // (name in the zip, file on disk)
    let mut members: Vec<(String, PathBuf)> = Vec::new();
    for f in case::all_files(case)? {
        members.push((format!("case/{f}"), case.join(&f)));
    }
    let mut sums = String::new();
    for f in &files {
        if f.role == "input" {
            let name = format!("inputs/{}", export_name(&f.path));
            sums.push_str(&format!("{}  {name}\n", f.sha256));
            members.push((name, resolve_input(&f.path, opts.inputs_dir.as_deref())));
        } else {
            sums.push_str(&format!("{}  case/{}\n", f.sha256, f.path));
        }
    }
    for g in seal["record_groups"].as_array().into_iter().flatten() {
        if let (Some(p), Some(h)) = (g["path"].as_str(), g["sha256"].as_str()) {
            sums.push_str(&format!("{h}  case/{p}\n"));
        }
    }
    for e in seal["evidence"].as_array().into_iter().flatten() {
        if let (Some(p), Some(h)) = (e["path"].as_str(), e["sha256"].as_str()) {
            sums.push_str(&format!("{h}  case/{p}\n"));
        }
    }
    let public = keys::load_public(&case.join(layout::PUBKEY))?;
    let origin = seal["origin"].as_str().unwrap_or_default().to_string();
    let vkey = note::vkey(&origin, &public);
    let guide = verify_md(case, size, &vkey)?;

    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| VaultError::io(dir, e))?;
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| VaultError::io(dir, e))?;
    let zerr = |e: zip::result::ZipError| VaultError::Zip(e.to_string());
    let mut zw = zip::ZipWriter::new(std::io::BufWriter::new(tmp));
    let small = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    // Big files are stored: deflating gigabytes would take minutes for little gain on data
    // that is often compressed already.
    let big = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true)
        .unix_permissions(0o644);
    let mut bytes = 0u64;
    for (name, bytes_) in [
        ("VERIFY.md", guide.as_bytes()),
        ("verify_merkle.py", VERIFY_PY.as_bytes()),
        ("SHA256SUMS", sums.as_bytes()),
        ("checkpoint.vkey", format!("{vkey}\n").as_bytes()),
    ] {
        zw.start_file(name, small).map_err(zerr)?;
        zw.write_all(bytes_)
            .map_err(|e| VaultError::Zip(e.to_string()))?;
    }
    for (name, path) in &members {
        let mut f = std::fs::File::open(path).map_err(|e| VaultError::io(path, e))?;
        let len = f.metadata().map_err(|e| VaultError::io(path, e))?.len();
        zw.start_file(name.as_str(), if len > 64 << 20 { big } else { small })
            .map_err(zerr)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(|e| VaultError::io(path, e))?;
            if n == 0 {
                break;
            }
            zw.write_all(&buf[..n])
                .map_err(|e| VaultError::Zip(e.to_string()))?;
        }
        bytes += len;
    }
    let w = zw.finish().map_err(zerr)?;
    let tmp = w
        .into_inner()
        .map_err(|e| VaultError::Zip(e.error().to_string()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| VaultError::io(out, e))?;
    tmp.persist(out).map_err(|e| VaultError::io(out, e.error))?;
    let (sha, _) = crate::records::hash_file(out).map_err(|e| VaultError::io(out, e))?;
    let sha = hex::encode(sha);
    let entry = NewEntry::new(kind::EXPORT)
        .with(
            "bundle",
            out.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
        .with("sha256", sha.clone())
        .with("checkpoint_size", size);
    let log_entry = log::append_entry(case, &entry)?;
    Ok(ExportOutcome {
        bundle: out.to_path_buf(),
        sha256: sha,
        files: members.len() + 4,
        bytes,
        log_entry,
    })
}

/// VERIFY.md for this export. Every `sh` block runs as written in the unzipped folder.
fn verify_md(case: &Path, size: u64, vkey: &str) -> Result<String> {
    let pem = std::fs::read(case.join(layout::PUBKEY))
        .map_err(|e| VaultError::io(case.join(layout::PUBKEY), e))?;
    let fingerprint = hex::encode(Sha256::digest(&pem));
    let tokens: Vec<u64> = (1..=size)
        .filter(|s| case.join(layout::token(*s)).exists())
        .collect();
    let mut s = format!(
        r#"# How to verify this evidence export

This folder is the evidentiary copy of a lockstep case, sealed with an Ed25519 key. Checking
it needs only `sha256sum`, `openssl` (3.0 or later) and `python3` (standard library only) —
not lockstep. Run the commands below in this folder; each step prints what it checked and
fails (non-zero exit status) if anything does not hold.

**First, the key.** `case/vault/vault.pub` is the sealing public key (SPKI PEM). Compare its
SHA-256 fingerprint with one you obtained from the investigator independently (by letter, in
person, in a court filing):

    sha256sum case/vault/vault.pub   # {fingerprint}

The same key as a C2SP signed-note verifier key (for transparency-log tools) is in
`checkpoint.vkey`: `{vkey}`.

## 1. The signed checkpoints

Each `case/vault/checkpoints/N.ckpt` is a C2SP tlog-checkpoint signed note: origin, number of
log entries, base64 Merkle root, an extension line, a blank line, then the signature line
`— <origin> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>`. The signature covers the
text above the blank line.

```sh
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for CKPT in case/vault/checkpoints/*.ckpt; do
  awk '/^$/{{exit}} {{print}}' "$CKPT" > "$T/body"
  tail -n 1 "$CKPT" | awk '{{print $3}}' | base64 -d | tail -c 64 > "$T/sig"
  openssl pkeyutl -verify -pubin -inkey case/vault/vault.pub -rawin -in "$T/body" -sigfile "$T/sig"
done
```
"#
    );
    if !tokens.is_empty() {
        s.push_str(
            "\n## 2. The timestamps\n\nEach `case/vault/timestamps/N.tst` is an RFC 3161 time-stamp token (DER) over the\n\
             whole file `N.ckpt`, signed by the time-stamping authority. `N-ca.pem` is the TSA's CA\n\
             certificate as the investigator gave it when sealing; for an independent check, use the\n\
             CA certificate published by the TSA itself instead. `openssl ts -verify` checks the\n\
             imprint, the TSA's signature and its certificate chain, and prints the time.\n\n```sh\nset -e\n",
        );
        for t in &tokens {
            let tok = layout::token(*t);
            let ca = layout::tsa_ca(*t);
            let ca_arg = if case.join(&ca).exists() {
                format!("-CAfile case/{ca}")
            } else {
                "-CAfile TSA-CA.pem  # the TSA's CA certificate: obtain it from the TSA".into()
            };
            s.push_str(&format!(
                "openssl ts -verify -token_in -in case/{tok} -data case/{} {ca_arg}\n\
                 openssl ts -reply -token_in -in case/{tok} -token_out -text | grep 'Time stamp:'\n",
                layout::checkpoint(*t)
            ));
        }
        s.push_str("```\n");
    }
    s.push_str(
        r#"
## 3. The Merkle trees, the log and the evidence records

`verify_merkle.py` (read it: about 200 lines, Python standard library only) recomputes the
log's Merkle root for each checkpoint (RFC 9162: leaf `SHA-256(0x00 ‖ line)`, node
`SHA-256(0x01 ‖ left ‖ right)`), checks the consistency proofs between checkpoints (the log
was only ever appended to), the hash chain of the log entries, the case tree root in the
latest `seal` entry, that `SHA256SUMS` lists exactly the sealed files, and each evidence
record's proofs: its raw lines into its input's record tree (a leaf per physical line of the
decompressed input, LF included) and the input into the case tree.

```sh
python3 verify_merkle.py
```

## 4. The files

Every input (`inputs/`) and every file of the case folder, with the hashes the seal recorded.

```sh
sha256sum -c --quiet SHA256SUMS && echo "ok: every file matches its sealed sha256"
```

A checkpoint of this case you hold from elsewhere (a proof bundle, an earlier export, a
filing) shows whether this copy was rolled back or rewritten since: check its signature as
in step 1, then `python3 verify_merkle.py THAT.ckpt` — the log must still hold what it signed.

If all four steps pass, the files are those that were sealed, the seal is signed by the key
you checked, and (with step 2) the checkpoint existed at the TSA's time.
"#,
    );
    Ok(s)
}
