//! Hostile and broken input: deep nesting, stray CSV quotes, invalid UTF-8, size limits,
//! compression framing, FIFOs. Inputs are written by the people under investigation: none may
//! crash, hang or hide records.

mod common;

use std::fs;
use std::io::{Read as _, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use lockstep_read::{read_file_with, read_stream_with, Collect, ReadError, ReadLimits};

/// Reads `bytes` as a stream within `limits`, checking the counts as [`read`] does.
fn read_bytes(bytes: &[u8], limits: &ReadLimits) -> Result<Read, ReadError> {
    read_chunked(bytes, usize::MAX, limits)
}

/// The same, the stream giving at most `chunk` bytes per read (as a socket or pipe does).
fn read_chunked(bytes: &[u8], chunk: usize, limits: &ReadLimits) -> Result<Read, ReadError> {
    struct Chunks<'a>(&'a [u8], usize);
    impl std::io::Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut sink = Collect::default();
    let file = read_stream_with(Chunks(bytes, chunk), "input", limits, &mut sink)?;
    assert_eq!(file.read, file.accepted + file.quarantined, "{file:?}");
    assert_eq!(file.accepted, sink.events.len() as u64);
    assert_eq!(file.quarantined, sink.quarantined.len() as u64);
    Ok(Read {
        file,
        events: sink.events,
        bad: sink.quarantined,
    })
}

