//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use lockstep_core::{Event, Quarantined};
use lockstep_read::{read_file, InputFile};

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/samples")
        .join(name)
}

pub struct Read {
    pub file: InputFile,
    pub events: Vec<Event>,
    pub bad: Vec<Quarantined>,
}

/// Reads a file, checks the counts reconcile with what the callbacks saw, and returns it all.
pub fn read(path: &Path) -> Read {
    let mut sink = lockstep_read::Collect::default();
    let file = read_file(path, &mut sink).unwrap_or_else(|e| panic!("{e}"));
    let (events, bad) = (sink.events, sink.quarantined);
    assert_eq!(file.read, file.accepted + file.quarantined, "{file:?}");
    assert_eq!(file.accepted, events.len() as u64);
    assert_eq!(file.quarantined, bad.len() as u64);
    Read { file, events, bad }
}

pub fn read_sample(name: &str) -> Read {
    read(&sample(name))
}

/// `(record, reason)` of each quarantined record, for compact assertions.
pub fn reasons(bad: &[Quarantined]) -> Vec<(u64, &str)> {
    bad.iter().map(|q| (q.record, q.reason.as_str())).collect()
}

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// 2024-11-11T10:00:00Z in unix milliseconds.
pub const T0: i64 = 1_731_319_200_000;

pub fn assert_quarantined(bad: &[Quarantined], want: &[(u64, &str)]) {
    let got = reasons(bad);
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((rec, reason), (want_rec, want_reason)) in got.iter().zip(want) {
        assert_eq!(rec, want_rec, "{got:?}");
        assert!(
            reason.contains(want_reason),
            "{reason:?} lacks {want_reason:?}"
        );
    }
}
