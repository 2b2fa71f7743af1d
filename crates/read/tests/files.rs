//! Compression, hashing, whole-file errors and directory discovery.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use lockstep_read::{discover, read_file, Format, ReadError};
use sha2::{Digest, Sha256};

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(path).unwrap()))
}

fn read_err(path: &Path) -> ReadError {
    match read_file(path, &mut lockstep_read::Collect::default()) {
        Ok(f) => panic!("{} read as {f:?}", path.display()),
        Err(e) => e,
    }
}

#[test]
fn compressed_files_read_like_the_plain_one() {
    let plain = read_sample("lockstep.ndjson");
    for name in [
        "lockstep.ndjson.gz",
        "lockstep.ndjson.zst",
        "lockstep_multi.ndjson.gz",
        "lockstep_multi.ndjson.zst",
    ] {
        let r = read_sample(name);
        assert_eq!(r.file.format, Format::LockstepNdjson, "{name}");
        assert_eq!(r.events, plain.events, "{name}");
        assert_eq!(reasons(&r.bad), reasons(&plain.bad), "{name}");
        assert_eq!(
            (r.file.read, r.file.accepted, r.file.quarantined),
            (8, 3, 5),
            "{name}"
        );
        // The hash and size are of the compressed bytes on disk.
        let path = sample(name);
        assert_eq!(r.file.sha256, sha256_hex(&path), "{name}");
        assert_eq!(r.file.bytes, fs::metadata(&path).unwrap().len(), "{name}");
        assert_ne!(r.file.sha256, plain.file.sha256);
    }
}

#[test]
fn input_file_describes_the_file() {
    let path = sample("cnt.csv");
    let r = read(&path);
    assert_eq!(r.file.path, path.display().to_string());
    assert_eq!(r.file.sha256, sha256_hex(&path));
    assert_eq!(r.file.sha256.len(), 64);
    let json = serde_json::to_value(&r.file).unwrap();
    assert_eq!(json["format"], "cnt-csv");
    assert_eq!(json["accepted"], 3);
}

#[test]
fn byte_order_mark_is_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.ndjson");
    fs::write(
        &path,
        b"\xef\xbb\xbf{\"id\":\"1\",\"account\":\"a\",\"time\":1731319200}\n",
    )
    .unwrap();
    let r = read(&path);
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].time_ms, T0);
}

#[test]
fn unknown_csv_header_is_an_error_naming_the_file() {
    let path = sample("unknown_header.csv");
    let msg = read_err(&path).to_string();
    let want = format!(
        "{}: not a recognised format: CSV header has none of the known column sets \
         (found: a, b, c); accepted: lockstep-csv (id, account, time); x-archive-csv (tweetid, \
         userid, tweet_time); ",
        path.display()
    );
    assert!(msg.starts_with(&want), "{msg}");
    // Every CSV format is listed with the columns it needs.
    for f in [
        "coortweet-csv (object_id, account_id, content_id, timestamp_share)",
        "coortweet-multimodal-csv (account_id, post_id, timestamp and one of url_id",
        "cnt-csv (message_id, user_id, timestamp)",
        "rtweet-csv (status_id, created_at, screen_name or user_id)",
        "crowdtangle-csv (date, account.url or account.id",
    ] {
        assert!(msg.contains(f), "{msg} lacks {f}");
    }
}

#[test]
fn binary_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("picture.csv");
    fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10").unwrap();
    let err = read_err(&path);
    assert!(matches!(err, ReadError::UnknownFormat { .. }), "{err:?}");
    assert!(err.to_string().contains("picture.csv"), "{err}");
}

#[test]
fn unknown_json_and_empty_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("other.json");
    fs::write(&json, "{\"foo\": 1, \"bar\": [2]}\n").unwrap();
    let msg = read_err(&json).to_string();
    assert!(msg.starts_with(&json.display().to_string()), "{msg}");
    assert!(msg.contains("found keys: bar, foo"), "{msg}");

    let empty = dir.path().join("empty.csv");
    fs::write(&empty, "\n \n").unwrap();
    assert!(read_err(&empty).to_string().contains("empty.csv"));
}

