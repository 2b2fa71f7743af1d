use super::*;
use std::io::Write;

type Read = (Counts, Vec<(u64, LineFormat)>, Vec<Quarantined>);

fn read_all(path: &Path) -> Result<Read, ReadError> {
    let mut recs = Vec::new();
    let mut bad = Vec::new();
    let (_, counts) = read_file(
        path,
        &Config::default(),
        &mut |n, _, f| recs.push((n, f)),
        &mut |q| bad.push(q),
    )?;
    Ok((counts, recs, bad))
}

const ACCESS: &str =
    r#"1.2.3.4 - - [19/Nov/2024:12:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0""#;
const SYSLOG: &str =
    "Nov 19 12:00:00 h sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2";

#[test]
fn mixed_formats_long_lines_and_accounting() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mixed.log");
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(f, "{ACCESS}").unwrap();
    writeln!(f, "{SYSLOG}").unwrap();
    writeln!(f, "garbage line").unwrap();
    // A 3 MB line, then normal lines again.
    f.write_all(&vec![b'A'; 3 << 20]).unwrap();
    writeln!(f).unwrap();
    writeln!(f, "{{\"remote_addr\":\"::1\",\"request\":\"GET /x HTTP/1.1\",\"status\":200,\"msec\":\"1732017600.000\"}}").unwrap();
    writeln!(f).unwrap();
    write!(f, "{ACCESS}").unwrap(); // no final line break
    drop(f);
    let (c, recs, bad) = read_all(&p).unwrap();
    assert_eq!((c.read, c.accepted, c.quarantined), (6, 4, 2));
    assert_eq!(
        recs.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![1, 2, 5, 7]
    );
    assert_eq!(bad.iter().map(|q| q.record).collect::<Vec<_>>(), vec![3, 4]);
    assert!(bad[1].reason.contains("longer than"), "{}", bad[1].reason);
    assert_eq!(c.format_name(), "combined+json-access+syslog");
}

#[test]
fn many_blocks_keep_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&p).unwrap(),
        flate2::Compression::fast(),
    );
    let n = 60_000u64;
    for i in 0..n {
        if i == 30_000 {
            gz.write_all(&vec![b'x'; (1 << 20) + 10]).unwrap();
            writeln!(gz).unwrap();
        } else {
            writeln!(gz, "{ACCESS} {}", i % 7).unwrap();
        }
    }
    gz.finish().unwrap();
    let (c, recs, bad) = read_all(&p).unwrap();
    assert_eq!((c.read, c.accepted, c.quarantined), (n, n - 1, 1));
    assert_eq!(bad[0].record, 30_001);
    assert!(recs.iter().enumerate().all(|(k, r)| r.0
        == if k < 30_000 {
            k as u64 + 1
        } else {
            k as u64 + 2
        }));
}

#[test]
fn binary_and_truncated_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bin");
    std::fs::write(&p, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0garbage").unwrap();
    let e = read_all(&p).unwrap_err().to_string();
    assert!(e.contains("binary content"), "{e}");
    let p = dir.path().join("t.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..2000 {
        writeln!(gz, "{ACCESS}").unwrap();
    }
    let bytes = gz.finish().unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let e = read_all(&p).unwrap_err().to_string();
    assert!(e.starts_with(&p.display().to_string()), "{e}");
    assert!(matches!(
        read_all(&dir.path().join("nope")),
        Err(ReadError::NotFound { .. })
    ));
}

#[test]
fn invalid_utf8_request_is_kept_and_marked() {
    let mut line = br#"1.2.3.4 - - [19/Nov/2024:12:00:00 +0000] "GET /a"#.to_vec();
    line.extend_from_slice(b"\xff\xfe");
    line.extend_from_slice(br#"?x=1 HTTP/1.1" 400 0 "-" "-""#);
    match parse_line(&line, &Config::default()) {
        Ok((Record::Http(h), _)) => {
            assert_eq!(h.target, "/a\\xFF\\xFE?x=1");
            assert!(h.malformed.is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cidrs() {
    let (n, l) = parse_cidr("10.0.0.0/8").unwrap();
    assert!(in_prefix("10.9.8.7".parse().unwrap(), n, l));
    assert!(!in_prefix("11.0.0.1".parse().unwrap(), n, l));
    assert!(!in_prefix("::1".parse().unwrap(), n, l));
    assert_eq!(parse_cidr("2001:db8::/129"), None);
    assert_eq!(parse_cidr("1.2.3.4").map(|c| c.1), Some(32));
}

/// Everything `read_source` gives for `data` under `limits`, in a comparable form.
fn outcome(data: &[u8], limits: Limits) -> Result<(Counts, Vec<String>), String> {
    let cfg = Config {
        limits,
        ..Config::default()
    };
    // Records and quarantine in one list, in the order they were given.
    let seen = std::cell::RefCell::new(Vec::new());
    let (_, counts) = read_source(
        Box::new(data),
        Path::new("in.log"),
        &cfg,
        &mut |n, r, f| seen.borrow_mut().push(format!("{n} {f:?} {r:?}")),
        &mut |q| (seen.borrow_mut()).push(format!("{} bad {}", q.record, q.reason)),
    )
    .map_err(|e| e.to_string())?;
    Ok((counts, seen.into_inner()))
}

#[test]
fn the_line_limit_is_the_configured_one_and_blocks_never_change_the_records() {
    let mut data = Vec::new();
    for i in 0..200 {
        match i % 7 {
            0 => data.extend_from_slice(&vec![b'z'; 100 + i]),
            1 => data.extend_from_slice(SYSLOG.as_bytes()),
            2 => {}
            _ => data.extend_from_slice(ACCESS.as_bytes()),
        }
        data.push(b'\n');
    }
    data.extend_from_slice(&[b'q'; 150]); // a long last line without a break
    let limits = |block_bytes| Limits {
        max_line: 99,
        block_bytes,
        ..Limits::default()
    };
    let (counts, seen) = outcome(&data, limits(4 << 20)).unwrap();
    // 29 lines of z's and the last line are longer than 99 bytes; the access lines (81
    // bytes) are not; the 29 blank lines are not records.
    assert_eq!((counts.read, counts.quarantined), (200 - 29 + 1, 30));
    let long = seen
        .iter()
        .filter(|s| s.contains("(limit max_line_bytes)"))
        .count();
    assert_eq!(long, 30, "{seen:?}");
    assert!(
        seen[0].starts_with("1 bad line of 100 bytes, longer than 99"),
        "{}",
        seen[0]
    );
    for block_bytes in [1, 7, 96, 97, 98, 99, 100, 1000] {
        assert_eq!(
            outcome(&data, limits(block_bytes)),
            Ok((counts.clone(), seen.clone())),
            "block of {block_bytes} bytes"
        );
    }
}

#[test]
fn the_expansion_guard_takes_its_floor_from_the_limits() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..20_000 {
        writeln!(gz, "{ACCESS}").unwrap();
    }
    let bytes = gz.finish().unwrap();
    // About 1.9 MB from a few KB: well under the default 64 MiB floor.
    assert_eq!(
        outcome(&bytes, Limits::default()).unwrap().0.accepted,
        20_000
    );
    let mut tight = Limits::default();
    tight.read.expansion_floor = 1 << 20;
    tight.read.max_expansion = 100;
    let err = outcome(&bytes, tight).unwrap_err();
    assert!(
        err.contains("in.log") && err.contains("limit max_expansion"),
        "{err}"
    );
}
