//! `lockstep_case::Manifest::read` (what `lockstep verify` reads) on any bytes.
#![no_main]
use std::sync::OnceLock;

static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("lockstep-fuzz-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    });
    std::fs::write(dir.join("manifest.json"), data).unwrap();
    match lockstep_case::Manifest::read(dir) {
        Ok(m) => {
            // What was read can be written again and read back the same.
            let json = serde_json::to_vec(&m).unwrap();
            // The same type `read` returns (counts as any JSON: `verify` does not interpret them).
            let again: lockstep_case::Manifest<serde_json::Value, serde_json::Value> =
                serde_json::from_slice(&json).unwrap();
            assert_eq!(again.inputs, m.inputs);
        }
        Err(e) => assert!(e.to_string().contains("manifest.json"), "{e}"),
    }
});
