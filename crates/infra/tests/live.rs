//! `lockstep infra watch`: simulated logs arrive in chunks into a followed folder; each tick
//! is a separate call on the same state folder (as after a restart). The planted campaigns
//! are alerted, no alert is about benign sources, nothing is alerted twice without growth,
//! partial lines wait for their line break and a rotated file is read from its start.

use clap::Parser;
use lockstep_infra::live::{tick, Alert, WatchArgs};
use lockstep_infra::sim::{simulate, SimArgs};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    w: WatchArgs,
}

fn args(follow: &Path, state: &Path, alerts: &Path) -> WatchArgs {
    Cli::parse_from([
        "watch",
        follow.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--alerts",
        alerts.to_str().unwrap(),
        "--tick",
        "3600",
        "--horizon",
        "43200",
        "--out",
        state.with_file_name("snapshot").to_str().unwrap(),
        "--quiet",
    ])
    .w
}

fn truth(sim: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(sim.join("truth.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() == 3).then(|| {
                let who = if f[1].is_empty() {
                    format!("benign:{}", f[2])
                } else {
                    f[1].to_string()
                };
                (f[0].to_string(), who)
            })
        })
        .collect()
}

fn append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn campaigns_are_alerted_as_the_logs_grow() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SimArgs::new(dir.path().join("sim"));
    s.seed = 21;
    s.lines = 30_000;
    s.hours = 12;
    s.stuffing_sources = 120;
    s.injection_sources = 150;
    s.flood_sources = 20;
    s.scanners = 6;
    s.campaign_rate = 5.0;
    simulate(&s).unwrap();
    let who = truth(&s.out);
    let follow = dir.path().join("follow");
    std::fs::create_dir_all(&follow).unwrap();
    let state = dir.path().join("state");
    let alerts_path = dir.path().join("alerts.ndjson");
    let a = args(&follow, &state, &alerts_path);

    let logs: Vec<(PathBuf, Vec<u8>)> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(s.out.join("logs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v.into_iter()
            .map(|p| {
                let b = std::fs::read(&p).unwrap();
                (p, b)
            })
            .collect()
    };
    // Six chunks of each file, cut at line breaks.
    let chunks = 6;
    let mut alerts: Vec<Alert> = Vec::new();
    let mut cut: Vec<usize> = vec![0; logs.len()];
    for k in 1..=chunks {
        for (i, (p, b)) in logs.iter().enumerate() {
            let mut end = b.len() * k / chunks;
            while end < b.len() && b[end - 1] != b'\n' {
                end += 1;
            }
            append(&follow.join(p.file_name().unwrap()), &b[cut[i]..end]);
            cut[i] = end;
        }
        let r = tick(&a).unwrap();
        assert!(r.new_bytes > 0);
        alerts.extend(r.alerts);
    }
    let report: Vec<String> = alerts
        .iter()
        .map(|x| {
            format!(
                "{} {} tick {} sources {}",
                x.kind, x.campaign, x.tick, x.sources
            )
        })
        .collect();
    assert!(!alerts.is_empty());
    // Each alert is about one planted campaign, never about benign sources.
    let mut alerted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for al in &alerts {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &al.members {
            *by.entry(who.get(m).map_or("unknown", |s| s.as_str()))
                .or_default() += 1;
        }
        let (top, n) = by
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, n)| (*k, *n))
            .unwrap();
        assert!(
            !top.starts_with("benign") && top != "unknown",
            "{by:?} {report:?}"
        );
        assert!(n * 100 >= al.members.len() * 95, "mixed alert {by:?}");
        alerted
            .entry(top.to_string())
            .or_default()
            .extend(al.members.iter().cloned());
    }
    for c in ["injection", "flood", "ssh_spray", "stuffing"] {
        assert!(alerted.contains_key(c), "{c} never alerted: {report:?}");
    }
    // The alerts file holds exactly what the ticks returned.
    let lines = std::fs::read_to_string(&alerts_path).unwrap();
    assert_eq!(lines.lines().count(), alerts.len());
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    for k in [
        "kind", "campaign", "time", "tick", "sources", "members", "classes", "targets",
    ] {
        assert!(first.get(k).is_some(), "{k} missing: {first}");
    }

    // The snapshot case of the last tick that alerted: complete, verified, and what the
    // alerts point to.
    let snap = dir.path().join("snapshot");
    assert!(alerts.iter().all(|al| al.case.as_deref() == snap.to_str()));
    let (mismatches, files) = lockstep_case::verify(&snap).unwrap();
    assert!(mismatches.is_empty() && files > 5, "{mismatches:?}");
    let m = lockstep_infra::case::Manifest::read(&snap).unwrap();
    assert_eq!(m.command, "infra");
    assert!(m.counts.clusters > 0 && m.counts.read > 0, "{:?}", m.counts);
    assert!(!dir.path().join(".snapshot.lockstep-staging").exists());
    // Sealed, the snapshot is never rewritten, and the ticks go on alerting without it.
    std::fs::create_dir(snap.join("vault")).unwrap();

    // A crash after the alerts were written but before the state was saved: the tick runs
    // again and the file still holds each alert once.
    let saved = std::fs::read(state.join("state.json")).unwrap();
    let before = std::fs::read_to_string(&alerts_path).unwrap();
    let extra = b"roaep.ro:443 198.51.100.9 - - [19/Nov/2024:23:59:58 +0000] \"GET /x HTTP/1.1\" 404 10 \"-\" \"Mozilla/5.0\" 0.001\n";
    append(&follow.join(logs[0].0.file_name().unwrap()), extra);
    std::fs::write(
        &alerts_path,
        format!("{before}{{\"kind\":\"new\",\"campaign\":999}}\n"),
    )
    .unwrap();
    std::fs::write(state.join("state.json"), &saved).unwrap();
    let r = tick(&a).unwrap();
    assert_eq!(r.new_bytes, extra.len() as u64);
    assert!(
        r.snapshot_skipped
            .as_deref()
            .is_some_and(|w| w.contains("sealed")),
        "{:?}",
        r.snapshot_skipped
    );
    assert!(snap.join("vault").is_dir() && lockstep_case::verify(&snap).unwrap().0.is_empty());
    let after = std::fs::read_to_string(&alerts_path).unwrap();
    assert!(
        after.starts_with(&before) && !after.contains("\"campaign\":999"),
        "{}",
        &after[before.len()..]
    );

    // Nothing new: no bytes, no alerts.
    let r = tick(&a).unwrap();
    assert_eq!(r.new_bytes, 0);
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);

    // A partial line waits for its line break.
    let f = follow.join(logs[0].0.file_name().unwrap());
    let line = b"roaep.ro:443 198.51.100.7 - - [19/Nov/2024:23:59:59 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0\" 0.001";
    append(&f, &line[..40]);
    assert_eq!(tick(&a).unwrap().new_bytes, 0);
    append(&f, &line[40..]);
    append(&f, b"\n");
    assert_eq!(tick(&a).unwrap().new_bytes, line.len() as u64 + 1);

    // Rotation: the file is renamed away and a new one starts; the new one is read whole.
    std::fs::rename(&f, dir.path().join("rotated.log")).unwrap();
    let mut fresh = line.to_vec();
    fresh.push(b'\n');
    append(&f, &fresh);
    let r = tick(&a).unwrap();
    assert_eq!(r.new_bytes, fresh.len() as u64);
    // A horizon of 43200 s at 3600 s ticks keeps twelve ticks' segments; this was the
    // eleventh tick. By the fourteenth the first tick's segments are gone, from the state and
    // the disk.
    let on_disk = || std::fs::read_dir(state.join("segments")).unwrap().count();
    assert_eq!(on_disk(), r.segments);
    let before = r.segments;
    tick(&a).unwrap();
    tick(&a).unwrap();
    let r = tick(&a).unwrap();
    assert!(
        r.segments < before,
        "{} segments, {before} before",
        r.segments
    );
    assert_eq!(on_disk(), r.segments);
}

#[test]
fn refuses_standard_input_and_bad_horizons() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("s");
    let al = dir.path().join("a");
    let mut a = args(Path::new("-"), &st, &al);
    assert!(tick(&a).is_err());
    let follow = dir.path().join("follow");
    std::fs::create_dir(&follow).unwrap();
    a = args(&follow, &st, &al);
    a.horizon = 10;
    assert!(tick(&a).is_err());
    // A snapshot case inside a followed folder would be read back as logs.
    let e = tick(&args(dir.path(), &st, &al)).unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("snapshot"), "{e}");
    // A state folder holding something else is an error naming the file, not a panic.
    let a = args(&follow, &st, &al);
    std::fs::create_dir_all(&st).unwrap();
    std::fs::write(st.join("state.json"), b"{not json").unwrap();
    let e = tick(&a).unwrap_err().to_string();
    assert!(e.contains("state.json"), "{e}");
}
