//! Amplifiers end to end: simulate briefed influencers (own captions, the campaign hashtag on
//! three days within a few hours, partial participation) and genuine supporters who use the
//! same tags on their own clock; detect with defaults; score with eval. The influencers are
//! found as amplifiers of the network's cluster, apart from its members, and supporters are
//! not; with `--aggregates-only` only their count leaves.

use lockstep_detect::Params;

fn scenario(seed: u64) -> lockstep_sim::Scenario {
    let mut sc = lockstep_sim::Scenario {
        seed,
        accounts: 12_000,
        ..lockstep_sim::Scenario::romania_2024()
    };
    // 60 creators (0.2 % of 12,000 would be 24).
    sc.influencer.size = lockstep_sim::Size::Fraction(0.005);
    sc
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn briefed_influencers_are_amplifiers_not_members_and_supporters_are_not() {
    let dir = tempfile::tempdir().unwrap();
    lockstep_sim::simulate(&scenario(7), dir.path()).unwrap();
    let case = dir.path().join("case");
    lockstep_detect::detect(
        &[dir.path().join("data")],
        &case,
        &Params::default(),
        &lockstep_detect::Silent,
    )
    .unwrap();
    let ev = lockstep_eval::evaluate(&dir.path().join("truth.csv"), &case).unwrap();
    let report = ev.render_text();
    assert!(
        ev.influencer.rate >= 0.5 && ev.influencer.as_amplifier == ev.influencer.flagged,
        "influencer recall {} ({} as amplifiers)\n{report}",
        ev.influencer.rate,
        ev.influencer.as_amplifier
    );
    assert!(
        ev.amplifiers.precision >= 0.9,
        "amplifier precision {}\n{report}",
        ev.amplifiers.precision
    );
    assert_eq!(ev.supporter.as_amplifier, 0, "supporters flagged\n{report}");
    assert!(ev.overall.precision >= 0.97, "{report}");
    assert!(ev.core.precision >= 0.97, "{report}");

    // accounts.csv: amplifier rows, none of them a member of any cluster.
    let clusters = read_json(&case.join("clusters.json"));
    let members: std::collections::HashSet<String> = clusters["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["members"].as_array().unwrap().iter())
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let accounts = std::fs::read_to_string(case.join("accounts.csv")).unwrap();
    let mut lines = accounts.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("account,cluster,role,score"));
    let amplifiers: Vec<&str> = lines
        .filter(|l| l.split(',').nth(2) == Some("amplifier"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(
        amplifiers.len() >= 30,
        "{} amplifier rows",
        amplifiers.len()
    );
    assert!(amplifiers.iter().all(|a| !members.contains(*a)));

    // clusters.json: the network's cluster lists them with their reasons; STIX tags it.
    let with: Vec<&serde_json::Value> = clusters["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["amplifier_count"].as_u64().unwrap() > 0)
        .collect();
    assert!(!with.is_empty());
    for c in &with {
        let list = c["amplifiers"].as_array().unwrap();
        assert_eq!(list.len() as u64, c["amplifier_count"].as_u64().unwrap());
        for a in list {
            assert!(a["days"].as_array().unwrap().len() >= 2);
            assert!(a["q_value"].as_f64().unwrap() <= 0.05);
            assert!(a["in_windows"].as_f64().unwrap() > a["expected"].as_f64().unwrap());
            assert!(!a["traces"].as_array().unwrap().is_empty());
        }
        assert!(c["campaign_traces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| !t["windows"].as_array().unwrap().is_empty()));
        assert!(c["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "amplifiers"));
    }
    let stix = std::fs::read_to_string(case.join("stix.json")).unwrap();
    assert!(stix.contains("T0100.003"));

    // In a clean room only the count leaves.
    let clean = dir.path().join("clean");
    let params = Params {
        aggregates_only: true,
        ..Params::default()
    };
    lockstep_detect::detect(
        &[dir.path().join("data")],
        &clean,
        &params,
        &lockstep_detect::Silent,
    )
    .unwrap();
    assert!(!clean.join("accounts.csv").exists());
    let clean_clusters = read_json(&clean.join("clusters.json"));
    let counts: Vec<u64> = clean_clusters["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(c["amplifiers"].as_array().unwrap().is_empty());
            c["amplifier_count"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(counts.iter().sum::<u64>() as usize, amplifiers.len());
    let text = std::fs::read_to_string(clean.join("clusters.json")).unwrap();
    for a in &amplifiers {
        assert!(
            !text.contains(&format!("\"{a}\"")),
            "{a} named in a clean room"
        );
    }
}

#[test]
fn no_amplifiers_with_the_stage_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut sc = scenario(8);
    sc.accounts = 6_000;
    lockstep_sim::simulate(&sc, dir.path()).unwrap();
    let case = dir.path().join("case");
    let params = Params {
        amplifier_fdr: lockstep_detect::Fdr(None),
        ..Params::default()
    };
    lockstep_detect::detect(
        &[dir.path().join("data")],
        &case,
        &params,
        &lockstep_detect::Silent,
    )
    .unwrap();
    let accounts = std::fs::read_to_string(case.join("accounts.csv")).unwrap();
    assert!(!accounts.contains(",amplifier,"));
}
