//! Bluesky Jetstream events, one JSON object per line as `wss://…/subscribe` sends them:
//! `{"did", "time_us", "kind": "commit", "commit": {"rev", "operation", "collection", "rkey",
//! "record", "cid"}}` (and the early `type: "com"` / `commit.type: "c"` spelling).
//!
//! Created records of three collections are events; the account is the author's DID (handles
//! change, and commits do not carry them), the id the record's `at://` URI, the time Jetstream's
//! `time_us` (the client's `createdAt` only when that is missing: it is the author's to set):
//! - `app.bsky.feed.post`: a post, or a reply (`reply.parent.uri`); links from link facets and
//!   `app.bsky.embed.external`, hashtags from tag facets and `tags`, mentions (DIDs) from mention
//!   facets, a quoted post as its `https://bsky.app/profile/…/post/…` link, the first image's or
//!   the video's blob CID (a content hash: the same file uploaded twice has one) as media;
//! - `app.bsky.feed.repost`: a share of `subject.uri`;
//! - `app.bsky.feed.like`: a share of `like:<subject.uri>`, a trace of its own (liking one post
//!   together is weaker evidence than reposting it).
//!
//! Skipped (not records of activity): `identity` and `account` events, deletes, updates, and
//! other collections (follows, blocks, profiles, lists). The relay firehose decoded to JSON
//! (`com.atproto.sync.subscribeRepos` frames) is not read: its records are CBOR blocks of a CAR
//! file, not JSON.

use std::collections::BTreeMap;

use lockstep_core::{Event, Kind, MAX_TIME_MS, MIN_TIME_MS};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::reason;
use crate::time::parse_time;
use crate::{ident, non_empty, set_entities, Format, Records};

const POST: &str = "app.bsky.feed.post";
const REPOST: &str = "app.bsky.feed.repost";
const LIKE: &str = "app.bsky.feed.like";

pub(crate) fn probe(keys: &BTreeMap<String, &RawValue>) -> Option<Format> {
    let has = |k: &str| keys.contains_key(k);
    (has("did") && (has("time_us") || has("commit"))).then_some(Format::BlueskyJetstream)
}

#[derive(Deserialize)]
struct Line<'a> {
    did: Option<String>,
    time_us: Option<i64>,
    kind: Option<String>,
    /// The first Jetstream releases: `com`, `id`, `acc`.
    #[serde(rename = "type")]
    legacy_kind: Option<String>,
    #[serde(borrow)]
    commit: Option<Commit<'a>>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    operation: Option<String>,
    /// The first releases: `c`, `u`, `d`.
    #[serde(rename = "type")]
    legacy_operation: Option<String>,
    collection: Option<String>,
    rkey: Option<String>,
    /// Parsed once the collection is known to be one that is read.
    #[serde(borrow)]
    record: Option<&'a RawValue>,
}

/// A post, repost or like record: one struct for the three.
#[derive(Deserialize)]
struct Record {
    text: Option<String>,
    #[serde(rename = "createdAt")]
    created_at: Option<String>,
    facets: Option<Vec<Facet>>,
    tags: Option<Vec<String>>,
    reply: Option<ReplyRef>,
    embed: Option<Embed>,
    subject: Option<StrongRef>,
}

#[derive(Deserialize)]
struct Facet {
    #[serde(default)]
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(rename = "$type")]
    kind: Option<String>,
    uri: Option<String>,
    tag: Option<String>,
    did: Option<String>,
}

#[derive(Deserialize)]
struct ReplyRef {
    parent: Option<StrongRef>,
}

#[derive(Deserialize)]
struct StrongRef {
    uri: Option<String>,
}

/// Any embed: `external`, `images`, `video`, `record` (a quote) or `recordWithMedia`
/// (`record.record` and `media`).
#[derive(Deserialize)]
struct Embed {
    external: Option<External>,
    images: Option<Vec<Image>>,
    video: Option<Blob>,
    record: Option<EmbedRecord>,
    /// One level, as `recordWithMedia` has it: the type does not nest (an input cannot make
    /// the parser recurse), and a `media` inside it is ignored.
    media: Option<Media>,
}

/// The `media` of a `recordWithMedia` embed.
#[derive(Deserialize)]
struct Media {
    external: Option<External>,
    images: Option<Vec<Image>>,
    video: Option<Blob>,
    record: Option<EmbedRecord>,
}

#[derive(Deserialize)]
struct External {
    uri: Option<String>,
}

#[derive(Deserialize)]
struct Image {
    image: Option<Blob>,
}

#[derive(Deserialize)]
struct Blob {
    #[serde(rename = "ref")]
    link: Option<Link>,
    /// Legacy blobs: `{"cid": …, "mimeType": …}`.
    cid: Option<String>,
}

#[derive(Deserialize)]
struct Link {
    #[serde(rename = "$link")]
    link: Option<String>,
}

#[derive(Deserialize)]
struct EmbedRecord {
    uri: Option<String>,
    record: Option<StrongRef>,
}

/// One event, already valid UTF-8 (see [`crate::json`]); passed on through
/// [`Records::emit`], so an identifier holding a replaced byte quarantines it.
pub(crate) fn handle(doc: &str, line: u64, sink: &mut Records) {
    let raw = doc.as_bytes();
    match crate::json::parse::<Line>(doc) {
        Ok(l) => match event(l) {
            Ok(e) => sink.emit(line, raw, Ok(e)),
            Err(Outcome::Skip(what)) => sink.skip(line, what),
            Err(Outcome::Bad(why)) => sink.reject(line, why, raw),
        },
        Err(e) => sink.reject(line, reason(&e), raw),
    }
}

