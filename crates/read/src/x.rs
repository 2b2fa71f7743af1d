//! X/Twitter: the Information Operations archive CSV and X API v2 JSON.

use std::collections::HashMap;

use lockstep_core::{Event, Kind};

use crate::time::parse_time;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{id_text, reason, Id, Items, Lines, Scalar};
use crate::table::{parse_list, Header, Row};
use crate::{ident, non_empty, parse_count, set_entities, status_url, Records};

/// Column positions of an Information Operations archive (`tweetid, userid, tweet_time, …`).
pub(crate) struct ArchiveColumns {
    tweetid: usize,
    userid: usize,
    tweet_time: usize,
    text: Option<usize>,
    is_retweet: Option<usize>,
    retweet_tweetid: Option<usize>,
    retweet_userid: Option<usize>,
    in_reply_to_tweetid: Option<usize>,
    in_reply_to_userid: Option<usize>,
    quoted_tweet_tweetid: Option<usize>,
    hashtags: Option<usize>,
    urls: Option<usize>,
    user_mentions: Option<usize>,
    account_creation_date: Option<usize>,
    follower_count: Option<usize>,
}

impl ArchiveColumns {
    pub(crate) const REQUIRED: &'static str = "tweetid, userid, tweet_time";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let [tweetid, userid, tweet_time] = h.find_all(["tweetid", "userid", "tweet_time"])?;
        Some(ArchiveColumns {
            tweetid,
            userid,
            tweet_time,
            text: h.find("tweet_text"),
            is_retweet: h.find("is_retweet"),
            retweet_tweetid: h.find("retweet_tweetid"),
            retweet_userid: h.find("retweet_userid"),
            in_reply_to_tweetid: h.find("in_reply_to_tweetid"),
            in_reply_to_userid: h.find("in_reply_to_userid"),
            quoted_tweet_tweetid: h.find("quoted_tweet_tweetid"),
            hashtags: h.find("hashtags"),
            urls: h.find("urls"),
            user_mentions: h.find("user_mentions"),
            account_creation_date: h.find("account_creation_date"),
            follower_count: h.find("follower_count"),
        })
    }

    /// One row. The releases differ: user ids are numbers or (since 2019) base64 hashes,
    /// `is_retweet` is `True`/`False` or `true`/`false`, times are `2019-01-01 10:00` with or
    /// without seconds, lists are Python reprs (`['a', 'b']`) or bare (`[a, b]`), and
    /// `tweet_language`, `tweet_client_name`, `latitude` (`absent`), counts (`0.0`) and
    /// `poll_choices` are not used.
    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        let id = row.required(self.tweetid, "id (tweetid)")?;
        let account = row.required(self.userid, "account (userid)")?;
        let mut e = Event::new(id, account, parse_time(&row.get(self.tweet_time))?);
        e.platform = "x".into();
        e.text = row.text(self.text);
        let retweet = self.is_retweet.is_some_and(|i| is_true(&row.get(i)));
        if retweet {
            e.kind = Kind::Share;
            e.parent = row.id(self.retweet_tweetid, "parent (retweet_tweetid)")?;
            e.parent_account = row.id(self.retweet_userid, "parent_account (retweet_userid)")?;
        } else if let Some(parent) =
            row.id(self.in_reply_to_tweetid, "parent (in_reply_to_tweetid)")?
        {
            e.kind = Kind::Reply;
            e.parent = Some(parent);
            e.parent_account = row.id(
                self.in_reply_to_userid,
                "parent_account (in_reply_to_userid)",
            )?;
        }
        // The archive lists entities where it has the column (an empty cell: none); otherwise
        // they come from the text.
        let list = |i: Option<usize>, what: &str| -> Result<Option<Vec<String>>, String> {
            let Some(i) = i else { return Ok(None) };
            Ok(Some(parse_list(row.ident(Some(i), what)?.unwrap_or(""))))
        };
        set_entities(
            &mut e,
            list(self.hashtags, "hashtags")?,
            list(self.user_mentions, "mentions (user_mentions)")?,
            list(self.urls, "urls")?,
        );
        if let Some(quoted) = row.id(self.quoted_tweet_tweetid, "quoted_tweet_tweetid")? {
            e.urls.push(status_url(&quoted));
        }
        e.account_created_ms = row
            .value(self.account_creation_date)
            .and_then(|d| parse_time(&d).ok());
        e.followers = row.value(self.follower_count).and_then(|f| parse_count(&f));
        Ok(e)
    }
}

/// A flag cell as the archives and R write it: `True`, `true`, `TRUE`, `1`, `t`, `yes`.
pub(crate) fn is_true(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "t" | "yes"
    )
}

/// An X API v2 response (`data`, `includes`, `meta`, `errors`) or a bare tweet object; one
/// struct for both so each line is parsed once.
#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    includes: Option<Includes<'a>>,
    meta: Option<serde::de::IgnoredAny>,
    errors: Option<Vec<ApiError>>,
    id: Option<Id>,
    author_id: Option<Id>,
    created_at: Option<Scalar>,
    text: Option<String>,
    entities: Option<Entities>,
    referenced_tweets: Option<Vec<Reference>>,
    in_reply_to_user_id: Option<Id>,
    /// Tools such as twarc2 embed the author in each tweet.
    author: Option<User>,
}

#[derive(Deserialize)]
struct Includes<'a> {
    /// Cut into users in place and parsed one at a time (see [`Items`]).
    #[serde(borrow)]
    users: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct User {
    id: Option<Id>,
    username: Option<String>,
    created_at: Option<Scalar>,
    public_metrics: Option<UserMetrics>,
}

