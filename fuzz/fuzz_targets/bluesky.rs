//! Bluesky Jetstream lines, after a first event that fixes the format.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(br#"{"did":"did:plc:a","time_us":1731319215000123,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r1","record":{"text":"hi #x","createdAt":"2024-11-11T10:00:14.200Z"}}}
"#, data)
});
