//! The platforms of the campaign: Telegram Desktop exports, Bluesky Jetstream, Meta Content
//! Library CSV downloads and YouTube Data API v3 responses, from real-shaped samples (and
//! broken ones made from them).

mod common;

use std::fs;
use std::path::Path;

use common::*;
use lockstep_core::{Event, Kind};
use lockstep_read::{read_file, Collect, Format};

struct Got {
    file: lockstep_read::InputFile,
    events: Vec<Event>,
    bad: Vec<lockstep_core::Quarantined>,
    skipped: Vec<(u64, &'static str)>,
}

/// Reads a file, checks that the counts reconcile (skipped records are not in `read`).
fn got(path: &Path) -> Got {
    let mut sink = Collect::default();
    let file = read_file(path, &mut sink).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.read, file.accepted + file.quarantined, "{file:?}");
    assert_eq!(file.accepted, sink.events.len() as u64);
    assert_eq!(file.quarantined, sink.quarantined.len() as u64);
    for q in &sink.quarantined {
        assert_eq!(q.file, path.display().to_string());
        assert!(q.record > 0);
    }
    Got {
        file,
        events: sink.events,
        bad: sink.quarantined,
        skipped: sink.skipped,
    }
}

fn event<'e>(events: &'e [Event], id: &str) -> &'e Event {
    events
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}