fn ok(r: Result<Read, ReadError>) -> Read {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn line(id: &str, account: &str) -> String {
    format!("{{\"id\":\"{id}\",\"account\":\"{account}\",\"time\":1731319200}}\n")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Runs `body` in a child process (this test binary, filtered to `name`) on small stacks,
/// so that a stack overflow fails the test instead of aborting the whole test run.
fn in_child(name: &str, body: impl FnOnce() + Send + 'static) {
    const CHILD: &str = "LOCKSTEP_READ_TEST_CHILD";
    if std::env::var(CHILD).as_deref() == Ok(name) {
        // The reader's own thread gets 256 KiB; rayon's workers get RUST_MIN_STACK.
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(body)
            .unwrap()
            .join()
            .unwrap();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .env("RUST_MIN_STACK", (256 << 10).to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the child running {name} failed ({}; a stack overflow aborts it):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- 1. Deep nesting ------------------------------------------------------------------

#[test]
fn deep_nesting_is_quarantined_not_a_crash() {
    in_child("deep_nesting_is_quarantined_not_a_crash", || {
        let limits = ReadLimits::default();
        let open = "[".repeat(100_000);
        let balanced = format!("{open}{}", "]".repeat(100_000));
        // A whole file of brackets, balanced or not: an error naming it, not an abort.
        for doc in ["[".repeat(10_000), balanced.clone()] {
            let err = read_bytes(doc.as_bytes(), &limits).err().expect("an error");
            assert!(matches!(err, ReadError::UnknownFormat { .. }), "{err}");
            assert!(err.to_string().starts_with("input: "), "{err}");
        }
        // One line of brackets among records, and nesting in every place a record can hold it.
        let deep_field = format!(
            "{{\"id\":\"d\",\"account\":\"a\",\"time\":1731319200,\"extra\":{balanced}}}\n"
        );
        let deep_tags = format!(
            "{{\"id\":\"t\",\"account\":\"a\",\"time\":1731319200,\"hashtags\":{balanced}}}\n"
        );
        let text = [
            line("1", "a"),
            format!("{open}\n"),
            format!("{balanced}\n"),
            deep_field,
            deep_tags,
            format!("[[[{}]]]\n", line("2", "b").trim()),
            format!(
                "{}{}{}\n",
                "[".repeat(129),
                line("3", "c").trim(),
                "]".repeat(129)
            ),
            line("4", "d"),
        ]
        .concat();
        let r = ok(read_bytes(text.as_bytes(), &limits));
        let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
        // An ignored field is skipped without recursion: its depth does no harm.
        assert_eq!(ids, ["1", "d", "2", "4"]);
        assert_quarantined(
            &r.bad,
            &[
                (
                    2,
                    "arrays nested deeper than 128 levels (limit max_json_depth)",
                ),
                (
                    3,
                    "arrays nested deeper than 128 levels (limit max_json_depth)",
                ),
                (5, "bad field value"),
                (7, "arrays nested deeper than 128 levels"),
            ],
        );
        // A deep first line does not decide the format; the next one does.
        let text = format!("{balanced}\n{}", line("5", "e"));
        let r = ok(read_bytes(text.as_bytes(), &limits));
        assert_eq!(r.events.len(), 1);
        assert_quarantined(&r.bad, &[(1, "nested deeper")]);
        // Pretty-printed documents: a deep value inside a page, and a deep page.
        let page = format!("{{\n \"data\": {{\n  \"videos\": [\n   {balanced}\n  ]\n }}\n}}\n");
        let r = ok(read_bytes(page.as_bytes(), &limits));
        assert_quarantined(&r.bad, &[(4, "bad field value")]);
        let pages = format!("[\n{}\n]\n{balanced}\n", line("6", "f").trim());
        let r = ok(read_bytes(pages.as_bytes(), &limits));
        assert_eq!(r.events.len(), 1);
        assert_quarantined(&r.bad, &[(4, "nested deeper")]);
        // The limit is the caller's.
        let shallow = ReadLimits {
            max_json_depth: 2,
            ..ReadLimits::default()
        };
        let text = format!("{}[[[{}]]]\n", line("7", "g"), line("8", "h").trim());
        let r = ok(read_bytes(text.as_bytes(), &shallow));
        assert_quarantined(&r.bad, &[(2, "deeper than 2 levels")]);
    });
}

// ---- 2. Stray CSV quotes --------------------------------------------------------------

/// A lockstep CSV of `rows` rows; row `k` is on line `k + 1`.
fn csv_rows(rows: usize, edit: impl Fn(usize, String) -> String) -> String {
    let mut s = String::from("id,account,time,text\n");
    for k in 1..=rows {
        let row = format!("e{k},a{},2024-11-11T10:00:{:02}Z,text {k}", k % 7, k % 60);
        s.push_str(&edit(k, row));
        s.push('\n');
    }
    s
}

#[test]
fn a_stray_quote_running_to_the_end_of_the_file_hides_nothing() {
    let text = csv_rows(100, |k, row| {
        if k == 11 {
            row.replace("text 11", "\"text 11")
        } else {
            row
        }
    });
    let r = ok(read_bytes(text.as_bytes(), &ReadLimits::default()));
    assert_eq!((r.file.read, r.file.quarantined), (100, 1));
    assert_quarantined(
        &r.bad,
        &[(
            12,
            "a quoted field opened on line 12 is not closed before the end of the file",
        )],
    );
    assert_eq!(r.bad[0].raw, "e11,a4,2024-11-11T10:00:11Z,\"text 11");
    assert_eq!(r.events[10].id, "e12");
    assert_eq!(r.events.last().unwrap().id, "e100");
    // In the header, the file has no shape: an error naming the line.
    let err = read_bytes(b"id,account,\"time\n1,a,2\n", &ReadLimits::default())
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "input: not a recognised format: the header (line 1) is broken: a quoted field \
         opened on line 1 is not closed before the end of the file: a stray quote?"
    );
}

#[test]
fn a_quoted_field_past_the_line_limit_is_cut_there() {
    // A stray quote in the last column, closed 60 rows later by another: as CSV it is one
    // well-formed record of 61 lines. Past the limit it is not taken, arriving in one read
    // or in pieces.
    let text = csv_rows(100, |k, row| match k {
        11 => row.replace("text 11", "\"text 11"),
        71 => row.replace("text 71", "text 71\""),
        _ => row,
    });
    let limits = ReadLimits {
        max_record_lines: 50,
        ..ReadLimits::default()
    };
    for chunk in [usize::MAX, 100] {
        let r = ok(read_chunked(text.as_bytes(), chunk, &limits));
        assert_eq!(r.file.read, 100, "chunk {chunk}");
        assert_quarantined(&r.bad, &[(12, "a quoted field opened on line 12 ")]);
        assert!(
            r.bad[0]
                .reason
                .contains("50 lines (limit max_record_lines)"),
            "{:?}",
            r.bad
        );
        // Row 71's own quote is data: a quote inside a field does not open one.
        let e71 = r.events.iter().find(|e| e.id == "e71").unwrap();
        assert_eq!(e71.text.as_deref(), Some("text 71\""));
    }
    // Within the limit it is one record, as CSV defines it.
    let r = ok(read_bytes(text.as_bytes(), &ReadLimits::default()));
    assert_eq!((r.file.read, r.file.quarantined), (40, 0));
    // A byte limit works the same way.
    let limits = ReadLimits {
        max_record_bytes: 1000,
        ..ReadLimits::default()
    };
    let r = ok(read_chunked(text.as_bytes(), 64, &limits));
    assert_eq!(r.file.read, 100);
    assert_quarantined(&r.bad, &[(12, "1000 bytes (limit max_record_bytes)")]);
}

#[test]
fn stray_quotes_that_close_each_other_hide_nothing() {
    // Two stray quotes 5 rows apart make one record of the wrong width: only the line that
    // opened it is quarantined, the rows between are read.
    let text = csv_rows(20, |k, row| match k {
        3 => row.replace(",text 3", ",\"text 3"),
        8 => row.replace("e8,", "\"e8,"),
        _ => row,
    });
    let r = ok(read_bytes(text.as_bytes(), &ReadLimits::default()));
    assert_eq!(r.file.read, 20);
    assert_quarantined(
        &r.bad,
        &[
            (
                4,
                "a quoted field opened on line 4 runs across line breaks into a record of",
            ),
            (
                9,
                "a quoted field opened on line 9 is not closed before the end of the file",
            ),
        ],
    );
    assert!(
        r.bad[0].reason.contains("spanning lines 4–9"),
        "{}",
        r.bad[0].reason
    );
    // A quoted line break in a good record is still a line break in its text.
    let good = "id,account,time,text\n1,a,1731319200,\"two\nlines\"\n2,b,1731319200,x\n";
    let r = ok(read_bytes(good.as_bytes(), &ReadLimits::default()));
    assert_eq!(r.events[0].text.as_deref(), Some("two\nlines"));
    assert_eq!(r.events.len(), 2);
}

#[test]
fn a_csv_line_past_the_byte_limit_is_quarantined_and_skipped() {
    let long = "x".repeat(100_000);
    let text = format!(
        "id,account,time,text\n1,a,1731319200,ok\n2,b,1731319200,{long}\n3,c,1731319200,ok\n"
    );
    let limits = ReadLimits {
        max_record_bytes: 4096,
        ..ReadLimits::default()
    };
    for chunk in [usize::MAX, 1000] {
        let r = ok(read_chunked(text.as_bytes(), chunk, &limits));
        let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["1", "3"], "chunk {chunk}");
        assert_quarantined(
            &r.bad,
            &[(
                3,
                "the line is longer than 4096 bytes (limit max_record_bytes)",
            )],
        );
        assert!(r.bad[0].raw.starts_with("2,b,1731319200,xxx"));
    }
}

// ---- 3. Invalid UTF-8 and whitespace --------------------------------------------------

#[test]
fn invalid_utf8_in_an_identifier_quarantines_the_record_in_every_format() {
    // Far past the first 8 KB, where the sniff no longer looks.
    let mut csv = b"id,account,time,text\n".to_vec();
    for k in 0..300 {
        csv.extend(format!("p{k},pad,1731319200,padding row\n").bytes());
    }
    csv.extend(
        b"1,bad\xff,1731319200,x\n2,bad\xfe,1731319200,x\n3,ok,1731319200,caf\xe9 #tag\xff #good\n",
    );
    let mut ndjson = Vec::new();
    for k in 0..300 {
        ndjson.extend(line(&format!("p{k}"), "pad").bytes());
    }
    ndjson.extend(b"{\"id\":\"1\",\"account\":\"bad\xff\",\"time\":1731319200}\n");
    ndjson.extend(b"{\"id\":\"2\",\"account\":\"bad\xfe\",\"time\":1731319200}\n");
    ndjson.extend(b"{\"id\":\"3\",\"account\":\"ok\",\"time\":1731319200,\"text\":\"caf\xe9 #tag\xff #good\"}\n");
    for (name, bytes, first) in [("csv", csv, 302), ("ndjson", ndjson, 301)] {
        let r = ok(read_bytes(&bytes, &ReadLimits::default()));
        assert_eq!(r.file.read, 303, "{name}");
        let why = "account is not valid UTF-8";
        assert_quarantined(&r.bad, &[(first, why), (first + 1, why)]);
        let e = r.events.last().unwrap();
        assert_eq!(e.id, "3", "{name}");
        // Free text keeps the event, the bad bytes replaced; no hashtag is made of them.
        assert_eq!(
            e.text.as_deref(),
            Some("caf\u{fffd} #tag\u{fffd} #good"),
            "{name}"
        );
        assert_eq!(e.hashtags, strings(&["good"]), "{name}");
    }
    // A first record damaged so that its keys are unknown does not decide the format.
    let damaged = b"{\"id\":\"1\",\"acc\xffount\":\"a\",\"time\":1731319200}\n{\"id\":\"2\",\"account\":\"b\",\"time\":1731319200}\n";
    let r = ok(read_bytes(damaged, &ReadLimits::default()));
    assert_eq!(r.file.format, lockstep_read::Format::LockstepNdjson);
    assert_eq!(r.events.len(), 1);
    assert_quarantined(
        &r.bad,
        &[(1, "not valid UTF-8, and none of the known key sets")],
    );
    // X API v2 and TikTok: the identifiers inside pages too.
    let v2 = b"{\"data\":[{\"id\":\"1\",\"author_id\":\"9\",\"created_at\":\"2024-11-11T10:00:00Z\",\"text\":\"hi\"}],\"includes\":{\"users\":[{\"id\":\"9\",\"username\":\"u\xff\"}]}}\n";
    let r = ok(read_bytes(v2, &ReadLimits::default()));
    assert_quarantined(&r.bad, &[(1, "account is not valid UTF-8")]);
    let tt = b"{\"data\":{\"videos\":[{\"id\":1,\"username\":\"a\",\"create_time\":1731319200,\"video_description\":\"x\xff\"},{\"id\":2,\"username\":\"b\xff\",\"create_time\":1731319200}]}}\n";
    let r = ok(read_bytes(tt, &ReadLimits::default()));
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].text.as_deref(), Some("x\u{fffd}"));
    assert_quarantined(&r.bad, &[(1, "account is not valid UTF-8")]);
}

#[test]
fn a_stray_nul_or_bad_byte_in_text_does_not_reject_the_file() {
    let csv = b"id,account,time,text\n1,a,1731319200,nul\0here\n2,b\xff,1731319200,x\n3,c,1731319200,ok\n";
    let r = ok(read_bytes(csv, &ReadLimits::default()));
    assert_eq!(r.events.len(), 2);
    assert_eq!(r.events[0].text.as_deref(), Some("nul\0here"));
    assert_quarantined(&r.bad, &[(3, "account is not valid UTF-8")]);
    // What is not text at all still is an error naming the file.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..400u32).flat_map(|i| [0, (i % 256) as u8, 0, 7]));
    let err = read_bytes(&png, &ReadLimits::default()).err().unwrap();
    assert!(
        err.to_string()
            .starts_with("input: not a recognised format: binary content"),
        "{err}"
    );
    let utf16: Vec<u8> = "\u{feff}id,account,time\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let err = read_bytes(&utf16, &ReadLimits::default()).err().unwrap();
    assert!(err.to_string().contains("UTF-16"), "{err}");
}

#[test]
fn identifiers_are_trimmed_alike_in_every_format() {
    let csv = "id,account,time,parent\n 1 , alice ,1731319200, p9 \n";
    let ndjson =
        "{\"id\":\" 1 \",\"account\":\" alice \",\"time\":1731319200,\"parent\":\" p9 \"}\n";
    let v2 = "{\"id\":\" 1 \",\"author_id\":\" alice \",\"created_at\":\"2024-11-11T10:00:00Z\"}\n";
    let tiktok = "{\"id\":\" 1 \",\"username\":\" alice \",\"create_time\":1731319200}\n";
    for (name, text) in [
        ("csv", csv),
        ("ndjson", ndjson),
        ("v2", v2),
        ("tiktok", tiktok),
    ] {
        let r = ok(read_bytes(text.as_bytes(), &ReadLimits::default()));
        let e = &r.events[0];
        assert_eq!(
            (e.id.as_str(), e.account.as_str()),
            ("1", "alice"),
            "{name}"
        );
        if name == "csv" || name == "ndjson" {
            assert_eq!(e.parent.as_deref(), Some("p9"), "{name}");
        }
    }
    // Only ASCII whitespace: a no-break space is part of the name.
    let r = ok(read_bytes(
        "id,account,time\n1,\u{a0}alice,1731319200\n".as_bytes(),
        &ReadLimits::default(),
    ));
    assert_eq!(r.events[0].account, "\u{a0}alice");
}

#[test]
fn ids_that_went_through_a_float_are_refused() {
    let csv = "tweetid,userid,tweet_time\n1.0974433754470113e+18,u1,2019-01-01 10:00\n3e10,u2,2019-01-01 10:00\n";
    let r = ok(read_bytes(csv.as_bytes(), &ReadLimits::default()));
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].id, "3e10");
    assert_quarantined(&r.bad, &[(2, "written as a floating-point number")]);
}

