use std::fs;
use std::path::Path;

use lockstep_eval::{
    adjusted_rand_index, evaluate, evaluate_sets, evaluate_sets_with, read_flagged, EvalOptions,
    FlagRole, FlaggedRow, TruthRow,
};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

/// 10 accounts: `network` n1..n4 (sleeper, sleeper, new, new), `smear` s1..s3 (bot),
/// organic o1, o2 (trend) and o3 (volunteer).
fn truth() -> Vec<TruthRow> {
    vec![
        TruthRow::new("n1", Some("network"), "sleeper"),
        TruthRow::new("n2", Some("network"), "sleeper"),
        TruthRow::new("n3", Some("network"), "new"),
        TruthRow::new("n4", Some("network"), "new"),
        TruthRow::new("s1", Some("smear"), "bot"),
        TruthRow::new("s2", Some("smear"), "bot"),
        TruthRow::new("s3", Some("smear"), "bot"),
        TruthRow::new("o1", None, "trend"),
        TruthRow::new("o2", None, "trend"),
        TruthRow::new("o3", None, "volunteer"),
    ]
}

fn flag(rows: &[(&str, i64)]) -> Vec<FlaggedRow> {
    rows.iter()
        .map(|&(a, c)| FlaggedRow::new(a, c, 1.0))
        .collect()
}

/// Cluster 1 = {n1, n2, n3}, cluster 2 = {s1, s2, s3, o1}; n4 is missed, o1 (trend) is a FP.
fn one_fp_one_fn() -> Vec<FlaggedRow> {
    flag(&[
        ("n1", 1),
        ("n2", 1),
        ("n3", 1),
        ("s1", 2),
        ("s2", 2),
        ("s3", 2),
        ("o1", 2),
    ])
}

#[test]
fn overall_precision_recall_f1() {
    let e = evaluate_sets(&truth(), &one_fp_one_fn());
    // tp = 6 (n1-3, s1-3), fp = 1 (o1), fn = 1 (n4); 7 flagged, 7 positives.
    assert_eq!((e.overall.tp, e.overall.fp, e.overall.fn_), (6, 1, 1));
    assert_eq!((e.overall.flagged, e.overall.positives), (7, 7));
    assert_eq!(e.overall.unknown_flagged, 0);
    close(e.overall.precision, 6.0 / 7.0); // 6 / (6 + 1)
    close(e.overall.recall, 6.0 / 7.0); // 6 / (6 + 1)
    close(e.overall.f1, 6.0 / 7.0); // 2pr / (p + r) with p = r = 6/7
}

#[test]
fn asymmetric_f1() {
    // Flag only n1, n2 and o1: tp 2, fp 1, fn 5 → p = 2/3, r = 2/7,
    // F1 = 2·(2/3)(2/7) / (2/3 + 2/7) = (8/21) / (20/21) = 0.4.
    let e = evaluate_sets(&truth(), &flag(&[("n1", 1), ("n2", 1), ("o1", 1)]));
    close(e.overall.precision, 2.0 / 3.0);
    close(e.overall.recall, 2.0 / 7.0);
    close(e.overall.f1, 0.4);
}

#[test]
fn per_campaign_and_role_recall() {
    let e = evaluate_sets(&truth(), &one_fp_one_fn());
    let net = &e.campaigns["network"];
    assert_eq!((net.size, net.flagged), (4, 3));
    close(net.recall, 0.75); // 3 / 4
    close(net.roles["sleeper"].recall, 1.0); // 2 / 2
    close(net.roles["new"].recall, 0.5); // 1 / 2
    assert_eq!(net.roles["new"].size, 2);
    let smear = &e.campaigns["smear"];
    assert_eq!((smear.size, smear.flagged), (3, 3));
    close(smear.recall, 1.0);
    // Cluster 1 is all network → 3/3; cluster 2 is smear-majority with one organic → 3/4.
    close(net.precision.unwrap(), 1.0);
    close(smear.precision.unwrap(), 0.75);
    assert_eq!((net.majority_clusters, smear.majority_clusters), (1, 1));
}

