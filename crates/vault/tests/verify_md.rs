//! The export's VERIFY.md, run as written: its `sh` code blocks, with bash, in the unzipped
//! folder, using only openssl, python3 (standard library), sha256sum and base64. They pass
//! on a fresh export and fail after one byte of an input, an output, an evidence record,
//! the log, a checkpoint or a timestamp token is changed.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn sh_blocks(md: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside && line.trim() == "```sh";
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn run(dir: &Path, script: &str) -> (bool, String) {
    let o = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn verify_md_instructions_pass_and_catch_a_flipped_byte() {
    for tool in ["openssl", "python3", "sha256sum", "bash"] {
        if !have(tool) {
            eprintln!("{tool} not found: skipped");
            return;
        }
    }
    let tsa = common::tsa::start();
    let f = make_case();
    let mut o = seal_opts(&f);
    o.tsa = Some(tsa.url.clone());
    o.tsa_ca = Some(tsa.ca.clone());
    lockstep_vault::seal(&f.case, &o).unwrap();
    let zip = f.dir.path().join("export.zip");
    let out = lockstep_vault::export(&f.case, &zip, &verify_opts(&f)).unwrap();
    assert_eq!(out.log_entry, 2, "the export is logged");
    let dir = f.dir.path().join("unzipped");
    let st = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&zip)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    // lockstep itself checks the unzipped copy too.
    let r = lockstep_vault::verify_sealed(
        &dir.join("case"),
        &lockstep_vault::VerifyOptions {
            pubkey: None,
            inputs_dir: Some(dir.join("inputs")),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    let md = std::fs::read_to_string(dir.join("VERIFY.md")).unwrap();
    let script = sh_blocks(&md);
    assert!(script.contains("openssl pkeyutl -verify") && script.contains("openssl ts -verify"));
    assert!(script.contains("python3 verify_merkle.py") && script.contains("sha256sum -c"));
    let (ok, log) = run(&dir, &script);
    assert!(ok, "VERIFY.md failed on a fresh export:\n{log}");
    assert!(
        log.contains("Signature Verified Successfully") && log.contains("Verification: OK"),
        "{log}"
    );

    // A checkpoint held elsewhere: this copy extends it; a later one it does not hold.
    let held = f.dir.path().join("held.ckpt");
    std::fs::copy(dir.join("case/vault/checkpoints/000002.ckpt"), &held).unwrap();
    let (ok, log) = run(
        &dir,
        &format!("python3 verify_merkle.py {}", held.display()),
    );
    assert!(ok && log.contains("the log extends"), "{log}");
    let other = make_case();
    lockstep_vault::seal(&other.case, &seal_opts(&other)).unwrap();
    let foreign = other.case.join("vault/checkpoints/000002.ckpt");
    let (ok, _) = run(
        &dir,
        &format!("python3 verify_merkle.py {}", foreign.display()),
    );
    assert!(!ok, "a checkpoint of another case must fail");

    for rel in [
        "inputs/data/a.ndjson",
        "case/edges.csv",
        "case/evidence/post-v3.json",
        "case/vault/log.ndjson",
        "case/vault/checkpoints/000002.ckpt",
        "case/vault/timestamps/000002.tst",
    ] {
        let p = dir.join(rel);
        let original = std::fs::read(&p).unwrap();
        for at in [original.len() / 2, original.len() - 2] {
            let mut b = original.clone();
            b[at] ^= 0x01;
            std::fs::write(&p, &b).unwrap();
            let (ok, log) = run(&dir, &script);
            assert!(
                !ok,
                "{rel}: byte {at} flipped, VERIFY.md still passes:\n{log}"
            );
        }
        std::fs::write(&p, &original).unwrap();
    }
    assert!(run(&dir, &script).0);
}
