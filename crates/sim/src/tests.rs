//! End-to-end checks on generated files: format, determinism, and that each planted behaviour
//! and hard negative has the shape it is supposed to have.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

/// Runs simulations one at a time, so the timing test measures a run, not the test harness's
/// parallelism on a 2-core machine.
fn run(scenario: &Scenario, dir: &Path) -> Result<SimSummary, SimError> {
    Ok(timed(scenario, dir)?.0)
}

fn timed(scenario: &Scenario, dir: &Path) -> Result<(SimSummary, Duration), SimError> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let summary = simulate(scenario, dir)?;
    Ok((summary, started.elapsed()))
}

struct Video {
    id: u64,
    username: String,
    time: i64,
    text: String,
    tags: Vec<String>,
    music: u64,
    views: u64,
}

struct Comment {
    account: String,
    time: i64,
    parent: String,
    parent_account: String,
}

struct Data {
    scenario: Scenario,
    summary: SimSummary,
    videos: Vec<Video>,
    comments: Vec<Comment>,
    /// account → (campaign, role)
    truth: HashMap<String, (String, String)>,
    truth_rows: usize,
}

impl Data {
    fn role(&self, account: &str) -> &str {
        &self.truth[account].1
    }
    fn videos_of_role<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a Video> + 'a {
        self.videos
            .iter()
            .filter(move |v| self.role(&v.username) == role)
    }
}

fn small(accounts: usize, seed: u64) -> Scenario {
    Scenario {
        accounts,
        seed,
        ..Scenario::romania_2024()
    }
}

fn read(dir: &Path, scenario: Scenario, summary: SimSummary) -> Data {
    let mut videos = Vec::new();
    let text = std::fs::read_to_string(dir.join("data/videos.jsonl")).unwrap();
    for line in text.lines() {
        let page: Value = serde_json::from_str(line).unwrap();
        for v in page["data"]["videos"].as_array().unwrap() {
            videos.push(Video {
                id: v["id"].as_u64().unwrap(),
                username: v["username"].as_str().unwrap().to_string(),
                time: v["create_time"].as_i64().unwrap(),
                text: v["video_description"].as_str().unwrap().to_string(),
                tags: v["hashtag_names"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect(),
                music: v["music_id"].as_u64().unwrap(),
                views: v["view_count"].as_u64().unwrap(),
            });
        }
    }
    let mut comments = Vec::new();
    let text = std::fs::read_to_string(dir.join("data/comments.ndjson")).unwrap();
    for line in text.lines() {
        let c: Value = serde_json::from_str(line).unwrap();
        comments.push(Comment {
            account: c["account"].as_str().unwrap().to_string(),
            time: lockstep_core::parse_time_ms(c["time"].as_str().unwrap()).unwrap() / 1000,
            parent: c["parent"].as_str().unwrap().to_string(),
            parent_account: c["parent_account"].as_str().unwrap().to_string(),
        });
    }
    let text = std::fs::read_to_string(dir.join("truth.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("account,campaign,role"));
    let mut truth = HashMap::new();
    let mut rows = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 3, "{line}");
        truth.insert(f[0].to_string(), (f[1].to_string(), f[2].to_string()));
        rows += 1;
    }
    Data {
        scenario,
        summary,
        videos,
        comments,
        truth,
        truth_rows: rows,
    }
}

/// One 4,000-account default run shared by the behaviour tests.
fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let scenario = small(4000, 11);
        let summary = run(&scenario, dir.path()).unwrap();
        read(dir.path(), scenario, summary)
    })
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    [
        "data/videos.jsonl",
        "data/comments.ndjson",
        "truth.csv",
        "scenario.toml",
    ]
    .iter()
    .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap()))
    .collect()
}

fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    run(&small(1500, 5), a.path()).unwrap();
    run(&small(1500, 5), b.path()).unwrap();
    run(&small(1500, 6), c.path()).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(!x.is_empty(), "{name} is empty");
        assert_eq!(hash(x), hash(y), "{name} differs between identical runs");
    }
    for ((name, x), (_, z)) in fa.iter().zip(&fc).take(3) {
        assert_ne!(hash(x), hash(z), "{name} ignores the seed");
    }
}

