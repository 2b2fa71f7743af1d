//! The peers' real data files in testdata/real (copies of public datasets) must load unchanged.

mod common;

use std::path::PathBuf;

use common::*;
use lockstep_core::Kind;
use lockstep_read::Format;

fn shared(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(name);
    assert!(path.is_file(), "missing test data {}", path.display());
    path
}

#[test]
fn cnt_fixture_with_bom_and_synthetic_times() {
    let r = read(&shared("cnt_coretweet_fixture.csv"));
    assert_eq!(r.file.format, Format::CntCsv);
    assert_eq!((r.file.accepted, r.file.quarantined), (15, 0));
    let accounts: Vec<&str> = r.events.iter().map(|e| e.account.as_str()).collect();
    assert_eq!(
        accounts,
        [
            "uid0", "uid1", "uid2", "uid3", "uid2", "uid3", "uid4", "uid5", "uid4", "uid5",
            "uid10", "uid10", "uid11", "uid12", "uid0"
        ]
    );
    let parents: Vec<&str> = r
        .events
        .iter()
        .map(|e| e.parent.as_deref().unwrap())
        .collect();
    assert_eq!(
        parents,
        [
            "rtid0", "rtid0", "rtid1", "rtid1", "rtid2", "rtid2", "rtid3", "rtid3", "rtid4",
            "rtid4", "rtid5", "rtid5", "rtid6", "rtid6", "rtid0"
        ]
    );
    assert!(r
        .events
        .iter()
        .all(|e| e.kind == Kind::Share && e.platform.is_empty()));
    let times: Vec<i64> = r.events.iter().map(|e| e.time_ms).collect();
    assert_eq!(
        times,
        [0, 59, 60, 70, 70, 131, 30, 89, 40, 41, 42, 52, 42, 300, 1].map(|s| s * 1000)
    );
    // The BOM is not part of the first column's name or the first id.
    assert_eq!(r.events[0].id, "0");
    assert_eq!(r.events[0].text.as_deref(), Some("Example tweet from uid0"));
}

#[test]
fn russian_coord_tweets_all_accepted() {
    let r = read(&shared("russian_coord_tweets.csv.gz"));
    assert_eq!(r.file.format, Format::CoorTweetCsv);
    assert_eq!(
        (r.file.read, r.file.accepted, r.file.quarantined),
        (35_125, 35_125, 0)
    );
    let first = &r.events[0];
    assert_eq!(first.id, "114e22f1b2b648528277b76f0b0224e7");
    assert_eq!(first.account, "0fb4232d1b7b37069c13ee17579bd10e");
    assert_eq!(
        first.parent.as_deref(),
        Some("85d2d12251a735ce05255061f7f231e2")
    );
    assert_eq!(first.time_ms, 1_623_881_091_000);
    assert_eq!(first.kind, Kind::Share);
}

#[test]
fn coortweet_multimodal_german_elections() {
    let r = read(&shared("german_elections.csv.gz"));
    assert_eq!(r.file.format, Format::CoorTweetMultimodalCsv);
    assert_eq!(r.file.read, 218_971);
    // Three rows have no post_id: quarantined with that reason, not dropped.
    assert_eq!(r.file.quarantined, 3);
    assert!(r.bad.iter().all(|q| q.reason == "missing id (post_id)"));
    let with_media = r.events.iter().filter(|e| e.media.is_some()).count();
    let with_url = r
        .events
        .iter()
        .filter(|e| e.urls.first().is_some_and(|u| u.starts_with("id:")))
        .count();
    assert!(
        with_media > 1000 && with_url > 1000,
        "media {with_media}, urls {with_url}"
    );
    let accounts: std::collections::BTreeSet<&str> =
        r.events.iter().map(|e| e.account.as_str()).collect();
    assert_eq!(accounts.len(), 58_314);
}
