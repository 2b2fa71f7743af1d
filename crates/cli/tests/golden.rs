//! Golden outputs: the sha256 of every file of three cases — a small simulated scenario and
//! the two public real datasets in `testdata/real/` — pinned, for 1 and 2 threads. "Not a
//! byte changed" is checked here, not by hand. A change that alters results on purpose
//! updates these hashes in its own commit and says why.

use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 10] = [
    "accounts.csv",
    "self_amplification.csv",
    "stix.json",
    "clusters.json",
    "edges.csv",
    "graph.gexf",
    "graph.graphml",
    "quarantine.ndjson",
    "report.html",
    "manifest.json",
];

fn lockstep(cwd: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lockstep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(name)
}

fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    hex::encode(Sha256::digest(bytes))
}

/// Runs `detect INPUT` in `cwd` (input named relative to it, so the manifest and the report
/// name it the same on every machine) for 1 and 2 threads and compares every file.
fn check(cwd: &Path, input: &str, want: &[(&str, &str)]) {
    for threads in ["1", "2"] {
        let case = format!("case-{threads}");
        lockstep(
            cwd,
            &["detect", input, "--out", &case, "-q", "--threads", threads],
        );
        let got: Vec<(&str, String)> = FILES
            .iter()
            .map(|f| (*f, sha256(&cwd.join(&case).join(f))))
            .collect();
        let want: Vec<(&str, String)> = want.iter().map(|(f, h)| (*f, h.to_string())).collect();
        assert_eq!(got, want, "{input}, {threads} thread(s)");
    }
}

#[test]
fn simulated_case_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    lockstep(
        dir.path(),
        &[
            "simulate",
            "--accounts",
            "3000",
            "--seed",
            "7",
            "-q",
            "--out",
            "sim",
        ],
    );
    check(
        &dir.path().join("sim"),
        "data",
        &[
            (
                "accounts.csv",
                "2fb724c649103def829699b9f4584cf931d89d18ff7a3d2d15dbfca3894e78b7",
            ),
            (
                "self_amplification.csv",
                "4122f42f1abfb3478a25e743daa01a457d3a64d0f2e0e6710c06ad0ebb3b9489",
            ),
            (
                "stix.json",
                "65dead52dd4e58ed48a553f96d4c58ca7eb56a8aaa780ce0d31306fb0d2becd3",
            ),
            (
                "clusters.json",
                "07521fae78deadae0a86bfdd34ae7c4ee38a66fe19b20f435ee9a5dff8998143",
            ),
            (
                "edges.csv",
                "7c0024864354efbb1f2c5acef021a3b7bb203d886cf9c6389657c86567ef5c96",
            ),
            (
                "graph.gexf",
                "d1f592fd4eee7f6fc6d19375d6407d95ad75ca4471b53432580e210b4c50a2fa",
            ),
            (
                "graph.graphml",
                "ba42478a7a1eebf1b57d8e7c76875bb9d6b69585cfa915e86469e29475fc94b7",
            ),
            (
                "quarantine.ndjson",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                "report.html",
                "c05267ea285cdfed605f0a5d94b4cd61042bcfb1f3003d991b10727649eb90d2",
            ),
            (
                "manifest.json",
                "2ecdf10946b080a419c45ed13fab980b4254bad026cfcb8a1740bf03cfdbbe3a",
            ),
        ],
    );
}

/// Copies a real dataset into a fresh folder and checks its case there.
fn check_real(name: &str, want: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(testdata(name), dir.path().join(name)).unwrap();
    check(dir.path(), name, want);
}

#[test]
fn german_elections_case_is_byte_identical() {
    check_real(
        "german_elections.csv.gz",
        &[
            (
                "accounts.csv",
                "5b208c576b2c7e17117c5848f58eaef4ccc8db48d2eb94a4ca12024ae1526b24",
            ),
            (
                "self_amplification.csv",
                "4122f42f1abfb3478a25e743daa01a457d3a64d0f2e0e6710c06ad0ebb3b9489",
            ),
            (
                "stix.json",
                "ea0c4a55b146563bd23c064bf2dd626c2ae37cd0e93441f196ff61cbf9720b13",
            ),
            (
                "clusters.json",
                "71b0d5aba4e29686806ed65528f85fbfb6c5e0180875d500e1bc6993a1beb104",
            ),
            (
                "edges.csv",
                "959f21aed51a0829959cdabdbca8ec70e608ef550a6373b688b41432d2e907ed",
            ),
            (
                "graph.gexf",
                "039f125fbe0a14a79f05ab41bcb129245ddafbf437e701f0c02c47e966791181",
            ),
            (
                "graph.graphml",
                "51f346cb0c10db1bee2ccaa08c7a16e7342f56528483a2d5a08c091d4276c348",
            ),
            (
                "quarantine.ndjson",
                "66003b93438d481e8d7b515ef64302f185e9b93a4883c5a26f06b8055e4f7071",
            ),
            (
                "report.html",
                "404711822b546efe024803c5e800b5c165c7d0d7e9842bd72a8bdb2122370ad1",
            ),
            (
                "manifest.json",
                "12256ab846a3f15980227df76bcf0358cc2188e7d15ba36fc3fedf15d90a92b1",
            ),
        ],
    );
}

#[test]
fn russian_coord_tweets_case_is_byte_identical() {
    check_real(
        "russian_coord_tweets.csv.gz",
        &[
            (
                "accounts.csv",
                "3277ba8101fb0b6d0aa98d9bddf5101aeb842e33ea2e178c5f5130a167eb10ae",
            ),
            (
                "self_amplification.csv",
                "20a8366de883516cfe23c2ea9b29dca324de2d4780fd55a74543048f31c095fa",
            ),
            (
                "stix.json",
                "5b51056c27b72e097351d4832ec574a363bd78115678a6505967acc372c08c43",
            ),
            (
                "clusters.json",
                "09958824d4725d969404589d4ec697bd8a8614dc73dcf78d3659ce8483ba5b88",
            ),
            (
                "edges.csv",
                "0ed2a3d0e756dd91bab672405e57a1f48d012e71d829a793edf620a4f3161734",
            ),
            (
                "graph.gexf",
                "20595999feab6e1898f608f4b02f0fc83ed83b3690e47d1b76982a6723a50f70",
            ),
            (
                "graph.graphml",
                "b064325f0ff4773ffa0fafe7a600d83c70e086d50cd70fc16dac4124ff45e1b5",
            ),
            (
                "quarantine.ndjson",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                "report.html",
                "e24fff168faea6904f2f1b5cf753bda43a1871424e6a8e3757e719b4da862507",
            ),
            (
                "manifest.json",
                "210c146eeca8640d29d932e5946f22c233d22b3b436dfb1c08df07d5a3ea5578",
            ),
        ],
    );
}