/// A temporary file with `text`.
fn temp(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

const CHANNEL: &str = "channel1789456123";
const LINK: &str = "https://stiri-reale.example/articol/vot-2024";

#[test]
fn telegram_channel_export() {
    let r = got(&sample("telegram_channel.json"));
    assert_eq!(r.file.format, Format::TelegramJson);
    assert_eq!(
        (r.file.read, r.file.accepted, r.file.quarantined),
        (10, 10, 0)
    );
    assert_eq!(
        r.skipped,
        [
            (6, "service message"),
            (207, "service message"),
            (282, "unsupported message")
        ]
    );
    assert!(r.events.iter().all(|e| e.platform == "telegram"));

    // The channel posts as itself; hashtags and links from the text's entities.
    let mut post = Event::new("1789456123:2", CHANNEL, T0 - 3_600_000);
    post.platform = "telegram".into();
    post.text = Some(format!(
        "Vot #CG11 duminică! Citiți {LINK}?utm_source=telegram"
    ));
    post.hashtags = strings(&["CG11"]);
    post.urls = strings(&[&format!("{LINK}?utm_source=telegram")]);
    assert_eq!(r.events[0], post);

    // A `text_link`'s address, not its text; a mention; formatting joined into the text.
    let e = event(&r.events, "1789456123:3");
    assert_eq!(
        e.text.as_deref(),
        Some("Adevărul pe care presa nu îl spune: aici #Romania @calin_georgescu")
    );
    assert_eq!(e.urls, strings(&["https://stiri-reale.example/dezvaluiri"]));
    assert_eq!(e.mentions, strings(&["calin_georgescu"]));
    // A photo's exported name is positional: no fingerprint. A document's original name is.
    assert_eq!(event(&r.events, "1789456123:4").media, None);
    assert_eq!(
        event(&r.events, "1789456123:5").media.as_deref(),
        Some("telegram-file:miting_bucuresti.mp4:18734211")
    );

    // Forwards are shares of their origin; a link entity without a scheme gets one.
    let fwd = event(&r.events, "1789456123:6");
    assert_eq!(fwd.kind, Kind::Share);
    assert_eq!(fwd.parent_account.as_deref(), Some("channel1122334455"));
    assert!(fwd
        .parent
        .as_deref()
        .unwrap()
        .starts_with("forward:channel1122334455:"));
    assert_eq!(fwd.urls, strings(&["https://pravda-news.example/zapad"]));
    assert_eq!(
        fwd.text.as_deref(),
        Some("Запад боится правды. pravda-news.example/zapad")
    );
    // An older export names the origin only.
    let old = event(&r.events, "1789456123:7");
    assert_eq!(old.kind, Kind::Share);
    assert_eq!(old.parent_account.as_deref(), Some("Ion Popescu"));

    let reply = event(&r.events, "1789456123:9");
    assert_eq!(reply.kind, Kind::Reply);
    assert_eq!(reply.parent.as_deref(), Some("1789456123:2"));
    // A sticker alone has no text.
    assert_eq!(event(&r.events, "1789456123:10").text, None);
    // Without `date_unixtime`, `date` (the exporter's local time, here UTC+2) is taken as UTC.
    assert_eq!(event(&r.events, "1789456123:11").time_ms, T0 + 6_900_000);
    // An edited message keeps its sending time.
    let edited = event(&r.events, "1789456123:12");
    assert_eq!(edited.time_ms, T0);
    assert_eq!(edited.hashtags, strings(&["Vot2024"]));
    assert_eq!(edited.urls, strings(&["https://stiri-reale.example/live"]));
}

#[test]
fn telegram_whole_account_export() {
    let r = got(&sample("telegram_export.json"));
    assert_eq!(r.file.format, Format::TelegramJson);
    // Contacts, sessions and personal information are not messages; chats and left chats are.
    assert_eq!((r.file.read, r.file.accepted), (11, 11));
    assert_eq!(
        r.skipped,
        [(43, "service message"), (295, "service message")]
    );

    // Four members forward the channel's post within half a minute: one trace.
    let forwards: Vec<&Event> = r
        .events
        .iter()
        .filter(|e| e.kind == Kind::Share && e.parent_account.as_deref() == Some(CHANNEL))
        .collect();
    assert_eq!(forwards.len(), 4);
    let accounts: Vec<&str> = forwards.iter().map(|e| e.account.as_str()).collect();
    assert_eq!(
        accounts,
        ["user5011001", "user5011002", "user5011003", "user5011004"]
    );
    assert!(forwards.iter().all(|e| e.parent == forwards[0].parent));
    assert!(forwards.iter().all(|e| e.hashtags == ["CG11"]));
    assert_eq!(forwards[0].id, "2201234567:2");
    assert_eq!(forwards[3].time_ms, T0 + 41_000);

    // `mention_name` names the user by id; a deleted account (`from: null`) keeps its id; a
    // hidden forward (`forwarded_from: null`) is still a forward.
    assert_eq!(
        event(&r.events, "2201234567:6").mentions,
        strings(&["user5011001"])
    );
    assert_eq!(event(&r.events, "2201234567:7").account, "user5011099");
    let hidden = event(&r.events, "2201234567:8");
    assert_eq!(hidden.kind, Kind::Share);
    assert_eq!(hidden.parent_account.as_deref(), Some("hidden"));
    // A reply to a message of another chat names that chat.
    assert_eq!(
        event(&r.events, "2201234567:9").parent.as_deref(),
        Some("1789456123:9")
    );
    // Message ids are per chat: the personal chat's and the left channel's are qualified too.
    assert_eq!(
        event(&r.events, "5011002:2").parent.as_deref(),
        Some("5011002:1")
    );
    assert_eq!(
        event(&r.events, "1122334455:1").account,
        "channel1122334455"
    );

    // The same post forwarded again later, elsewhere, is the same trace.
    let channel = got(&sample("telegram_channel.json"));
    let forwarded_here = event(&r.events, "2201234567:2").parent.clone();
    let one_more = r
        .events
        .iter()
        .chain(&channel.events)
        .filter(|e| e.parent == forwarded_here);
    assert_eq!(one_more.count(), 4);
}

#[test]
fn telegram_bad_messages_are_quarantined_one_by_one() {
    let r = got(&sample("telegram_bad.json"));
    assert_eq!(r.file.format, Format::TelegramJson);
    let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["42:1", "42:10"]);
    assert_quarantined(
        &r.bad,
        &[
            (
                21,
                "bad field value: invalid type: map, expected a string or an integer",
            ),
            (30, "expected a string or an array of text parts"),
            (38, "missing account (from_id)"),
            (51, "impossible timestamp \"12\""),
            (58, "unparseable time \"ieri\""),
            (65, "missing time (date_unixtime)"),
            (71, "unknown message type \"poll_vote\""),
            (85, "expected a string or a text entity object"),
        ],
    );
    // The raw text is the message itself.
    assert!(r.bad[2].raw.starts_with('{') && r.bad[2].raw.contains("fără autor"));
}

