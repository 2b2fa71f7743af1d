//! Whole files: compression, binary sniffing, line splitting, long lines.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("lockstep-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join("input");
    if std::fs::write(&p, data).is_err() {
        return;
    }
    let _ = lockstep_weblog::read_file(&p, &lockstep_weblog::Config::default(), &mut |_, _, _| {}, &mut |_| {});
});