enum Outcome {
    Skip(&'static str),
    Bad(String),
}

impl From<&str> for Outcome {
    fn from(s: &str) -> Outcome {
        Outcome::Bad(s.to_string())
    }
}

impl From<String> for Outcome {
    fn from(s: String) -> Outcome {
        Outcome::Bad(s)
    }
}

fn event(l: Line<'_>) -> Result<Event, Outcome> {
    let kind = l.kind.or(l.legacy_kind);
    match kind.as_deref() {
        Some("commit" | "com") => {}
        Some("identity" | "id") => return Err(Outcome::Skip("identity event")),
        Some("account" | "acc") => return Err(Outcome::Skip("account event")),
        Some(other) => return Err(format!("unknown event kind {other:?}").into()),
        None => return Err("missing kind".into()),
    }
    let commit = l.commit.ok_or("missing commit")?;
    match commit
        .operation
        .or(commit.legacy_operation)
        .as_deref()
        .unwrap_or("")
    {
        "create" | "c" => {}
        "delete" | "d" => return Err(Outcome::Skip("delete")),
        "update" | "u" => return Err(Outcome::Skip("update")),
        other => return Err(format!("unknown commit operation {other:?}").into()),
    }
    let collection = commit.collection.ok_or("missing commit.collection")?;
    if ![POST, REPOST, LIKE].contains(&collection.as_str()) {
        return Err(Outcome::Skip("record of another collection"));
    }
    let did = ident(l.did).ok_or("missing account (did)")?;
    let rkey = ident(commit.rkey).ok_or("missing id (commit.rkey)")?;
    let record = commit.record.ok_or("missing commit.record")?;
    let record: Record =
        serde_json::from_str(record.get()).map_err(|e| format!("commit.record: {}", reason(&e)))?;
    let time = match l.time_us {
        Some(us) => {
            let ms = us.div_euclid(1000);
            if !(MIN_TIME_MS..MAX_TIME_MS).contains(&ms) {
                return Err(
                    format!("impossible timestamp {us} (time_us, outside 2000..2100)").into(),
                );
            }
            ms
        }
        None => parse_time(
            record
                .created_at
                .as_deref()
                .ok_or("missing time (time_us)")?,
        )?,
    };
    let mut e = Event::new(format!("at://{did}/{collection}/{rkey}"), did, time);
    e.platform = "bluesky".into();
    match collection.as_str() {
        POST => post(&mut e, record),
        REPOST | LIKE => {
            let subject = record
                .subject
                .and_then(|s| ident(s.uri))
                .ok_or("missing subject.uri")?;
            e.kind = Kind::Share;
            e.parent_account = uri_did(&subject);
            e.parent = Some(if collection == LIKE {
                format!("like:{subject}")
            } else {
                subject
            });
        }
        _ => unreachable!("collections are checked above"),
    }
    Ok(e)
}

fn post(e: &mut Event, r: Record) {
    e.text = non_empty(r.text);
    if let Some(parent) = r.reply.and_then(|r| r.parent).and_then(|p| ident(p.uri)) {
        e.kind = Kind::Reply;
        e.parent_account = uri_did(&parent);
        e.parent = Some(parent);
    }
    let (mut tags, mut mentions, mut urls) = (Vec::new(), Vec::new(), Vec::new());
    let faceted = r.facets.is_some();
    for feature in r.facets.into_iter().flatten().flat_map(|f| f.features) {
        match feature.kind.as_deref() {
            Some("app.bsky.richtext.facet#link") => urls.extend(feature.uri),
            Some("app.bsky.richtext.facet#tag") => tags.extend(feature.tag),
            Some("app.bsky.richtext.facet#mention") => mentions.extend(feature.did),
            _ => {}
        }
    }
    tags.extend(r.tags.into_iter().flatten());
    // Without facets the text is all there is (link texts in facets are shortened).
    let given = |v: Vec<String>| (faceted || !v.is_empty()).then_some(v);
    set_entities(e, given(tags), given(mentions), given(urls));
    let parts = r.embed.into_iter().flat_map(|em| {
        let media = em.media.map(|m| (m.external, m.images, m.video, m.record));
        [Some((em.external, em.images, em.video, em.record)), media]
    });
    for (external, images, video, record) in parts.flatten() {
        e.urls.extend(external.and_then(|x| ident(x.uri)));
        if let Some(rec) = record {
            let quoted = rec.uri.or(rec.record.and_then(|r| r.uri));
            e.urls.extend(ident(quoted).as_deref().and_then(web_url));
        }
        if e.media.is_none() {
            let blob = images
                .and_then(|i| i.into_iter().find_map(|i| i.image))
                .or(video);
            e.media = ident(blob.and_then(|b| b.link.and_then(|l| l.link).or(b.cid)));
        }
    }
}

/// The DID an `at://did/collection/rkey` URI names.
fn uri_did(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("at://")?;
    let did = rest.split('/').next()?;
    (!did.is_empty()).then(|| did.to_string())
}

/// `at://did/app.bsky.feed.post/rkey` as the post's web address.
fn web_url(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("at://")?;
    let mut parts = rest.split('/');
    let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    (collection == POST && !did.is_empty() && !rkey.is_empty())
        .then(|| format!("https://bsky.app/profile/{did}/post/{rkey}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_uris() {
        let u = "at://did:plc:abc/app.bsky.feed.post/3l3pte3p2e325";
        assert_eq!(uri_did(u).as_deref(), Some("did:plc:abc"));
        assert_eq!(
            web_url(u).as_deref(),
            Some("https://bsky.app/profile/did:plc:abc/post/3l3pte3p2e325")
        );
        assert_eq!(web_url("at://did:plc:abc/app.bsky.feed.like/x"), None);
        assert_eq!(uri_did("https://x"), None);
    }
}
