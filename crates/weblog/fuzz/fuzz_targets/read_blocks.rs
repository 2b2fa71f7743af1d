//! Whole files: compression, binary sniffing, line splitting, long lines. The bytes come
//! from memory through the same reader a file goes through (`read_file` only adds the open),
//! which keeps the file system out of every execution.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lockstep_weblog::read_source(
        Box::new(data),
        std::path::Path::new("input"),
        &lockstep_weblog::Config::default(),
        &mut |_, _, _| {},
        &mut |_| {},
    );
});