#[test]
fn missing_and_corrupt_files_are_errors_naming_them() {
    let missing = PathBuf::from("no/such/file.csv");
    let err = read_err(&missing);
    assert!(matches!(err, ReadError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no/such/file.csv: no such file or directory"
    );

    let dir = tempfile::tempdir().unwrap();
    let gz = fs::read(sample("lockstep.ndjson.gz")).unwrap();
    let truncated = dir.path().join("cut.ndjson.gz");
    fs::write(&truncated, &gz[..gz.len() / 2]).unwrap();
    let err = read_err(&truncated);
    assert!(matches!(err, ReadError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("cut.ndjson.gz"));

    let zst = fs::read(sample("lockstep.ndjson.zst")).unwrap();
    let truncated = dir.path().join("cut.ndjson.zst");
    fs::write(&truncated, &zst[..zst.len() / 2]).unwrap();
    assert!(read_err(&truncated).to_string().contains("cut.ndjson.zst"));
}

#[test]
fn pretty_json_truncated_after_a_good_document_quarantines_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pages.json");
    let page = fs::read_to_string(sample("tiktok_page.json")).unwrap();
    let text = format!("{page}{}", &page[..200]);
    fs::write(&path, text).unwrap();
    let r = read(&path);
    assert_eq!(r.events.len(), 2);
    let lines = page.lines().count() as u64;
    assert_quarantined(
        &r.bad,
        &[(28, "missing time"), (lines + 1, "unparseable JSON")],
    );
}

#[test]
fn jsonl_with_a_broken_first_line_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.ndjson");
    fs::write(
        &path,
        "{\"id\":\"1\",\"acc\n\n{\"id\":\"2\",\"account\":\"b\",\"time\":1731319200}\n",
    )
    .unwrap();
    let r = read(&path);
    assert_eq!(r.file.format, Format::LockstepNdjson);
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].account, "b");
    assert_quarantined(&r.bad, &[(1, "unparseable JSON")]);
}

#[test]
fn discover_walks_directories_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for f in [
        "b/nested/z.csv",
        "b/a.jsonl.gz",
        "a.NDJSON.zst",
        "d/e.tsv",
        "d/f.json",
        ".hidden/x.csv",
        "b/.dot.csv",
        "notes.txt",
        "img.png",
        "archive.gz",
    ] {
        let p = root.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "x").unwrap();
    }
    let explicit = root.join("notes.txt");
    let found = discover(&[
        root.join("b"),
        root.to_path_buf(),
        explicit.clone(),
        root.join("d/e.tsv"),
    ])
    .unwrap();
    assert!(found.skipped.is_empty(), "{:?}", found.skipped);
    let rel: Vec<String> = found
        .files
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        rel,
        [
            "a.NDJSON.zst",
            "b/a.jsonl.gz",
            "b/nested/z.csv",
            "d/e.tsv",
            "d/f.json",
            "notes.txt",
        ]
    );

    let missing = root.join("nope");
    let err = discover(&[root.to_path_buf(), missing.clone()]).unwrap_err();
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn discovery_survives_loops_fifos_and_unreadable_entries() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("data/sub")).unwrap();
    fs::write(root.join("data/a.csv"), "x").unwrap();
    fs::write(root.join("data/sub/b.csv"), "x").unwrap();
    // A link back up the tree: walking it naively never ends (ELOOP in the old walker).
    symlink(root.join("data"), root.join("data/sub/up")).unwrap();
    let fifo = root.join("data/pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let locked = root.join("data/locked.csv");
    fs::write(&locked, "x").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let root_user = fs::File::open(&locked).is_ok();
    let found = discover(&[root.join("data")]).unwrap();
    let rel = |p: &Path| p.strip_prefix(root).unwrap().display().to_string();
    let files: Vec<String> = found.files.iter().map(|p| rel(p)).collect();
    let mut want = vec!["data/a.csv", "data/sub/b.csv"];
    if root_user {
        want.insert(1, "data/locked.csv");
    }
    assert_eq!(files, want);
    let skipped: Vec<(String, &str)> = found
        .skipped
        .iter()
        .map(|(p, why)| (rel(p), why.as_str()))
        .collect();
    assert!(
        skipped
            .iter()
            .any(|(p, why)| p == "data/sub/up" && why.contains("loop")),
        "{skipped:?}"
    );
    if made.is_ok_and(|s| s.success()) {
        assert!(
            skipped
                .iter()
                .any(|(p, why)| p == "data/pipe.csv" && why.contains("FIFO")),
            "{skipped:?}"
        );
    }
    if !root_user {
        assert!(
            skipped
                .iter()
                .any(|(p, why)| p == "data/locked.csv" && why.contains("cannot read")),
            "{skipped:?}"
        );
    }
}

