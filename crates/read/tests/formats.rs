//! Each format read from a small sample, with exact expected fields and quarantines.

mod common;

use common::*;
use lockstep_core::{Event, Kind};
use lockstep_read::Format;

#[test]
fn tiktok_pretty_page() {
    let r = read_sample("tiktok_page.json");
    assert_eq!(r.file.format, Format::TikTokResearch);
    assert_eq!((r.file.read, r.file.accepted), (3, 2));

    let mut want = Event::new("7436554433221100123", "patriot.ro", T0);
    want.platform = "tiktok".into();
    want.text = Some("Vot #CG11 pentru @calin.georgescu".into());
    want.hashtags = strings(&["cg11", "romania"]);
    want.mentions = strings(&["calin.georgescu"]);
    want.sound = Some("7301234567890123456".into());
    assert_eq!(r.events[0], want);

    // A string id and time; empty hashtag_names: hashtags come from the text.
    let e = &r.events[1];
    assert_eq!(e.id, "7436554433221100999");
    assert_eq!(e.time_ms, T0 + 60_000);
    assert_eq!(e.kind, Kind::Post);
    assert_eq!(e.hashtags, strings(&["CG11", "Romania"]));
    assert!(e.mentions.is_empty());
    assert_eq!(e.urls, strings(&["https://ex.ro/a"]));
    assert_eq!(e.sound.as_deref(), Some("7301234567890123456"));

    // Numbered by the line the video object starts on.
    assert_quarantined(&r.bad, &[(28, "missing time")]);
    assert!(r.bad[0].raw.contains("no_time"));
}

#[test]
fn tiktok_pages_one_per_line() {
    let r = read_sample("tiktok_pages.jsonl");
    assert_eq!(r.file.format, Format::TikTokResearch);
    let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["7436554433221100001", "7436554433221100002"]);
    assert_eq!(r.events[0].hashtags, strings(&["a"]));
    assert_quarantined(
        &r.bad,
        &[(3, "rate_limit_exceeded"), (4, "missing account")],
    );
    assert!(r.bad[0].reason.contains("daily quota reached"));
    // A bad video next to a good one on one page: quarantined alone, with its own text.
    assert_eq!(
        r.bad[1].raw,
        r#"{"id":7436554433221100003,"create_time":1731319202}"#
    );
    // The empty last page counts nothing.
    assert_eq!(r.file.read, 4);
}

#[test]
fn tiktok_videos_one_per_line() {
    let r = read_sample("tiktok_videos.jsonl");
    assert_eq!(r.file.format, Format::TikTokResearch);
    assert_eq!(r.events.len(), 2);
    assert_eq!(r.events[0].id, "7436554433221100010");
    assert_eq!(r.events[0].account, "alpha");
    assert_eq!(r.events[0].mentions, strings(&["bob"]));
    assert_eq!(r.events[0].sound.as_deref(), Some("123"));
    assert_eq!(r.events[1].id, "7436554433221100014");
    assert_eq!(r.events[1].time_ms, T0 + 100_000);
    assert_eq!(r.events[1].text, None);
    assert_quarantined(
        &r.bad,
        &[
            (2, "unparseable JSON"),
            (3, "impossible timestamp"),
            (4, "missing id"),
        ],
    );
    assert_eq!(
        r.bad[0].raw,
        r#"{"id":7436554433221100011,"username":"beta","create_time":17313"#
    );
}

