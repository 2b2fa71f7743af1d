//! lockstep NDJSON records, after a first record that fixes the format.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep_fuzz::check_with_prefix(
    br#"{"id":"1","account":"a","time":1731319200,"kind":"post","text":"hi"}
"#,
    data
));