#[test]
fn false_positives_by_role() {
    let e = evaluate_sets(&truth(), &one_fp_one_fn());
    let fp = &e.false_positives;
    let roles: Vec<&str> = fp.keys().map(String::as_str).collect();
    assert_eq!(
        roles,
        [
            "challenge",
            "organic",
            "supporter",
            "trend",
            "viral_sound",
            "volunteer"
        ]
    );
    assert_eq!((fp["trend"].accounts, fp["trend"].fp), (2, 1));
    close(fp["trend"].rate, 0.5); // 1 / 2
    assert_eq!((fp["volunteer"].accounts, fp["volunteer"].fp), (1, 0));
    close(fp["volunteer"].rate, 0.0);
    // No viral_sound accounts at all: rate is defined as 0.
    assert_eq!(fp["viral_sound"].accounts, 0);
    close(fp["viral_sound"].rate, 0.0);
}

#[test]
fn cluster_purity_without_mixing() {
    let e = evaluate_sets(&truth(), &one_fp_one_fn());
    let c = &e.clustering;
    assert_eq!(c.clusters, 2);
    // Cluster 2 holds smear + organic: organic members don't make it mixed.
    assert_eq!(c.mixed_clusters, 0);
    assert_eq!(c.per_cluster[0].cluster, 1);
    assert_eq!(c.per_cluster[0].majority, "network");
    close(c.per_cluster[0].purity, 1.0);
    assert_eq!(c.per_cluster[1].majority, "smear");
    close(c.per_cluster[1].purity, 0.75); // 3 / 4
    assert_eq!(c.per_cluster[1].composition["organic"], 1);
    close(c.purity, 6.0 / 7.0); // (3 + 3) / 7
                                // Campaign accounts: [net×3, smear×3] vs clusters [1×3, 2×3] → identical partitions.
    close(c.ari, 1.0);
}

#[test]
fn mixed_cluster_and_ari() {
    // Cluster 1 = {n1, n2}, cluster 2 = {n3, s1} (mixed), cluster 3 = {s2, s3, o1}.
    let flagged = flag(&[
        ("n1", 1),
        ("n2", 1),
        ("n3", 2),
        ("s1", 2),
        ("s2", 3),
        ("s3", 3),
        ("o1", 3),
    ]);
    let e = evaluate_sets(&truth(), &flagged);
    let c = &e.clustering;
    assert_eq!(c.mixed_clusters, 1);
    // 1-1 tie between network and smear: alphabetically first campaign wins.
    assert_eq!(c.per_cluster[1].majority, "network");
    close(c.per_cluster[1].purity, 0.5);
    // Majorities: 2 + 1 + 2 = 5 of 7 flagged.
    close(c.purity, 5.0 / 7.0);
    // Campaign labels [n,n,n,s,s,s] vs clusters [1,1,2,2,3,3]: the textbook case below.
    close(c.ari, 0.8 / 3.3);
    // Network-majority clusters 1 and 2: 3 network of 4 members; smear: cluster 3, 2 of 3.
    close(e.campaigns["network"].precision.unwrap(), 0.75);
    close(e.campaigns["smear"].precision.unwrap(), 2.0 / 3.0);
}

#[test]
fn organic_tie_goes_to_campaign() {
    let e = evaluate_sets(&truth(), &flag(&[("o1", 4), ("n1", 4)]));
    assert_eq!(e.clustering.per_cluster[0].majority, "network");
    close(e.campaigns["network"].precision.unwrap(), 0.5);
    assert_eq!(e.campaigns["smear"].precision, None);
}

