//! Sealing, verifying, extending and proving on a small case; and the bad inputs.

mod common;
use common::*;
use lockstep_vault::bundle::{prove, verify_bundle, Target};
use lockstep_vault::log::{kind, NewEntry};
use lockstep_vault::{append_entry, is_sealed, layout, seal, verify_sealed, Subject, VaultError};

#[test]
fn seal_then_verify_then_extend() {
    let f = make_case();
    assert!(!is_sealed(&f.case));
    let out = seal(&f.case, &seal_opts(&f)).unwrap();
    assert!(is_sealed(&f.case));
    assert_eq!(out.checkpoint_size, 2, "detect entry + seal entry");
    assert_eq!(out.inputs, 2);
    assert_eq!(out.records, 21);
    // v3 (source), v7 (two lines), v104 (found by scanning the gzip input); ghost skipped.
    assert_eq!(out.evidence, 3, "{out:?}");
    assert_eq!(out.skipped.len(), 1);
    assert!(out.skipped[0].1.contains("not among the case's inputs"));
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.checkpoint.as_ref().map(|c| c.0), Some(2));
    let scanned: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.case.join("evidence/post-v104.json")).unwrap())
            .unwrap();
    assert_eq!(scanned["located_by"], "scan");
    assert_eq!(scanned["file"], "data/b.ndjson.gz");
    assert_eq!(scanned["record_text"], line(104));
    let two: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.case.join("evidence/post-v7.json")).unwrap())
            .unwrap();
    assert_eq!(two["record_text"], format!("{}{}", line(7), line(8)));

    // An analyst's verdict, then a re-seal: the log grows, with a consistency proof.
    let seq = append_entry(
        &f.case,
        &NewEntry::new(kind::VERDICT)
            .with("cluster", 1)
            .with("verdict", "coordinated")
            .with("analyst", "a.b"),
    )
    .unwrap();
    assert_eq!(seq, 2);
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert!(r.notes.iter().any(|n| n.contains("not signed yet")));
    let out2 = seal(&f.case, &seal_opts(&f)).unwrap();
    assert_eq!(out2.checkpoint_size, 4);
    assert_eq!(out2.extends, Some(2));
    assert!(f.case.join(layout::consistency(2, 4)).exists());
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(r.ok(), "{:?}", r.problems);

    // New work refers to the sealed case by its signed checkpoint.
    let d = lockstep_vault::derived_from(&f.case).unwrap();
    assert_eq!(d.kind, kind::DERIVED_FROM);
    assert!(d.fields["checkpoint"]
        .as_str()
        .unwrap()
        .contains("lockstep.vault/case/"));
    let g = make_case();
    let mut o = seal_opts(&g);
    o.derived_from = vec![f.case.clone()];
    assert_eq!(seal(&g.case, &o).unwrap().checkpoint_size, 3);
    let log = std::fs::read_to_string(g.case.join(layout::LOG)).unwrap();
    let second: serde_json::Value = serde_json::from_str(log.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["kind"], "derived_from");
    assert_eq!(second["checkpoint_size"], 4);
    assert!(verify_sealed(&g.case, &verify_opts(&g)).unwrap().ok());

    // The private key is never copied into a case.
    for c in [&f.case, &g.case] {
        for rel in files_under(c) {
            let b = std::fs::read(c.join(&rel)).unwrap();
            assert!(
                !String::from_utf8_lossy(&b).contains("PRIVATE KEY"),
                "{rel}"
            );
        }
    }
}