#[test]
fn telegram_truncated_export_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(sample("telegram_channel.json")).unwrap();
    // Cut inside message 6 (which starts on line 164).
    let cut = text.find("Запад").unwrap();
    let path = temp(&dir, "cut.json", &text.as_bytes()[..cut]);
    let r = got(&path);
    assert_eq!(r.file.format, Format::TelegramJson);
    let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1789456123:2",
            "1789456123:3",
            "1789456123:4",
            "1789456123:5"
        ]
    );
    assert_quarantined(&r.bad, &[(164, "unparseable JSON: EOF while parsing")]);
    assert!(r.bad[0].raw.starts_with('{') && r.bad[0].raw.contains("\"id\": 6"));

    // Garbage after the document is one more bad record; the export itself is read.
    let path = temp(&dir, "tail.json", format!("{text}\n}}]").as_bytes());
    let r = got(&path);
    assert_eq!(r.file.accepted, 10);
    assert_quarantined(&r.bad, &[(289, "trailing characters")]);
}

#[test]
fn telegram_hostile_messages() {
    let dir = tempfile::tempdir().unwrap();
    let msg = |id: u32, extra: &str| {
        format!(
            " {{\n  \"id\": {id},\n  \"type\": \"message\",\n  \"date_unixtime\": \"1731319200\",\n  \"from_id\": \"user{id}\"{extra}\n }}"
        )
    };
    let export = |messages: &[String]| {
        format!(
            "{{\n \"name\": \"t\",\n \"type\": \"private_supergroup\",\n \"id\": 7,\n \"messages\": [\n{}\n ]\n}}\n",
            messages.join(",\n")
        )
    };
    let long_text = format!(",\n  \"text\": \"{}\"", "ă".repeat(50_000));
    let deep_field = format!(",\n  \"x\": {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_text = format!(",\n  \"text\": {}\"a\"{}", "[".repeat(500), "]".repeat(500));
    let text = export(&[
        msg(1, ""),
        msg(2, &long_text),
        msg(3, &deep_field),
        msg(4, &deep_text),
        msg(5, ",\n  \"text\": \"ok\""),
    ]);
    let r = got(&temp(&dir, "hostile.json", text.as_bytes()));
    let ids: Vec<&str> = r.events.iter().map(|e| e.id.as_str()).collect();
    // An unknown field nested deep is skipped without recursion; a nested text is a type error.
    assert_eq!(ids, ["7:1", "7:3", "7:5"]);
    assert_quarantined(
        &r.bad,
        &[
            (12, "longer than any Telegram message"),
            (26, "expected a string or a text entity object"),
        ],
    );
    assert!(r.bad[0].raw.chars().count() <= 301);

    // A message larger than any export holds stops the stream: memory stays bounded.
    let huge = format!(",\n  \"text\": \"{}\"", "x".repeat(17 << 20));
    let text = export(&[msg(1, ""), msg(2, &huge), msg(3, "")]);
    let r = got(&temp(&dir, "huge.json", text.as_bytes()));
    assert_eq!(r.events.len(), 1);
    assert_quarantined(&r.bad, &[(12, "a message longer than 16777216 bytes")]);
}