#[test]
fn organic_majority_cluster() {
    let e = evaluate_sets(&truth(), &flag(&[("o1", 4), ("o2", 4), ("n1", 4)]));
    assert_eq!(e.clustering.per_cluster[0].majority, "organic");
    close(e.clustering.per_cluster[0].purity, 2.0 / 3.0);
    // No cluster has a network majority.
    assert_eq!(e.campaigns["network"].precision, None);
    assert_eq!(e.campaigns["network"].majority_clusters, 0);
}

#[test]
fn ari_textbook_example() {
    // Contingency: label 0 → {c0: 2, c1: 1}, label 1 → {c1: 1, c2: 2}.
    // Σ C(n_ij, 2) = 1 + 1 = 2; rows Σ C(3, 2)·2 = 6; cols C(2,2) + C(2,2) + C(2,2) = 3;
    // C(6, 2) = 15; expected = 6·3/15 = 1.2; max = (6 + 3)/2 = 4.5;
    // ARI = (2 − 1.2)/(4.5 − 1.2) = 0.8/3.3 = 0.242424…
    let ari = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
    close(ari, 0.8 / 3.3);
    assert!((ari - 0.242_424_242_424).abs() < 1e-9);
}

#[test]
fn ari_perfect_and_permuted() {
    close(adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 1]), 1.0);
    close(adjusted_rand_index(&[0, 0, 1, 1, 2], &[7, 7, 3, 3, 9]), 1.0);
    close(
        adjusted_rand_index(&["a", "a", "b", "b"], &[1, 1, 0, 0]),
        1.0,
    );
}

#[test]
fn ari_degenerate_cases() {
    let empty: [u8; 0] = [];
    close(adjusted_rand_index(&empty, &empty), 1.0);
    close(adjusted_rand_index(&[1], &[5]), 1.0);
    // Both a single group, or both all singletons: trivially identical.
    close(adjusted_rand_index(&[1, 1, 1], &[2, 2, 2]), 1.0);
    close(adjusted_rand_index(&[1, 2, 3], &[4, 5, 6]), 1.0);
    // One class vs all singletons: index 0, expected 3·0/3 = 0, max 1.5 → 0.
    close(adjusted_rand_index(&[1, 1, 1], &[4, 5, 6]), 0.0);
    // Worse than chance: [0,0,1,1] vs [0,1,0,1]: index 0, rows 2, cols 2, C(4,2) = 6,
    // expected 4/6, max 2 → (0 − 2/3)/(2 − 2/3) = −0.5.
    close(adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]), -0.5);
}

#[test]
fn empty_flagged_set() {
    let e = evaluate_sets(&truth(), &[]);
    // Nothing flagged: precision, recall and F1 are all defined as 0.
    close(e.overall.precision, 0.0);
    close(e.overall.recall, 0.0);
    close(e.overall.f1, 0.0);
    assert_eq!((e.overall.tp, e.overall.fp, e.overall.fn_), (0, 0, 7));
    assert_eq!(e.clustering.clusters, 0);
    close(e.clustering.purity, 0.0);
    close(e.clustering.ari, 1.0);
    assert_eq!(e.campaigns["network"].precision, None);
    close(e.core.recall, 0.0);
}

#[test]
fn unknown_flagged_accounts_are_false_positives() {
    let mut flagged = one_fp_one_fn();
    flagged.push(FlaggedRow::new("ghost", 2, 0.5));
    let e = evaluate_sets(&truth(), &flagged);
    assert_eq!(
        (e.overall.tp, e.overall.fp, e.overall.unknown_flagged),
        (6, 2, 1)
    );
    close(e.overall.precision, 6.0 / 8.0);
    let role_fp: usize = e.false_positives.values().map(|f| f.fp).sum();
    assert_eq!(role_fp + e.overall.unknown_flagged, e.overall.fp);
    // In clusters the unknown account is organic: cluster 2 = 3 smear + 2 organic.
    assert_eq!(e.clustering.per_cluster[1].composition["organic"], 2);
    close(e.clustering.per_cluster[1].purity, 0.6);
}