#[test]
fn proofs_for_a_record_and_a_post() {
    let f = make_case();
    seal(&f.case, &seal_opts(&f)).unwrap();
    let pk = lockstep_vault::keys::load_public(&f.pubkey).unwrap();
    let rec = Target::parse_record("data/b.ndjson.gz:5").unwrap();
    let b = prove(&f.case, &rec, Some(&f.inputs)).unwrap();
    assert_eq!(b.evidence.record_text.as_deref(), Some(line(104).as_str()));
    let text = serde_json::to_string(&b).unwrap();
    assert!(verify_bundle(&text, Some(&pk)).unwrap().is_empty());
    // The proof of record N does not hold for record N+1.
    let mut next = b.clone();
    next.evidence.line += 1;
    next.evidence.leaf_proofs[0].index += 1;
    let p = verify_bundle(&serde_json::to_string(&next).unwrap(), Some(&pk)).unwrap();
    assert!(
        matches!(p[0].subject, Subject::Record { line: 6, .. }),
        "{p:?}"
    );
    let mut other = b.clone();
    use base64::Engine;
    other.evidence.record_base64 = base64::engine::general_purpose::STANDARD.encode(line(105));
    other.evidence.record_text = Some(line(105));
    assert!(
        !verify_bundle(&serde_json::to_string(&other).unwrap(), Some(&pk))
            .unwrap()
            .is_empty()
    );

    let b = prove(&f.case, &Target::Post("v7".into()), None).unwrap();
    assert_eq!(b.evidence.lines, 2);
    let text = serde_json::to_string_pretty(&b).unwrap();
    assert!(verify_bundle(&text, Some(&pk)).unwrap().is_empty());
    // Every single-byte change of a bundle is an error or a problem, never a pass.
    let bytes = text.as_bytes();
    for i in 0..bytes.len() {
        let mut m = bytes.to_vec();
        m[i] ^= 0x01;
        let Ok(t) = String::from_utf8(m) else {
            continue;
        };
        let r = verify_bundle(&t, Some(&pk));
        assert!(
            !matches!(&r, Ok(p) if p.is_empty()),
            "byte {i} of the bundle changed, still verifies"
        );
    }
    // Another key: the signature fails, named.
    let other_key = lockstep_vault::keygen(&f.dir.path().join("k2")).unwrap();
    let pk2 = lockstep_vault::keys::load_public(&other_key.public_key).unwrap();
    let p = verify_bundle(&serde_json::to_string(&b).unwrap(), Some(&pk2)).unwrap();
    assert!(p.iter().any(|p| matches!(p.subject, Subject::Key)));
    assert!(p
        .iter()
        .any(|p| matches!(p.subject, Subject::Checkpoint { .. })));

    assert!(matches!(
        prove(&f.case, &Target::Post("nope".into()), None),
        Err(VaultError::NotFound(_))
    ));
    assert!(Target::parse_record("data/a.ndjson:0").is_err());
    assert!(prove(
        &f.case,
        &Target::parse_record("data/a.ndjson:99").unwrap(),
        Some(&f.inputs)
    )
    .is_err());
}

