//! The cohort stage on small synthetic cases: a briefed cohort posting a campaign's tag in a
//! few hours on campaign days is found; genuine supporters who post the same tags on their own
//! clock over the weeks, and the thousands who use a popular tag, are not.

use lockstep_cohort::{amplifiers, binomial_tail, discrete_bh, find_windows, CohortParams, MARGIN};
use lockstep_graph::Cluster;
use lockstep_ingest::{ingest, IngestParams, Ingested};
use lockstep_trace::LayerKind;
use std::fmt::Write as _;
use std::path::PathBuf;

const START: i64 = 1_730_419_200; // 2024-11-01T00:00:00Z
const DAY: i64 = 86_400;
const DAYS: i64 = 30;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    /// A time on `day` between 07:00 and 23:00 UTC.
    fn daytime(&mut self, day: i64) -> i64 {
        START + day * DAY + 7 * 3600 + self.below(16 * 3600) as i64
    }
}

struct Case {
    _dir: tempfile::TempDir,
    ingested: Ingested,
}

/// Lockstep NDJSON text, ingested from a file of its own.
fn ingested(text: String) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("posts.ndjson");
    std::fs::write(&path, text).unwrap();
    let layers = LayerKind::DEFAULT;
    let ip = IngestParams {
        memory: None,
        layers: &layers,
        annotate: None,
        limits: Default::default(),
    };
    let (ingested, _) = ingest(
        &[PathBuf::from(&path)],
        &ip,
        &lockstep_core::progress::Silent,
        &mut |_| {},
    )
    .unwrap();
    Case {
        _dir: dir,
        ingested,
    }
}

/// Posts as lockstep NDJSON: `(account, time, hashtags)`.
fn case(posts: &[(String, i64, Vec<&str>)]) -> Case {
    let mut text = String::new();
    for (i, (account, time, tags)) in posts.iter().enumerate() {
        let tags: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
        writeln!(
            text,
            r#"{{"id":"p{i}","account":"{account}","time":{time},"hashtags":[{}]}}"#,
            tags.join(",")
        )
        .unwrap();
    }
    ingested(text)
}

fn cluster_of(ing: &Ingested, names: &[String]) -> Cluster {
    let mut members: Vec<u32> = (0..ing.table.n_accounts() as u32)
        .filter(|&a| names.iter().any(|n| n == ing.table.account_name(a)))
        .collect();
    members.sort_unstable();
    Cluster {
        id: 1,
        members,
        internal_edges: Vec::new(),
        evidence: 0.0,
    }
}

