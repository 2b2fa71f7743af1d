//! lockstep's own schema, as NDJSON or CSV: required `id`, `account`, `time`; optional
//! `platform`, `kind`, `text`, `hashtags`, `urls`, `mentions`, `sound`, `media`, `parent`,
//! `parent_account`, `account_created`, `followers`.
//!
//! `time` and `account_created` are RFC 3339 or unix seconds. Lists are JSON arrays in NDJSON
//! and space-separated in CSV; lists not given are taken from the text. Being our own format,
//! it is read strictly: an unknown kind or a bad optional value quarantines the record.

use lockstep_core::{Event, Kind};

use crate::time::parse_time;
use serde::Deserialize;

use crate::json::{id_text, reason, Id, Scalar};
use crate::table::{Header, Row};
use crate::{ident, non_empty, parse_count, set_entities, Records};

/// One record's fields as text, whichever syntax they came in.
struct Fields {
    id: Option<String>,
    account: Option<String>,
    time: Option<String>,
    platform: Option<String>,
    kind: Option<String>,
    text: Option<String>,
    hashtags: Option<Vec<String>>,
    urls: Option<Vec<String>>,
    mentions: Option<Vec<String>>,
    sound: Option<String>,
    media: Option<String>,
    parent: Option<String>,
    parent_account: Option<String>,
    account_created: Option<String>,
    followers: Option<String>,
}

impl Fields {
    fn event(self) -> Result<Event, String> {
        let id = self.id.ok_or("missing id")?;
        let account = self.account.ok_or("missing account")?;
        let time = parse_time(self.time.as_deref().ok_or("missing time")?)?;
        let mut e = Event::new(id, account, time);
        if let Some(p) = self.platform {
            e.platform = p.trim().to_lowercase();
        }
        if let Some(k) = self.kind {
            e.kind = Kind::parse(&k).ok_or_else(|| format!("unknown kind {k:?}"))?;
        }
        e.text = self.text;
        set_entities(&mut e, self.hashtags, self.mentions, self.urls);
        e.sound = self.sound;
        e.media = self.media;
        e.parent = self.parent;
        e.parent_account = self.parent_account;
        if let Some(c) = self.account_created {
            e.account_created_ms =
                Some(parse_time(&c).map_err(|r| format!("bad account_created: {r}"))?);
        }
        if let Some(f) = self.followers {
            e.followers = Some(parse_count(&f).ok_or_else(|| format!("bad followers {f:?}"))?);
        }
        Ok(e)
    }
}

#[derive(Deserialize)]
struct Record {
    id: Option<Id>,
    account: Option<Id>,
    time: Option<Scalar>,
    platform: Option<String>,
    kind: Option<String>,
    text: Option<String>,
    hashtags: Option<Vec<String>>,
    urls: Option<Vec<String>>,
    mentions: Option<Vec<String>>,
    sound: Option<Id>,
    media: Option<Id>,
    parent: Option<Id>,
    parent_account: Option<Id>,
    account_created: Option<Scalar>,
    followers: Option<Scalar>,
}

pub(crate) fn handle_json(doc: &str, line: u64, sink: &mut Records) {
    let r: Record = match crate::json::parse(doc) {
        Ok(r) => r,
        Err(e) => return sink.reject(line, reason(&e), doc.as_bytes()),
    };
    let scalar = |s: Option<Scalar>| non_empty(s.map(|s| s.0));
    let fields = Fields {
        id: id_text(r.id),
        account: id_text(r.account),
        time: scalar(r.time),
        platform: ident(r.platform),
        kind: r.kind,
        text: non_empty(r.text),
        hashtags: r.hashtags,
        urls: r.urls,
        mentions: r.mentions,
        sound: id_text(r.sound),
        media: id_text(r.media),
        parent: id_text(r.parent),
        parent_account: id_text(r.parent_account),
        account_created: scalar(r.account_created),
        followers: scalar(r.followers),
    };
    sink.emit(line, doc.as_bytes(), fields.event());
}

/// Column positions of a lockstep CSV.
pub(crate) struct Columns {
    id: usize,
    account: usize,
    time: usize,
    platform: Option<usize>,
    kind: Option<usize>,
    text: Option<usize>,
    hashtags: Option<usize>,
    urls: Option<usize>,
    mentions: Option<usize>,
    sound: Option<usize>,
    media: Option<usize>,
    parent: Option<usize>,
    parent_account: Option<usize>,
    account_created: Option<usize>,
    followers: Option<usize>,
}

impl Columns {
    pub(crate) const REQUIRED: &'static str = "id, account, time";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let [id, account, time] = h.find_all(["id", "account", "time"])?;
        Some(Columns {
            id,
            account,
            time,
            platform: h.find("platform"),
            kind: h.find("kind"),
            text: h.find("text"),
            hashtags: h.find("hashtags"),
            urls: h.find("urls"),
            mentions: h.find("mentions"),
            sound: h.find("sound"),
            media: h.find("media"),
            parent: h.find("parent"),
            parent_account: h.find("parent_account"),
            account_created: h.find("account_created"),
            followers: h.find("followers"),
        })
    }

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        // CSV has no null: an empty list cell means "not given", like a missing column.
        let list = |i, what| -> Result<Option<Vec<String>>, String> {
            Ok(row
                .ident(i, what)?
                .map(|s| s.split_ascii_whitespace().map(str::to_string).collect()))
        };
        let value = |i| row.value(i).map(|v| v.into_owned());
        Fields {
            id: row.id(Some(self.id), "id")?,
            account: row.id(Some(self.account), "account")?,
            time: value(Some(self.time)),
            platform: row.id(self.platform, "platform")?,
            kind: value(self.kind),
            text: row.text(self.text),
            hashtags: list(self.hashtags, "hashtags")?,
            urls: list(self.urls, "urls")?,
            mentions: list(self.mentions, "mentions")?,
            sound: row.id(self.sound, "sound")?,
            media: row.id(self.media, "media")?,
            parent: row.id(self.parent, "parent")?,
            parent_account: row.id(self.parent_account, "parent_account")?,
            account_created: value(self.account_created),
            followers: value(self.followers),
        }
        .event()
    }
}
