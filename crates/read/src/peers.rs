//! The CSV inputs of peer tools, so their data and test fixtures load unchanged:
//! CooRTweet (`object_id,account_id,content_id,timestamp_share`) and
//! coordination-network-toolkit (`message_id,user_id,username,repost_id,reply_id,message,
//! timestamp,urls`). Neither names the platform, so events carry an empty one.

use lockstep_core::{Event, Kind, MIN_TIME_MS};

use crate::time::parse_time;

use crate::set_entities;
use crate::table::{Header, Row};

/// Parses a timestamp like [`lockstep_core::parse_time_ms`], but also accepts plain non-negative integers
/// before 2000 as unix seconds: the peers' fixtures use small synthetic times such as `0`
/// or `300`. Negative values, fractions before 2000 and garbage are still rejected.
pub fn parse_unix_seconds_lenient(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(secs) = t.parse::<i64>() {
            if secs < MIN_TIME_MS / 1000 {
                return Ok(secs * 1000);
            }
        }
    }
    parse_time(t)
}

/// CooRTweet: each row is `account_id` sharing `object_id` in its post `content_id`.
pub(crate) struct CoorTweetColumns {
    object_id: usize,
    account_id: usize,
    content_id: usize,
    timestamp_share: usize,
}

impl CoorTweetColumns {
    pub(crate) const REQUIRED: &'static str = "object_id, account_id, content_id, timestamp_share";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let [object_id, account_id, content_id, timestamp_share] =
            h.find_all(["object_id", "account_id", "content_id", "timestamp_share"])?;
        Some(CoorTweetColumns {
            object_id,
            account_id,
            content_id,
            timestamp_share,
        })
    }

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        let id = row.required(self.content_id, "id (content_id)")?;
        let account = row.required(self.account_id, "account (account_id)")?;
        let time = parse_unix_seconds_lenient(&row.get(self.timestamp_share))?;
        let mut e = Event::new(id, account, time);
        e.kind = Kind::Share;
        e.parent = Some(row.required(self.object_id, "parent (object_id)")?);
        Ok(e)
    }
}

/// CooRTweet's multi-modal layout (its `german_elections` data): one post per row with
/// optional anonymised object ids per modality: `account_id, post_id, timestamp` and any of
/// `url_id, hashtag_id, domain_id, phash_id`. URL ids become (opaque) URLs, hashtag ids
/// hashtags, image perceptual hashes media. The domain is coarser than the URL and is kept out
/// of the traces: sharing one news site is no evidence by itself.
pub(crate) struct MultimodalColumns {
    account_id: usize,
    post_id: usize,
    timestamp: usize,
    url_id: Option<usize>,
    hashtag_id: Option<usize>,
    phash_id: Option<usize>,
}

impl MultimodalColumns {
    pub(crate) const REQUIRED: &'static str =
        "account_id, post_id, timestamp and one of url_id, hashtag_id, domain_id, phash_id";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let [account_id, post_id, timestamp] =
            h.find_all(["account_id", "post_id", "timestamp"])?;
        let (url_id, hashtag_id, phash_id) =
            (h.find("url_id"), h.find("hashtag_id"), h.find("phash_id"));
        (url_id.is_some()
            || hashtag_id.is_some()
            || phash_id.is_some()
            || h.find("domain_id").is_some())
        .then_some(MultimodalColumns {
            account_id,
            post_id,
            timestamp,
            url_id,
            hashtag_id,
            phash_id,
        })
    }

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        let id = row.required(self.post_id, "id (post_id)")?;
        let account = row.required(self.account_id, "account (account_id)")?;
        let time = parse_unix_seconds_lenient(&row.get(self.timestamp))?;
        let mut e = Event::new(id, account, time);
        e.urls = row
            .ident(self.url_id, "urls (url_id)")?
            .map(|u| vec![format!("id:{u}")])
            .unwrap_or_default();
        e.hashtags = row
            .id(self.hashtag_id, "hashtags (hashtag_id)")?
            .map(|t| vec![t])
            .unwrap_or_default();
        e.media = row.id(self.phash_id, "media (phash_id)")?;
        Ok(e)
    }
}

/// coordination-network-toolkit's preprocessed CSV.
pub(crate) struct CntColumns {
    message_id: usize,
    user_id: usize,
    timestamp: usize,
    repost_id: Option<usize>,
    reply_id: Option<usize>,
    message: Option<usize>,
    urls: Option<usize>,
}

impl CntColumns {
    pub(crate) const REQUIRED: &'static str = "message_id, user_id, timestamp";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let [message_id, user_id, timestamp] =
            h.find_all(["message_id", "user_id", "timestamp"])?;
        Some(CntColumns {
            message_id,
            user_id,
            timestamp,
            repost_id: h.find("repost_id"),
            reply_id: h.find("reply_id"),
            message: h.find("message"),
            urls: h.find("urls"),
        })
    }

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        let id = row.required(self.message_id, "id (message_id)")?;
        let account = row.required(self.user_id, "account (user_id)")?;
        let time = parse_unix_seconds_lenient(&row.get(self.timestamp))?;
        let mut e = Event::new(id, account, time);
        if let Some(parent) = row.id(self.repost_id, "parent (repost_id)")? {
            e.kind = Kind::Share;
            e.parent = Some(parent);
        } else if let Some(parent) = row.id(self.reply_id, "parent (reply_id)")? {
            e.kind = Kind::Reply;
            e.parent = Some(parent);
        }
        e.text = row.text(self.message);
        let urls = row
            .ident(self.urls, "urls")?
            .map(|u| u.split_ascii_whitespace().map(str::to_string).collect());
        set_entities(&mut e, None, None, urls);
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_seconds() {
        assert_eq!(parse_unix_seconds_lenient("0"), Ok(0));
        assert_eq!(parse_unix_seconds_lenient(" 300 "), Ok(300_000));
        assert_eq!(
            parse_unix_seconds_lenient("1623881091.0"),
            Ok(1_623_881_091_000)
        );
        assert_eq!(
            parse_unix_seconds_lenient("1623881091"),
            Ok(1_623_881_091_000)
        );
        assert!(parse_unix_seconds_lenient("-5").is_err());
        assert!(parse_unix_seconds_lenient("12.5").is_err());
        assert!(parse_unix_seconds_lenient("abc").is_err());
        assert!(parse_unix_seconds_lenient("").is_err());
        // Far future stays impossible.
        assert!(parse_unix_seconds_lenient("99999999999").is_err());
    }
}
