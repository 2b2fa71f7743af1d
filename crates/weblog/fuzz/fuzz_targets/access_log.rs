//! The combined/common parser behind a valid prefix, so the fuzzer explores its fields.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut line = b"bec.ro:443 10.0.0.1 - - [19/Nov/2024:12:00:00 +0000] \"".to_vec();
    line.extend_from_slice(data);
    let mut cfg = lockstep_weblog::Config::default();
    cfg.trusted_proxies.push(("10.0.0.0".parse().unwrap(), 8));
    let _ = lockstep_weblog::parse_line(&line, &cfg);
    let _ = lockstep_weblog::parse_line(&line[11..], &cfg);
});
