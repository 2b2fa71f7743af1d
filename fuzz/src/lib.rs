//! What every reader target checks, whatever the bytes: no panic, no hang, the accounting
//! invariant (`read == accepted + quarantined`, equal to what the sink was given, also when
//! a read stops part way), quarantined records that say where and why, and a result that does
//! not depend on how the bytes arrive (all at once, or a few at a time as from a pipe).

use std::io::Read;

use lockstep_read::{read_stream_with, Collect, InputFile, ReadError, ReadLimits};

/// Tight limits, so that small inputs reach every limit's path.
pub fn tight() -> ReadLimits {
    ReadLimits {
        max_record_bytes: 300,
        max_record_lines: 6,
        max_document_bytes: 4096,
        max_json_depth: 5,
        max_expansion: 20,
        ..ReadLimits::default()
    }
}

/// A stream giving at most `chunk` bytes per read.
struct Chunks<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(buf.len()).min(self.chunk);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What a read gave, in a comparable form.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub result: Result<(u64, u64, u64), String>,
    pub events: Vec<lockstep_core::Event>,
    pub quarantined: Vec<(u64, String)>,
}

/// Reads `data` within `limits`, `chunk` bytes at a time, and checks the invariants.
pub fn read(data: &[u8], chunk: usize, limits: &ReadLimits) -> Outcome {
    let mut sink = Collect::default();
    let result = read_stream_with(Chunks { data, chunk }, "fuzz", limits, &mut sink);
    let counts = |f: &InputFile| {
        assert_eq!(f.read, f.accepted + f.quarantined, "{f:?}");
        assert_eq!(f.accepted, sink.events.len() as u64, "{f:?}");
        assert_eq!(f.quarantined, sink.quarantined.len() as u64, "{f:?}");
        assert_eq!(f.bytes, data.len() as u64);
        (f.read, f.accepted, f.quarantined)
    };
    let result = match &result {
        Ok(f) => Ok(counts(f)),
        Err(ReadError::Stopped { partial, line, .. }) => {
            counts(partial);
            assert!(*line >= 1);
            Err(result.as_ref().unwrap_err().to_string())
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz: "), "{msg}");
            Err(msg)
        }
    };
    for q in &sink.quarantined {
        assert!(q.record >= 1, "{q:?}");
        assert!(!q.reason.is_empty(), "{q:?}");
        assert_eq!(q.file, "fuzz");
    }
    for e in &sink.events {
        assert!(
            // The readers' rule (README): identifiers lose ASCII whitespace at their ends and are
            // otherwise kept byte-exact (a vertical tab or U+3000 is a character of the id).
            !e.id.trim_ascii().is_empty() && !e.account.trim_ascii().is_empty(),
            "{e:?}"
        );
        assert_eq!(e.id.trim_ascii(), e.id, "{e:?}");
        assert_eq!(e.account.trim_ascii(), e.account, "{e:?}");
    }
    Outcome {
        result,
        events: sink.events,
        quarantined: sink
            .quarantined
            .into_iter()
            .map(|q| (q.record, q.reason))
            .collect(),
    }
}

/// The checks every target runs on its bytes, by input length: one read within tight limits
/// (every limit's path; invariants only), whole or a few bytes at a time, or two reads within
/// the default limits, whole and a few bytes at a time, compared.
pub fn check(data: &[u8]) {
    let chunk = 1 + data.first().map_or(0, |&b| usize::from(b % 7));
    match data.len() % 3 {
        0 => return drop(read(data, chunk, &tight())),
        1 => return drop(read(data, usize::MAX, &tight())),
        _ => {}
    }
    let whole = read(data, usize::MAX, &ReadLimits::default());
    // Arriving a few bytes at a time changes nothing (within the default limits, which these
    // small inputs do not reach). Where a read fails part way, how much came before the
    // failure may differ (a decoder gives up on a whole buffer at once), and a limit checked
    // as data arrives (the decompression guard) may trip at another point.
    let pieces = read(data, chunk, &ReadLimits::default());
    let limit = |o: &Outcome| matches!(&o.result, Err(m) if m.contains("(limit "));
    if (whole.result.is_ok() || pieces.result.is_ok()) && !limit(&whole) && !limit(&pieces) {
        assert_eq!(
            whole, pieces,
            "read whole and {chunk} bytes at a time differ"
        );
    }
}

/// `prefix` then `data`: a target that keeps one format's header or first record fixed, so
/// the fuzzer spends its time inside that format.
pub fn check_with_prefix(prefix: &[u8], data: &[u8]) {
    let mut bytes = prefix.to_vec();
    bytes.extend_from_slice(data);
    check(&bytes);
}