// ---- 4. Sizes and compression ---------------------------------------------------------

/// The process's peak resident memory so far, in bytes (Linux).
fn peak_memory() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    Some(
        kb.trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()?
            * 1024,
    )
}

#[test]
fn a_huge_line_in_a_small_gzip_is_quarantined_with_bounded_memory() {
    in_child(
        "a_huge_line_in_a_small_gzip_is_quarantined_with_bounded_memory",
        || {
            // One 200 MiB line between two records, compressed as tightly as gzip can (about
            // 1030 times), made without holding it.
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(line("1", "a").as_bytes()).unwrap();
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..200 {
                gz.write_all(&chunk).unwrap();
            }
            gz.write_all(b"\n").unwrap();
            gz.write_all(line("2", "b").as_bytes()).unwrap();
            let gz = gz.finish().unwrap();
            assert!(gz.len() < 300 << 10, "{}", gz.len());
            let before = peak_memory();
            let limits = ReadLimits {
                max_record_bytes: 1 << 20,
                max_expansion: 0,
                ..ReadLimits::default()
            };
            let r = ok(read_bytes(&gz, &limits));
            let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(ids, ["1", "2"]);
            assert_quarantined(
                &r.bad,
                &[(
                    2,
                    "the line is longer than 1048576 bytes (limit max_record_bytes)",
                )],
            );
            assert!(r.bad[0].raw.len() <= 301 * 3);
            // Held: the limit and the reader's buffers, not the line.
            if let (Some(before), Some(after)) = (before, peak_memory()) {
                assert!(
                    after < before + (48 << 20),
                    "peak grew {} MiB",
                    (after - before) >> 20
                );
            }
            // With the expansion guard on (the default), the same file is refused as a bomb.
            let err = read_bytes(&gz, &ReadLimits::default()).err().unwrap();
            let msg = err.to_string();
            assert!(matches!(err, ReadError::Stopped { .. }), "{msg}");
            assert!(msg.contains("limit max_expansion"), "{msg}");
            assert!(msg.contains("decompression bomb"), "{msg}");
        },
    );
}

