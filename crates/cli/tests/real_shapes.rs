//! What real data and hostile users do that the simulator does not: duplicated files and
//! records, minute-stamped archives, data that starts mid-campaign, repeated self-shares,
//! files renamed and reordered, names meant for spreadsheets, case folders rerun, shared,
//! interrupted and pointed at their own inputs. Each test runs the binary on a small sample
//! of the real shape.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lockstep(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

fn ok(cwd: &Path, args: &[&str]) -> Output {
    let out = lockstep(cwd, args);
    assert!(
        out.status.success(),
        "lockstep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(name)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The outputs that carry results (the manifest and report also name the inputs).
const RESULTS: [&str; 6] = [
    "accounts.csv",
    "clusters.json",
    "edges.csv",
    "graph.gexf",
    "graph.graphml",
    "self_amplification.csv",
];

/// The results of two cases are the same. Evidence posts say where they were read
/// (`source`): that names the files, so it is left out of the comparison.
fn same_results(a: &Path, b: &Path) {
    for f in RESULTS {
        if f == "clusters.json" {
            let strip = |p: &Path| {
                let mut v = json(p);
                for c in v["clusters"].as_array_mut().unwrap() {
                    for e in c["evidence"].as_array_mut().unwrap() {
                        e.as_object_mut().unwrap().remove("source");
                    }
                }
                v
            };
            assert_eq!(strip(&a.join(f)), strip(&b.join(f)), "{f} differs");
        } else {
            assert!(read(&a.join(f)) == read(&b.join(f)), "{f} differs");
        }
    }
}

fn gunzip(from: &Path, to: &Path) {
    use std::io::Read;
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(from).unwrap())
        .read_to_end(&mut text)
        .unwrap();
    std::fs::write(to, text).unwrap();
}

/// Lines of a lockstep NDJSON file, one per event.
fn ndjson(events: &[serde_json::Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

#[test]
fn duplicate_files_and_records_do_not_manufacture_coordination() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gz = testdata("russian_coord_tweets.csv.gz");
    std::fs::create_dir(d.join("once")).unwrap();
    std::fs::copy(&gz, d.join("once/x.csv.gz")).unwrap();
    // The same data twice: byte-identical copies, and the same records uncompressed.
    std::fs::create_dir(d.join("twice")).unwrap();
    std::fs::copy(&gz, d.join("twice/x.csv.gz")).unwrap();
    std::fs::copy(&gz, d.join("twice/copy.csv.gz")).unwrap();
    gunzip(&gz, &d.join("twice/x.csv"));
    ok(d, &["detect", "once", "--out", "case-once", "-q"]);
    let out = ok(d, &["detect", "twice", "--out", "case-twice", "-q"]);
    same_results(&d.join("case-once"), &d.join("case-twice"));
    let m = json(&d.join("case-twice/manifest.json"));
    let inputs = m["inputs"].as_array().unwrap();
    let by = |name: &str| {
        inputs
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    // copy.csv.gz sorts first: x.csv.gz has its bytes and is read once.
    assert_eq!(by("x.csv.gz")["same_as"], "twice/copy.csv.gz");
    assert_eq!(by("x.csv.gz")["read"], 0);
    let (copy, plain) = (by("copy.csv.gz"), by("x.csv"));
    // One record is repeated inside the file itself; every record of the plain copy repeats.
    assert_eq!(copy["duplicates"], 1);
    assert_eq!(plain["duplicates"], plain["read"]);
    for i in [&copy, &plain] {
        let n = |k: &str| i[k].as_u64().unwrap();
        assert_eq!(
            n("read"),
            n("accepted") + n("quarantined") + n("duplicates")
        );
    }
    let warn = String::from_utf8_lossy(&out.stderr);
    assert!(
        warn.contains("read once") && warn.contains("records repeat"),
        "{warn}"
    );
}

#[test]
fn one_post_id_with_two_contents_is_quarantined_with_both_places() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = |id: &str, text: &str| {
        serde_json::json!({"id": id, "account": "ana", "time": "2024-11-11T10:00:00Z",
                           "platform": "tiktok", "text": text})
    };
    std::fs::write(
        d.join("a.ndjson"),
        ndjson(&[e("1", "first"), e("2", "kept")]),
    )
    .unwrap();
    std::fs::write(d.join("b.ndjson"), ndjson(&[e("1", "edited")])).unwrap();
    ok(
        d,
        &["detect", "a.ndjson", "b.ndjson", "--out", "case", "-q"],
    );
    let q: Vec<serde_json::Value> = read(&d.join("case/quarantine.ndjson"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(q.len(), 2, "{q:?}");
    let reasons: Vec<&str> = q.iter().map(|x| x["reason"].as_str().unwrap()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("b.ndjson:1")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("a.ndjson:1")),
        "{reasons:?}"
    );
    let m = json(&d.join("case/manifest.json"));
    assert_eq!(m["counts"]["accepted"], 1);
    assert_eq!(m["counts"]["quarantined"], 2);
}

/// An X Information Operations archive stamped to the minute: four accounts retweet six
/// different tweets, each in one minute.
fn minute_archive(dir: &Path) {
    let mut csv = String::from(
        "tweetid,userid,tweet_text,tweet_time,is_retweet,retweet_tweetid,in_reply_to_tweetid,hashtags,urls,user_mentions\n",
    );
    let mut id = 1000;
    for t in 0..6 {
        // Tweets an hour apart, so the six are six bursts, not one.
        let time = format!("2019-01-0{} {:02}:{:02}", 1 + t / 3, 9 + t, 7 * t % 60);
        for u in 0..4 {
            id += 1;
            csv.push_str(&format!("{id},u{u},RT,{time},True,{},,[],[],[]\n", 900 + t));
        }
    }
    // Background: other accounts each retweeting something of their own.
    for b in 0..400 {
        id += 1;
        let time = format!("2019-01-0{} {:02}:{:02}", 1 + b % 3, b % 24, b % 60);
        csv.push_str(&format!(
            "{id},b{b},RT,{time},True,{},,[],[],[]\n",
            5000 + b
        ));
    }
    std::fs::write(dir.join("archive.csv"), csv).unwrap();
}

#[test]
fn minute_stamps_keep_distinct_co_actions_and_say_how_the_window_applies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    minute_archive(d);
    let out = ok(d, &["detect", "archive.csv", "--out", "case"]);
    let edges = read(&d.join("case/edges.csv"));
    let rows: Vec<&str> = edges.lines().skip(1).collect();
    assert_eq!(rows.len(), 6, "the four accounts pairwise:\n{edges}");
    for r in &rows {
        let co: u32 = r.split(',').nth(3).unwrap().parse().unwrap();
        assert_eq!(co, 6, "six different co-retweets, each in one minute: {r}");
    }
    let m = json(&d.join("case/manifest.json"));
    assert_eq!(m["inputs"][0]["time_resolution_ms"], 60_000);
    assert_eq!(m["windows"]["resolution_ms"], 60_000);
    assert_eq!(
        m["windows"]["window_ms"], 0,
        "60 s window on minute stamps: same minute"
    );
    let warn = String::from_utf8_lossy(&out.stderr);
    assert!(warn.contains("whole minutes"), "{warn}");
}

/// A coordinated group posting the same link within seconds, every day of the data.
fn link_group(dir: &Path, first_day: u32, days: u32) {
    let mut events = Vec::new();
    for day in first_day..first_day + days {
        for k in 0..3 {
            for a in 0..6 {
                events.push(serde_json::json!({
                    "id": format!("p{day}-{k}-{a}"), "account": format!("acct{a}"),
                    "time": format!("2024-11-{day:02}T{:02}:00:{:02}Z", 8 + 4 * k, 5 * a),
                    "platform": "x", "urls": [format!("https://ex.ro/{day}/{k}")],
                }));
            }
        }
        // Background accounts posting links of their own.
        for b in 0..60 {
            events.push(serde_json::json!({
                "id": format!("b{day}-{b}"), "account": format!("bg{b}"),
                "time": format!("2024-11-{day:02}T{:02}:{:02}:00Z", b % 24, b % 60),
                "platform": "x", "urls": [format!("https://other.ro/{day}/{b}")],
            }));
        }
    }
    std::fs::write(dir.join("posts.ndjson"), ndjson(&events)).unwrap();
}

#[test]
fn a_cohort_at_the_start_of_the_data_is_censored_not_a_sleeper_network() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    link_group(d, 10, 6);
    ok(d, &["detect", "posts.ndjson", "--out", "case", "-q"]);
    let clusters = json(&d.join("case/clusters.json"));
    let c = &clusters["clusters"][0];
    assert_eq!(c["size"], 6, "{c}");
    assert_eq!(c["activation"]["date"], "2024-11-10");
    assert_eq!(c["activation"]["censored"], true);
    let kinds: Vec<&str> = c["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"activation_cohort"), "{kinds:?}");
    // Evidence is distinct posts, each with where it was read.
    let ids: Vec<&str> = c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(ids.len(), distinct.len(), "{ids:?}");
    assert!(c["evidence"][0]["source"]["line"].as_u64().unwrap() >= 1);
    assert_eq!(c["evidence"][0]["source"]["file"], "posts.ndjson");
}

#[test]
fn results_do_not_depend_on_file_names_or_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gunzip(&testdata("russian_coord_tweets.csv.gz"), &d.join("all.csv"));
    let text = read(&d.join("all.csv"));
    let (header, rows) = text.split_once('\n').unwrap();
    let rows: Vec<&str> = rows.lines().collect();
    // The same records split in three, named so the order of files differs, rows reversed.
    for (dirname, names) in [
        ("a", ["1.csv", "2.csv", "3.csv"]),
        ("b", ["z.csv", "m.csv", "a.csv"]),
    ] {
        std::fs::create_dir(d.join(dirname)).unwrap();
        for (k, name) in names.iter().enumerate() {
            let mut part: Vec<&str> = rows.iter().skip(k).step_by(3).copied().collect();
            if dirname == "b" {
                part.reverse();
            }
            std::fs::write(
                d.join(dirname).join(name),
                format!("{header}\n{}\n", part.join("\n")),
            )
            .unwrap();
        }
    }
    for (dirname, case) in [("a", "case-a"), ("b", "case-b")] {
        ok(
            d,
            &["detect", dirname, "--out", case, "-q", "--window", "600"],
        );
    }
    ok(
        d,
        &[
            "detect", "all.csv", "--out", "case-all", "-q", "--window", "600",
        ],
    );
    same_results(&d.join("case-a"), &d.join("case-b"));
    same_results(&d.join("case-a"), &d.join("case-all"));
    assert!(read(&d.join("case-a/edges.csv")).lines().count() > 100);
}

#[test]
fn a_looser_fdr_never_hides_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(testdata("russian_coord_tweets.csv.gz"), d.join("x.csv.gz")).unwrap();
    let members = |case: &str| -> Vec<Vec<String>> {
        json(&d.join(case).join("clusters.json"))["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| serde_json::from_value(c["members"].clone()).unwrap())
            .collect()
    };
    ok(
        d,
        &[
            "detect", "x.csv.gz", "--out", "strict", "-q", "--window", "600",
        ],
    );
    ok(
        d,
        &[
            "detect", "x.csv.gz", "--out", "loose", "-q", "--window", "600", "--fdr", "off",
        ],
    );
    let (strict, loose) = (members("strict"), members("loose"));
    assert!(strict.len() >= 3, "{strict:?}");
    for s in &strict {
        assert!(
            loose.iter().any(|l| s.iter().all(|m| l.contains(m))),
            "strict cluster {s:?} is hidden by --fdr off"
        );
    }
    // Fewer edges kept, but every cluster the loose run shows contains one the strict run
    // does or is one: the loose run adds network edges, not clusters out of thin air.
    assert!(
        read(&d.join("loose/edges.csv")).lines().count()
            > read(&d.join("strict/edges.csv")).lines().count()
    );
}

#[test]
fn re_sharing_one_post_again_and_again_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut events = Vec::new();
    for k in 0..8 {
        events.push(serde_json::json!({
            "id": format!("s{k}"), "account": "loud", "kind": "share", "parent": "p1",
            "time": format!("2024-11-11T10:0{k}:00Z"), "platform": "x",
        }));
    }
    events.push(
        serde_json::json!({"id": "other", "account": "quiet", "kind": "share",
        "parent": "p1", "time": "2024-11-11T12:00:00Z", "platform": "x"}),
    );
    std::fs::write(d.join("shares.ndjson"), ndjson(&events)).unwrap();
    let out = ok(d, &["detect", "shares.ndjson", "--out", "case"]);
    let rows: Vec<String> = read(&d.join("case/self_amplification.csv"))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        rows,
        [
            "account,cluster,post,shares,first,last",
            "loud,,p1,8,2024-11-11T10:00:00Z,2024-11-11T10:07:00Z"
        ]
    );
    // Nothing found: the run says why.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no cluster:"), "{text}");
}

