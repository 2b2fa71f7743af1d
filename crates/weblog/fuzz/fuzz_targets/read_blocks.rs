//! Whole files: compression, binary sniffing, line splitting, long lines. The bytes come
//! from memory through the same reader a file goes through (`read_file` only adds the open),
//! which keeps the file system out of every execution.
//!
//! Limits are tight, so that small inputs reach every limit (long lines, block boundaries,
//! the expansion guard) and a small input cannot expand to megabytes. Each input is read
//! twice, with blocks of different sizes, and must give the same records: where the blocks
//! fall is not something the result may depend on.
#![no_main]
use libfuzzer_sys::fuzz_target;

type Outcome = (Result<(u64, u64, u64), String>, Vec<(u64, String)>);

fn read(data: &[u8], block_bytes: usize) -> Outcome {
    let mut cfg = lockstep_weblog::Config::default();
    cfg.limits.max_line = 300;
    cfg.limits.block_bytes = block_bytes;
    cfg.limits.read.max_expansion = 20;
    cfg.limits.read.expansion_floor = 64 << 10;
    // Records and quarantine in one list, in the order they were given.
    let seen = std::cell::RefCell::new(Vec::new());
    let (mut good, mut bad) = (0u64, 0u64);
    let result = lockstep_weblog::read_source(
        Box::new(data),
        std::path::Path::new("input"),
        &cfg,
        &mut |n, r, f| {
            good += 1;
            seen.borrow_mut().push((n, format!("{f:?} {r:?}")));
        },
        &mut |q| {
            bad += 1;
            assert!(q.record >= 1 && !q.reason.is_empty(), "{q:?}");
            assert_eq!(q.file, "input");
            seen.borrow_mut()
                .push((q.record, format!("bad {}", q.reason)));
        },
    );
    let seen = seen.into_inner();
    match result {
        Ok((digest, c)) => {
            assert_eq!(c.read, c.accepted + c.quarantined, "{c:?}");
            assert_eq!((c.accepted, c.quarantined), (good, bad), "{c:?}");
            assert_eq!(digest.bytes, data.len() as u64);
            // Every line is given once, in order.
            assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
            (Ok((c.read, c.accepted, c.quarantined)), seen)
        }
        // Records before an error depend on how far the blocks had got: only the error is
        // compared.
        Err(e) => (Err(e.to_string()), Vec::new()),
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = read(data, 4 << 20);
    let small = read(data, 1 + data.first().map_or(0, |&b| usize::from(b)));
    assert_eq!(whole, small);
});
