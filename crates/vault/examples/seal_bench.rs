//! Seal throughput on a real case: seals CASE, prints the time, the bytes hashed per second,
//! peak memory and the seal's size against the case's (with --verify, also the time of
//! `verify` and of `prove` for one record), then (unless --keep) removes what it added, so
//! it can run again. Compare with `sha256sum` over the same files:
//!
//! ```sh
//! cargo run --release -p lockstep-vault --example seal_bench -- CASE
//! sha256sum $(jq -r '.inputs[].path' CASE/manifest.json) CASE/*
//! ```

use std::path::{Path, PathBuf};

fn dir_bytes(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .map(|e| {
            let m = e
                .metadata()
                .map(|m| (m.is_dir(), m.len()))
                .unwrap_or((false, 0));
            if m.0 {
                dir_bytes(&e.path())
            } else {
                m.1
            }
        })
        .sum()
}

fn peak_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut case: Option<PathBuf> = None;
    let mut key: Option<PathBuf> = None;
    let mut inputs: Option<PathBuf> = None;
    let mut keep = false;
    let mut check = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--key" => key = args.next().map(PathBuf::from),
            "--inputs" => inputs = args.next().map(PathBuf::from),
            "--keep" => keep = true,
            "--verify" => check = true,
            _ => case = Some(PathBuf::from(a)),
        }
    }
    let case =
        case.ok_or("usage: seal_bench CASE [--key KEY] [--inputs DIR] [--keep] [--verify]")?;
    if lockstep_vault::is_sealed(&case) {
        return Err(format!("{} is sealed already", case.display()).into());
    }
    let tmp = tempfile::tempdir()?;
    let key = match key {
        Some(k) => k,
        None => lockstep_vault::keygen(tmp.path())?.private_key,
    };
    let mut o = lockstep_vault::SealOptions::new(key);
    o.inputs_dir = inputs;
    let out = lockstep_vault::seal(&case, &o)?;
    let seal_bytes = dir_bytes(&case.join("vault")) + dir_bytes(&case.join("evidence"));
    println!("{out}");
    println!(
        "seal: {:.2} s for {:.2} GB ({:.2} GB/s); peak memory {:.0} MiB; seal adds {:.1} KB = {:.5} % of the {:.2} GB hashed",
        out.seconds,
        out.bytes as f64 / 1e9,
        out.bytes as f64 / 1e9 / out.seconds,
        peak_mib().unwrap_or(f64::NAN),
        seal_bytes as f64 / 1e3,
        100.0 * seal_bytes as f64 / out.bytes as f64,
        out.bytes as f64 / 1e9,
    );
    if check {
        // verify (everything re-hashed) and prove (one pass over one input).
        let t = std::time::Instant::now();
        let opts = lockstep_vault::VerifyOptions {
            pubkey: None,
            inputs_dir: o.inputs_dir.clone(),
            ..Default::default()
        };
        let r = lockstep_vault::verify_sealed(&case, &opts)?;
        println!(
            "verify: {:.2} s, {} problems, {} files, {} proofs",
            t.elapsed().as_secs_f64(),
            r.problems.len(),
            r.files_checked,
            r.proofs_checked
        );
        let m = lockstep_vault::case::read_manifest(&case)?;
        if let Some(input) = m.inputs.last() {
            let t = std::time::Instant::now();
            let target = lockstep_vault::Target::Record {
                file: input.path.clone(),
                line: 2,
            };
            let b = lockstep_vault::prove(&case, &target, o.inputs_dir.as_deref())?;
            let text = serde_json::to_string(&b)?;
            let problems = lockstep_vault::verify_bundle(&text, None)?;
            println!(
                "prove {}:2: {:.2} s, bundle {} KB, {} problems",
                input.path,
                t.elapsed().as_secs_f64(),
                text.len() / 1000,
                problems.len()
            );
        }
    }
    if !keep {
        std::fs::remove_dir_all(case.join("vault"))?;
        std::fs::remove_dir_all(case.join("evidence"))?;
    }
    Ok(())
}