#[test]
fn names_for_spreadsheets_are_guarded_on_request_and_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut events = Vec::new();
    for day in 1..7 {
        for k in 0..3 {
            for (a, name) in ["=cmd|' /C calc'!A0", "+sum", "@ann", "plain", "-neg"]
                .iter()
                .enumerate()
            {
                events.push(serde_json::json!({
                    "id": format!("{day}-{k}-{a}"), "account": name, "platform": "x",
                    "time": format!("2024-11-0{day}T{:02}:00:0{a}Z", 8 + 4 * k),
                    "urls": [format!("https://ex.ro/{day}/{k}")],
                }));
            }
        }
        for b in 0..60 {
            events.push(serde_json::json!({
                "id": format!("b{day}-{b}"), "account": format!("bg{b}"), "platform": "x",
                "time": format!("2024-11-0{day}T{:02}:{:02}:00Z", b % 24, b % 60),
                "urls": [format!("https://other.ro/{day}/{b}")],
            }));
        }
    }
    std::fs::write(d.join("n.ndjson"), ndjson(&events)).unwrap();
    let plain = ok(d, &["detect", "n.ndjson", "--out", "exact", "-q"]);
    assert!(String::from_utf8_lossy(&plain.stderr).contains("--spreadsheet-safe"));
    ok(
        d,
        &[
            "detect",
            "n.ndjson",
            "--out",
            "safe",
            "-q",
            "--spreadsheet-safe",
        ],
    );
    let exact = read(&d.join("exact/accounts.csv"));
    let safe = read(&d.join("safe/accounts.csv"));
    assert!(
        exact.lines().any(|l| l.starts_with("=cmd|' /C calc'!A0,")),
        "{exact}"
    );
    assert!(
        safe.lines().any(|l| l.starts_with("'=cmd|' /C calc'!A0,")),
        "{safe}"
    );
    assert!(safe.lines().any(|l| l.starts_with("'+sum,")), "{safe}");
    assert!(safe.lines().any(|l| l.starts_with("plain,")), "{safe}");
    assert!(read(&d.join("safe/edges.csv")).contains("'@ann"));
}