#[test]
fn duplicate_flagged_rows_count_once() {
    let mut flagged = one_fp_one_fn();
    flagged.push(FlaggedRow::new("n1", 9, 1.0));
    assert_eq!(
        evaluate_sets(&truth(), &flagged),
        evaluate_sets(&truth(), &one_fp_one_fn())
    );
}

fn with_influencer() -> Vec<TruthRow> {
    let mut t = truth();
    t.push(TruthRow::new("i1", Some("influencer"), "commenter"));
    t.push(TruthRow::new("i2", Some("influencer"), "commenter"));
    t
}

#[test]
fn core_recall_excludes_influencer_by_default() {
    let mut flagged = one_fp_one_fn();
    flagged.push(FlaggedRow::new("i1", 5, 1.0));
    let e = evaluate_sets(&with_influencer(), &flagged);
    assert_eq!(e.core.campaigns, ["network", "smear"]);
    assert_eq!((e.core.size, e.core.flagged), (7, 6));
    close(e.core.recall, 6.0 / 7.0);
    assert_eq!(e.excluded.campaigns, ["influencer"]);
    close(e.excluded.recall, 0.5); // 1 / 2
    close(e.overall.recall, 7.0 / 9.0); // overall still counts influencer
}

#[test]
fn core_recall_excluded_set_is_a_parameter() {
    let opts = EvalOptions {
        excluded_campaigns: vec!["smear".into()],
    };
    let e = evaluate_sets_with(&with_influencer(), &one_fp_one_fn(), &opts);
    assert_eq!(e.core.campaigns, ["influencer", "network"]);
    close(e.core.recall, 0.5); // network 3 + influencer 0 of 6
    close(e.excluded.recall, 1.0);
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

const TRUTH_CSV: &str = "account,campaign,role\n\
n1,network,sleeper\nn2,network,sleeper\nn3,network,new\nn4,network,new\n\
s1,smear,bot\ns2,smear,bot\ns3,smear,bot\no1,,trend\no2,,trend\no3,,volunteer\n";

const ACCOUNTS_CSV: &str = "account,cluster,score,reasons\n\
n1,1,0.9,\"sync, shared urls\"\nn2,1,0.8,\"sync, \"\"quoted\"\"\"\nn3,1,0.7,sync\n\
s1,2,0.9,x\ns2,2,0.9,x\ns3,2,0.9,x\no1,2,0.4,\"a, b, c\"\n";

#[test]
fn evaluate_files_matches_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let truth_path = write(dir.path(), "truth.csv", TRUTH_CSV);
    let case = dir.path().join("case");
    fs::create_dir(&case).unwrap();
    write(&case, "accounts.csv", ACCOUNTS_CSV);
    let e = evaluate(&truth_path, &case).unwrap();
    assert_eq!(e, evaluate_sets(&truth(), &one_fp_one_fn()));
    let rows = read_flagged(&case.join("accounts.csv")).unwrap();
    close(rows[1].score, 0.8);
}

#[test]
fn missing_column_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let truth_path = write(dir.path(), "truth.csv", TRUTH_CSV);
    let bad = write(dir.path(), "accounts.csv", "account,score\nn1,0.5\n");
    let err = format!("{:#}", evaluate(&truth_path, dir.path()).unwrap_err());
    assert!(err.contains(&bad.display().to_string()), "{err}");
    assert!(err.contains("line 1") && err.contains("`cluster`"), "{err}");

    let bad_truth = write(dir.path(), "t2.csv", "account,role\nn1,bot\n");
    let err = format!("{:#}", evaluate(&bad_truth, dir.path()).unwrap_err());
    assert!(
        err.contains("t2.csv") && err.contains("`campaign`"),
        "{err}"
    );
}