#[test]
fn x_archive_csv() {
    let r = read_sample("x_archive.csv");
    assert_eq!(r.file.format, Format::XArchiveCsv);
    assert_eq!(r.events.len(), 4);

    let mut post = Event::new("1000000000000000001", "u1", 1_546_336_800_000);
    post.platform = "x".into();
    post.text = Some("Hello #Tag1, world https://ex.com/x".into());
    post.hashtags = strings(&["Tag1"]);
    post.urls = strings(&["https://ex.com/x"]);
    post.account_created_ms = Some(1_456_790_400_000); // 2016-03-01
    post.followers = Some(1200);
    assert_eq!(r.events[0], post);

    let rt = &r.events[1];
    assert_eq!(rt.kind, Kind::Share);
    assert_eq!(rt.parent.as_deref(), Some("1000000000000000001"));
    assert_eq!(rt.parent_account.as_deref(), Some("u1"));
    assert_eq!(rt.hashtags, strings(&["Tag1", "Tag2"]));
    assert_eq!(rt.mentions, strings(&["111", "222"]));
    assert_eq!(rt.followers, Some(5));

    let reply = &r.events[2];
    assert_eq!(reply.kind, Kind::Reply);
    assert_eq!(reply.parent.as_deref(), Some("1000000000000000001"));
    assert_eq!(reply.parent_account.as_deref(), Some("u1"));
    assert_eq!(reply.mentions, strings(&["u1"]));
    assert_eq!(reply.followers, None);

    let quote = &r.events[3];
    assert_eq!(quote.kind, Kind::Post);
    assert_eq!(quote.parent, None);
    assert_eq!(
        quote.urls,
        strings(&["https://x.com/i/status/1000000000000000001"])
    );

    assert_quarantined(
        &r.bad,
        &[
            (6, "expected 20 fields, found 4"),
            (7, "missing account"),
            (8, "unparseable time"),
        ],
    );
    assert_eq!(r.bad[0].raw, "1000000000000000005,u2,too,few");
}

#[test]
fn x_archive_tsv() {
    let r = read_sample("x_archive.tsv");
    assert_eq!(r.file.format, Format::XArchiveCsv);
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].account, "u9");
    assert_eq!(r.events[0].text.as_deref(), Some("Tab, separated #tsv"));
    // No hashtags column: taken from the text.
    assert_eq!(r.events[0].hashtags, strings(&["tsv"]));
}

#[test]
fn x_api_v2_response() {
    let r = read_sample("x_v2_response.json");
    assert_eq!(r.file.format, Format::XApiV2);
    assert_eq!(r.events.len(), 4);

    let mut post = Event::new("1850000000000000001", "patriot", T0);
    post.platform = "x".into();
    post.text = Some("Vote #CG11 https://t.co/abc".into());
    post.hashtags = strings(&["CG11"]);
    post.urls = strings(&["https://ex.ro/a", "https://t.co/def"]);
    post.account_created_ms = Some(1_577_836_800_000);
    post.followers = Some(1500);
    assert_eq!(r.events[0], post);

    let rt = &r.events[1];
    assert_eq!((rt.account.as_str(), rt.kind), ("bot99", Kind::Share));
    assert_eq!(rt.parent.as_deref(), Some("1850000000000000001"));
    assert_eq!(rt.mentions, strings(&["patriot"]));
    assert_eq!(rt.followers, Some(3));

    // No entities: taken from the text. The replied-to user is named by username.
    let reply = &r.events[2];
    assert_eq!(reply.kind, Kind::Reply);
    assert_eq!(reply.parent.as_deref(), Some("1850000000000000001"));
    assert_eq!(reply.parent_account.as_deref(), Some("patriot"));
    assert_eq!(reply.mentions, strings(&["patriot"]));
    assert_eq!(reply.hashtags, strings(&["da"]));

    // A quote stays a post and links the quoted tweet; empty entities mean none.
    let quote = &r.events[3];
    assert_eq!((quote.account.as_str(), quote.kind), ("777", Kind::Post));
    assert_eq!(quote.parent, None);
    assert!(quote.hashtags.is_empty());
    assert_eq!(
        quote.urls,
        strings(&["https://x.com/i/status/1850000000000000001"])
    );
    assert_eq!(quote.account_created_ms, None);

    assert_quarantined(&r.bad, &[(89, "impossible timestamp")]);
}