#[test]
fn telegram_one_line_and_compressed_exports() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(sample("telegram_channel.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pretty = got(&sample("telegram_channel.json"));
    // `jq -c` output: one line, read by its keys.
    let path = temp(
        &dir,
        "min.json",
        serde_json::to_string(&value).unwrap().as_bytes(),
    );
    let r = got(&path);
    assert_eq!(r.file.format, Format::TelegramJson);
    assert_eq!(r.events, pretty.events);
    assert_eq!(r.skipped.len(), 3);
    // gzip: streamed through the decoder like any file.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    let r = got(&temp(&dir, "result.json.gz", &gz.finish().unwrap()));
    assert_eq!(r.file.format, Format::TelegramJson);
    assert_eq!(r.events, pretty.events);
    assert_eq!(r.skipped, pretty.skipped);
}

#[test]
fn bluesky_jetstream() {
    let r = got(&sample("bluesky_jetstream.jsonl"));
    assert_eq!(r.file.format, Format::BlueskyJetstream);
    assert_eq!(
        (r.file.read, r.file.accepted, r.file.quarantined),
        (21, 15, 6)
    );
    assert_eq!(
        r.skipped,
        [
            (16, "identity event"),
            (17, "account event"),
            (18, "delete"),
            (19, "update"),
            (20, "record of another collection")
        ]
    );
    assert!(r.events.iter().all(|e| e.platform == "bluesky"));
    let src = "did:plc:ujzdegxdncf32epf3dhodzdo";
    let origin = format!("at://{src}/app.bsky.feed.post/3lbxjbtfqxkwo");

    // Link facets carry the full address (the text shows it shortened); the embed card too.
    let mut post = Event::new(origin.clone(), src, 1_731_319_215_000);
    post.platform = "bluesky".into();
    post.text = Some("Vot #CG11 duminică! Citiți stiri-reale.example/articol/vo...".into());
    post.hashtags = strings(&["CG11"]);
    post.urls = strings(&[&format!("{LINK}?utm_source=bsky"), LINK]);
    assert_eq!(r.events[0], post);

    // Four reposts within 15 s, each a share of the post; two likes a trace of their own.
    let reposts: Vec<&Event> = r
        .events
        .iter()
        .filter(|e| e.id.contains("/app.bsky.feed.repost/"))
        .collect();
    assert_eq!(reposts.len(), 5, "four, and one in the early spelling");
    for e in &reposts {
        assert_eq!(e.kind, Kind::Share);
        assert_eq!(e.parent.as_deref(), Some(origin.as_str()));
        assert_eq!(e.parent_account.as_deref(), Some(src));
    }
    let like_parent = format!("like:{origin}");
    let likes = r
        .events
        .iter()
        .filter(|e| e.parent.as_deref() == Some(&like_parent));
    assert_eq!(likes.count(), 2);

    // A reply with a mention facet (a DID) and an image (its blob CID).
    let reply = r.events.iter().find(|e| e.kind == Kind::Reply).unwrap();
    assert_eq!(reply.parent.as_deref(), Some(origin.as_str()));
    assert_eq!(
        reply.mentions,
        strings(&["did:plc:cis2jhtlgmxgedn73u55xtpl"])
    );
    let image = "bafkreil7wqksno7khf7guwgzzf3bxntq3kyo5icwuj4uk54qoiv5pmrtjj";
    assert_eq!(reply.media.as_deref(), Some(image));
    // A quote with media: the quoted post as its web link, the same image.
    let quote = r
        .events
        .iter()
        .find(|e| e.text.as_deref() == Some("Правда о выборах"))
        .unwrap();
    assert_eq!(quote.kind, Kind::Post);
    assert_eq!(
        quote.urls,
        strings(&[&format!(
            "https://bsky.app/profile/{src}/post/3lbxjbtfqxkwo"
        )])
    );
    assert_eq!(quote.media.as_deref(), Some(image));
    // No facets: entities from the text.
    let plain = r.events.iter().find(|e| e.hashtags == ["Romania"]).unwrap();
    assert_eq!(plain.urls, strings(&["https://exemplu.example/x"]));

    assert_quarantined(
        &r.bad,
        &[
            (9, "unparseable JSON"),
            (22, "expected i64"),
            (23, "missing account (did)"),
            (24, "impossible timestamp 1731319"),
            (25, "missing subject.uri"),
            (26, "commit.record: bad field value"),
        ],
    );
}

#[test]
fn meta_content_library_facebook() {
    let r = got(&sample("meta_facebook.csv"));
    assert_eq!(r.file.format, Format::MetaContentLibraryCsv);
    assert!(r.events.iter().all(|e| e.platform == "facebook"));
    let mut post = Event::new("122000456789012340", "100064321987654", T0 + 20_000);
    post.platform = "facebook".into();
    post.text = Some("Citiți înainte să fie șters! #CG11 #Romania".into());
    post.hashtags = strings(&["CG11", "Romania"]);
    post.urls = strings(&[&format!("{LINK}?fbclid=IwAR0x0")]);
    assert_eq!(r.events[0], post);
    // Four pages post the link within 27 s.
    let pages: Vec<&str> = r.events[..4].iter().map(|e| e.account.as_str()).collect();
    assert_eq!(
        pages,
        [
            "100064321987654",
            "100064321987655",
            "100064321987656",
            "100064321987657"
        ]
    );
    let reshare = event(&r.events, "122009876543210001");
    assert_eq!(reshare.kind, Kind::Share);
    assert_eq!(reshare.parent.as_deref(), Some("122000456789012340"));
    let multi = event(&r.events, "122009876543210002");
    assert_eq!(
        multi.text.as_deref(),
        Some(
            "Rândul 1, cu virgulă\n\"citat\" și rândul 2 https://alt-site.example/p?utm_source=fb"
        )
    );
    assert_eq!(
        multi.urls,
        strings(&["https://alt-site.example/p?utm_source=fb"])
    );
    assert_quarantined(
        &r.bad,
        &[
            (6, "missing account (post_owner.id)"),
            (10, "unparseable time"),
            (11, "missing id"),
            (12, "expected 23 fields, found 4"),
        ],
    );
}

#[test]
fn meta_content_library_instagram() {
    let r = got(&sample("meta_instagram.csv"));
    assert_eq!(r.file.format, Format::MetaContentLibraryCsv);
    assert!(r.events.iter().all(|e| e.platform == "instagram"));
    let accounts: Vec<&str> = r.events.iter().map(|e| e.account.as_str()).collect();
    assert_eq!(
        accounts,
        [
            "patrioti.ro",
            "vocea_ro_oficial",
            "adevar.md",
            "vocea_ro_oficial"
        ]
    );
    // The hashtags column where filled, else the text.
    assert_eq!(r.events[0].hashtags, strings(&["cg11", "romania", "vot"]));
    assert_eq!(r.events[3].hashtags, strings(&["DinText"]));
    assert_eq!(r.events[0].time_ms, T0 + 70_000);
    assert_quarantined(&r.bad, &[(6, "missing time")]);
}

#[test]
fn meta_platform_from_rows_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,creation_time,post_owner.id,post_owner.username,mcl_url,text\n\
               1,2024-11-11T10:00:00Z,9,a,https://www.facebook.com/transparency-tools/content-library/dataset/1/facebook/entity/1,x\n\
               2,2024-11-11T10:00:00Z,9,a,,y\n";
    let r = got(&temp(&dir, "mcl.csv", csv.as_bytes()));
    let platforms: Vec<&str> = r.events.iter().map(|e| e.platform.as_str()).collect();
    assert_eq!(platforms, ["facebook", "instagram"]);
}

