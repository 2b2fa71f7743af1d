//! The CSV family as a whole: any header, any delimiter, quoting, line breaks.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep_fuzz::check(data));