#[cfg(unix)]
#[test]
fn case_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    link_group(d, 10, 3);
    let status = Command::new("sh")
        .current_dir(d)
        .arg("-c")
        .arg(format!(
            "umask 022 && exec {} detect posts.ndjson --out case -q",
            env!("CARGO_BIN_EXE_lockstep")
        ))
        .status()
        .unwrap();
    assert!(status.success());
    for f in ["accounts.csv", "manifest.json", "report.html", "edges.csv"] {
        let mode = std::fs::metadata(d.join("case").join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{f}");
    }
}

#[test]
fn the_case_folder_is_replaced_whole_or_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    link_group(d, 10, 3);
    ok(d, &["detect", "posts.ndjson", "--out", "case", "-q"]);
    let before = read(&d.join("case/manifest.json"));
    // A rerun that fails (an input of no known shape) leaves the old case as it was.
    std::fs::write(d.join("bad.csv"), "colour,size\nred,3\n").unwrap();
    let failed = lockstep(
        d,
        &["detect", "posts.ndjson", "bad.csv", "--out", "case", "-q"],
    );
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(read(&d.join("case/manifest.json")), before);
    ok(d, &["verify", "case"]);
    // What a killed run leaves (its staging folder) is removed by the next run.
    std::fs::create_dir(d.join(".case.lockstep-staging")).unwrap();
    std::fs::write(d.join(".case.lockstep-staging/.lockstep-x.tmp"), "half").unwrap();
    ok(d, &["detect", "posts.ndjson", "--out", "case", "-q"]);
    assert!(!d.join(".case.lockstep-staging").exists());
    // A folder of other files is not a case and is not replaced; nor is an input folder.
    let r = lockstep(d, &["detect", "posts.ndjson", "--out", ".", "-q"]);
    assert_eq!(
        r.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    std::fs::create_dir(d.join("data")).unwrap();
    std::fs::copy(d.join("posts.ndjson"), d.join("data/posts.ndjson")).unwrap();
    let r = lockstep(d, &["detect", "data", "--out", "data", "-q"]);
    assert_eq!(
        r.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(d.join("data/posts.ndjson").exists());
    // An earlier case inside the input folder is passed over, not read as input.
    ok(d, &["detect", "data", "--out", "data/case", "-q"]);
    // ... and a rerun into it is fine too (it replaces the case, not the input folder).
    ok(d, &["detect", "data", "--out", "data/case", "-q"]);
    assert!(d.join("data/posts.ndjson").exists());
    let out = ok(d, &["detect", "data", "--out", "case2", "-q"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("an output of the earlier case"));
    same_results(&d.join("data/case"), &d.join("case2"));
}

#[test]
fn a_missing_watchlist_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    link_group(d, 10, 2);
    let r = lockstep(
        d,
        &[
            "detect",
            "posts.ndjson",
            "--out",
            "case",
            "--watchlist",
            "no.toml",
        ],
    );
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no.toml"));
    let r = lockstep(
        d,
        &[
            "detect",
            "posts.ndjson",
            "--out",
            "case",
            "--max-crowd",
            "1",
        ],
    );
    assert_eq!(r.status.code(), Some(2), "no silent clamping");
}

#[test]
fn german_elections_live_tweeting_and_repeated_rows_make_no_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(testdata("german_elections.csv.gz"), d.join("g.csv.gz")).unwrap();
    ok(d, &["detect", "g.csv.gz", "--out", "case", "-q"]);
    let m = json(&d.join("case/manifest.json"));
    // 24,177 rows of this dataset repeat an earlier row exactly.
    assert_eq!(m["inputs"][0]["duplicates"], 24_177);
    let clusters = json(&d.join("case/clusters.json"));
    for c in clusters["clusters"].as_array().unwrap() {
        // hashtags:49333 is the tag 29 accounts live-tweeted on the three TV-debate nights
        // (one burst per night): it made a cluster before bursts counted once.
        let top = c["top_traces"][0]["trace"].as_str().unwrap();
        assert_ne!(top, "hashtags:49333", "{}", c["members"]);
    }
    assert!(clusters["clusters"].as_array().unwrap().len() >= 10);
}