#[test]
fn a_huge_first_line_is_quarantined_and_the_format_taken_from_the_next() {
    let mut text = vec![b'{'; 5000];
    text.push(b'\n');
    text.extend(line("1", "a").bytes());
    let limits = ReadLimits {
        max_record_bytes: 1000,
        ..ReadLimits::default()
    };
    let r = ok(read_bytes(&text, &limits));
    assert_eq!(r.events.len(), 1);
    assert_quarantined(&r.bad, &[(1, "longer than 1000 bytes")]);
}

#[test]
fn documents_read_whole_are_bounded() {
    let page = fs::read(sample("tiktok_page.json")).unwrap();
    let limits = ReadLimits {
        max_document_bytes: 100,
        ..ReadLimits::default()
    };
    let err = read_bytes(&page, &limits).err().unwrap();
    assert!(matches!(err, ReadError::Limit { .. }), "{err}");
    assert!(
        err.to_string().contains("limit max_document_bytes"),
        "{err}"
    );
    assert_eq!(
        ok(read_bytes(&page, &ReadLimits::default())).events.len(),
        2
    );
}

#[test]
fn gzip_with_zero_padding_reads_and_trailing_garbage_is_named() {
    let gz = fs::read(sample("lockstep.ndjson.gz")).unwrap();
    let plain = read_sample("lockstep.ndjson");
    let mut padded = gz.clone();
    padded.extend([0u8; 4096]);
    let r = ok(read_bytes(&padded, &ReadLimits::default()));
    assert_eq!(r.events, plain.events);
    assert_eq!(r.file.bytes, padded.len() as u64);
    let mut garbage = gz.clone();
    garbage.extend(b"\0\0junk");
    let err = read_bytes(&garbage, &ReadLimits::default()).err().unwrap();
    let msg = err.to_string();
    assert!(msg.contains("trailing garbage"), "{msg}");
    // Every record was read before the garbage was found.
    let ReadError::Stopped { partial, .. } = err else {
        panic!("{msg}")
    };
    assert_eq!(partial.read, plain.file.read);
    assert_eq!(partial.bytes, garbage.len() as u64);
}

