//! YouTube Data API v3 responses, as researchers save paginated pulls: one response per file,
//! an array of responses, or one response per line; bare items (one per line) too.
//!
//! - `commentThreads.list` (`youtube#commentThread`): the top-level comment is a comment on
//!   `snippet.videoId`; each of `replies.comments` is a reply to it (`parentId`).
//! - `comments.list` (`youtube#comment`): a reply when it has `parentId`, else a comment.
//! - `videos.list` (`youtube#video`) and `search.list` (`youtube#searchResult` whose `id.kind`
//!   is `youtube#video`): a post by `snippet.channelId`; text `title` and `description`,
//!   hashtags from the text and the uploader's `tags`.
//!
//! Accounts are channel ids (`authorChannelId.value`, `channelId`), which never change, not
//! display names. Search results that are channels or playlists, and items of other kinds,
//! are skipped. An `{"error": …}` response is quarantined as a request that failed.

use std::collections::BTreeMap;

use lockstep_core::{Event, Kind};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{reason, Items, Lines, Scalar};
use crate::time::parse_time;
use crate::{ident, non_empty, set_entities, Format, Records};

pub(crate) fn probe(keys: &BTreeMap<String, &RawValue>) -> Option<Format> {
    let kind = keys
        .get("kind")
        .and_then(|k| serde_json::from_str::<&str>(k.get()).ok())?;
    kind.starts_with("youtube#").then_some(Format::YoutubeApiV3)
}

/// A response (`kind`, `items`, `error`) or an item: one struct for both.
#[derive(Deserialize)]
struct Doc<'a> {
    kind: Option<String>,
    #[serde(borrow)]
    items: Option<&'a RawValue>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<Scalar>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Item<'a> {
    kind: Option<String>,
    id: Option<ItemId>,
    snippet: Option<Snippet<'a>>,
    #[serde(borrow)]
    replies: Option<Replies<'a>>,
}

/// A video's or comment's id is a string; a search result's an object.
#[derive(Deserialize)]
#[serde(untagged)]
enum ItemId {
    Plain(String),
    Search {
        kind: Option<String>,
        #[serde(rename = "videoId")]
        video_id: Option<String>,
    },
}

/// The snippet of a video, a search result, a comment or a comment thread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snippet<'a> {
    channel_id: Option<String>,
    published_at: Option<Scalar>,
    title: Option<String>,
    description: Option<String>,
    tags: Option<Vec<String>>,
    video_id: Option<String>,
    #[serde(borrow)]
    top_level_comment: Option<&'a RawValue>,
    text_original: Option<String>,
    text_display: Option<String>,
    author_channel_id: Option<ChannelRef>,
    parent_id: Option<String>,
}

#[derive(Deserialize)]
struct ChannelRef {
    value: Option<String>,
}

#[derive(Deserialize)]
struct Replies<'a> {
    /// The array, cut into comments in place (see [`Items`]).
    #[serde(borrow)]
    comments: Option<&'a RawValue>,
}

/// A response or an item, already valid UTF-8 (see [`crate::json`]).
pub(crate) fn handle(doc: &str, lines: &mut Lines, sink: &mut Records) {
    let line = lines.line_of(doc.as_bytes());
    let parsed: Doc = match crate::json::parse(doc) {
        Ok(d) => d,
        Err(e) => return sink.reject(line, reason(&e), doc.as_bytes()),
    };
    if let Some(err) = parsed.error {
        let code = err.code.map(|c| c.0).unwrap_or_default();
        let message = err.message.unwrap_or_default();
        return sink.reject(line, format!("API error {code}: {message}"), doc.as_bytes());
    }
    let response = parsed.items.is_some()
        || parsed
            .kind
            .as_deref()
            .is_some_and(|k| k.ends_with("ListResponse"));
    if !response {
        return item(doc, line, lines, sink);
    }
    let items = parsed.items.map(|i| i.get());
    if items.is_some_and(|i| !i.starts_with('[')) {
        let why = "bad field value: items is not an array";
        return sink.reject(line, why, doc.as_bytes());
    }
    // Cut into items in place (see [`Items`]): a page of millions of tiny items holds none
    // of them at once.
    for raw in items.map(Items::new).into_iter().flatten() {
        let line = lines.line_of(raw.as_bytes());
        item(raw, line, lines, sink);
    }
}

