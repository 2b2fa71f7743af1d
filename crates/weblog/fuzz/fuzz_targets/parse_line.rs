//! Any bytes as one log line: every format's detection and parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut cfg = lockstep_weblog::Config::default();
    cfg.trusted_proxies.push(("10.0.0.0".parse().unwrap(), 8));
    let _ = lockstep_weblog::parse_line(data, &cfg);
});
