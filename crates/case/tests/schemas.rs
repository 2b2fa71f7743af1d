//! The published JSON Schemas (`schemas/`) are the ones the types generate. After changing a
//! type on purpose: `LOCKSTEP_BLESS=1 cargo test -p lockstep-case --test schemas`.

use std::path::PathBuf;

#[test]
fn published_schemas_match_the_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let bless = std::env::var_os("LOCKSTEP_BLESS").is_some();
    for (name, schema) in lockstep_case::schemas() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let published = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with LOCKSTEP_BLESS=1)", path.display()));
        assert!(
            published == text,
            "{name} is out of date: regenerate with LOCKSTEP_BLESS=1 cargo test -p lockstep-case --test schemas"
        );
    }
}