#[test]
fn truncated_compressed_files_keep_what_came_before_the_cut() {
    let text: String = (0..50_000)
        .map(|k| line(&format!("e{k}"), &format!("a{}", k % 97)))
        .collect();
    let gz = gzip(text.as_bytes());
    let zst = ruzstd::encoding::compress_to_vec(
        text.as_bytes(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("cut.ndjson.gz", gz), ("cut.ndjson.zst", zst)] {
        let path = dir.path().join(name);
        fs::write(&path, &bytes[..bytes.len() * 6 / 10]).unwrap();
        let mut sink = Collect::default();
        let err = read_file_with(&path, &ReadLimits::default(), &mut sink)
            .err()
            .unwrap();
        let msg = err.to_string();
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains("the compressed data ends early (a truncated file?)"),
            "{msg}"
        );
        let ReadError::Stopped { line, partial, .. } = err else {
            panic!("{msg}")
        };
        assert!(partial.accepted > 10_000, "{name}: {partial:?}");
        assert_eq!(partial.accepted, sink.events.len() as u64);
        assert_eq!(line, partial.read + 1, "{name}");
        assert!(
            msg.contains(&format!("reading stopped at line {line} of the content")),
            "{msg}"
        );
        // The records kept are the file's first ones, in order.
        assert!(sink
            .events
            .iter()
            .enumerate()
            .all(|(k, e)| e.id == format!("e{k}")));
    }
}

#[test]
fn a_zstd_bomb_is_refused() {
    let zeros = vec![b' '; 200 << 20];
    let zst =
        ruzstd::encoding::compress_to_vec(&zeros[..], ruzstd::encoding::CompressionLevel::Fastest);
    drop(zeros);
    assert!(zst.len() < (200 << 20) / 1000, "{}", zst.len());
    let t = Instant::now();
    let err = read_bytes(&zst, &ReadLimits::default()).err().unwrap();
    assert!(err.to_string().contains("decompression bomb"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(60));
}

// ---- 5. FIFOs -------------------------------------------------------------------------

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn a_fifo_without_a_writer_is_an_error_after_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.ndjson");
    if !mkfifo(&fifo) {
        eprintln!("mkfifo unavailable: skipped");
        return;
    }
    let limits = ReadLimits {
        fifo_wait: Duration::from_millis(300),
        ..ReadLimits::default()
    };
    let t = Instant::now();
    let err = read_file_with(&fifo, &limits, &mut Collect::default())
        .err()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    let msg = err.to_string();
    assert!(msg.starts_with(&fifo.display().to_string()), "{msg}");
    assert!(
        msg.contains("FIFO") && msg.contains("limit fifo_wait"),
        "{msg}"
    );

    // A writer that comes late but within the wait is read to its end.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let mut w = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            w.write_all(line("1", "a").as_bytes()).unwrap();
            w.flush().unwrap();
            std::thread::sleep(Duration::from_millis(200));
            w.write_all(line("2", "b").as_bytes()).unwrap();
        })
    };
    let limits = ReadLimits {
        fifo_wait: Duration::from_secs(20),
        ..ReadLimits::default()
    };
    let mut sink = Collect::default();
    let file = read_file_with(&fifo, &limits, &mut sink).unwrap();
    writer.join().unwrap();
    assert_eq!(file.accepted, 2);

    // A writer that leaves without writing: an empty input, not a hang.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(fs::OpenOptions::new().write(true).open(&fifo).unwrap());
        })
    };
    let err = read_file_with(&fifo, &limits, &mut Collect::default())
        .err()
        .unwrap();
    writer.join().unwrap();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn a_regular_file_reads_as_before() {
    let mut f = fs::File::open(sample("lockstep.csv")).unwrap();
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).unwrap();
    let a = ok(read_bytes(&bytes, &ReadLimits::default()));
    let b = read_sample("lockstep.csv");
    assert_eq!(a.events, b.events);
    assert_eq!(reasons(&a.bad), reasons(&b.bad));
}