#[test]
fn bad_values_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let truth_path = write(dir.path(), "truth.csv", TRUTH_CSV);
    write(
        dir.path(),
        "accounts.csv",
        "account,cluster,score\nn1,1,0.5\nn2,one,0.5\n",
    );
    let err = format!("{:#}", evaluate(&truth_path, dir.path()).unwrap_err());
    assert!(
        err.contains("accounts.csv: line 3: bad cluster `one`"),
        "{err}"
    );

    write(
        dir.path(),
        "accounts.csv",
        "account,cluster,score\nn1,1,0.5\nn1,2,0.5\n",
    );
    let err = format!("{:#}", evaluate(&truth_path, dir.path()).unwrap_err());
    assert!(err.contains("line 3: duplicate account `n1`"), "{err}");

    write(dir.path(), "accounts.csv", "account,cluster,score\nn1,1\n");
    let err = format!("{:#}", evaluate(&truth_path, dir.path()).unwrap_err());
    assert!(err.contains("accounts.csv: line 2"), "{err}");
}

#[test]
fn unreadable_file_names_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let err = format!("{:#}", evaluate(&missing, dir.path()).unwrap_err());
    assert!(
        err.contains("nope.csv") && err.contains("cannot open"),
        "{err}"
    );
    let truth_path = write(dir.path(), "truth.csv", TRUTH_CSV);
    let err = format!("{:#}", evaluate(&truth_path, dir.path()).unwrap_err());
    assert!(err.contains("accounts.csv"), "{err}");
}

#[test]
fn write_json_is_atomic_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let e = evaluate_sets(&with_influencer(), &one_fp_one_fn());
    let path = dir.path().join("eval.json");
    e.write_json(&path).unwrap();
    let first = fs::read_to_string(&path).unwrap();
    e.write_json(&path).unwrap();
    assert_eq!(first, fs::read_to_string(&path).unwrap());
    // Only the target is left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["overall"]["fn"], 3); // n4, i1, i2
    assert_eq!(v["overall"]["tp"], 6);
    assert_eq!(v["campaigns"]["smear"]["precision"], 0.75);
    assert_eq!(v["clustering"]["per_cluster"][1]["majority"], "smear");
    assert!(v["campaigns"]["influencer"]["precision"].is_null());
    // Struct field order, then sorted map keys.
    let order = [
        "overall",
        "core",
        "excluded",
        "campaigns",
        "false_positives",
    ];
    let pos: Vec<usize> = order
        .iter()
        .map(|k| first.find(&format!("\n  \"{k}\"")).unwrap())
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]));
    let key = |k: &str| first.find(&format!("\n    \"{k}\": {{")).unwrap();
    assert!(key("influencer") < key("network") && key("network") < key("smear"));
}

#[test]
fn render_text_has_aligned_tables() {
    let e = evaluate_sets(&truth(), &one_fp_one_fn());
    let text = e.render_text();
    assert!(
        text.starts_with("precision 0.857  recall 0.857  F1 0.857  (tp 6, fp 1, fn 1;"),
        "{text}"
    );
    assert!(text.contains("core recall 0.857 (6/7) over [network, smear]"));
    assert!(text.contains("2 clusters, 0 mixed, purity 0.857, ARI 1.000"));
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .find(|l| l.starts_with("campaign/role"))
        .unwrap();
    let network = lines.iter().find(|l| l.starts_with("network")).unwrap();
    let smear = lines.iter().find(|l| l.starts_with("smear")).unwrap();
    // Right-aligned columns end at the same offset.
    assert_eq!(header.len(), network.len());
    assert_eq!(header.len(), smear.len());
    assert!(network.ends_with("0.750      1.000         1"), "{network}");
    let trend = lines.iter().find(|l| l.starts_with("trend")).unwrap();
    let fp_header = lines
        .iter()
        .find(|l| l.starts_with("organic role"))
        .unwrap();
    assert_eq!(trend.len(), fp_header.len());
    assert!(trend.ends_with("0.500"), "{trend}");
}

