//! JSON access, ModSecurity and journald lines.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut line = b"{".to_vec();
    line.extend_from_slice(data);
    let _ = lockstep_weblog::parse_line(&line, &lockstep_weblog::Config::default());
});
