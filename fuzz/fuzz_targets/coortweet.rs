//! CooRTweet rows, after a fixed header.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep_fuzz::check_with_prefix(
    b"object_id,account_id,content_id,timestamp_share\n",
    data
));
