//! X/Twitter: the Information Operations archive CSV and X API v2 JSON.

use std::collections::HashMap;

use lockstep_core::{Event, Kind};

use crate::time::parse_time;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{id_text, reason, Id, Lines, Scalar};
use crate::table::{parse_list, Header, Row};
use crate::{non_empty, parse_count, set_entities, status_url, Sink};

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

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        let id = row.required(self.tweetid, "id (tweetid)")?;
        let account = row.required(self.userid, "account (userid)")?;
        let mut e = Event::new(id, account, parse_time(&row.get(self.tweet_time))?);
        e.platform = "x".into();
        e.text = row.text(self.text);
        let retweet = self.is_retweet.is_some_and(|i| {
            matches!(
                row.get(i).trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "t" | "yes"
            )
        });
        if retweet {
            e.kind = Kind::Share;
            e.parent = row.id(self.retweet_tweetid);
            e.parent_account = row.id(self.retweet_userid);
        } else if let Some(parent) = row.id(self.in_reply_to_tweetid) {
            e.kind = Kind::Reply;
            e.parent = Some(parent);
            e.parent_account = row.id(self.in_reply_to_userid);
        }
        // The archive lists entities where it has the column; otherwise they come from the text.
        let list = |i: Option<usize>| i.map(|i| parse_list(&row.get(i)));
        set_entities(
            &mut e,
            list(self.hashtags),
            list(self.user_mentions),
            list(self.urls),
        );
        if let Some(quoted) = row.id(self.quoted_tweet_tweetid) {
            e.urls.push(status_url(&quoted));
        }
        e.account_created_ms = row
            .id(self.account_creation_date)
            .and_then(|d| parse_time(&d).ok());
        e.followers = row.id(self.follower_count).and_then(|f| parse_count(&f));
        Ok(e)
    }
}

/// An X API v2 response (`data`, `includes`, `meta`, `errors`) or a bare tweet object; one
/// struct for both so each line is parsed once.
#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    includes: Option<Includes>,
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
struct Includes {
    #[serde(default)]
    users: Vec<User>,
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

pub(crate) fn handle_v2(doc: &[u8], lines: &mut Lines, sink: &mut Sink) {
    let line = lines.line_of(doc);
    let parsed: Doc = match crate::json::parse(doc) {
        Ok(d) => d,
        Err(e) => return sink.reject(line, reason(&e), doc),
    };
    let response = parsed.data.is_some()
        || parsed.includes.is_some()
        || parsed.meta.is_some()
        || parsed.errors.is_some();
    if !response {
        return sink.emit(line, doc, tweet(parsed, &Users::new()));
    }
    let users: Users = parsed
        .includes
        .iter()
        .flat_map(|i| &i.users)
        .filter_map(|u| Some((u.id.as_ref()?.0.as_str(), u)))
        .collect();
    // `data` is an array for searches and timelines, one object for a single-tweet lookup.
    let tweets = match parsed.data {
        None => Vec::new(),
        Some(d) if d.get().starts_with('[') => match serde_json::from_str(d.get()) {
            Ok(v) => v,
            Err(e) => return sink.reject(line, reason(&e), doc),
        },
        Some(d) => vec![d],
    };
    if tweets.is_empty() {
        // An empty page (`meta.result_count` 0) has nothing to count; a failed request does.
        if let Some(err) = parsed.errors.as_ref().and_then(|e| e.first()) {
            let title = err.title.as_deref().unwrap_or("error");
            let detail = err.detail.as_deref().unwrap_or("");
            sink.reject(line, format!("API error: {title}: {detail}"), doc);
        }
        return;
    }
    for raw in tweets {
        let raw = raw.get().as_bytes();
        let line = lines.line_of(raw);
        match crate::json::parse(raw) {
            Ok(t) => sink.emit(line, raw, tweet(t, &users)),
            Err(e) => sink.reject(line, reason(&e), raw),
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
        .and_then(|u| non_empty(u.username.clone()))
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
                e.parent = Some(r.id.0);
                e.parent_account = None;
            }
            "replied_to" if e.kind != Kind::Share => {
                e.kind = Kind::Reply;
                e.parent = Some(r.id.0);
                // Name the replied-to account as `account` is named: by username when known.
                e.parent_account = id_text(t.in_reply_to_user_id.clone()).map(|uid| {
                    users
                        .get(uid.as_str())
                        .and_then(|u| non_empty(u.username.clone()))
                        .unwrap_or(uid)
                });
            }
            // A quote is a post of its own that links the quoted one.
            "quoted" => quoted.push(status_url(&r.id.0)),
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