#[test]
fn x_api_v2_lines() {
    let r = read_sample("x_v2_tweets.jsonl");
    assert_eq!(r.file.format, Format::XApiV2);
    assert_eq!(r.events.len(), 2);
    let e = &r.events[0];
    assert_eq!(
        (e.id.as_str(), e.account.as_str()),
        ("1850000000000000010", "42")
    );
    assert_eq!(e.hashtags, strings(&["tag"]));
    assert_eq!(e.mentions, strings(&["who"]));
    assert_eq!(e.urls, strings(&["https://ex.com/p"]));
    assert_eq!(r.events[1].account, "fortythree");
    assert_quarantined(
        &r.bad,
        &[(2, "missing account"), (3, "API error: Not Found Error")],
    );
}

#[test]
fn coortweet_csv() {
    let r = read_sample("coortweet.csv");
    assert_eq!(r.file.format, Format::CoorTweetCsv);
    let mut want = Event::new("c1", "acc1", 1_623_881_091_000);
    want.kind = Kind::Share;
    want.parent = Some("85d2d12251a735ce05255061f7f231e2".into());
    assert_eq!(
        r.events,
        vec![want.clone(), {
            let mut e = want;
            e.id = "c2".into();
            e.account = "acc2".into();
            e.time_ms = 1_623_881_100_000;
            e
        }]
    );
    assert_quarantined(
        &r.bad,
        &[(4, "impossible timestamp"), (5, "missing account")],
    );
}

#[test]
fn cnt_csv() {
    let r = read_sample("cnt.csv");
    assert_eq!(r.file.format, Format::CntCsv);
    assert!(r.bad.is_empty());
    let mut m1 = Event::new("m1", "u1", 1_623_881_091_000);
    m1.text = Some("Hello #tag @bob https://a.example/x".into());
    m1.hashtags = strings(&["tag"]);
    m1.mentions = strings(&["bob"]);
    m1.urls = strings(&["https://a.example/x", "https://b.example/y"]);
    assert_eq!(r.events[0], m1);
    assert_eq!(r.events[1].kind, Kind::Share);
    assert_eq!(r.events[1].parent.as_deref(), Some("m1"));
    assert_eq!(r.events[2].kind, Kind::Reply);
    assert_eq!(r.events[2].parent.as_deref(), Some("m1"));
    assert_eq!(r.events[2].text.as_deref(), Some("reply, with comma"));
    assert!(r.events[2].urls.is_empty());
}