#[derive(Deserialize)]
struct UserMetrics {
    followers_count: Option<u64>,
}

#[derive(Deserialize)]
struct ApiError {
    title: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct Entities {
    hashtags: Option<Vec<Tag>>,
    urls: Option<Vec<Url>>,
    mentions: Option<Vec<Mention>>,
}

#[derive(Deserialize)]
struct Tag {
    tag: String,
}

#[derive(Deserialize)]
struct Url {
    url: Option<String>,
    expanded_url: Option<String>,
}

#[derive(Deserialize)]
struct Mention {
    username: String,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: Id,
}

type Users<'u> = HashMap<&'u str, &'u User>;

pub(crate) fn handle_v2(doc: &str, lines: &mut Lines, sink: &mut Records) {
    let line = lines.line_of(doc.as_bytes());
    let parsed: Doc = match crate::json::parse(doc) {
        Ok(d) => d,
        Err(e) => return sink.reject(line, reason(&e), doc.as_bytes()),
    };
    let response = parsed.data.is_some()
        || parsed.includes.is_some()
        || parsed.meta.is_some()
        || parsed.errors.is_some();
    if !response {
        return sink.emit(line, doc.as_bytes(), tweet(parsed, &Users::new()));
    }
    // Users are parsed one at a time and only those with an id are kept: a list of empty
    // objects costs nothing. A malformed user makes the page unreadable, as before.
    let mut owned: Vec<User> = Vec::new();
    if let Some(list) = parsed.includes.as_ref().and_then(|i| i.users) {
        if !list.get().starts_with('[') {
            let why = "bad field value: includes.users is not an array";
            return sink.reject(line, why, doc.as_bytes());
        }
        for u in Items::new(list.get()) {
            match serde_json::from_str::<User>(u) {
                Ok(u) if u.id.is_some() => owned.push(u),
                Ok(_) => {}
                Err(e) => return sink.reject(line, reason(&e), doc.as_bytes()),
            }
        }
    }
    let users: Users = owned
        .iter()
        .filter_map(|u| Some((u.id.as_ref()?.0.trim_ascii(), u)))
        .collect();
    // `data` is an array for searches and timelines, one object for a single-tweet lookup;
    // an array is cut into tweets in place.
    let data = parsed.data.map(|d| d.get());
    let list = data.filter(|d| d.starts_with('[')).map(Items::new);
    let single = data.filter(|d| !d.starts_with('['));
    let mut tweets = list.into_iter().flatten().chain(single).peekable();
    if tweets.peek().is_none() {
        // An empty page (`meta.result_count` 0) has nothing to count; a failed request does.
        if let Some(err) = parsed.errors.as_ref().and_then(|e| e.first()) {
            let title = err.title.as_deref().unwrap_or("error");
            let detail = err.detail.as_deref().unwrap_or("");
            sink.reject(
                line,
                format!("API error: {title}: {detail}"),
                doc.as_bytes(),
            );
        }
        return;
    }
    for raw in tweets {
        let line = lines.line_of(raw.as_bytes());
        match crate::json::parse(raw) {
            Ok(t) => sink.emit(line, raw.as_bytes(), tweet(t, &users)),
            Err(e) => sink.reject(line, reason(&e), raw.as_bytes()),
        }
    }
}

fn tweet(t: Doc, users: &Users) -> Result<Event, String> {
    let id = id_text(t.id).ok_or("missing id")?;
    let author_id = id_text(t.author_id);
    let user = author_id
        .as_deref()
        .and_then(|a| users.get(a).copied())
        .or(t.author.as_ref());
    let account = user
        .and_then(|u| ident(u.username.clone()))
        .or(author_id)
        .ok_or("missing account (author_id)")?;
    let time = t.created_at.ok_or("missing time (created_at)")?;
    let mut e = Event::new(id, account, parse_time(&time.0)?);
    e.platform = "x".into();
    e.text = non_empty(t.text);
    let mut quoted = Vec::new();
    for r in t.referenced_tweets.into_iter().flatten() {
        match r.kind.as_str() {
            "retweeted" => {
                e.kind = Kind::Share;
                e.parent = id_text(Some(r.id));
                e.parent_account = None;
            }
            "replied_to" if e.kind != Kind::Share => {
                e.kind = Kind::Reply;
                e.parent = id_text(Some(r.id));
                // Name the replied-to account as `account` is named: by username when known.
                e.parent_account = id_text(t.in_reply_to_user_id.clone()).map(|uid| {
                    users
                        .get(uid.as_str())
                        .and_then(|u| ident(u.username.clone()))
                        .unwrap_or(uid)
                });
            }
            // A quote is a post of its own that links the quoted one.
            "quoted" => quoted.extend(id_text(Some(r.id)).map(|id| status_url(&id))),
            _ => {}
        }
    }
    match t.entities {
        Some(ent) => {
            let hashtags = ent.hashtags.unwrap_or_default().into_iter().map(|h| h.tag);
            let mentions = ent.mentions.unwrap_or_default();
            let urls = ent.urls.unwrap_or_default().into_iter();
            set_entities(
                &mut e,
                Some(hashtags.collect()),
                Some(mentions.into_iter().map(|m| m.username).collect()),
                Some(urls.filter_map(|u| u.expanded_url.or(u.url)).collect()),
            );
        }
        None => set_entities(&mut e, None, None, None),
    }
    e.urls.extend(quoted);
    if let Some(u) = user {
        e.account_created_ms = u.created_at.as_ref().and_then(|c| parse_time(&c.0).ok());
        e.followers = u.public_metrics.as_ref().and_then(|m| m.followers_count);
    }
    Ok(e)
}
