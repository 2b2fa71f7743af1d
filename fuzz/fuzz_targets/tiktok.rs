//! TikTok Research API pages and videos, after a first page that fixes the format.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(br#"{"data":{"videos":[{"id":7436554433221100001,"username":"a","create_time":1731319200,"hashtag_names":["x"]}],"cursor":1,"has_more":true},"error":{"code":"ok"}}
"#, data)
});