#[test]
fn accounts_stay_distinct_per_platform_and_clusters_can_span_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut events = Vec::new();
    // The same link posted within seconds by three TikTok and three X accounts; two of them
    // share the name `ana`.
    for day in 10..16 {
        for k in 0..3 {
            for (a, (platform, name)) in [
                ("tiktok", "ana"),
                ("tiktok", "bo"),
                ("tiktok", "cy"),
                ("x", "ana"),
                ("x", "dee"),
                ("x", "eve"),
            ]
            .iter()
            .enumerate()
            {
                events.push(serde_json::json!({
                    "id": format!("{platform}-{day}-{k}-{a}"), "account": name, "platform": platform,
                    "time": format!("2024-11-{day}T{:02}:00:{:02}Z", 8 + 4 * k, 3 * a),
                    "urls": [format!("https://ex.ro/{day}/{k}")],
                }));
            }
        }
        for b in 0..60 {
            events.push(serde_json::json!({
                "id": format!("b{day}-{b}"), "account": format!("bg{b}"),
                "platform": if b % 2 == 0 { "tiktok" } else { "x" },
                "time": format!("2024-11-{day}T{:02}:{:02}:00Z", b % 24, b % 60),
                "urls": [format!("https://other.ro/{day}/{b}")],
            }));
        }
    }
    std::fs::write(d.join("both.ndjson"), ndjson(&events)).unwrap();
    ok(d, &["detect", "both.ndjson", "--out", "case", "-q"]);
    let clusters = json(&d.join("case/clusters.json"));
    let c = &clusters["clusters"][0];
    assert_eq!(c["size"], 6, "{c}");
    let members: Vec<&str> = c["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        members.contains(&"tiktok:ana") && members.contains(&"x:ana"),
        "{members:?}"
    );
    let cross = c["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "cross_platform")
        .expect("a cross-platform signal");
    assert_eq!(
        cross["text"],
        "cross-platform: members on tiktok (3), x (3)"
    );
}