#[test]
fn errors_have_a_kind() {
    use lockstep_core::ErrorKind;
    use lockstep_eval::EvalError;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let err = evaluate(&missing, dir.path()).unwrap_err();
    assert!(matches!(err, EvalError::Open { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(
        err.to_string().starts_with(&missing.display().to_string()),
        "{err}"
    );
    let truth_path = write(dir.path(), "truth.csv", TRUTH_CSV);
    write(
        dir.path(),
        "accounts.csv",
        "account,cluster,score\nn1,x,0.5\n",
    );
    let err = evaluate(&truth_path, dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            EvalError::BadValue {
                line: 2,
                what: "cluster",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Input);
    let e = evaluate_sets(&truth(), &one_fp_one_fn());
    let err = e.write_json(Path::new("/")).unwrap_err();
    assert!(matches!(err, EvalError::NotAFilePath { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = e
        .write_json(&dir.path().join("no-such-dir").join("eval.json"))
        .unwrap_err();
    assert!(matches!(err, EvalError::Write { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

/// `truth()` plus influencers i1, i2 and supporters p1..p4.
fn with_reach() -> Vec<TruthRow> {
    let mut t = with_influencer();
    for p in ["p1", "p2", "p3", "p4"] {
        t.push(TruthRow::new(p, None, "supporter"));
    }
    t
}

/// Members as in `one_fp_one_fn`; amplifiers: i1 (influencer) and p1 (supporter) of
/// cluster 1, n4 (network) of cluster 2.
fn with_amplifiers() -> Vec<FlaggedRow> {
    let mut f = one_fp_one_fn();
    f.push(FlaggedRow::amplifier("i1", 1, 0.5));
    f.push(FlaggedRow::amplifier("p1", 1, 0.5));
    f.push(FlaggedRow::amplifier("n4", 2, 0.5));
    f
}

#[test]
fn amplifiers_count_as_flagged_and_are_reported_apart() {
    let e = evaluate_sets(&with_reach(), &with_amplifiers());
    // Combined: 10 flagged, tp 8 (n1-4, s1-3, i1), fp 2 (o1, p1); 9 positives.
    assert_eq!((e.overall.flagged, e.overall.tp, e.overall.fp), (10, 8, 2));
    close(e.overall.precision, 0.8);
    close(e.overall.recall, 8.0 / 9.0);
    // Members: as without amplifiers.
    assert_eq!((e.members.flagged, e.members.tp, e.members.fp), (7, 6, 1));
    close(e.members.precision, 6.0 / 7.0);
    close(e.members.recall, 6.0 / 9.0);
    // Amplifiers: i1 and n4 right, p1 wrong.
    assert_eq!(
        (e.amplifiers.flagged, e.amplifiers.tp, e.amplifiers.fp),
        (3, 2, 1)
    );
    close(e.amplifiers.precision, 2.0 / 3.0);
    close(e.amplifiers.recall, 2.0 / 9.0);
    // The split adds up.
    assert_eq!(e.members.tp + e.amplifiers.tp, e.overall.tp);
    close(e.members.recall + e.amplifiers.recall, e.overall.recall);
    // Core recall counts amplifiers as flagged; core precision is on members only.
    assert_eq!(
        (e.core.size, e.core.flagged, e.core.member_flagged),
        (7, 7, 6)
    );
    close(e.core.recall, 1.0);
    close(e.core.member_recall, 6.0 / 7.0);
    close(e.core.precision, 6.0 / 7.0);
    // Influencers and supporters.
    assert_eq!(
        (
            e.influencer.accounts,
            e.influencer.flagged,
            e.influencer.as_amplifier
        ),
        (2, 1, 1)
    );
    close(e.influencer.rate, 0.5);
    assert_eq!(
        (
            e.supporter.accounts,
            e.supporter.flagged,
            e.supporter.as_member
        ),
        (4, 1, 0)
    );
    close(e.supporter.rate, 0.25);
    assert_eq!(e.false_positives["supporter"].as_amplifier, 1);
    assert_eq!(e.campaigns["network"].as_amplifier, 1);
    assert_eq!(e.campaigns["network"].roles["new"].as_amplifier, 1);
}

#[test]
fn clusters_are_made_of_members() {
    let e = evaluate_sets(&with_reach(), &with_amplifiers());
    let without = evaluate_sets(&with_reach(), &one_fp_one_fn());
    // Compositions, purity, mixing and ARI are those of the members alone...
    for (a, b) in e
        .clustering
        .per_cluster
        .iter()
        .zip(&without.clustering.per_cluster)
    {
        assert_eq!(
            (a.cluster, a.size, &a.composition),
            (b.cluster, b.size, &b.composition)
        );
    }
    assert_eq!(e.clustering.mixed_clusters, 0);
    close(e.clustering.purity, without.clustering.purity);
    close(e.clustering.ari, without.clustering.ari);
    assert_eq!(e.campaigns["smear"].precision, Some(0.75));
    // ... and each cluster lists its amplifiers beside.
    let c1 = &e.clustering.per_cluster[0];
    assert_eq!(c1.amplifiers["influencer"], 1);
    assert_eq!(c1.amplifiers["organic"], 1);
    assert_eq!(e.clustering.per_cluster[1].amplifiers["network"], 1);
    assert!(without.clustering.per_cluster[0].amplifiers.is_empty());
}

#[test]
fn without_a_role_column_everyone_is_a_member() {
    let e = evaluate_sets(&with_reach(), &one_fp_one_fn());
    assert_eq!(e.members, e.overall);
    assert_eq!(e.amplifiers.flagged, 0);
    close(e.amplifiers.precision, 0.0);
    close(e.core.precision, e.overall.precision);
    assert_eq!(e.core.member_flagged, e.core.flagged);
}

#[test]
fn role_column_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "accounts.csv",
        "account,cluster,score,role\nn1,1,0.9,member\ni1,1,0.5,Amplifier\nn2,1,0.8,\n",
    );
    let rows = read_flagged(&path).unwrap();
    let roles: Vec<FlagRole> = rows.iter().map(|r| r.role).collect();
    assert_eq!(
        roles,
        [FlagRole::Member, FlagRole::Amplifier, FlagRole::Member]
    );
    // Without the column, every row is a member.
    let path = write(dir.path(), "plain.csv", "account,cluster,score\nn1,1,0.9\n");
    assert_eq!(read_flagged(&path).unwrap()[0].role, FlagRole::Member);
    // An unknown role names the file, the line and the value.
    let path = write(
        dir.path(),
        "bad.csv",
        "account,cluster,score,role\nn1,1,0.9,member\nn2,1,0.9,leader\n",
    );
    let err = read_flagged(&path).unwrap_err().to_string();
    assert!(err.contains("bad.csv: line 3: bad role `leader`"), "{err}");
}

#[test]
fn eval_json_keeps_its_fields_and_adds_the_new_ones() {
    let e = evaluate_sets(&with_reach(), &with_amplifiers());
    let v: serde_json::Value = serde_json::to_value(&e).unwrap();
    for key in [
        "overall",
        "core",
        "excluded",
        "campaigns",
        "false_positives",
        "clustering",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    for key in ["members", "amplifiers", "influencer", "supporter"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["influencer"]["rate"], 0.5);
    assert_eq!(v["supporter"]["rate"], 0.25);
    assert_eq!(v["core"]["recall"], 1.0);
    assert_eq!(
        v["clustering"]["per_cluster"][0]["amplifiers"]["influencer"],
        1
    );
    let text = e.render_text();
    assert!(
        text.contains("influencer recall 0.500 (1/2; 0 as members, 1 as amplifiers)"),
        "{text}"
    );
    assert!(
        text.contains("supporter false-positive rate 0.250 (1/4; 0 as members, 1 as amplifiers)"),
        "{text}"
    );
    assert!(text.contains("amplifiers precision 0.667"), "{text}");
    assert!(text.contains("core precision (members) 0.857"), "{text}");
}