#[test]
fn leading_blank_lines_keep_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("late.csv");
    fs::write(&csv, "\n \r\nid,account,time\r\n1,a,12\r\n").unwrap();
    let r = read(&csv);
    assert_eq!(r.file.format, Format::LockstepCsv);
    assert_quarantined(&r.bad, &[(4, "impossible timestamp")]);

    let json = dir.path().join("late.ndjson");
    fs::write(
        &json,
        "\n\n{\"id\":\"1\",\"account\":\"a\",\"time\":1731319200}\n{\"id\":\"2\",\"time\":1731319200}\n",
    )
    .unwrap();
    let r = read(&json);
    assert_eq!(r.events.len(), 1);
    assert_quarantined(&r.bad, &[(4, "missing account")]);
}

#[test]
fn truncated_single_document_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut_page.json");
    let page = fs::read_to_string(sample("tiktok_page.json")).unwrap();
    fs::write(&path, &page[..page.len() / 2]).unwrap();
    let msg = read_err(&path).to_string();
    assert!(
        msg.contains("cut_page.json: not a recognised format: unparseable JSON"),
        "{msg}"
    );
}

#[test]
fn large_line_files_keep_record_order_and_line_numbers_across_parallel_blocks() {
    // ~17 MB of lockstep NDJSON: several 4 MB blocks parsed in parallel. Every 997th line is
    // broken, every 1009th blank, one line is longer than a block and the last has no line
    // break; order and line numbers must be those of a sequential read.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.ndjson");
    let mut text = String::new();
    let (mut want_ids, mut want_bad) = (Vec::new(), Vec::new());
    let short = "x".repeat(120);
    let long = "y".repeat(5 << 20);
    for line in 1..=90_000u64 {
        let filler = if line == 45_001 { &long } else { &short };
        if line % 1009 == 0 {
            text.push('\n');
        } else if line % 997 == 0 {
            text.push_str("{\"id\":\"broken\n");
            want_bad.push(line);
        } else {
            let id = format!("e{line}");
            text.push_str(&format!(
                "{{\"id\":\"{id}\",\"account\":\"a{}\",\"time\":{},\"text\":\"{filler}\"}}\n",
                line % 50,
                1_700_000_000 + line
            ));
            want_ids.push(id);
        }
    }
    assert!(text.len() > 4 * (4 << 20));
    fs::write(&path, text.trim_end_matches('\n')).unwrap();
    let r = read(&path);
    let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, want_ids);
    let long_event = r.events.iter().find(|e| e.id == "e45001").unwrap();
    assert_eq!(long_event.text.as_deref(), Some(long.as_str()));
    let bad: Vec<u64> = r.bad.iter().map(|q| q.record).collect();
    assert_eq!(bad, want_bad);
}
