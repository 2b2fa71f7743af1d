//! X API v2 responses and tweets, after a first tweet that fixes the format.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(br#"{"id":"1850000000000000010","author_id":"42","created_at":"2024-11-11T10:00:00.000Z","text":"hi #t"}
"#, data)
});