#[test]
fn clusters_say_who_leads_how_fast_and_rank_by_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // acct0 posts first, the others 5, 10, … 25 s after it.
    link_group(d, 10, 6);
    ok(d, &["detect", "posts.ndjson", "--out", "case", "-q"]);
    let c = json(&d.join("case/clusters.json"))["clusters"][0].clone();
    assert_eq!(c["leaders"][0]["account"], "acct0", "{}", c["leaders"]);
    assert_eq!(c["leaders"][0]["followed"], 0);
    assert!(c["signals"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["kind"] == "leader" && s["account"] == "acct0"));
    // Neighbours in the order (5 s apart) are fast; the ends (25 s) are not.
    assert!(c["fast"]["members"].as_u64().unwrap() == 6, "{}", c["fast"]);
    let lag = c["lag_s"].as_array().unwrap();
    assert!(lag[0].as_f64().unwrap() <= lag[1].as_f64().unwrap());
    assert!(
        c["score"].as_f64().unwrap() > 10.0,
        "evidence {}",
        c["score"]
    );
    let edges = read(&d.join("case/edges.csv"));
    let header = edges.lines().next().unwrap();
    assert!(header.ends_with(",source_first,target_first,fast_co_actions,activity_ratio"));
    let row = edges
        .lines()
        .find(|l| l.starts_with("acct0,acct1,"))
        .expect("an edge acct0–acct1");
    let cells: Vec<&str> = row.split(',').collect();
    let co: u32 = cells[3].parse().unwrap();
    assert_eq!(
        cells[12].parse::<u32>().unwrap(),
        co,
        "acct0 always first: {row}"
    );
    assert_eq!(cells[13], "0");
    assert_eq!(cells[14].parse::<u32>().unwrap(), co, "5 s apart: all fast");
}

#[test]
fn records_that_are_not_actions_are_passed_over_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../read/tests/samples");
    for f in ["telegram_channel.json", "bluesky_jetstream.jsonl"] {
        std::fs::copy(samples.join(f), d.join(f)).unwrap();
    }
    let out = ok(d, &["detect", ".", "--out", "case"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "telegram_channel.json: passed over records that are not actions (service message: 2"
        ),
        "{text}"
    );
    let m = json(&d.join("case/manifest.json"));
    let inputs = m["inputs"].as_array().unwrap();
    let tg = inputs
        .iter()
        .find(|i| i["format"] == "telegram-json")
        .unwrap();
    assert_eq!(tg["skipped"]["service message"], 2);
    let bsky = inputs
        .iter()
        .find(|i| i["format"] == "bluesky-jetstream")
        .unwrap();
    assert_eq!(bsky["skipped"]["delete"], 1);
    assert_eq!(
        bsky["read"].as_u64().unwrap(),
        bsky["accepted"].as_u64().unwrap() + bsky["quarantined"].as_u64().unwrap(),
        "skipped records are not read records"
    );
}