fn item(raw: &str, line: u64, lines: &mut Lines, sink: &mut Records) {
    let it: Item = match crate::json::parse(raw) {
        Ok(i) => i,
        Err(e) => return sink.reject(line, reason(&e), raw.as_bytes()),
    };
    let raw = raw.as_bytes();
    let kind = it.kind.as_deref().unwrap_or_else(|| match &it.snippet {
        Some(s) if s.top_level_comment.is_some() => "youtube#commentThread",
        Some(s) if s.text_original.is_some() || s.text_display.is_some() => "youtube#comment",
        Some(s) if s.title.is_some() => "youtube#video",
        _ => "",
    });
    match kind {
        "youtube#commentThread" => thread(it, raw, line, lines, sink),
        "youtube#comment" => {
            let id = match it.id {
                Some(ItemId::Plain(id)) => Some(id),
                _ => None,
            };
            sink.emit(line, raw, comment(id, it.snippet, None));
        }
        "youtube#video" | "youtube#searchResult" => {
            let id = match it.id {
                Some(ItemId::Plain(id)) => Some(id),
                Some(ItemId::Search { kind, video_id }) => {
                    if kind.as_deref().is_some_and(|k| k != "youtube#video") {
                        return sink.skip(line, "search result that is not a video");
                    }
                    video_id
                }
                None => None,
            };
            sink.emit(line, raw, video(id, it.snippet));
        }
        "" => sink.reject(line, "not a YouTube item (no kind or snippet)", raw),
        _ => sink.skip(line, "item of another kind"),
    }
}

/// A comment thread: its top-level comment, then its replies, each on its own line.
fn thread(it: Item, raw: &[u8], line: u64, lines: &mut Lines, sink: &mut Records) {
    let Some(snippet) = it.snippet else {
        return sink.reject(line, "missing snippet", raw);
    };
    let Some(top) = snippet.top_level_comment else {
        return sink.reject(line, "missing snippet.topLevelComment", raw);
    };
    let replies = it.replies.and_then(|r| r.comments).map(|c| c.get());
    if replies.is_some_and(|c| !c.starts_with('[')) {
        return sink.reject(
            line,
            "bad field value: replies.comments is not an array",
            raw,
        );
    }
    let top = top.get();
    let top_line = lines.line_of(top.as_bytes());
    let (top_id, top_author) = match crate::json::parse::<Item>(top) {
        Ok(c) => {
            let id = match c.id {
                Some(ItemId::Plain(id)) => Some(id),
                _ => None,
            };
            let result = comment(id, c.snippet, None);
            let ids = result
                .as_ref()
                .map(|e| (Some(e.id.clone()), Some(e.account.clone())))
                .unwrap_or_default();
            sink.emit(top_line, top.as_bytes(), result);
            ids
        }
        Err(e) => {
            sink.reject(top_line, reason(&e), top.as_bytes());
            (None, None)
        }
    };
    for reply in replies.map(Items::new).into_iter().flatten() {
        let reply_line = lines.line_of(reply.as_bytes());
        match crate::json::parse::<Item>(reply) {
            Ok(c) => {
                let id = match c.id {
                    Some(ItemId::Plain(id)) => Some(id),
                    _ => None,
                };
                let parent = (top_id.clone(), top_author.clone());
                let result = comment(id, c.snippet, Some(parent));
                sink.emit(reply_line, reply.as_bytes(), result);
            }
            Err(e) => sink.reject(reply_line, reason(&e), reply.as_bytes()),
        }
    }
}

/// A comment; `thread` is the top-level comment's id and author when this is one of its
/// replies.
fn comment(
    id: Option<String>,
    snippet: Option<Snippet>,
    thread: Option<(Option<String>, Option<String>)>,
) -> Result<Event, String> {
    let s = snippet.ok_or("missing snippet")?;
    let id = ident(id).ok_or("missing id")?;
    let account = s
        .author_channel_id
        .and_then(|c| ident(c.value))
        .ok_or("missing account (authorChannelId)")?;
    let time = s.published_at.ok_or("missing time (publishedAt)")?;
    let mut e = Event::new(id, account, parse_time(&time.0)?);
    e.platform = "youtube".into();
    e.text = non_empty(s.text_original).or(non_empty(s.text_display));
    let parent_id = ident(s.parent_id);
    match (thread, parent_id) {
        (Some((top_id, top_author)), parent_id) => {
            e.kind = Kind::Reply;
            e.parent = parent_id.or(top_id);
            e.parent_account = top_author;
        }
        (None, Some(parent_id)) => {
            e.kind = Kind::Reply;
            e.parent = Some(parent_id);
        }
        (None, None) => {
            e.kind = Kind::Comment;
            e.parent = ident(s.video_id);
            e.parent_account = ident(s.channel_id);
        }
    }
    set_entities(&mut e, None, None, None);
    Ok(e)
}

fn video(id: Option<String>, snippet: Option<Snippet>) -> Result<Event, String> {
    let s = snippet.ok_or("missing snippet")?;
    let id = ident(id).ok_or("missing id (videoId)")?;
    let account = ident(s.channel_id).ok_or("missing account (channelId)")?;
    let time = s.published_at.ok_or("missing time (publishedAt)")?;
    let mut e = Event::new(id, account, parse_time(&time.0)?);
    e.platform = "youtube".into();
    let text: Vec<String> = [s.title, s.description]
        .into_iter()
        .filter_map(non_empty)
        .collect();
    e.text = non_empty(Some(text.join("\n\n")));
    set_entities(&mut e, None, None, None);
    for tag in s.tags.into_iter().flatten() {
        let tag = tag.trim().trim_start_matches('#');
        if !tag.is_empty() && !e.hashtags.iter().any(|h| h == tag) {
            e.hashtags.push(tag.to_string());
        }
    }
    Ok(e)
}