#[test]
fn lockstep_ndjson() {
    let r = read_sample("lockstep.ndjson");
    assert_eq!(r.file.format, Format::LockstepNdjson);
    assert_eq!(r.file.read, 8, "the blank line is not a record");

    let mut first = Event::new("1234567890123456789", "alice", T0);
    first.platform = "tiktok".into();
    first.kind = Kind::Share;
    first.text = Some("go #Vote @bob https://ex.ro/a".into());
    first.hashtags = strings(&["Vote"]);
    first.mentions = strings(&["bob"]);
    first.urls = strings(&["https://ex.ro/a"]);
    first.sound = Some("42".into());
    first.parent = Some("999".into());
    first.parent_account = Some("bob".into());
    first.account_created_ms = Some(1_700_000_000_000);
    first.followers = Some(12);
    assert_eq!(r.events[0], first);

    // Given lists win over the text, with sigils and blanks removed.
    let e = &r.events[1];
    assert_eq!(e.hashtags, strings(&["Vote"]));
    assert_eq!(e.mentions, strings(&["alice"]));
    assert!(e.urls.is_empty());

    assert_eq!(r.events[2].id, "e8");
    assert_eq!(r.events[2].kind, Kind::Comment);
    assert_eq!(r.events[2].time_ms, T0 + 500);

    assert_quarantined(
        &r.bad,
        &[
            (4, "unparseable JSON"),
            (5, "missing account"),
            (6, "impossible timestamp"),
            (7, "unknown kind \"like\""),
            (8, "missing id"),
        ],
    );
    assert_eq!(r.bad[2].raw, r#"{"id":"e5","account":"dave","time":"12"}"#);
    assert!(r.bad.iter().all(|q| q.file.ends_with("lockstep.ndjson")));
}

#[test]
fn lockstep_csv() {
    let r = read_sample("lockstep.csv");
    assert_eq!(r.file.format, Format::LockstepCsv);
    assert_eq!(r.events.len(), 2);

    let mut c1 = Event::new("c1", "alice", T0);
    c1.text = Some("hi, #one @two https://u.example".into());
    c1.hashtags = strings(&["one"]);
    c1.mentions = strings(&["two"]);
    c1.urls = strings(&["https://u.example"]);
    c1.followers = Some(5);
    assert_eq!(r.events[0], c1);

    let c2 = &r.events[1];
    assert_eq!(c2.kind, Kind::Reply);
    assert_eq!(c2.text.as_deref(), Some("re\nsecond line"));
    assert_eq!(c2.hashtags, strings(&["tagA", "tagB"]));
    assert_eq!(
        c2.urls,
        strings(&["https://x.example/1", "https://x.example/2"])
    );
    assert_eq!(c2.mentions, strings(&["alice"]));
    assert_eq!(c2.parent.as_deref(), Some("c1"));

    // Physical line numbers: c2's text spans two lines and a blank line follows.
    assert_quarantined(
        &r.bad,
        &[(6, "expected 10 fields, found 5"), (7, "unknown kind")],
    );
    assert_eq!(r.bad[0].raw, "c3,carol,1731319260,post,too few");
}

#[test]
fn lockstep_media_field_in_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("m.ndjson");
    std::fs::write(
        &json,
        "{\"id\":\"1\",\"account\":\"a\",\"time\":1731319200,\"media\":987654321987654321}\n",
    )
    .unwrap();
    let csv = dir.path().join("m.csv");
    std::fs::write(
        &csv,
        "id,account,time,media\n1,a,2024-11-11T10:00:00Z,phash:ff00\n",
    )
    .unwrap();
    assert_eq!(
        read(&json).events[0].media.as_deref(),
        Some("987654321987654321")
    );
    assert_eq!(read(&csv).events[0].media.as_deref(), Some("phash:ff00"));
}

#[test]
fn x_archive_csv_newer_releases() {
    // The 31-column layout of the 2019–2021 releases: hashed user ids, `True`/`False`,
    // times with and without seconds, Python-repr lists, `absent` coordinates, `0.0` counts.
    let r = read_sample("x_archive_2020.csv");
    assert_eq!(r.file.format, Format::XArchiveCsv);
    let h1 = "ygQRwhQRrh1+6N7J6IMFnzWgqUGimWqg0KZptLpxDY=";
    let h2 = "0OvJRirnL32w7blCoMRthk30yPlXapfIPFac4Eyje0k=";
    let mut post = Event::new("898925911294132224", h1, 1_503_155_580_000);
    post.platform = "x".into();
    post.text = Some("Un mensaje del archivo real".into());
    post.urls = strings(&["http://dlvr.it/PgB3PP"]);
    post.account_created_ms = Some(1_480_809_600_000);
    post.followers = Some(17);
    assert_eq!(r.events[0], post);

    let rt = &r.events[1];
    assert_eq!((rt.account.as_str(), rt.kind), (h2, Kind::Share));
    assert_eq!(rt.time_ms, 1_503_155_622_000);
    assert_eq!(rt.parent.as_deref(), Some("898925911294132224"));
    assert_eq!(rt.parent_account.as_deref(), Some(h1));
    assert_eq!(rt.hashtags, strings(&["uno", "dos"]));
    assert_eq!(rt.mentions, strings(&[h1]));
    assert_eq!(rt.followers, Some(758));

    let reply = &r.events[2];
    assert_eq!(reply.kind, Kind::Reply);
    assert_eq!(reply.parent_account.as_deref(), Some(h1));

    let quote = &r.events[3];
    assert_eq!(
        (quote.account.as_str(), quote.kind),
        ("1234567890", Kind::Post)
    );
    assert_eq!(
        quote.urls,
        strings(&["https://x.com/i/status/898925911294132224"])
    );
    assert_eq!(quote.followers, Some(1200));
    assert_quarantined(&r.bad, &[(6, "unparseable time")]);
}

