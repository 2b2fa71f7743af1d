//! The ready-to-wire command line: clap parses the `Args` as the `lockstep` binary will
//! (as subcommands), and the `run_*` functions give outcomes and exit codes.
#![cfg(feature = "cli")]

mod common;
use clap::{Parser, Subcommand};
use common::*;
use lockstep_vault::cli::*;

#[derive(Parser)]
struct Lockstep {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Keygen(KeygenArgs),
    Seal(SealArgs),
    Verify(VerifyArgs),
    Prove(ProveArgs),
    Export(ExportArgs),
}

fn parse(args: &[&str]) -> Command {
    Lockstep::try_parse_from(std::iter::once("lockstep").chain(args.iter().copied()))
        .unwrap()
        .command
}

#[test]
fn commands_run_as_the_cli_will_run_them() {
    let f = make_case();
    let d = f.dir.path();
    let s = |p: &std::path::Path| p.display().to_string();
    let (case, inputs, keys) = (s(&f.case), s(&f.inputs), s(&d.join("k")));

    let Command::Keygen(a) = parse(&["keygen", "--out", &keys]) else {
        panic!()
    };
    let k = run_keygen(&a).unwrap();
    assert!(k.to_string().contains("lockstep-vault.key"));
    let (key, pubkey) = (s(&k.private_key), s(&k.public_key));

    let Command::Seal(a) = parse(&["seal", &case, "--key", &key, "--inputs", &inputs]) else {
        panic!()
    };
    let out = run_seal(&a).unwrap();
    assert!(out.to_string().contains("evidence records: 3"), "{out}");

    let Command::Verify(a) = parse(&["verify", &case, "--pubkey", &pubkey, "--inputs", &inputs])
    else {
        panic!()
    };
    let v = run_verify(&a).unwrap();
    assert_eq!(v.exit_code(), 0, "{v}");
    assert!(v.to_string().starts_with("verified:"));

    let proof = s(&d.join("proof.json"));
    let Command::Prove(a) = parse(&["prove", &case, "--post", "v3", "--out", &proof]) else {
        panic!()
    };
    run_prove(&a).unwrap();
    let Command::Verify(a) = parse(&["verify", "--bundle", &proof, "--pubkey", &pubkey]) else {
        panic!()
    };
    assert_eq!(run_verify(&a).unwrap().exit_code(), 0);
    let text = std::fs::read_to_string(&proof).unwrap();
    std::fs::write(&proof, text.replacen("\"line\": 4", "\"line\": 5", 1)).unwrap();
    let v = run_verify(&a).unwrap();
    assert_eq!(v.exit_code(), 3);
    assert!(v.to_string().contains("record data/a.ndjson:5"), "{v}");

    let Command::Prove(a) = parse(&[
        "prove",
        &case,
        "--record",
        "data/a.ndjson:2",
        "--inputs",
        &inputs,
    ]) else {
        panic!()
    };
    assert!(run_prove(&a)
        .unwrap()
        .to_string()
        .contains("lockstep-proof/1"));

    let zip = s(&d.join("out.zip"));
    let Command::Export(a) = parse(&["export", &case, "--out", &zip, "--inputs", &inputs]) else {
        panic!()
    };
    assert!(run_export(&a).unwrap().to_string().contains("VERIFY.md"));

    // Changed output: exit 3, named; JSON report on request.
    std::fs::write(f.case.join("accounts.csv"), "x").unwrap();
    let Command::Verify(a) = parse(&["verify", &case, "--inputs", &inputs, "--json"]) else {
        panic!()
    };
    let v = run_verify(&a).unwrap();
    assert_eq!(v.exit_code(), 3);
    let j: serde_json::Value = serde_json::from_str(&v.to_string()).unwrap();
    assert_eq!(j["problems"][0]["path"], "accounts.csv");

    // Usage errors are clap's; a folder that is not a case is an error (exit 1).
    assert!(Lockstep::try_parse_from(["lockstep", "prove", &case]).is_err());
    assert!(Lockstep::try_parse_from(["lockstep", "verify"]).is_err());
    let Command::Verify(a) = parse(&["verify", &keys]) else {
        panic!()
    };
    assert!(run_verify(&a).is_err());
}
