//! Detection quality against ground truth: simulate a scenario, detect with defaults (no
//! tuning), score with eval. Small scenarios so the suite stays fast; `lockstep bench` runs
//! the full-size ones.

use lockstep_detect::Params;

fn run(seed: u64, accounts: usize, negatives: f64) -> lockstep_eval::Evaluation {
    let dir = tempfile::tempdir().unwrap();
    let mut sc = lockstep_sim::Scenario {
        seed,
        accounts,
        ..lockstep_sim::Scenario::romania_2024()
    };
    sc.trend.intensity *= negatives;
    sc.viral_sound.intensity *= negatives;
    sc.challenge.intensity *= negatives;
    sc.volunteer.intensity *= negatives;
    lockstep_sim::simulate(&sc, dir.path()).unwrap();
    let case = dir.path().join("case");
    lockstep_detect::detect(
        &[dir.path().join("data")],
        &case,
        &Params::default(),
        &lockstep_detect::Silent,
    )
    .unwrap();
    lockstep_eval::evaluate(&dir.path().join("truth.csv"), &case).unwrap()
}

fn check(ev: &lockstep_eval::Evaluation, what: &str) {
    assert!(
        ev.overall.precision >= 0.9,
        "{what}: precision {}\n{}",
        ev.overall.precision,
        ev.render_text()
    );
    assert!(
        ev.core.recall >= 0.9,
        "{what}: core recall {}\n{}",
        ev.core.recall,
        ev.render_text()
    );
    for c in ["network", "comment_flood", "copypasta"] {
        assert!(
            ev.campaigns[c].recall >= 0.9,
            "{what}: {c} recall {}\n{}",
            ev.campaigns[c].recall,
            ev.render_text()
        );
    }
    assert_eq!(
        ev.clustering.mixed_clusters,
        0,
        "{what}: a cluster mixes campaigns\n{}",
        ev.render_text()
    );
    let (fp, n) = ev
        .false_positives
        .iter()
        .filter(|(role, _)| role.as_str() != "organic")
        .fold((0, 0), |(f, n), (_, x)| (f + x.fp, n + x.accounts));
    assert!(n > 0);
    assert!(
        (fp as f64) / (n as f64) < 0.01,
        "{what}: {fp} of {n} hard-negative accounts flagged\n{}",
        ev.render_text()
    );
}

#[test]
fn campaigns_are_found_and_crowds_are_not() {
    check(&run(7, 8_000, 1.0), "8k accounts, seed 7");
}

#[test]
fn stronger_hard_negatives_do_not_form_clusters() {
    check(
        &run(8, 6_000, 2.5),
        "6k accounts, seed 8, 2.5× hard negatives",
    );
}