#[test]
fn gzip_holds_the_same_bytes() {
    use std::io::Read;
    let (plain, gz) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(&small(800, 3), plain.path()).unwrap();
    let zipped = Scenario {
        gzip: true,
        ..small(800, 3)
    };
    let summary = run(&zipped, gz.path()).unwrap();
    assert!(summary.files.contains(&"data/videos.jsonl.gz".to_string()));
    for name in ["videos.jsonl", "comments.ndjson"] {
        let mut unzipped = Vec::new();
        let file = std::fs::File::open(gz.path().join(format!("data/{name}.gz"))).unwrap();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(
            unzipped,
            std::fs::read(plain.path().join("data").join(name)).unwrap()
        );
    }
}

#[test]
fn video_pages_follow_the_research_api() {
    let dir = tempfile::tempdir().unwrap();
    let sc = small(1000, 2);
    let summary = run(&sc, dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("data/videos.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, summary.pages);
    let mut ids = HashSet::new();
    let mut cursor = 0;
    for (k, line) in lines.iter().enumerate() {
        let page: Value = serde_json::from_str(line).unwrap();
        assert_eq!(page["error"]["code"], "ok");
        assert!(page["error"]["log_id"].is_string());
        let data = &page["data"];
        assert_eq!(data["search_id"], "sim-2");
        assert_eq!(data["has_more"], k + 1 < lines.len());
        let videos = data["videos"].as_array().unwrap();
        assert!(!videos.is_empty() && videos.len() <= 100);
        cursor += videos.len() as u64;
        assert_eq!(data["cursor"].as_u64(), Some(cursor));
        for v in videos {
            assert!(ids.insert(v["id"].as_i64().expect("id is an int64")));
            let t = v["create_time"].as_i64().unwrap();
            assert!(t >= sc.start.0 && t < sc.end.0, "{t}");
            for field in ["username", "video_description", "region_code"] {
                assert!(v[field].is_string(), "{field}: {v}");
            }
            for field in ["music_id", "view_count", "like_count", "comment_count"] {
                assert!(v[field].is_u64(), "{field}: {v}");
            }
            assert!(v["share_count"].is_u64() && v["video_duration"].is_u64());
            assert!(v["video_mention_list"].is_array());
            let description = v["video_description"].as_str().unwrap().to_lowercase();
            for tag in v["hashtag_names"].as_array().unwrap() {
                let tag = tag.as_str().unwrap();
                assert_eq!(tag, tag.to_lowercase());
                assert!(
                    description.contains(&format!("#{tag}")),
                    "{tag} in {description}"
                );
            }
        }
    }
    assert_eq!(cursor, summary.videos);
}

#[test]
fn comments_point_at_earlier_videos_of_their_authors() {
    let d = data();
    let dir = tempfile::tempdir().unwrap();
    run(&small(600, 9), dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("data/comments.ndjson")).unwrap();
    let mut ids = HashSet::new();
    for line in text.lines() {
        let c: Value = serde_json::from_str(line).unwrap();
        assert!(ids.insert(c["id"].as_str().unwrap().to_string()));
        assert_eq!(c["kind"], "comment");
        assert_eq!(c["platform"], "tiktok");
        for field in ["account", "time", "text", "parent", "parent_account"] {
            assert!(c[field].is_string(), "{field}: {c}");
        }
    }
    assert!(!ids.is_empty());
    let videos: HashMap<String, &Video> = d.videos.iter().map(|v| (v.id.to_string(), v)).collect();
    for c in &d.comments {
        let v = videos.get(&c.parent).expect("parent video exists");
        assert_eq!(v.username, c.parent_account);
        assert!(c.time > v.time && c.time < d.scenario.end.0);
    }
    let share = d.comments.len() as f64 / (d.comments.len() + d.videos.len()) as f64;
    assert!(
        share > 0.15 && share < 0.5,
        "comments are a minority: {share}"
    );
}

#[test]
fn truth_lists_every_account_in_the_data_once() {
    let d = data();
    let mut seen: HashSet<&str> = d.videos.iter().map(|v| v.username.as_str()).collect();
    seen.extend(d.comments.iter().map(|c| c.account.as_str()));
    assert_eq!(d.truth_rows, d.truth.len(), "an account is listed twice");
    let listed: HashSet<&str> = d.truth.keys().map(String::as_str).collect();
    assert_eq!(seen, listed);
    assert_eq!(d.summary.accounts, d.truth_rows);
    let per_account = (d.videos.len() + d.comments.len()) as f64 / d.truth_rows as f64;
    assert!(
        (12.0..30.0).contains(&per_account),
        "{per_account} events per account"
    );
}

#[test]
fn campaign_sizes_match_the_knobs() {
    let d = data();
    let mut members: HashMap<&str, usize> = HashMap::new();
    for (campaign, _) in d.truth.values() {
        *members.entry(campaign.as_str()).or_default() += 1;
    }
    for (name, size) in d.scenario.campaign_sizes() {
        assert_eq!(members.get(name).copied().unwrap_or(0), size, "{name}");
    }
    assert_eq!(d.scenario.campaign_sizes()[0].1, 160); // 4% of 4,000
    let organic = members[""] as f64 / d.truth_rows as f64;
    assert!(organic > 0.92 && organic < 0.96, "{organic}");
    for role in ["trend", "viral_sound", "challenge", "volunteer"] {
        let n = d.truth.values().filter(|(_, r)| r == role).count();
        assert!(n > 20, "{role}: {n}");
    }
}

#[test]
fn sleepers_wake_up_on_activation() {
    let d = data();
    let activation = d.scenario.activation.0;
    let sleepers: Vec<&String> = d
        .truth
        .iter()
        .filter(|(_, (_, r))| r == "sleeper")
        .map(|(a, _)| a)
        .collect();
    assert!(sleepers.len() >= 20);
    let (mut before, mut after) = (0, 0);
    let mut per_sleeper: HashMap<&str, usize> = HashMap::new();
    for v in d.videos_of_role("sleeper") {
        if v.time < activation {
            before += 1;
        } else {
            after += 1;
            *per_sleeper.entry(v.username.as_str()).or_default() += 1;
        }
    }
    let n = sleepers.len() as f64;
    assert!(
        (before as f64) / n < 0.2,
        "{before} posts before activation"
    );
    assert!((after as f64) / n > 10.0, "{after} posts after activation");
    assert_eq!(per_sleeper.len(), sleepers.len(), "every sleeper wakes up");
}

/// Word sets with case, diacritics, emoji and hashtags folded away.
fn words(text: &str) -> HashSet<String> {
    text::strip_diacritics(&text.to_lowercase())
        .split_whitespace()
        .filter(|w| !w.starts_with('#'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    a.intersection(b).count() as f64 / a.union(b).count().max(1) as f64
}

/// Videos of `role` grouped by shared sound and kept within `window` seconds of the group's
/// median time: one group (of at least `min`) per order or wave.
fn waves<'a>(d: &'a Data, role: &'a str, window: i64, min: usize) -> Vec<Vec<&'a Video>> {
    let mut by_sound: HashMap<u64, Vec<&Video>> = HashMap::new();
    for v in d.videos_of_role(role) {
        by_sound.entry(v.music).or_default().push(v);
    }
    by_sound
        .into_values()
        .map(|mut g| {
            g.sort_by_key(|v| v.time);
            let median = g[g.len() / 2].time;
            g.retain(|v| (v.time - median).abs() <= window);
            g
        })
        .filter(|g| g.len() >= min)
        .collect()
}

#[test]
fn copypasta_waves_are_identical() {
    let d = data();
    let waves = waves(d, "bot", 60, 3);
    assert!(waves.len() >= 10, "{} waves", waves.len());
    for g in waves {
        assert!(g.iter().all(|v| v.text == g[0].text && v.tags == g[0].tags));
        assert!(g[g.len() - 1].time - g[0].time <= 60);
    }
}

#[test]
fn network_orders_are_near_duplicates_not_copies() {
    let d = data();
    let (mut orders, mut marked, mut posts) = (0, 0, 0);
    for role in ["sleeper", "new", "amplifier"] {
        for g in waves(d, role, 900, 8) {
            orders += 1;
            let sets: Vec<HashSet<String>> = g.iter().map(|v| words(&v.text)).collect();
            // The most typical caption stands in for the order's template.
            let centre = (0..sets.len())
                .max_by(|&a, &b| {
                    let score = |i: usize| sets.iter().map(|s| jaccard(&sets[i], s)).sum::<f64>();
                    score(a).total_cmp(&score(b))
                })
                .unwrap();
            let close = sets
                .iter()
                .filter(|s| jaccard(&sets[centre], s) >= 0.6)
                .count();
            assert!(
                close as f64 >= 0.95 * sets.len() as f64,
                "order not near-duplicate"
            );
            let distinct: HashSet<&str> = g.iter().map(|v| v.text.as_str()).collect();
            assert!(
                distinct.len() > g.len() / 2,
                "captions barely edited: {distinct:?}"
            );
            marked += g
                .iter()
                .filter(|v| v.tags.contains(&"cg11".to_string()))
                .count();
            posts += g.len();
        }
    }
    assert!(orders >= 30, "{orders} orders found");
    assert!(
        marked as f64 > 0.9 * posts as f64,
        "marker on {marked} of {posts} order posts"
    );
}

#[test]
fn comment_flood_lands_within_seconds() {
    let d = data();
    let times: HashMap<String, i64> = d
        .videos
        .iter()
        .map(|v| (v.id.to_string(), v.time))
        .collect();
    let mut delays: Vec<i64> = d
        .comments
        .iter()
        .filter(|c| d.role(&c.account) == "commenter")
        .map(|c| c.time - times[&c.parent])
        .collect();
    assert!(delays.len() > 500, "{}", delays.len());
    delays.sort_unstable();
    assert!(
        delays[0] >= 1 && delays[delays.len() - 1] <= 600,
        "{delays:?}"
    );
    assert!(
        delays[delays.len() / 2] <= 20,
        "median {}",
        delays[delays.len() / 2]
    );
    let flood_posts = d.videos_of_role("commenter").count();
    assert_eq!(flood_posts, 0, "comment-only accounts post no videos");
}

#[test]
fn trending_hashtags_burst_within_an_hour_or_two() {
    let d = data();
    for tag in negatives::event_tags(d.scenario.trend.events) {
        let mut times: Vec<i64> = d
            .videos
            .iter()
            .filter(|v| v.tags.contains(&tag))
            .map(|v| v.time)
            .collect();
        assert!(times.len() >= 20, "{tag}: {}", times.len());
        times.sort_unstable();
        let median = times[times.len() / 2];
        let near = times
            .iter()
            .filter(|&&t| (t - median).abs() <= 3600)
            .count();
        assert!(
            near as f64 >= 0.85 * times.len() as f64,
            "{tag}: {near}/{}",
            times.len()
        );
        let posters: HashSet<&str> = d
            .videos
            .iter()
            .filter(|v| v.tags.contains(&tag))
            .map(|v| d.role(&v.username))
            .collect();
        assert!(posters
            .iter()
            .all(|r| d.truth.values().any(|(c, role)| role == r && c.is_empty())));
    }
}

#[test]
fn challenges_are_templates_spread_over_days() {
    let d = data();
    let mut by_sound: HashMap<u64, Vec<&Video>> = HashMap::new();
    for v in d.videos_of_role("challenge") {
        by_sound.entry(v.music).or_default().push(v);
    }
    let (_, big) = by_sound.into_iter().max_by_key(|(_, g)| g.len()).unwrap();
    let days: HashSet<i64> = big.iter().map(|v| v.time / 86_400).collect();
    assert!(days.len() >= 3, "challenge spread over {} days", days.len());
}

#[test]
fn partial_toml_overrides_only_what_it_names() {
    let text = r#"
seed = 7
accounts = 1234
activation = 2024-11-12T00:00:00Z

[network]
participation = 0.3

[trend]
intensity = 2.0
participants_max = 500
"#;
    let sc = Scenario::from_toml_str(text).unwrap();
    let mut expected = Scenario::romania_2024();
    expected.seed = 7;
    expected.accounts = 1234;
    expected.activation = Timestamp::parse("2024-11-12").unwrap();
    expected.network.participation = 0.3;
    expected.trend.intensity = 2.0;
    expected.trend.participants_max = Size::Count(500);
    assert_eq!(sc, expected);
    assert!(Scenario::from_toml_str("[network]\nparticpation = 0.3").is_err());
    // The written scenario reads back to itself.
    let round = Scenario::from_toml_str(&sc.to_toml().unwrap()).unwrap();
    assert_eq!(round, sc);
}

#[test]
fn defaults_are_the_romanian_calendar() {
    let sc = Scenario::by_name("romania-2024").unwrap();
    assert_eq!(scenario_names(), &["romania-2024", "romania-2024-hard"]);
    let days: Vec<String> = sc.influencer.days.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        days,
        [
            "2024-11-13T00:00:00Z",
            "2024-11-18T00:00:00Z",
            "2024-11-22T00:00:00Z"
        ]
    );
    assert!(!sc.influencer.script, "briefed influencers are the default");
    assert_eq!(sc.start.to_string(), "2024-10-28T00:00:00Z");
    assert_eq!(sc.end.to_string(), "2024-11-24T00:00:00Z");
    assert_eq!(sc.activation.to_string(), "2024-11-11T00:00:00Z");
    assert_eq!(sc.influencer.start.to_string(), "2024-11-13T00:00:00Z");
    assert_eq!(sc.copypasta.start.to_string(), "2024-11-19T00:00:00Z");
    assert_eq!(
        sc.campaign_sizes().map(|(_, n)| n),
        [2000, 1000, 40, 100, 60]
    );
    assert!(Scenario::by_name("nowhere").is_none());
}

#[test]
fn bad_scenarios_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut sc = small(100, 1);
    sc.end = sc.start;
    assert!(run(&sc, dir.path()).is_err());
    let mut sc = small(100, 1);
    sc.network.size = Size::Count(500);
    assert!(run(&sc, dir.path()).is_err());
    let mut sc = small(100, 1);
    sc.smear.target = "nobody".into();
    assert!(run(&sc, dir.path()).is_err());
    let mut sc = small(100, 1);
    sc.network.size = Size::Fraction(40.0);
    assert!(run(&sc, dir.path()).is_err());
}

#[test]
fn errors_name_the_file_and_have_a_kind() {
    use lockstep_core::ErrorKind;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.toml");
    let e = Scenario::from_toml_file(&missing).unwrap_err();
    assert!(matches!(e, SimError::ReadScenario { .. }), "{e}");
    assert!(
        e.to_string().starts_with(&missing.display().to_string()),
        "{e}"
    );
    assert_eq!(e.kind(), ErrorKind::Config);
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[network]\nparticpation = 0.3\n").unwrap();
    let e = Scenario::from_toml_file(&bad).unwrap_err();
    assert!(matches!(e, SimError::ParseScenario { .. }), "{e}");
    assert!(e.to_string().starts_with(&bad.display().to_string()), "{e}");
    assert!(e.to_string().contains("particpation"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Config);
    let mut sc = small(100, 1);
    sc.smear.target = "nobody".into();
    let e = sc.validate().unwrap_err();
    assert!(e.to_string().contains("smear.target"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(
        Timestamp::parse("soon").unwrap_err().kind(),
        ErrorKind::Config
    );
    // An output folder under a plain file cannot be created.
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let out = file.join("out");
    let e = run(&small(100, 1), &out).unwrap_err();
    assert!(matches!(e, SimError::Io { .. }), "{e}");
    assert!(e.to_string().starts_with(&out.display().to_string()), "{e}");
    assert_eq!(e.kind(), ErrorKind::Io);
}

/// `cargo test --release -p lockstep-sim -- --ignored --nocapture` prints the default run.
#[test]
#[ignore]
fn default_scenario_timing() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, took) = timed(&Scenario::romania_2024(), dir.path()).unwrap();
    let size = |f: &str| {
        std::fs::metadata(dir.path().join(f))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    println!("{}", serde_json::to_string_pretty(&summary).unwrap());
    println!(
        "took {took:.2?}; videos.jsonl {} MB, comments.ndjson {} MB",
        size("data/videos.jsonl") >> 20,
        size("data/comments.ndjson") >> 20
    );
}

/// A 3,000-account default run with enough creators and supporters to measure them.
fn briefed() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut scenario = small(3000, 21);
        scenario.influencer.size = Size::Count(40);
        scenario.supporter.size = Size::Count(60);
        let summary = run(&scenario, dir.path()).unwrap();
        read(dir.path(), scenario, summary)
    })
}

fn accounts_of_role<'a>(d: &'a Data, role: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = d
        .truth
        .iter()
        .filter(|(_, (_, r))| r == role)
        .map(|(a, _)| a.as_str())
        .collect();
    v.sort_unstable();
    v
}