#[test]
fn bad_inputs_are_clear_errors() {
    let f = make_case();
    // Not a case.
    let empty = f.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(matches!(
        seal(&empty, &seal_opts(&f)),
        Err(VaultError::NotACase(_))
    ));
    assert!(matches!(
        verify_sealed(&empty, &verify_opts(&f)),
        Err(VaultError::NotACase(_))
    ));
    // A corrupt key, a missing key, a public key given as the private key.
    let bad = f.dir.path().join("bad.key");
    std::fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    for k in [bad, f.dir.path().join("missing.key"), f.pubkey.clone()] {
        let mut o = seal_opts(&f);
        o.key = k;
        assert!(matches!(
            seal(&f.case, &o),
            Err(VaultError::BadKey { .. } | VaultError::Io { .. })
        ));
    }
    assert!(!is_sealed(&f.case), "a failed seal writes nothing");
    assert_eq!(files_under(&f.case).len(), 8);
    // keygen never overwrites.
    assert!(matches!(
        lockstep_vault::keygen(&f.dir.path().join("keys")),
        Err(VaultError::KeyExists(_))
    ));
    // Another key cannot extend the case; a public key that does not match is named.
    seal(&f.case, &seal_opts(&f)).unwrap();
    let k2 = lockstep_vault::keygen(&f.dir.path().join("k2")).unwrap();
    let mut o = seal_opts(&f);
    o.key = k2.private_key.clone();
    assert!(matches!(seal(&f.case, &o), Err(VaultError::KeyMismatch)));
    let mut vo = verify_opts(&f);
    vo.pubkey = Some(lockstep_vault::keys::load_public(&k2.public_key).unwrap());
    let r = verify_sealed(&f.case, &vo).unwrap();
    assert!(r.problems.iter().any(|p| p.subject == Subject::Key));
    assert!(r.problems.iter().any(
        |p| matches!(&p.subject, Subject::Checkpoint { path } if path.ends_with("000002.ckpt"))
    ));
    // A key made by openssl works as it is.
    if have("openssl") {
        for (file, extra) in [(&f.key, &[][..]), (&f.pubkey, &["-pubin"][..])] {
            let out = std::process::Command::new("openssl")
                .args(["pkey", "-noout", "-in"])
                .arg(file)
                .args(extra)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&f.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

#[test]
fn unsealed_cases_keep_the_manifest_check() {
    let f = make_case();
    // Paths in the manifest are relative to the working directory here, so point them at
    // the fixture (absolute) for today's check.
    let m = f.case.join("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
    for i in v["inputs"].as_array_mut().unwrap() {
        let p = f.inputs.join(i["path"].as_str().unwrap());
        i["path"] = p.display().to_string().into();
    }
    std::fs::write(&m, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let r = lockstep_vault::verify_case(&f.case, &Default::default()).unwrap();
    assert!(r.ok() && !r.sealed, "{:?}", r.problems);
    std::fs::write(f.case.join("edges.csv"), "x").unwrap();
    let r = lockstep_vault::verify_case(&f.case, &Default::default()).unwrap();
    assert_eq!(r.problems.len(), 1);
    assert!(r.problems[0].to_string().contains("edges.csv"));
    // A first seal refuses a case that no longer matches its manifest.
    let mut o = seal_opts(&f);
    o.inputs_dir = None;
    assert!(matches!(seal(&f.case, &o), Err(VaultError::BadCase { .. })));
}

#[test]
fn rewrites_truncations_and_reorders_fail() {
    let f = make_case();
    seal(&f.case, &seal_opts(&f)).unwrap();
    append_entry(
        &f.case,
        &NewEntry::new(kind::NOTE).with("text", "looked at cluster 2"),
    )
    .unwrap();
    seal(&f.case, &seal_opts(&f)).unwrap();
    let log = f.case.join(layout::LOG);
    let original = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    assert_eq!(lines.len(), 4);

    // Truncated: the last seal entry gone (its checkpoint still there).
    std::fs::write(&log, format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2])).unwrap();
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(!r.ok());
    assert!(
        r.problems
            .iter()
            .any(|p| p.to_string().contains("000004.ckpt")),
        "{:?}",
        r.problems
    );
    // Reordered: entries 1 and 2 swapped.
    std::fs::write(
        &log,
        format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]),
    )
    .unwrap();
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p.subject, Subject::LogEntry { .. })),
        "{:?}",
        r.problems
    );
    std::fs::write(&log, &original).unwrap();
    assert!(verify_sealed(&f.case, &verify_opts(&f)).unwrap().ok());

    // Rolled back to the first seal: it verifies on its own, not against the later
    // checkpoint held elsewhere.
    let later = std::fs::read_to_string(f.case.join(layout::checkpoint(4))).unwrap();
    let dir = f.dir.path().join("rollback");
    std::fs::create_dir_all(&dir).unwrap();
    for rel in files_under(&f.case) {
        let to = dir.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(f.case.join(&rel), to).unwrap();
    }
    std::fs::remove_file(dir.join(layout::checkpoint(4))).unwrap();
    std::fs::remove_file(dir.join(layout::consistency(2, 4))).unwrap();
    std::fs::write(
        dir.join(layout::LOG),
        format!("{}\n{}\n", lines[0], lines[1]),
    )
    .unwrap();
    let mut vo = verify_opts(&f);
    assert!(verify_sealed(&dir, &vo).unwrap().ok());
    vo.against = vec![("held-elsewhere.ckpt".into(), later.clone())];
    let r = verify_sealed(&dir, &vo).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.subject == Subject::Log && p.what.contains("rolled back")),
        "{:?}",
        r.problems
    );
    assert!(verify_sealed(&f.case, &vo).unwrap().ok());

    // A consistent rewrite: change an output, fix its hash in the manifest, in the seal
    // entry and the case tree root, rebuild the chain and the checkpoint's text — everything
    // but the signature, which needs the key.
    let edges = f.case.join("edges.csv");
    std::fs::write(&edges, "source,target,weight\n").unwrap();
    let new_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        b"source,target,weight\n",
    ));
    let m = f.case.join("manifest.json");
    let mut mv: serde_json::Value = serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
    mv["outputs"]["edges.csv"] = new_sha.clone().into();
    std::fs::write(&m, serde_json::to_vec_pretty(&mv).unwrap()).unwrap();
    let m_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&m).unwrap(),
    ));
    let mut entries: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for e in entries.iter_mut().filter(|e| e["kind"] == "seal") {
        for file in e["files"].as_array_mut().unwrap() {
            if file["path"] == "edges.csv" {
                file["sha256"] = new_sha.clone().into();
                file["bytes"] = 21.into();
            }
            if file["path"] == "manifest.json" {
                file["sha256"] = m_sha.clone().into();
                file["bytes"] = std::fs::metadata(&m).unwrap().len().into();
            }
        }
        let files: Vec<lockstep_vault::evidence::FileLeaf> =
            serde_json::from_value(e["files"].clone()).unwrap();
        let leaves: Vec<_> = files.iter().map(|f| f.leaf()).collect();
        e["case_tree"]["root"] = hex::encode(lockstep_vault::merkle::root(&leaves)).into();
    }
    let mut prev: Option<[u8; 32]> = None;
    let mut out = String::new();
    let mut leaves = Vec::new();
    for e in entries.iter_mut() {
        e["prev"] = prev.map_or(serde_json::Value::Null, |h| hex::encode(h).into());
        let l = e.to_string();
        let h = lockstep_vault::merkle::leaf_hash(l.as_bytes());
        prev = Some(h);
        leaves.push(h);
        out.push_str(&l);
        out.push('\n');
    }
    std::fs::write(&log, out).unwrap();
    let ck = f.case.join(layout::checkpoint(4));
    let old = std::fs::read_to_string(&ck).unwrap();
    let (_, sig) = lockstep_vault::note::split_note(&old).unwrap();
    let cp = lockstep_vault::note::Checkpoint {
        origin: old.lines().next().unwrap().to_string(),
        size: 4,
        root: lockstep_vault::merkle::root(&leaves),
        last_entry: Some(leaves[3]),
    };
    std::fs::write(&ck, format!("{}\n{sig}", cp.body())).unwrap();
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(
        r.problems.iter().any(
            |p| matches!(&p.subject, Subject::Checkpoint { path } if path.ends_with("000004.ckpt"))
                && p.what.contains("signature")
        ),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_changed_input_line_is_named() {
    let f = make_case();
    seal(&f.case, &seal_opts(&f)).unwrap();
    let p = f.inputs.join("data/a.ndjson");
    let original = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, original.replace("\"id\":\"v6\"", "\"id\":\"v9\"")).unwrap();
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    let lines: Vec<_> = r
        .problems
        .iter()
        .filter_map(|p| match &p.subject {
            Subject::Record { file, line } => Some((file.clone(), *line)),
            _ => None,
        })
        .collect();
    assert_eq!(
        lines,
        vec![("data/a.ndjson".to_string(), 7)],
        "{:?}",
        r.problems
    );
    assert!(r
        .problems
        .iter()
        .any(|p| p.to_string().contains("lines 7–7")));
    // A line removed: named from there on.
    let cut: String = original
        .lines()
        .take(10)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&p, cut).unwrap();
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(
        r.problems.iter().any(|p| p.subject
            == Subject::Record {
                file: "data/a.ndjson".into(),
                line: 11
            }),
        "{:?}",
        r.problems
    );
}
