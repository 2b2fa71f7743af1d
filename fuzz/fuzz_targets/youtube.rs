//! YouTube Data API v3 responses and items, after a first response that fixes the format.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(br#"{"kind":"youtube#videoListResponse","items":[{"kind":"youtube#video","id":"v1","snippet":{"publishedAt":"2024-11-11T09:00:00Z","channelId":"UCa","title":"t"}}]}
"#, data)
});