#[test]
fn a_stream_arriving_a_few_bytes_at_a_time_reads_as_the_whole() {
    // A pipe or socket gives what it has: the family, the delimiter, the byte-order mark and
    // the binary check must not depend on it (they looked at the first read alone).
    let mut names: Vec<String> = fs::read_dir(sample(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let bom_tsv = b"\xef\xbb\xbf\n\tuserid\ttweetid\ttweet_time\n\tu9\t1\t2019-01-01 10:00\n";
    let mut inputs: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| (n.clone(), fs::read(sample(n)).unwrap()))
        .collect();
    inputs.push(("bom.tsv".into(), bom_tsv.to_vec()));
    for (name, bytes) in &inputs {
        let whole = read_bytes(bytes, &ReadLimits::default());
        for chunk in [1, 2, 3, 7] {
            let parts = read_chunked(bytes, chunk, &ReadLimits::default());
            match (&whole, &parts) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.file.format, b.file.format, "{name} by {chunk}");
                    assert_eq!(a.events, b.events, "{name} by {chunk}");
                    assert_eq!(reasons(&a.bad), reasons(&b.bad), "{name} by {chunk}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
                _ => panic!(
                    "{name} by {chunk}: {:?} / {:?}",
                    whole.is_ok(),
                    parts.is_ok()
                ),
            }
        }
    }
    let r = ok(read_chunked(bom_tsv, 1, &ReadLimits::default()));
    assert_eq!(r.file.format, lockstep_read::Format::XArchiveCsv);
    assert_eq!(r.events[0].account, "u9");
}

#[test]
fn a_line_of_millions_of_tiny_records_streams_them() {
    // 8 MiB lines of `0,`, `{},` and empty users: millions of records (or users) each, which
    // must go to the sink as they are read, not be held (a held record costs ~100 times
    // its two bytes).
    in_child("a_line_of_millions_of_tiny_records_streams_them", || {
        let n = 4 << 20;
        let zeros = format!("[{}0]\n", "0,".repeat(n));
        let empties = format!(
            "{{\"data\":{{\"videos\":[{}{{}}]}}}}\n",
            "{},".repeat(n / 2)
        );
        let users = format!(
            "{{\"data\":[{{\"id\":\"1\",\"author_id\":\"9\",\"created_at\":\"2024-11-11T10:00:00Z\"}}],\"includes\":{{\"users\":[{}{{\"id\":\"9\",\"username\":\"nine\"}}]}}}}\n",
            "{},".repeat(n / 2)
        );
        for (name, first, line, want) in [
            ("lockstep", line("0", "a"), zeros, n as u64 + 1),
            (
                "tiktok",
                "{\"id\":1,\"username\":\"a\",\"create_time\":1731319200}\n".to_string(),
                empties,
                n as u64 / 2 + 1,
            ),
            (
                "x v2",
                "{\"id\":\"0\",\"author_id\":\"9\",\"created_at\":\"2024-11-11T10:00:00Z\"}\n"
                    .to_string(),
                users,
                0,
            ),
        ] {
            let text = format!("{first}{line}{first}");
            let before = peak_memory();
            let (mut events, mut bad) = (0u64, 0u64);
            let mut accounts = std::collections::BTreeSet::new();
            let mut sink = lockstep_read::FnSink(
                |e: lockstep_core::Event| {
                    events += 1;
                    accounts.insert(e.account);
                },
                |_| bad += 1,
            );
            let f = read_stream_with(text.as_bytes(), "input", &ReadLimits::default(), &mut sink)
                .unwrap();
            assert_eq!(f.read, f.accepted + f.quarantined);
            assert_eq!((events, bad), (f.accepted, f.quarantined), "{name}");
            assert_eq!(bad, want, "{name}");
            if name == "x v2" {
                assert!(accounts.contains("nine"), "{accounts:?}");
            }
            if let (Some(before), Some(after)) = (before, peak_memory()) {
                let grew = (after.saturating_sub(before)) >> 20;
                assert!(grew < 100, "{name}: peak grew {grew} MiB for an 8 MiB line");
            }
            drop(text);
        }
    });
}

