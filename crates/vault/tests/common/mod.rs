//! Shared test fixtures: a small case folder as `lockstep detect` writes one (inputs, outputs,
//! manifest, clusters.json citing posts), a key pair, and a local RFC 3161 TSA.
#![allow(dead_code)]

pub mod tsa;

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub case: PathBuf,
    pub inputs: PathBuf,
    pub key: PathBuf,
    pub pubkey: PathBuf,
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub fn line(i: usize) -> String {
    format!(
        "{{\"id\":\"v{i}\",\"author\":\"acct{}\",\"time\":\"2024-11-2{}T10:00:0{}Z\",\"text\":\"#cg{} vot\"}}\n",
        i % 4,
        i % 9,
        i % 10,
        i % 3
    )
}

/// A case with two inputs (plain and gzip, relative paths found under `inputs`), the usual
/// outputs, and clusters.json citing posts: with a source, without one (found by scan), with
/// a two-line source, and with a source in no input.
pub fn make_case() -> Fixture {
    make_case_in(tempfile::tempdir().unwrap())
}

/// The same, in memory when the system has a tmpfs (`/dev/shm`): for tests that rewrite
/// files thousands of times, where a disk's writeback would make them wait.
pub fn make_case_in_memory() -> Fixture {
    let shm = Path::new("/dev/shm");
    match shm
        .is_dir()
        .then(|| tempfile::tempdir_in(shm).ok())
        .flatten()
    {
        Some(d) => make_case_in(d),
        None => make_case(),
    }
}

pub fn make_case_in(dir: tempfile::TempDir) -> Fixture {
    let inputs = dir.path().join("in");
    let case = dir.path().join("case");
    std::fs::create_dir_all(inputs.join("data")).unwrap();
    std::fs::create_dir_all(&case).unwrap();
    let a: String = (0..12).map(line).collect();
    std::fs::write(inputs.join("data/a.ndjson"), &a).unwrap();
    let b: String = (100..109).map(line).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b.as_bytes()).unwrap();
    let b_gz = gz.finish().unwrap();
    std::fs::write(inputs.join("data/b.ndjson.gz"), &b_gz).unwrap();

    let clusters = serde_json::json!({"clusters": [
        {"id": 1, "evidence": [
            {"id": "v3", "account": "acct3", "time": "t", "platform": "tiktok", "kind": "post",
             "source": {"file": "data/a.ndjson", "line": 4, "lines": 1}},
            {"id": "v104", "account": "acct0", "time": "t", "platform": "tiktok", "kind": "post"},
        ]},
        {"id": 2, "evidence": [
            {"id": "v7", "account": "acct3", "time": "t", "platform": "tiktok", "kind": "post",
             "source": {"file": "data/a.ndjson", "line": 8, "lines": 2}},
            {"id": "v3", "account": "acct3", "time": "t", "platform": "tiktok", "kind": "post",
             "source": {"file": "data/a.ndjson", "line": 4, "lines": 1}},
            {"id": "ghost", "account": "x", "time": "t", "platform": "tiktok", "kind": "post",
             "source": {"file": "data/elsewhere.ndjson", "line": 1}},
        ]},
    ]});
    let mut outputs = serde_json::Map::new();
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "accounts.csv",
            b"account,cluster\nacct3,1\nacct0,1\n".to_vec(),
        ),
        (
            "clusters.json",
            serde_json::to_vec_pretty(&clusters).unwrap(),
        ),
        (
            "edges.csv",
            b"source,target,weight\nacct0,acct3,2.0\n".to_vec(),
        ),
        ("graph.gexf", b"<gexf/>\n".to_vec()),
        ("graph.graphml", b"<graphml/>\n".to_vec()),
        ("quarantine.ndjson", Vec::new()),
        (
            "report.html",
            b"<!doctype html><title>case</title>\n".to_vec(),
        ),
    ];
    for (name, bytes) in &files {
        std::fs::write(case.join(name), bytes).unwrap();
        outputs.insert(name.to_string(), sha(bytes).into());
    }
    let manifest = serde_json::json!({
        "lockstep_version": "0.1.0",
        "parameters": {"window_s": 60},
        "inputs": [
            {"path": "data/a.ndjson", "sha256": sha(a.as_bytes()), "bytes": a.len(), "format": "lockstep-ndjson", "read": 12, "accepted": 12, "quarantined": 0},
            {"path": "data/b.ndjson.gz", "sha256": sha(&b_gz), "bytes": b_gz.len(), "format": "lockstep-ndjson", "read": 9, "accepted": 9, "quarantined": 0},
        ],
        "counts": {"files": 2},
        "outputs": outputs,
    });
    std::fs::write(
        case.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let keys = lockstep_vault::keygen(&dir.path().join("keys")).unwrap();
    Fixture {
        case,
        inputs,
        key: keys.private_key,
        pubkey: keys.public_key,
        dir,
    }
}

pub fn seal_opts(f: &Fixture) -> lockstep_vault::SealOptions {
    let mut o = lockstep_vault::SealOptions::new(&f.key);
    o.inputs_dir = Some(f.inputs.clone());
    o
}

pub fn verify_opts(f: &Fixture) -> lockstep_vault::VerifyOptions {
    lockstep_vault::VerifyOptions {
        pubkey: Some(lockstep_vault::keys::load_public(&f.pubkey).unwrap()),
        inputs_dir: Some(f.inputs.clone()),
        ..Default::default()
    }
}

pub fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok()
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(d: &Path, rel: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &r, out);
            } else {
                out.push(r);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}