fn day_of(d: &Data, t: i64) -> i64 {
    (t - d.scenario.start.0).div_euclid(86_400)
}

fn campaign_days(d: &Data) -> Vec<i64> {
    let days = &d.scenario.influencer.days;
    days.iter().map(|t| day_of(d, t.0)).collect()
}

fn has_tag(v: &Video, tag: &str) -> bool {
    v.tags.iter().any(|t| t == tag)
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// The influencers' campaign posts (those with the campaign hashtag).
fn campaign_posts(d: &Data) -> Vec<&Video> {
    let tag = &d.scenario.influencer.hashtag;
    d.videos_of_role("influencer")
        .filter(|v| has_tag(v, tag))
        .collect()
}

#[test]
fn influencers_have_ordinary_histories() {
    let d = briefed();
    let tag = &d.scenario.influencer.hashtag;
    let creators = accounts_of_role(d, "influencer");
    assert_eq!(creators.len(), 40);
    let first_day = campaign_days(d)[0];
    let niche_tags: HashSet<&str> = influencer::niche_tags().into_iter().collect();
    let mut in_niche = 0;
    for c in &creators {
        let ordinary: Vec<&Video> = d
            .videos
            .iter()
            .filter(|v| v.username == *c && !has_tag(v, tag))
            .collect();
        let days: HashSet<i64> = ordinary.iter().map(|v| day_of(d, v.time)).collect();
        let before = days.iter().filter(|&&x| x < first_day).count();
        assert!(
            ordinary.len() >= 5 && days.len() >= 4 && before >= 2,
            "{c}: {} ordinary posts on {} days, {before} days before the campaign",
            ordinary.len(),
            days.len()
        );
        let niche_posts = ordinary
            .iter()
            .filter(|v| v.tags.iter().any(|t| niche_tags.contains(t.as_str())))
            .count();
        in_niche += usize::from(niche_posts * 4 >= ordinary.len());
    }
    assert!(
        in_niche >= creators.len() * 3 / 4,
        "{in_niche} of {} creators keep to their niche",
        creators.len()
    );
    // Their reach is a creator's: views far above an ordinary account's.
    let creator_views = d.videos_of_role("influencer").map(|v| v.views).collect();
    let organic_views = d.videos_of_role("organic").map(|v| v.views).collect();
    let (c, o) = (median(creator_views), median(organic_views));
    assert!(c > 5 * o, "creators' median views {c}, organic {o}");
}

#[test]
fn influencers_post_on_the_campaign_days_within_hours() {
    let d = briefed();
    let inf = &d.scenario.influencer;
    let days = campaign_days(d);
    let posts = campaign_posts(d);
    assert!(posts.len() >= 60, "{} campaign posts", posts.len());
    let offset = d.scenario.utc_offset_hours * 3600;
    let window = (inf.post_window_hours * 3600.0) as i64;
    let mut per_day: HashMap<i64, Vec<&Video>> = HashMap::new();
    for v in &posts {
        let day = day_of(d, v.time);
        assert!(days.contains(&day), "campaign post on day {day}");
        per_day.entry(day).or_default().push(v);
    }
    assert_eq!(per_day.len(), days.len(), "every campaign day has posts");
    for (day, group) in &per_day {
        let first = group.iter().map(|v| v.time).min().unwrap();
        let last = group.iter().map(|v| v.time).max().unwrap();
        assert!(
            last - first < window,
            "day {day}: posts span {} s",
            last - first
        );
        // Spread over the window, not a burst: each creator at their own time.
        assert!(
            last - first > window / 2,
            "day {day}: posts span only {} s",
            last - first
        );
        let local_hour = |t: i64| ((t + offset).rem_euclid(86_400)) as f64 / 3600.0;
        assert!(local_hour(first) >= inf.open_hour_min, "{day}");
        assert!(
            local_hour(last) <= inf.open_hour_max + inf.post_window_hours,
            "{day}"
        );
        let authors: HashSet<&str> = group.iter().map(|v| v.username.as_str()).collect();
        assert_eq!(
            authors.len(),
            group.len(),
            "day {day}: one post per creator"
        );
        // The brief never names the candidate: no candidate tag.
        assert!(group.iter().all(|v| !has_tag(v, "calingeorgescu")));
    }
}

#[test]
fn influencer_participation_is_partial() {
    let d = briefed();
    let inf = &d.scenario.influencer;
    let creators = accounts_of_role(d, "influencer");
    let n = creators.len();
    let posts = campaign_posts(d);
    let mut days_per_creator: HashMap<&str, usize> = HashMap::new();
    let mut per_day: HashMap<i64, usize> = HashMap::new();
    for v in &posts {
        *days_per_creator.entry(v.username.as_str()).or_default() += 1;
        *per_day.entry(day_of(d, v.time)).or_default() += 1;
    }
    for (day, k) in &per_day {
        assert!(*k < n && *k * 2 > n, "day {day}: {k} of {n} creators");
    }
    let share = posts.len() as f64 / (n * inf.days.len()) as f64;
    assert!(
        (inf.participation - 0.15..=inf.participation + 0.15).contains(&share),
        "participation {share}"
    );
    let missed = creators
        .iter()
        .filter(|c| days_per_creator.get(*c).copied().unwrap_or(0) < inf.days.len())
        .count();
    assert!(missed >= n / 4, "{missed} of {n} creators skipped a day");
}

/// Word-bigram shingles as the text layer computes them.
fn shingles(text: &str) -> Vec<u64> {
    lockstep_text::shingles(text, 4)
}

/// Near-duplicate families (at the detector's default similarity) that join two accounts.
fn linked_accounts(posts: &[&Video]) -> usize {
    let mut arena = lockstep_core::StrArena::default();
    for v in posts {
        arena.push(&v.text);
    }
    let fam = lockstep_text::families(&arena, 0.5, 4);
    let mut authors: HashMap<u32, HashSet<&str>> = HashMap::new();
    for (i, root) in fam.root.iter().enumerate() {
        if let Some(r) = root {
            authors
                .entry(*r)
                .or_default()
                .insert(posts[i].username.as_str());
        }
    }
    authors.values().filter(|a| a.len() > 1).count()
}

#[test]
fn influencer_captions_are_their_own_not_a_script() {
    let d = briefed();
    let posts = campaign_posts(d);
    let sets: Vec<Vec<u64>> = posts.iter().map(|v| shingles(&v.text)).collect();
    let (mut pairs, mut sum, mut max) = (0usize, 0.0, 0.0f64);
    for i in 0..posts.len() {
        for j in i + 1..posts.len() {
            if posts[i].username == posts[j].username {
                continue;
            }
            let s = lockstep_text::jaccard(&sets[i], &sets[j]);
            pairs += 1;
            sum += s;
            max = max.max(s);
        }
    }
    assert!(
        max < 0.5,
        "two creators' captions are near-duplicates: {max}"
    );
    assert!(
        sum / (pairs as f64) < 0.1,
        "mean bigram Jaccard {}",
        sum / pairs as f64
    );
    assert_eq!(linked_accounts(&posts), 0, "a text family links creators");
    // Yet they carry the campaign's message: the tagline's words are in most of them.
    let tagline = posts
        .iter()
        .filter(|v| text::strip_diacritics(&v.text.to_lowercase()).contains("verticalitate"))
        .count();
    assert!(
        tagline * 2 > posts.len(),
        "{tagline} of {} name the message",
        posts.len()
    );
}

#[test]
fn scripted_influencers_stay_available() {
    let dir = tempfile::tempdir().unwrap();
    let mut sc = Scenario::from_toml_str(
        "accounts = 3000\nseed = 21\n[influencer]\nscript = true\nsize = 40\n",
    )
    .unwrap();
    assert!(sc.influencer.script);
    sc.supporter.size = Size::Count(0);
    let summary = run(&sc, dir.path()).unwrap();
    let d = read(dir.path(), sc, summary);
    let posts = campaign_posts(&d);
    assert!(posts.len() >= 60, "{}", posts.len());
    // One shared script per brief: text families join many creators.
    assert!(linked_accounts(&posts) >= 2, "scripts should link creators");
    let days: HashSet<i64> = posts.iter().map(|v| day_of(&d, v.time)).collect();
    assert!(days.len() >= 4, "briefs spread over the period: {days:?}");
}

#[test]
fn supporters_use_the_campaign_tags_on_their_own_clock() {
    let d = briefed();
    let tag = &d.scenario.influencer.hashtag;
    let marker = &d.scenario.network.marker;
    let supporters = accounts_of_role(d, "supporter");
    assert_eq!(supporters.len(), 60);
    let tagged: Vec<&Video> = d
        .videos_of_role("supporter")
        .filter(|v| has_tag(v, tag))
        .collect();
    let users: HashSet<&str> = tagged.iter().map(|v| v.username.as_str()).collect();
    assert!(
        users.len() * 4 >= supporters.len() * 3,
        "{} use the tag",
        users.len()
    );
    assert!(d.videos_of_role("supporter").any(|v| has_tag(v, marker)));
    let link = &d.scenario.supporter.link;
    assert!(d
        .videos_of_role("supporter")
        .any(|v| v.text.contains(link.as_str())));
    // Spread over the weeks: most days, and the campaign days are no busier than others.
    let days: HashSet<i64> = tagged.iter().map(|v| day_of(d, v.time)).collect();
    assert!(
        days.len() * 4 >= d.summary.days * 3,
        "tag used on {} days",
        days.len()
    );
    let campaign = campaign_days(d);
    let on_campaign_days = tagged
        .iter()
        .filter(|v| campaign.contains(&day_of(d, v.time)))
        .count();
    let expected = tagged.len() as f64 * campaign.len() as f64 / d.summary.days as f64;
    assert!(
        (on_campaign_days as f64) < 2.0 * expected,
        "{on_campaign_days} tag posts on campaign days, {expected:.0} expected by chance"
    );
    // Supporters are organic accounts in the truth.
    assert!(supporters.iter().all(|s| d.truth[*s].0.is_empty()));
}

#[test]
fn hard_scenario_personalises_orders_and_delays_them_long() {
    // The network's waves: in the hard scenario captions drift further from the order and
    // executions spread over far more time.
    let stats = |sc: Scenario| {
        let dir = tempfile::tempdir().unwrap();
        let summary = run(&sc, dir.path()).unwrap();
        let d = read(dir.path(), sc, summary);
        let (mut late, mut posts, mut close, mut pairs) = (0usize, 0usize, 0usize, 0usize);
        for role in ["sleeper", "new", "amplifier"] {
            for g in waves(&d, role, 12 * 3600, 8) {
                let first = g.iter().map(|v| v.time).min().unwrap();
                late += g.iter().filter(|v| v.time - first > 600).count();
                posts += g.len();
                let sets: Vec<Vec<u64>> = g.iter().map(|v| shingles(&v.text)).collect();
                for i in 0..sets.len() {
                    for j in i + 1..sets.len() {
                        pairs += 1;
                        close += usize::from(lockstep_text::jaccard(&sets[i], &sets[j]) >= 0.5);
                    }
                }
            }
        }
        (late as f64 / posts as f64, close as f64 / pairs as f64)
    };
    let base = stats(small(2500, 31));
    let hard = stats(Scenario {
        accounts: 2500,
        seed: 31,
        ..Scenario::romania_2024_hard()
    });
    assert!(
        base.0 < 0.1,
        "default: {:.3} of executions 10 min late",
        base.0
    );
    assert!(
        hard.0 > 0.2,
        "hard: only {:.3} of executions 10 min late",
        hard.0
    );
    assert!(
        base.1 > 0.6 && hard.1 < 0.1,
        "near-duplicate pairs within orders: hard {:.3}, default {:.3}",
        hard.1,
        base.1
    );
}

#[test]
fn hard_scenario_is_deterministic_and_named() {
    let hard = Scenario::by_name("romania-2024-hard").unwrap();
    assert_eq!(hard.name, "romania-2024-hard");
    assert!(
        hard.supporter.size.resolve(50_000)
            >= 4 * Scenario::default().supporter.size.resolve(50_000)
    );
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sc = Scenario {
        accounts: 1200,
        seed: 4,
        ..hard
    };
    run(&sc, a.path()).unwrap();
    run(&sc, b.path()).unwrap();
    for ((name, x), (_, y)) in files(a.path()).iter().zip(&files(b.path())) {
        assert_eq!(hash(x), hash(y), "{name} differs between identical runs");
    }
    // The written scenario reads back to itself.
    let text = std::fs::read_to_string(a.path().join("scenario.toml")).unwrap();
    assert_eq!(Scenario::from_toml_str(&text).unwrap(), sc);
}

#[test]
fn old_influencer_knobs_still_parse() {
    let text = "[influencer]\nstart = 2024-11-13T00:00:00Z\nbriefs = 4\nparticipation = 0.75\nwindow_hours = 24.0\nreach = 30.0\n";
    let sc = Scenario::from_toml_str(text).unwrap();
    assert_eq!(sc.influencer.briefs, 4);
    assert!(!sc.influencer.script);
    assert_eq!(sc.influencer.days, Scenario::default().influencer.days);
    let mut bad = Scenario::default();
    bad.influencer.open_hour_max = 25.0;
    assert!(bad.validate().is_err());
    let mut bad = Scenario::default();
    bad.supporter.candidate = "nobody".into();
    assert!(bad.validate().is_err());
}