#[test]
fn a_line_of_commas_is_one_bad_record() {
    let text = format!(
        "id,account,time\n1,a,1731319200\n{}\n2,b,1731319200\n",
        ",".repeat(1 << 20)
    );
    let r = ok(read_bytes(text.as_bytes(), &ReadLimits::default()));
    assert_eq!(r.events.len(), 2);
    assert_quarantined(&r.bad, &[(3, "more than 65536 fields")]);
    assert!(r.bad[0].raw.ends_with(",…"), "{}", r.bad[0].raw);
}

// ---- The platform readers (Telegram, Bluesky, Meta Content Library, YouTube) ------------

/// A Telegram Desktop export of one channel, pretty-printed as the app writes it, holding
/// `messages` (each a JSON object on its own lines).
fn telegram_export(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out =
        b"{\n \"name\": \"chan\",\n \"type\": \"public_channel\",\n \"id\": 77,\n \"messages\": [\n"
            .to_vec();
    for (k, m) in messages.iter().enumerate() {
        if k > 0 {
            out.extend(b",\n");
        }
        out.extend(m);
    }
    out.extend(b"\n ]\n}\n");
    out
}

fn telegram_message(id: u32, from: &[u8], text: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "  {{\n   \"id\": {id},\n   \"type\": \"message\",\n   \"date_unixtime\": \"1731315600\",\n   \"from_id\": \""
    )
    .into_bytes();
    m.extend(from);
    m.extend(b"\",\n   \"text\": \"");
    m.extend(text);
    m.extend(b"\"\n  }");
    m
}

#[test]
fn a_telegram_export_follows_the_utf8_rule_and_is_streamed_within_the_limits() {
    let service =
        b"  {\"id\": 1, \"type\": \"service\", \"date_unixtime\": \"1731315600\"}".to_vec();
    let doc = telegram_export(&[
        service,
        telegram_message(2, b"user1", b"caf\xe9 #tag\xff #good"),
        telegram_message(3, b"user\xff", b"x"),
        telegram_message(4, b"user\xfe", b"x"),
        telegram_message(5, b" user2 ", b"ok"),
    ]);
    // Streamed, not held: a document limit far below the export's size is no matter, nor a
    // stream that arrives three bytes at a time.
    let small_documents = ReadLimits {
        max_document_bytes: 64,
        ..ReadLimits::default()
    };
    for chunk in [usize::MAX, 3] {
        let r = ok(read_chunked(&doc, chunk, &small_documents));
        assert_eq!(r.file.format, lockstep_read::Format::TelegramJson);
        assert_eq!(r.file.skipped.get("service message"), Some(&1));
        let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
        // One bad byte does not end the file; identifiers are trimmed.
        assert_eq!(ids, ["77:2", "77:5"], "chunk {chunk}");
        assert_eq!(r.events[1].account, "user2");
        let text = r.events[0].text.as_deref();
        assert_eq!(text, Some("caf\u{fffd} #tag\u{fffd} #good"));
        assert_eq!(r.events[0].hashtags, strings(&["good"]));
        let why = "account is not valid UTF-8";
        assert_quarantined(&r.bad, &[(14, why), (21, why)]);
    }
    // A bad byte in the chat's id makes every message id bad.
    let mut bad_chat = telegram_export(&[telegram_message(2, b"user1", b"x")]);
    let at = bad_chat.windows(2).position(|w| w == b"77").unwrap();
    bad_chat.splice(at..at + 2, b"\"7\xff\"".iter().copied());
    let r = ok(read_bytes(&bad_chat, &ReadLimits::default()));
    assert_eq!(r.events.len(), 0);
    assert_quarantined(&r.bad, &[(6, "id is not valid UTF-8")]);
    // A message past max_record_bytes ends the stream; the rest is one record.
    let long = "y".repeat(2000);
    let doc = telegram_export(&[
        telegram_message(2, b"user1", b"x"),
        telegram_message(3, b"user1", long.as_bytes()),
        telegram_message(4, b"user1", b"x"),
    ]);
    let small_records = ReadLimits {
        max_record_bytes: 1000,
        ..ReadLimits::default()
    };
    let r = ok(read_bytes(&doc, &small_records));
    assert_eq!(r.events.len(), 1);
    assert_quarantined(
        &r.bad,
        &[(
            13,
            "a message longer than 1000 bytes (limit max_record_bytes): reading stopped",
        )],
    );
    // Chats in chats no deeper than max_json_depth.
    let mut nested = b"{\n \"about\": \"x\",\n \"chats\": ".to_vec();
    for _ in 0..3 {
        nested.extend(b"{\"list\": [{\"type\": \"public_channel\", \"id\": 1, \"chats\": ");
    }
    nested.extend(b"{}");
    nested.extend("}]}".repeat(3).bytes());
    nested.extend(b"\n}\n");
    let shallow = ReadLimits {
        max_json_depth: 2,
        ..ReadLimits::default()
    };
    let r = ok(read_bytes(&nested, &shallow));
    assert_quarantined(&r.bad, &[(3, "chats nested deeper than 2 levels")]);
}

