//! Simulated election-site logs with ground truth, analysed end to end: the planted
//! campaigns are found, benign crowds are not, outputs repeat byte for byte whatever the
//! thread count or the names and order of the input files.

use lockstep_infra::sim::{simulate, SimArgs};
use lockstep_infra::{infra, Params};
use std::path::{Path, PathBuf};

fn scenario(dir: &Path, seed: u64, shape: u32) -> PathBuf {
    let mut a = SimArgs::new(dir.join("sim"));
    a.seed = seed;
    a.lines = 80_000;
    a.hours = 24;
    // Vary the shapes, not only the seed: sizes and paces of the campaigns.
    a.stuffing_sources = [150, 90, 220][shape as usize % 3];
    a.injection_sources = [200, 300, 120][shape as usize % 3];
    a.flood_sources = [30, 20, 40][shape as usize % 3];
    a.campaign_rate = [4.0, 3.0, 5.0][shape as usize % 3];
    a.scanners = [6, 10, 8][shape as usize % 3];
    simulate(&a).expect("simulate");
    a.out
}

#[test]
fn campaigns_found_benign_not_merged() {
    for (seed, shape) in [(11u64, 0u32), (12, 1), (13, 2)] {
        let dir = tempfile::tempdir().unwrap();
        let sim = scenario(dir.path(), seed, shape);
        let case = dir.path().join("case");
        infra(&[sim.join("logs")], &case, &Params::default()).expect("infra");
        let ev = lockstep_infra::eval::evaluate(&sim.join("truth.csv"), &case).unwrap();
        let report = ev.render();
        assert!(ev.precision >= 0.95, "seed {seed}: {report}");
        for (c, s) in &ev.campaigns {
            assert!(s.recall >= 0.9, "seed {seed} campaign {c}: {report}");
        }
        for (role, (n, clustered, _)) in &ev.false_positives {
            assert!(
                *clustered as f64 <= (*n as f64 * 0.01).max(0.0),
                "seed {seed} {role}: {report}"
            );
        }
        assert_eq!(ev.mixed_clusters, 0, "seed {seed}: {report}");
        // Benign visitors' requests are not attempts (at most a stray search query).
        let organic = ev.false_positives.get("organic").map_or(0, |x| x.2);
        let organic_n = ev.false_positives.get("organic").map_or(1, |x| x.0);
        assert!(
            organic as f64 <= organic_n as f64 * 0.01,
            "seed {seed}: {report}"
        );
        // Every request classified against the simulator's per-request truth.
        for want in ["sqli", "xss", "lfi", "scanner", "credential", "flood"] {
            let c = ev.classification.get(want);
            assert!(
                c.is_some_and(|c| c.requests > 0 && c.recall >= 0.95),
                "seed {seed} class {want}: {report}"
            );
        }
        assert!(ev.benign_requests > 10_000, "{report}");
        assert!(
            ev.benign_flagged as f64 <= ev.benign_requests as f64 * 0.01,
            "seed {seed}: {report}"
        );
        // Verify passes on the fresh case.
        let (bad, _) = lockstep_case::verify(&case).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
    }
}

fn outputs(case: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            !matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("manifest.json" | "quarantine.ndjson" | "eval.json")
            )
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn byte_identical_across_threads_and_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let sim = scenario(dir.path(), 21, 0);
    let run = |inputs: &[PathBuf], name: &str, threads: usize| {
        let case = dir.path().join(name);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| infra(inputs, &case, &Params::default()).expect("infra"));
        outputs(&case)
    };
    let a = run(&[sim.join("logs")], "a", 1);
    let b = run(&[sim.join("logs")], "b", 2);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!(x == y, "{} differs between 1 and 2 threads", x.0);
    }
    // Same content under other names, given in another order.
    let renamed = dir.path().join("renamed");
    std::fs::create_dir_all(&renamed).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(sim.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut inputs = Vec::new();
    for (k, f) in files.iter().rev().enumerate() {
        let to = renamed.join(format!("zz-{k}-{}.txt", 9 - k));
        std::fs::copy(f, &to).unwrap();
        inputs.push(to);
    }
    let c = run(&inputs, "c", 2);
    for (x, y) in a.iter().zip(&c) {
        assert!(
            x == y,
            "{} differs when the inputs are renamed and reordered",
            x.0
        );
    }
}
