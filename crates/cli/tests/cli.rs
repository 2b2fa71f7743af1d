//! The binary as scripts see it: exit codes, error messages, nothing half-written.

use std::process::Command;

fn lockstep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
}

#[test]
fn a_file_of_the_wrong_shape_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.csv");
    std::fs::write(&bad, "colour,size\nred,3\n").unwrap();
    let out = dir.path().join("case");
    let r = lockstep()
        .arg("detect")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("notes.csv") && err.contains("not a recognised format"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing half-written: {left:?}");
}

#[test]
fn an_absurd_thread_count_is_capped_with_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.ndjson");
    std::fs::write(
        &input,
        "{\"id\":\"1\",\"account\":\"a\",\"time\":\"2024-11-11T10:00:00Z\",\"text\":\"#cg11\"}\n",
    )
    .unwrap();
    let r = lockstep()
        .args(["--threads", "100000", "detect"])
        .arg(&input)
        .arg("--out")
        .arg(dir.path().join("case"))
        .arg("-q")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(
        err.contains("--threads 100000 is more than lockstep uses; using 256"),
        "{err}"
    );
    assert!(dir.path().join("case/manifest.json").is_file());
}

#[test]
fn bad_records_are_quarantined_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.ndjson");
    std::fs::write(
        &input,
        concat!(
            "{\"id\":\"1\",\"account\":\"a\",\"time\":\"2024-11-11T10:00:00Z\",\"text\":\"#cg11\"}\n",
            "{\"id\":\"2\",\"account\":\"\",\"time\":\"2024-11-11T10:00:01Z\"}\n",
            "{\"id\":\"3\",\"account\":\"b\",\"time\":\"12\"}\n",
            "not json\n",
            "{\"id\":\"4\",\"account\":\"b\",\"time\":1731319202,\"text\":\"#cg11\"}\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("case");
    let r = lockstep()
        .arg("detect")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let q = std::fs::read_to_string(out.join("quarantine.ndjson")).unwrap();
    let lines: Vec<serde_json::Value> = q
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l["record"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert!(lines
        .iter()
        .all(|l| l["file"].as_str().unwrap().ends_with("events.ndjson")));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        (
            m["counts"]["read"].as_u64(),
            m["counts"]["accepted"].as_u64(),
            m["counts"]["quarantined"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
}

#[test]
fn usage_errors_exit_2_and_verify_exits_3_on_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let r = lockstep()
        .args(["detect", "x.csv", "--out", "o", "--fdr", "2"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--fdr"));
    let r = lockstep()
        .args(["detect", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));

    let sim = dir.path().join("sim");
    let case = dir.path().join("case");
    assert!(lockstep()
        .args([
            "simulate",
            "--accounts",
            "600",
            "--seed",
            "9",
            "-q",
            "--out"
        ])
        .arg(&sim)
        .status()
        .unwrap()
        .success());
    assert!(lockstep()
        .arg("detect")
        .arg(sim.join("data"))
        .arg("--out")
        .arg(&case)
        .arg("-q")
        .status()
        .unwrap()
        .success());
    let ok = lockstep().arg("verify").arg(&case).output().unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    std::fs::write(
        case.join("accounts.csv"),
        "account,cluster,score\nforged,1,1\n",
    )
    .unwrap();
    let bad = lockstep().arg("verify").arg(&case).output().unwrap();
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("CHANGED")
            && String::from_utf8_lossy(&bad.stdout).contains("accounts.csv")
    );
}