#[test]
fn the_json_platform_readers_follow_the_depth_limit_and_the_utf8_rule() {
    in_child(
        "the_json_platform_readers_follow_the_depth_limit_and_the_utf8_rule",
        || {
            let limits = ReadLimits::default();
            let post = |did: &[u8], text: &[u8]| {
                let mut l = b"{\"did\":\"".to_vec();
                l.extend(did);
                l.extend(b"\",\"time_us\":1731319215000123,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"r1\",\"record\":{\"text\":\"");
                l.extend(text);
                l.extend(b"\"}}}\n");
                l
            };
            // An embed nested a hundred thousand deep is an ignored field, skipped without
            // recursion.
            let deep_embed = [
                r#"{"did":"did:plc:e","time_us":1731319215000123,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r2","record":{"text":"t","embed":"#.to_string(),
                r#"{"media":"#.repeat(100_000),
                "{}".to_string(),
                "}".repeat(100_000),
                "}}}\n".to_string(),
            ]
            .concat();
            let text = [
                post(b"did:plc:a", b"caf\xe9 #x\xff #good"),
                post(b"did:plc:b\xff", b"x"),
                deep_embed.into_bytes(),
                format!("{}{}\n", "[".repeat(129), "]".repeat(129)).into_bytes(),
                post(b" did:plc:c ", b"ok"),
            ]
            .concat();
            let r = ok(read_bytes(&text, &limits));
            assert_eq!(r.file.format, lockstep_read::Format::BlueskyJetstream);
            let accounts: Vec<&str> = r.events.iter().map(|e| e.account.as_str()).collect();
            assert_eq!(accounts, ["did:plc:a", "did:plc:e", "did:plc:c"]);
            assert_eq!(
                r.events[0].text.as_deref(),
                Some("caf\u{fffd} #x\u{fffd} #good")
            );
            assert_eq!(r.events[0].hashtags, strings(&["good"]));
            assert_quarantined(
                &r.bad,
                &[
                    // The post's id is made of its DID: the first identifier named.
                    (2, "id is not valid UTF-8"),
                    (4, "arrays nested deeper than 128 levels"),
                ],
            );
            // YouTube responses: nested arrays of them, and their items cut in place.
            let item = |id: &str, channel: &[u8]| {
                let mut i = format!("{{\"kind\":\"youtube#video\",\"id\":\"{id}\",\"snippet\":{{\"publishedAt\":\"2024-11-11T10:00:00Z\",\"channelId\":\"").into_bytes();
                i.extend(channel);
                i.extend(b"\",\"title\":\"t\"}}");
                i
            };
            let mut response = b"{\"kind\":\"youtube#videoListResponse\",\"items\":[".to_vec();
            response.extend(item("v1", b"UCa"));
            response.extend(b",");
            response.extend(item("v2", b"UC\xff"));
            response.extend(b"]}");
            let deep = [
                "[".repeat(129).into_bytes(),
                response.clone(),
                "]".repeat(129).into_bytes(),
            ]
            .concat();
            let text = [response.clone(), b"\n".to_vec(), deep, b"\n".to_vec()].concat();
            let r = ok(read_bytes(&text, &limits));
            assert_eq!(r.file.format, lockstep_read::Format::YoutubeApiV3);
            assert_eq!(r.events.len(), 1);
            assert_quarantined(
                &r.bad,
                &[
                    (1, "account is not valid UTF-8"),
                    (2, "arrays nested deeper than 128 levels"),
                ],
            );
            let not_a_list = b"{\"kind\":\"youtube#videoListResponse\",\"items\":{}}\n";
            let r = ok(read_bytes(not_a_list, &limits));
            assert_quarantined(&r.bad, &[(1, "items is not an array")]);
        },
    );
}

#[test]
fn a_meta_content_library_csv_follows_the_identifier_rule() {
    let csv = b"id,creation_time,post_owner.id,post_owner.username,text\n1,2024-11-11T10:01:10+0000,17,bad\xff,x\n2,2024-11-11T10:01:10+0000,18, ok ,caf\xe9\n3,2024-11-11T10:01:10+0000,1.7841400000000002e+16,,x\n";
    let r = ok(read_bytes(csv, &ReadLimits::default()));
    assert_eq!(r.file.format, lockstep_read::Format::MetaContentLibraryCsv);
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].account, "ok");
    assert_eq!(r.events[0].text.as_deref(), Some("caf\u{fffd}"));
    assert_quarantined(
        &r.bad,
        &[
            (2, "account (post_owner.username) is not valid UTF-8"),
            (4, "written as a floating-point number"),
        ],
    );
}