/// The world: organic accounts with ordinary tags (and `popular`, used by most of them over
/// the weeks), a core cluster tagging `marker`, supporters who tag `marker` and `brief`
/// on their own clock, and a briefed cohort posting `brief` on three campaign days within
/// four hours.
struct World {
    posts: Vec<(String, i64, Vec<&'static str>)>,
    core: Vec<String>,
    cohort: Vec<String>,
    supporters: Vec<String>,
    popular: Vec<String>,
}

fn world(seed: u64, core_uses_popular: bool) -> World {
    let mut rng = Rng(seed);
    let mut w = World {
        posts: Vec::new(),
        core: (0..20).map(|i| format!("core{i}")).collect(),
        cohort: (0..30).map(|i| format!("creator{i}")).collect(),
        supporters: (0..60).map(|i| format!("fan{i}")).collect(),
        popular: Vec::new(),
    };
    const ORDINARY: [&str; 6] = ["food", "gym", "travel", "music", "cars", "pets"];
    for i in 0..1500 {
        let name = format!("user{i}");
        for day in 0..DAYS {
            for _ in 0..rng.below(3) {
                let t = rng.daytime(day);
                let mut tags = vec![ORDINARY[rng.below(6) as usize]];
                if i < 1200 && rng.chance(0.3) {
                    tags.push("popular");
                }
                w.posts.push((name.clone(), t, tags));
            }
        }
        if i < 1200 {
            w.popular.push(name);
        }
    }
    for name in &w.core {
        for day in 0..DAYS {
            let t = rng.daytime(day);
            let mut tags = vec!["marker"];
            if core_uses_popular {
                tags.push("popular");
            }
            w.posts.push((name.clone(), t, tags));
        }
    }
    for name in &w.supporters {
        for day in 0..DAYS {
            if rng.chance(0.8) {
                let t = rng.daytime(day);
                w.posts
                    .push((name.clone(), t, vec![ORDINARY[rng.below(6) as usize]]));
            }
            if rng.chance(0.5) {
                let t = rng.daytime(day);
                w.posts.push((name.clone(), t, vec!["marker", "brief"]));
            }
        }
    }
    let campaign_days = [9, 15, 22];
    for name in &w.cohort {
        for day in 0..DAYS {
            if rng.chance(0.8) {
                let t = rng.daytime(day);
                w.posts
                    .push((name.clone(), t, vec![ORDINARY[rng.below(6) as usize]]));
            }
        }
        for day in campaign_days {
            if rng.chance(0.8) {
                let t = START + day * DAY + 14 * 3600 + rng.below(4 * 3600) as i64;
                w.posts.push((name.clone(), t, vec!["brief", "food"]));
            }
        }
    }
    w
}

fn flagged(w: &World, c: &Case) -> Vec<String> {
    let cluster = cluster_of(&c.ingested, &w.core);
    let found = amplifiers(&c.ingested, &[cluster], &CohortParams::default());
    found
        .amplifiers
        .iter()
        .map(|a| c.ingested.table.account_name(a.account).to_string())
        .collect()
}

#[test]
fn a_briefed_cohort_is_found_and_supporters_on_their_own_clock_are_not() {
    let w = world(7, false);
    let c = case(&w.posts);
    let cluster = cluster_of(&c.ingested, &w.core);
    let found = amplifiers(&c.ingested, &[cluster], &CohortParams::default());
    let names: Vec<String> = found
        .amplifiers
        .iter()
        .map(|a| c.ingested.table.account_name(a.account).to_string())
        .collect();
    // `brief` is the campaign's trace though the core never uses it: it is tagged beside the
    // core's marker; its windows are the campaign days' afternoons.
    let brief = found
        .traces
        .iter()
        .find(|t| t.trace == "hashtag:brief")
        .expect("brief is a campaign trace");
    assert!(!brief.own);
    let window_days: Vec<i64> = brief
        .windows
        .iter()
        .map(|w| (w.0 / 1000 - START).div_euclid(DAY))
        .collect();
    assert!(
        [9, 15, 22].iter().all(|d| window_days.contains(d)),
        "{:?}",
        brief.windows
    );
    let cohort = names.iter().filter(|n| w.cohort.contains(n)).count();
    assert!(
        cohort * 10 >= w.cohort.len() * 7,
        "{cohort} of the cohort: {names:?}"
    );
    let fans = names.iter().filter(|n| w.supporters.contains(n)).count();
    let fan_findings: Vec<_> = found
        .amplifiers
        .iter()
        .filter(|a| {
            w.supporters
                .iter()
                .any(|n| n == c.ingested.table.account_name(a.account))
        })
        .collect();
    assert_eq!(fans, 0, "supporters flagged: {fan_findings:?}");
    assert!(names.iter().all(|n| w.cohort.contains(n)), "{names:?}");
    // Every amplifier's reasons: the trace, two campaign days or more, far above its clock.
    for a in &found.amplifiers {
        assert_eq!(a.traces, ["hashtag:brief"]);
        assert!(a.days.len() >= 2);
        assert!(f64::from(a.in_windows) > 3.0 * a.expected);
        assert!(a.q_value <= 0.05 && a.p_value <= a.q_value);
    }
}

#[test]
fn a_popular_tag_adopted_by_thousands_is_no_cohort() {
    // The core tags `popular` in every post too; 1,200 organic accounts use it over the
    // weeks. It is not the cluster's trace, has no windows, and none of them is flagged.
    let w = world(11, true);
    let c = case(&w.posts);
    let cluster = cluster_of(&c.ingested, &w.core);
    let found = amplifiers(&c.ingested, &[cluster], &CohortParams::default());
    assert!(found
        .traces
        .iter()
        .all(|t| t.trace != "hashtag:popular" || t.windows.is_empty()));
    let names = flagged(&w, &c);
    assert!(names.iter().all(|n| !w.popular.contains(n)), "{names:?}");
}

#[test]
fn the_result_is_the_same_whatever_the_input_order() {
    let w = world(3, false);
    let mut reversed = w.posts.clone();
    reversed.reverse();
    let a = case(&w.posts);
    let b = case(&reversed);
    assert_eq!(flagged(&w, &a), flagged(&w, &b));
    let ca = cluster_of(&a.ingested, &w.core);
    let cb = cluster_of(&b.ingested, &w.core);
    let fa = amplifiers(&a.ingested, &[ca], &CohortParams::default());
    let fb = amplifiers(&b.ingested, &[cb], &CohortParams::default());
    assert_eq!(fa, fb);
}

#[test]
fn windows_are_bursts_not_steady_use() {
    // Two traces over 10 days of flat activity: one used steadily by ~20 accounts an hour,
    // one with the same steady use plus 90 adopters in three hours of day 6.
    let hours = 240;
    let activity = vec![1000u64; hours];
    let day_of_hour: Vec<usize> = (0..hours).map(|h| h / 24).collect();
    let mut rng = Rng(5);
    let steady: Vec<u32> = (0..hours).map(|_| 15 + rng.below(11) as u32).collect();
    let mut burst = steady.clone();
    for k in &mut burst[6 * 24 + 14..6 * 24 + 17] {
        *k += 30;
    }
    let (w, _) = find_windows(
        &[steady, burst],
        &activity,
        &day_of_hour,
        &CohortParams::default(),
        |_, _, _| 100,
    );
    assert!(w[0].is_empty(), "{:?}", w[0]);
    assert!(
        (6 * 24 + 14..6 * 24 + 17).all(|h| w[1].contains(&h)),
        "{:?}",
        w[1]
    );
    // The burst, at most an hour of the scan beside it, and the margin either side: never
    // the steady hours around.
    let (lo, hi) = (6 * 24 + 14 - 1 - MARGIN, 6 * 24 + 17 + 1 + MARGIN);
    assert!(w[1].iter().all(|h| (lo..hi).contains(h)), "{:?}", w[1]);
    assert!(w[1].len() <= 3 + 1 + 2 * MARGIN, "{:?}", w[1]);
    // A creator posting in the hour either side of the burst posts in its window.
    assert!(
        w[1].contains(&(6 * 24 + 13)) && w[1].contains(&(6 * 24 + 17)),
        "{:?}",
        w[1]
    );
}

#[test]
fn the_binomial_tail() {
    assert_eq!(binomial_tail(5, 0, 0.3), 1.0);
    assert!((binomial_tail(2, 2, 0.1) - 0.01).abs() < 1e-12);
    assert!((binomial_tail(3, 2, 0.5) - 0.5).abs() < 1e-12);
    assert!((binomial_tail(10, 1, 0.1) - (1.0 - 0.9f64.powi(10))).abs() < 1e-12);
    assert_eq!(binomial_tail(3, 4, 0.5), 0.0);
}

#[test]
fn the_discrete_step_up_spends_nothing_on_tests_that_cannot_be_small() {
    // One strong test among 1,000 that can give nothing below 0.5: plain BH would multiply
    // its p-value by 1,000; the discrete step-up barely at all.
    let mut ps = vec![1e-4];
    let mut support = vec![vec![1e-4, 0.2]];
    for _ in 0..1000 {
        ps.push(1.0);
        support.push(vec![0.5]);
    }
    let q = discrete_bh(&ps, &support);
    assert!(q[0] < 2e-4, "{}", q[0]);
    // Uniform continuous-like tests: the same as BH.
    let ps: Vec<f64> = (1..=100).map(|k| k as f64 / 100.0 * 0.5).collect();
    let support: Vec<Vec<f64>> = (0..100)
        .map(|_| (1..10_000).map(|k| k as f64 / 10_000.0).collect())
        .collect();
    let q = discrete_bh(&ps, &support);
    assert!(q[0] > 0.4, "{}", q[0]);
}

/// Posts as lockstep NDJSON: `(account, time, sound)`.
fn sound_case(posts: &[(String, i64, String)]) -> Case {
    let mut text = String::new();
    for (i, (account, time, sound)) in posts.iter().enumerate() {
        writeln!(
            text,
            r#"{{"id":"s{i}","account":"{account}","time":{time},"sound":"{sound}"}}"#
        )
        .unwrap();
    }
    ingested(text)
}

#[test]
fn accounts_that_execute_the_cores_orders_are_executors_and_late_fans_are_not() {
    // The core posts six sounds of its own, each within two hours on one day: its orders.
    // Ten accounts with organic histories post four of them while the core does (executors);
    // forty fans post the same sounds days later, on their own clock, and thirty accounts
    // post one order in its span once; 1,000 organic accounts post from 300 common sounds.
    let mut rng = Rng(17);
    let mut posts: Vec<(String, i64, String)> = Vec::new();
    let core: Vec<String> = (0..20).map(|i| format!("core{i}")).collect();
    let executors: Vec<String> = (0..10).map(|i| format!("exec{i}")).collect();
    let fans: Vec<String> = (0..40).map(|i| format!("fan{i}")).collect();
    let once: Vec<String> = (0..30).map(|i| format!("once{i}")).collect();
    let order_days = [4i64, 9, 13, 18, 22, 27];
    let order_at = |day: i64| START + day * DAY + 15 * 3600;
    for (k, &day) in order_days.iter().enumerate() {
        for name in &core {
            let t = order_at(day) + rng.below(2 * 3600) as i64;
            posts.push((name.clone(), t, format!("order{k}")));
        }
    }
    let organic = |rng: &mut Rng, name: &str, posts: &mut Vec<(String, i64, String)>| {
        for day in 0..DAYS {
            for _ in 0..rng.below(3) {
                let t = rng.daytime(day);
                posts.push((name.to_string(), t, format!("common{}", rng.below(300))));
            }
        }
    };
    for i in 0..1000 {
        organic(&mut rng, &format!("user{i}"), &mut posts);
    }
    for (i, name) in executors.iter().enumerate() {
        organic(&mut rng, name, &mut posts);
        for k in 0..4 {
            let k = (i + k) % order_days.len();
            let t = order_at(order_days[k]) + rng.below(2 * 3600) as i64;
            posts.push((name.clone(), t, format!("order{k}")));
        }
    }
    for name in &fans {
        organic(&mut rng, name, &mut posts);
        for (k, &day) in order_days.iter().enumerate() {
            if rng.chance(0.5) {
                let t = rng.daytime(day + 2);
                posts.push((name.clone(), t, format!("order{k}")));
            }
        }
    }
    for (i, name) in once.iter().enumerate() {
        organic(&mut rng, name, &mut posts);
        let k = i % order_days.len();
        let t = order_at(order_days[k]) + rng.below(2 * 3600) as i64;
        posts.push((name.clone(), t, format!("order{k}")));
    }
    let c = sound_case(&posts);
    let cluster = cluster_of(&c.ingested, &core);
    let found = amplifiers(&c.ingested, &[cluster], &CohortParams::default());
    let names: Vec<&str> = found
        .amplifiers
        .iter()
        .map(|a| c.ingested.table.account_name(a.account))
        .collect();
    assert!(
        names.iter().all(|n| executors.iter().any(|e| e == n)),
        "{names:?}"
    );
    assert!(names.len() >= 8, "{names:?}");
    for a in &found.amplifiers {
        assert_eq!(a.kind, lockstep_cohort::AmplifierKind::Executor);
        // Four executed; those just outside the core's own span of use do not count.
        assert!((2..=4).contains(&a.in_windows), "{a:?}");
        assert_eq!(a.traces.len(), a.in_windows as usize);
        assert!(a.traces.iter().all(|t| t.starts_with("sound:order")));
        assert!(f64::from(a.in_windows) > 3.0 * a.expected);
        // The discrete step-up can give q below p: most pairs cannot reach so small a p.
        assert!(a.q_value <= 0.05 && a.p_value <= 0.05, "{a:?}");
    }
}

#[test]
fn a_brief_posted_over_four_hours_is_one_window_not_its_peak_hour() {
    // Steady use of ~20 an hour; on day 6 a cohort adds 12 an hour for four hours and 10
    // more in its busiest hour. No hour but the peak is far in excess alone; the four hours
    // together are the strongest interval, and all of them are the window.
    let hours = 240;
    let activity = vec![1000u64; hours];
    let day_of_hour: Vec<usize> = (0..hours).map(|h| h / 24).collect();
    let mut rng = Rng(9);
    let mut burst: Vec<u32> = (0..hours).map(|_| 15 + rng.below(11) as u32).collect();
    let start = 6 * 24 + 14;
    for k in &mut burst[start..start + 4] {
        *k += 12;
    }
    burst[start + 1] += 10;
    let (w, _) = find_windows(
        &[burst],
        &activity,
        &day_of_hour,
        &CohortParams::default(),
        |_, _, _| 100,
    );
    assert!((start..start + 4).all(|h| w[0].contains(&h)), "{:?}", w[0]);
    assert!(w[0].len() <= 6, "{:?}", w[0]);
}
