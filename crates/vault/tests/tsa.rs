//! RFC 3161 against a real TSA: `openssl ts -reply` with a test CA made by the test, behind
//! a loopback HTTP responder. Wrong answers and an unreachable TSA leave the case untouched.

mod common;
use common::tsa::{start, Mode};
use common::*;
use lockstep_vault::{layout, seal, verify_sealed, Subject, VaultError};

#[test]
fn timestamps_from_a_local_tsa() {
    if !have("openssl") {
        eprintln!("openssl not found: skipped");
        return;
    }
    let tsa = start();
    let f = make_case();
    let before = files_under(&f.case);

    // Unreachable: a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut o = seal_opts(&f);
    o.tsa = Some(format!("http://127.0.0.1:{port}/tsa"));
    o.tsa_timeout = std::time::Duration::from_secs(5);
    let e = seal(&f.case, &o).unwrap_err();
    assert!(
        matches!(&e, VaultError::Tsa { reason, .. } if reason.contains("cannot reach")),
        "{e}"
    );
    assert_eq!(files_under(&f.case), before, "nothing half-written");

    // Wrong answers.
    o.tsa = Some(tsa.url.clone());
    o.tsa_ca = Some(tsa.ca.clone());
    for (mode, says) in [
        (Mode::WrongImprint, "imprint"),
        (Mode::WrongNonce, "nonce"),
        (Mode::Broken, "HTTP status 500"),
    ] {
        tsa.set_mode(mode);
        let e = seal(&f.case, &o).unwrap_err();
        assert!(e.to_string().contains(says), "{mode:?}: {e}");
        assert_eq!(
            files_under(&f.case),
            before,
            "nothing half-written after {mode:?}"
        );
    }

    // A good token: checked by seal, by verify, and by `openssl ts -verify` itself.
    tsa.set_mode(Mode::Good);
    let out = seal(&f.case, &o).unwrap();
    assert!(out.timestamp.is_some());
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert!(
        r.notes.iter().any(|n| n.contains("TSA time")),
        "{:?}",
        r.notes
    );
    let tok = f.case.join(layout::token(2));
    let st = std::process::Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(&tok)
        .arg("-data")
        .arg(f.case.join(layout::checkpoint(2)))
        .arg("-CAfile")
        .arg(f.case.join(layout::tsa_ca(2)))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );

    // A token replaced by one for another checkpoint is named.
    let good = std::fs::read(&tok).unwrap();
    let other = make_case();
    let mut o2 = seal_opts(&other);
    o2.tsa = Some(tsa.url.clone());
    seal(&other.case, &o2).unwrap();
    std::fs::copy(other.case.join(layout::token(2)), &tok).unwrap();
    let r = verify_sealed(&f.case, &verify_opts(&f)).unwrap();
    assert!(
        r.problems.iter().any(
            |p| matches!(&p.subject, Subject::Timestamp { path } if path.ends_with("000002.tst"))
        ),
        "{:?}",
        r.problems
    );
    std::fs::write(&tok, good).unwrap();
    assert!(verify_sealed(&f.case, &verify_opts(&f)).unwrap().ok());
}
