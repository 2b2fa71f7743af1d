//! sshd/PAM messages behind a syslog header.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut line = b"Nov 19 12:00:00 host sshd[1]: ".to_vec();
    line.extend_from_slice(data);
    let _ = lockstep_weblog::parse_line(&line, &lockstep_weblog::Config::default());
    let mut line = b"<38>2024-11-19T12:00:00.5+02:00 host sshd-session[9]: ".to_vec();
    line.extend_from_slice(data);
    let _ = lockstep_weblog::parse_line(&line, &lockstep_weblog::Config::default());
});