#[test]
fn youtube_comment_threads() {
    let r = got(&sample("youtube_comment_threads.json"));
    assert_eq!(r.file.format, Format::YoutubeApiV3);
    assert_eq!(
        (r.file.read, r.file.accepted, r.file.quarantined),
        (8, 6, 2)
    );
    let top = "Ugz7TTJ-chcVG6MOwUxOVHM4AaABAg";
    let mut c = Event::new(top, "UCdI8X2Y4rUmer_BH3M1XS0D", T0 + 10_000);
    c.platform = "youtube".into();
    c.kind = Kind::Comment;
    c.text = Some(format!("Votați CG11! Adevărul aici: {LINK} #CG11"));
    c.hashtags = strings(&["CG11"]);
    c.urls = strings(&[LINK]);
    c.parent = Some("dQ7xK2mNp4s".into());
    c.parent_account = Some("UCEqV8ib8HDy88YtDtXbiufM".into());
    assert_eq!(r.events[0], c);
    let reply = &r.events[2];
    assert_eq!(reply.kind, Kind::Reply);
    assert_eq!(reply.parent.as_deref(), Some(top));
    assert_eq!(
        reply.parent_account.as_deref(),
        Some("UCdI8X2Y4rUmer_BH3M1XS0D")
    );
    assert_eq!(reply.text.as_deref(), Some("Правда!\nDistribuiți"));
    // Four channels comment the same link on one video within 4 minutes.
    let commenters = r.events.iter().filter(|e| e.kind == Kind::Comment).count();
    assert_eq!(commenters, 4);
    // Bad comments inside a thread are numbered by their own line.
    assert_quarantined(
        &r.bad,
        &[
            (203, "missing account (authorChannelId)"),
            (234, "unparseable time"),
        ],
    );
}

