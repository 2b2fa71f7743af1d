//! The JSON family as a whole: JSON lines and multi-line documents of any JSON format.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep_fuzz::check(data));
