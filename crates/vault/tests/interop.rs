//! Interoperability: what lockstep signs and proves is accepted by independent
//! implementations — Cloudflare's `signed_note` (a port of Go's `golang.org/x/mod/sumdb/note`)
//! checks the checkpoint's signature with the verifier key string, `tlog_tiles` parses it
//! as a C2SP tlog-checkpoint and checks the log's inclusion and consistency proofs with its
//! port of Go's `sumdb/tlog` (`check_record`, `check_tree`). If `openssl` is installed, the
//! signature is also checked by `openssl pkeyutl -verify -rawin` with the PEM public key.

mod common;
use common::*;
use lockstep_vault::log::{kind, NewEntry};
use lockstep_vault::{append_entry, layout, seal};
use signed_note::{Note, StandardVerifier, VerifierList};

#[test]
fn independent_verifiers_accept_lockstep_checkpoints_and_proofs() {
    let f = make_case();
    seal(&f.case, &seal_opts(&f)).unwrap();
    append_entry(
        &f.case,
        &NewEntry::new(kind::NOTE).with("text", "second look"),
    )
    .unwrap();
    append_entry(
        &f.case,
        &NewEntry::new(kind::WATCH_SNAPSHOT).with("posts", 12),
    )
    .unwrap();
    seal(&f.case, &seal_opts(&f)).unwrap();
    let pk = lockstep_vault::keys::load_public(&f.pubkey).unwrap();

    let lines: Vec<String> = std::fs::read_to_string(f.case.join(layout::LOG))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 5);
    let mut prev: Option<(u64, tlog_tiles::Hash)> = None;
    for size in [2u64, 5] {
        let text = std::fs::read(f.case.join(layout::checkpoint(size))).unwrap();
        // The signature, by signed_note with the vkey string lockstep prints.
        let origin = String::from_utf8_lossy(&text)
            .lines()
            .next()
            .unwrap()
            .to_string();
        let vkey = lockstep_vault::note::vkey(&origin, &pk);
        let verifier = StandardVerifier::new(&vkey).unwrap();
        let note = Note::from_bytes(&text).unwrap();
        let (verified, unverified) = note
            .verify(&VerifierList::new(vec![Box::new(verifier)]))
            .unwrap();
        assert_eq!((verified.len(), unverified.len()), (1, 0));
        // The checkpoint, by tlog_tiles.
        let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
        assert_eq!(cp.origin(), origin);
        assert_eq!(cp.size(), size);
        assert!(cp.extension().starts_with("lockstep-last-entry "));
        // Every entry's inclusion, by Go's tlog algorithm (tlog_tiles::check_record).
        let leaves: Vec<lockstep_vault::merkle::Hash> = lines[..size as usize]
            .iter()
            .map(|l| lockstep_vault::merkle::leaf_hash(l.as_bytes()))
            .collect();
        for i in 0..size {
            let p = lockstep_vault::merkle::inclusion_proof(&leaves, i as usize).unwrap();
            let p: Vec<tlog_tiles::Hash> = p.into_iter().map(tlog_tiles::Hash).collect();
            tlog_tiles::check_record(
                &p,
                size,
                *cp.hash(),
                i,
                tlog_tiles::Hash(leaves[i as usize]),
            )
            .unwrap();
        }
        // The stored consistency proof, by tlog_tiles::check_tree.
        if let Some((m, old)) = prev {
            let c: serde_json::Value = serde_json::from_slice(
                &std::fs::read(f.case.join(layout::consistency(m, size))).unwrap(),
            )
            .unwrap();
            let proof: Vec<tlog_tiles::Hash> = c["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    tlog_tiles::Hash(
                        hex::decode(h.as_str().unwrap())
                            .unwrap()
                            .try_into()
                            .unwrap(),
                    )
                })
                .collect();
            tlog_tiles::check_tree(&proof, size, *cp.hash(), m, old).unwrap();
        }
        prev = Some((size, *cp.hash()));

        if have("openssl") {
            let dir = tempfile::tempdir().unwrap();
            let body = String::from_utf8(text.clone()).unwrap();
            let (body, sig_line) = lockstep_vault::note::split_note(&body).unwrap();
            use base64::Engine;
            let blob = base64::engine::general_purpose::STANDARD
                .decode(sig_line.trim_end().rsplit(' ').next().unwrap())
                .unwrap();
            std::fs::write(dir.path().join("body"), body).unwrap();
            std::fs::write(dir.path().join("sig"), &blob[4..]).unwrap();
            let out = std::process::Command::new("openssl")
                .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
                .arg(&f.pubkey)
                .args(["-rawin", "-in", "body", "-sigfile", "sig"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
