//! Every single-byte change of every file of a small sealed case (inputs, outputs, evidence,
//! log, checkpoints, consistency proof, public key, timestamp tokens and CA certificates),
//! every deletion, every added file and every rename is detected by `verify` and named.
//! Files up to 4 KiB get every byte position changed (XOR 0x01); larger ones (the log and
//! some evidence records) every position in their first and last 512 bytes and every 5th
//! position between.
#![cfg(unix)]

mod common;
use common::*;
use lockstep_vault::log::{kind, NewEntry};
use lockstep_vault::{append_entry, layout, seal, verify_sealed, Subject, VerifyReport};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn named(r: &VerifyReport, rel: &str) -> bool {
    r.problems.iter().any(|p| match &p.subject {
        Subject::File { path } | Subject::Checkpoint { path } | Subject::Timestamp { path } => {
            path == rel
        }
        Subject::LogEntry { .. } | Subject::Log => rel == layout::LOG,
        Subject::Record { .. } => rel.starts_with("evidence/"),
        Subject::Key => rel == layout::PUBKEY,
    })
}

fn positions(len: usize) -> Vec<usize> {
    if len <= 4096 {
        (0..len).collect()
    } else {
        (0..len)
            .filter(|&i| i < 512 || i >= len - 512 || i % 5 == 0)
            .collect()
    }
}

#[test]
fn every_change_is_detected_and_named() {
    let f = make_case_in_memory();
    let tsa = have("openssl").then(common::tsa::start);
    let mut o = seal_opts(&f);
    if let Some(t) = &tsa {
        o.tsa = Some(t.url.clone());
        o.tsa_ca = Some(t.ca.clone());
    }
    seal(&f.case, &o).unwrap();
    append_entry(
        &f.case,
        &NewEntry::new(kind::VERDICT)
            .with("cluster", 2)
            .with("verdict", "organic"),
    )
    .unwrap();
    seal(&f.case, &o).unwrap();
    drop(tsa);
    let vo = verify_opts(&f);
    assert!(verify_sealed(&f.case, &vo).unwrap().ok());

    // Two copies of the sealed case, one per core, each mutating its half of the files.
    let copy = tempfile::tempdir_in(f.dir.path().parent().unwrap()).unwrap();
    for rel in files_under(f.dir.path()) {
        let to = copy.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(f.dir.path().join(&rel), to).unwrap();
    }
    let copies = [
        (f.case.clone(), f.inputs.clone()),
        (copy.path().join("case"), copy.path().join("in")),
    ];
    let t0 = Instant::now();
    let runs: usize = std::thread::scope(|s| {
        let handles: Vec<_> = copies
            .iter()
            .enumerate()
            .map(|(half, (case, inputs))| {
                let vo = lockstep_vault::VerifyOptions {
                    pubkey: vo.pubkey,
                    inputs_dir: Some(inputs.clone()),
                    ..Default::default()
                };
                s.spawn(move || mutate_half(case, inputs, &vo, half))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    eprintln!(
        "{runs} mutated cases verified in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // Added files, anywhere in the case.
    for rel in [
        "notes.txt",
        "evidence/post-extra.json",
        "vault/checkpoints/000009.ckpt",
        "vault/x",
    ] {
        let p = f.case.join(rel);
        std::fs::write(&p, "{}").unwrap();
        let r = verify_sealed(&f.case, &vo).unwrap();
        assert!(!r.ok() && named(&r, rel), "{rel} added: {:?}", r.problems);
        std::fs::remove_file(&p).unwrap();
    }
    assert!(verify_sealed(&f.case, &vo).unwrap().ok());
}

/// Mutates every other file of one copy (`half` 0 or 1); returns the verify runs.
fn mutate_half(
    case: &Path,
    inputs: &Path,
    vo: &lockstep_vault::VerifyOptions,
    half: usize,
) -> usize {
    // (name as verify reports it, file on disk)
    let mut targets: Vec<(String, PathBuf)> = files_under(case)
        .into_iter()
        .map(|r| (r.clone(), case.join(&r)))
        .collect();
    for i in ["data/a.ndjson", "data/b.ndjson.gz"] {
        targets.push((i.to_string(), inputs.join(i)));
    }
    if have("openssl") {
        assert!(targets.iter().any(|(r, _)| r.ends_with(".tst")));
    }
    let mut runs = 0;
    for (rel, path) in targets.iter().skip(half).step_by(2) {
        let original = std::fs::read(path).unwrap();
        // One byte rewritten in place (truncating and rewriting the file would make the
        // file system flush it every time).
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        for i in positions(original.len()) {
            file.write_all_at(&[original[i] ^ 0x01], i as u64).unwrap();
            let r = verify_sealed(case, vo).unwrap();
            assert!(!r.ok(), "{rel}: byte {i} changed, not detected");
            assert!(
                named(&r, rel),
                "{rel}: byte {i} changed, not named: {:?}",
                r.problems
            );
            file.write_all_at(&original[i..=i], i as u64).unwrap();
            runs += 1;
        }
        drop(file);
        // Deleted.
        std::fs::remove_file(path).unwrap();
        let r = verify_sealed(case, vo).unwrap();
        assert!(!r.ok() && named(&r, rel), "{rel} deleted: {:?}", r.problems);
        std::fs::write(path, &original).unwrap();
        // Renamed (case files only: inputs live outside the case).
        if path.starts_with(case) {
            let moved = path.with_extension("moved");
            std::fs::rename(path, &moved).unwrap();
            let r = verify_sealed(case, vo).unwrap();
            let new_rel = format!("{}", moved.strip_prefix(case).unwrap().display());
            assert!(
                named(&r, rel) && named(&r, &new_rel),
                "{rel} renamed: {:?}",
                r.problems
            );
            std::fs::rename(&moved, path).unwrap();
        }
        runs += 2;
    }
    runs
}
