//! rtweet CSV exports: `rtweet::write_as_csv` / `save_as_csv` (rtweet before 1.0) of the
//! tweets data frame: `user_id, status_id, created_at, screen_name, text, …, is_retweet,
//! …, retweet_status_id, reply_to_status_id, hashtags, urls_expanded_url,
//! mentions_screen_name, …`.
//!
//! Ids are written with an `x` in front by default (`prepend_ids = TRUE`, so that
//! spreadsheets keep their digits): it is dropped. List columns hold their items separated by
//! spaces; `NA` is a missing value (R's default `na`). Accounts are named by `screen_name`,
//! as the X API v2 reader names them by username, else by `user_id`.

use lockstep_core::{Event, Kind};

use crate::table::{Header, Row};
use crate::time::parse_time;
use crate::x::is_true;
use crate::{parse_count, set_entities, status_url};

/// Column positions of an rtweet tweets table.
pub(crate) struct Columns {
    status_id: usize,
    created_at: usize,
    screen_name: Option<usize>,
    user_id: Option<usize>,
    text: Option<usize>,
    is_retweet: Option<usize>,
    retweet_status_id: Option<usize>,
    retweet_screen_name: Option<usize>,
    retweet_user_id: Option<usize>,
    reply_to_status_id: Option<usize>,
    reply_to_screen_name: Option<usize>,
    reply_to_user_id: Option<usize>,
    is_quote: Option<usize>,
    quoted_status_id: Option<usize>,
    hashtags: Option<usize>,
    urls: Option<usize>,
    mentions: Option<usize>,
    followers: Option<usize>,
    account_created_at: Option<usize>,
}

impl Columns {
    pub(crate) const REQUIRED: &'static str = "status_id, created_at, screen_name or user_id";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let [status_id, created_at] = h.find_all(["status_id", "created_at"])?;
        let (screen_name, user_id) = (h.find("screen_name"), h.find("user_id"));
        if screen_name.is_none() && user_id.is_none() {
            return None;
        }
        Some(Columns {
            status_id,
            created_at,
            screen_name,
            user_id,
            text: h.find("text"),
            is_retweet: h.find("is_retweet"),
            retweet_status_id: h.find("retweet_status_id"),
            retweet_screen_name: h.find("retweet_screen_name"),
            retweet_user_id: h.find("retweet_user_id"),
            reply_to_status_id: h.find("reply_to_status_id"),
            reply_to_screen_name: h.find("reply_to_screen_name"),
            reply_to_user_id: h.find("reply_to_user_id"),
            is_quote: h.find("is_quote"),
            quoted_status_id: h.find("quoted_status_id"),
            hashtags: h.find("hashtags"),
            urls: h.find("urls_expanded_url"),
            mentions: h.find("mentions_screen_name"),
            followers: h.find("followers_count"),
            account_created_at: h.find("account_created_at"),
        })
    }

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        // An identifier: `NA` is missing; an id column's `x` prefix is dropped.
        let name = |i, what| -> Result<Option<String>, String> {
            Ok(row.id(i, what)?.filter(|v| v != "NA"))
        };
        let id = |i, what| -> Result<Option<String>, String> {
            Ok(name(i, what)?.map(|v| match v.strip_prefix('x') {
                Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => d.into(),
                _ => v,
            }))
        };
        let post = id(Some(self.status_id), "id (status_id)")?.ok_or("missing id (status_id)")?;
        let account = match name(self.screen_name, "account (screen_name)")? {
            Some(a) => a,
            None => id(self.user_id, "account (user_id)")?
                .ok_or("missing account (screen_name or user_id)")?,
        };
        let mut e = Event::new(post, account, parse_time(&row.get(self.created_at))?);
        e.platform = "x".into();
        e.text = row.text(self.text).filter(|t| t != "NA");
        let flag = |i: Option<usize>| i.is_some_and(|i| is_true(&row.get(i)));
        let retweet = id(self.retweet_status_id, "parent (retweet_status_id)")?;
        let reply = id(self.reply_to_status_id, "parent (reply_to_status_id)")?;
        if flag(self.is_retweet) && retweet.is_some() {
            e.kind = Kind::Share;
            e.parent = retweet;
            e.parent_account = match name(self.retweet_screen_name, "parent_account")? {
                Some(a) => Some(a),
                None => id(self.retweet_user_id, "parent_account (retweet_user_id)")?,
            };
        } else if reply.is_some() {
            e.kind = Kind::Reply;
            e.parent = reply;
            e.parent_account = match name(self.reply_to_screen_name, "parent_account")? {
                Some(a) => Some(a),
                None => id(self.reply_to_user_id, "parent_account (reply_to_user_id)")?,
            };
        }
        let list = |i: Option<usize>, what: &str| -> Result<Option<Vec<String>>, String> {
            let Some(i) = i else { return Ok(None) };
            let cell = row.ident(Some(i), what)?.unwrap_or("");
            let items = cell.split_ascii_whitespace().filter(|s| *s != "NA");
            Ok(Some(items.map(str::to_string).collect()))
        };
        set_entities(
            &mut e,
            list(self.hashtags, "hashtags")?,
            list(self.mentions, "mentions (mentions_screen_name)")?,
            list(self.urls, "urls (urls_expanded_url)")?,
        );
        if flag(self.is_quote) {
            if let Some(quoted) = id(self.quoted_status_id, "quoted_status_id")? {
                e.urls.push(status_url(&quoted));
            }
        }
        e.followers = row.value(self.followers).and_then(|f| parse_count(&f));
        e.account_created_ms = row
            .value(self.account_created_at)
            .and_then(|d| parse_time(&d).ok());
        Ok(e)
    }
}