#[test]
fn youtube_pages_one_per_line() {
    let r = got(&sample("youtube_pages.ndjson"));
    assert_eq!(r.file.format, Format::YoutubeApiV3);
    assert_eq!(r.skipped, [(2, "search result that is not a video")]);
    let v = event(&r.events, "aB3dE5fG7hJ");
    assert_eq!(v.kind, Kind::Post);
    assert_eq!(v.account, "UCdI8X2Y4rUmer_BH3M1XS0D");
    assert_eq!(
        v.text.as_deref(),
        Some(&*format!(
            "Adevărul despre alegeri\n\nUrmăriți până la final #CG11\n{LINK}"
        ))
    );
    assert_eq!(v.hashtags, strings(&["CG11", "alegeri 2024", "romania"]));
    assert_eq!(v.urls, strings(&[LINK]));
    // A search result's video id.
    assert_eq!(event(&r.events, "tU5vW7xY9zA").time_ms, T0 - 3_300_000);
    // comments.list: a reply by its parentId, and a top-level comment.
    let reply = event(&r.events, "Ugz7TTJ-chcVG6MOwUxOVHM4AaABAg.AaBbCcDdEe3");
    assert_eq!(reply.kind, Kind::Reply);
    assert_eq!(
        reply.parent.as_deref(),
        Some("Ugz7TTJ-chcVG6MOwUxOVHM4AaABAg")
    );
    assert_quarantined(
        &r.bad,
        &[
            (2, "missing account (channelId)"),
            (4, "unparseable JSON"),
            (5, "API error 403: The request cannot be completed"),
        ],
    );
}

#[test]
fn youtube_array_of_responses() {
    let r = got(&sample("youtube_responses.json"));
    assert_eq!(r.file.format, Format::YoutubeApiV3);
    let single = got(&sample("youtube_comment_threads.json"));
    assert_eq!(r.events[..], single.events[..4]);
}

#[test]
fn every_new_format_is_recognised_and_steals_no_other() {
    for (name, format) in [
        ("telegram_channel.json", Format::TelegramJson),
        ("telegram_export.json", Format::TelegramJson),
        ("bluesky_jetstream.jsonl", Format::BlueskyJetstream),
        ("meta_facebook.csv", Format::MetaContentLibraryCsv),
        ("meta_instagram.csv", Format::MetaContentLibraryCsv),
        ("youtube_comment_threads.json", Format::YoutubeApiV3),
        ("youtube_pages.ndjson", Format::YoutubeApiV3),
        ("youtube_responses.json", Format::YoutubeApiV3),
        ("tiktok_page.json", Format::TikTokResearch),
        ("tiktok_pages.jsonl", Format::TikTokResearch),
        ("x_v2_response.json", Format::XApiV2),
        ("x_v2_tweets.jsonl", Format::XApiV2),
        ("lockstep.ndjson", Format::LockstepNdjson),
        ("lockstep.csv", Format::LockstepCsv),
        ("x_archive.csv", Format::XArchiveCsv),
        ("cnt.csv", Format::CntCsv),
        ("coortweet.csv", Format::CoorTweetCsv),
    ] {
        assert_eq!(got(&sample(name)).file.format, format, "{name}");
    }
}

/// One campaign link, pushed by Telegram forwards and Bluesky reposts and posts: every event
/// carries it, so the url layer (which drops `utm_*`, `fbclid` and the like) gives them one
/// trace across platforms.
#[test]
fn a_link_pushed_on_telegram_and_bluesky_is_carried_by_both() {
    let telegram = got(&sample("telegram_export.json"));
    let bluesky = got(&sample("bluesky_jetstream.jsonl"));
    let carries = |e: &Event| e.urls.iter().any(|u| u.split('?').next() == Some(LINK));
    let mut who: Vec<(String, Kind)> = telegram
        .events
        .iter()
        .chain(&bluesky.events)
        .filter(|e| carries(e))
        .map(|e| (format!("{}:{}", e.platform, e.account), e.kind))
        .collect();
    who.sort();
    let telegram_forwards = who
        .iter()
        .filter(|(a, k)| a.starts_with("telegram:") && *k == Kind::Share)
        .count();
    let bluesky_posts = who
        .iter()
        .filter(|(a, _)| a.starts_with("bluesky:"))
        .count();
    assert_eq!(telegram_forwards, 4);
    assert_eq!(
        bluesky_posts, 5,
        "the source post and four posts of the network"
    );
    // The Bluesky reposts point at the post that carries the link.
    let origin = &bluesky.events[0];
    assert!(carries(origin));
    let reposts = bluesky
        .events
        .iter()
        .filter(|e| e.kind == Kind::Share && e.parent.as_deref() == Some(origin.id.as_str()));
    assert_eq!(reposts.count(), 5);
    // Accounts are distinct per platform.
    assert!(telegram.events.iter().all(|e| e.platform == "telegram"));
    assert!(bluesky.events.iter().all(|e| e.platform == "bluesky"));
}
