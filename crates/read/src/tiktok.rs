//! TikTok Research API video query results.
//!
//! Either saved response pages, `{"data":{"videos":[…],"cursor":…,"has_more":…},"error":{…}}`
//! (one per file or one per line), or video objects one per line. Ids may be JSON integers up
//! to int64 or strings; their digits are kept exactly.

use lockstep_core::{Event, Kind};

use crate::time::parse_time;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{id_text, reason, Id, Items, Lines, Scalar};
use crate::{ident, non_empty, set_entities, Records};

/// A response page or a video: one struct for both, so each line is parsed once. `D` is what
/// `data` holds: a page's videos as raw JSON ([`PageData`], the general path, which parses
/// each video alone) or already parsed ([`FastData`], the one-pass path).
#[derive(Deserialize)]
struct Doc<D> {
    data: Option<D>,
    error: Option<ApiError>,
    id: Option<Id>,
    username: Option<String>,
    create_time: Option<Scalar>,
    video_description: Option<String>,
    hashtag_names: Option<Vec<String>>,
    music_id: Option<Id>,
    video_mention_list: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct PageData<'a> {
    /// The array, cut into videos in place (see [`Items`]).
    #[serde(borrow)]
    videos: Option<&'a RawValue>,
}

/// A page's videos parsed along with the page.
#[derive(Deserialize)]
struct FastData<'a> {
    #[serde(borrow)]
    videos: Option<Vec<Doc<PageData<'a>>>>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<String>,
    message: Option<String>,
}

pub(crate) fn handle(doc: &str, lines: &mut Lines, sink: &mut Records) {
    let line = lines.line_of(doc.as_bytes());
    // A page on one line, or a video object on one line, is parsed once; anything else
    // (multi-line pages whose videos need their own line numbers, API errors, records read
    // from a copy with invalid UTF-8 replaced) takes the general path below.
    // (The fast path holds every video of the page at once: only for pages of ordinary
    // size, so that a huge page of empty videos cannot take gigabytes.)
    if !sink.replaced && doc.len() <= FAST_PAGE && !doc.trim_ascii_end().contains('\n') {
        match crate::json::parse::<Doc<FastData>>(doc) {
            Ok(Doc {
                data: Some(FastData {
                    videos: Some(videos),
                }),
                ..
            }) => {
                // An empty page may carry an API error: the general path reports it.
                if videos.is_empty() {
                    return handle_general(doc, line, lines, sink);
                }
                // Each video becomes an event or a quarantined record, as on the general path
                // (all on this one line); a bad video's own text comes from a second, general
                // parse of the page, done only if there is one.
                let mut raws: Option<Vec<&str>> = None;
                for (k, v) in videos.into_iter().enumerate() {
                    match video(v) {
                        Ok(e) => sink.accept(line, e),
                        Err(reason) => {
                            let raws = raws.get_or_insert_with(|| page_videos(doc));
                            let raw = raws.get(k).copied().unwrap_or(doc);
                            sink.reject(line, reason, raw.as_bytes());
                        }
                    }
                }
                return;
            }
            // A video object, as the general path would take it.
            Ok(v) if v.data.is_none() && v.error.is_none() => {
                return sink.emit(line, doc.as_bytes(), video(v));
            }
            _ => {}
        }
    }
    handle_general(doc, line, lines, sink)
}

/// Pages up to this size take the one-pass path.
const FAST_PAGE: usize = 1 << 20;

/// A page's videos as raw JSON (empty if `doc` is not a page).
fn page_videos(doc: &str) -> Vec<&str> {
    crate::json::parse::<Doc<PageData>>(doc)
        .ok()
        .and_then(|d| d.data)
        .and_then(|d| d.videos)
        .filter(|v| v.get().starts_with('['))
        .map(|v| Items::new(v.get()).collect())
        .unwrap_or_default()
}

fn handle_general(doc: &str, line: u64, lines: &mut Lines, sink: &mut Records) {
    let parsed: Doc<PageData> = match crate::json::parse(doc) {
        Ok(d) => d,
        Err(e) => return sink.reject(line, reason(&e), doc.as_bytes()),
    };
    if parsed.data.is_none() && parsed.error.is_none() {
        return sink.emit(line, doc.as_bytes(), video(parsed));
    }
    let videos = parsed.data.and_then(|d| d.videos);
    if videos.is_some_and(|v| !v.get().starts_with('[')) {
        let why = "bad field value: data.videos is not an array";
        return sink.reject(line, why, doc.as_bytes());
    }
    let mut videos = videos
        .map(|v| Items::new(v.get()))
        .into_iter()
        .flatten()
        .peekable();
    if videos.peek().is_none() {
        // An empty last page is normal; a failed request is a record we did not get.
        if let Some(err) = parsed.error.filter(|e| e.code.as_deref() != Some("ok")) {
            let code = err.code.unwrap_or_default();
            let message = err.message.unwrap_or_default();
            sink.reject(
                line,
                format!("API error {code:?}: {message}"),
                doc.as_bytes(),
            );
        }
        return;
    }
    for raw in videos {
        let line = lines.line_of(raw.as_bytes());
        match crate::json::parse(raw) {
            Ok(v) => sink.emit(line, raw.as_bytes(), video::<PageData>(v)),
            Err(e) => sink.reject(line, reason(&e), raw.as_bytes()),
        }
    }
}

fn video<D>(v: Doc<D>) -> Result<Event, String> {
    let id = id_text(v.id).ok_or("missing id")?;
    let account = ident(v.username).ok_or("missing account (username)")?;
    let time = v.create_time.ok_or("missing time (create_time)")?;
    let mut e = Event::new(id, account, parse_time(&time.0)?);
    e.platform = "tiktok".into();
    e.kind = Kind::Post;
    e.text = non_empty(v.video_description);
    e.sound = id_text(v.music_id);
    let given = |l: Option<Vec<String>>| l.filter(|l| !l.is_empty());
    set_entities(
        &mut e,
        given(v.hashtag_names),
        given(v.video_mention_list),
        None,
    );
    Ok(e)
}