#[test]
fn rtweet_csv() {
    let r = read_sample("rtweet.csv");
    assert_eq!(r.file.format, Format::RtweetCsv);
    assert_eq!(r.events.len(), 4);
    let mut post = Event::new("1100000000000000001", "alpha", 1_550_502_286_000);
    post.platform = "x".into();
    post.text = Some("Vote #Tag1 https://t.co/a".into());
    post.hashtags = strings(&["Tag1"]);
    post.urls = strings(&["https://news.example/a"]);
    post.followers = Some(120);
    post.account_created_ms = Some(1_420_070_400_000);
    assert_eq!(r.events[0], post);

    let rt = &r.events[1];
    assert_eq!((rt.account.as_str(), rt.kind), ("beta", Kind::Share));
    assert_eq!(rt.parent.as_deref(), Some("1100000000000000001"));
    assert_eq!(rt.parent_account.as_deref(), Some("alpha"));
    assert_eq!(rt.mentions, strings(&["alpha"]));
    assert!(rt.urls.is_empty());

    let reply = &r.events[2];
    assert_eq!(reply.kind, Kind::Reply);
    assert_eq!(reply.parent.as_deref(), Some("1100000000000000001"));
    assert_eq!(reply.parent_account.as_deref(), Some("alpha"));
    assert_eq!(
        reply.text.as_deref(),
        Some("@alpha agreed,\nwith a second line")
    );
    assert_eq!(reply.followers, None);

    let quote = &r.events[3];
    assert_eq!(quote.kind, Kind::Post);
    assert_eq!(quote.hashtags, strings(&["Tag1", "Tag2"]));
    assert_eq!(
        quote.urls,
        strings(&["https://x.com/i/status/1100000000000000001"])
    );
    // Numbered by physical line: the reply's text spans two.
    assert_quarantined(
        &r.bad,
        &[
            (7, "written as a floating-point number"),
            (8, "missing time"),
        ],
    );
}

#[test]
fn crowdtangle_link_shares_from_coornet() {
    let r = read_sample("crowdtangle_coornet.csv");
    assert_eq!(r.file.format, Format::CrowdTangleCsv);
    let page = "https://www.facebook.com/100000000000001";
    let mut share = Event::new("11111|2000000000000001", page, 1_588_602_181_000);
    share.platform = "facebook".into();
    share.text = Some("Read this, #Vote".into());
    share.hashtags = strings(&["Vote"]);
    share.urls = strings(&["https://news.example/a"]);
    share.followers = Some(5000);
    assert_eq!(r.events[0], share);
    // CooRnet unnests a post's links into rows of their own.
    assert_eq!(r.events[1].id, share.id);
    assert_eq!(r.events[1].urls, strings(&["https://other.example/b"]));

    let insta = &r.events[2];
    assert_eq!(insta.account, "https://www.instagram.com/insta_acct");
    assert_eq!(insta.platform, "instagram");
    assert_eq!(insta.time_ms, 1_588_602_221_000);
    assert_eq!(insta.text.as_deref(), Some("caption from instagram #Vote"));
    assert_eq!(insta.followers, Some(12_000));
    assert_eq!(r.events.len(), 3);
    assert_quarantined(
        &r.bad,
        &[
            (5, "account.url is \"https://facebook.com/null\""),
            (6, "unparseable time"),
            (7, "expected 27 fields, found 3"),
        ],
    );
}

#[test]
fn crowdtangle_without_urls_uses_account_ids_and_is_told_from_lockstep() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ct.csv");
    std::fs::write(
        &path,
        "id,date,account.id,platform,expandedLinks.expanded\n\
         1|2,2020-05-04 14:23:01,777,Instagram,https://n.example/x\n",
    )
    .unwrap();
    let r = read(&path);
    assert_eq!(r.file.format, Format::CrowdTangleCsv);
    let e = &r.events[0];
    assert_eq!((e.id.as_str(), e.account.as_str()), ("1|2", "777"));
    assert_eq!(e.platform, "instagram");
    assert_eq!(e.urls, strings(&["https://n.example/x"]));
}
