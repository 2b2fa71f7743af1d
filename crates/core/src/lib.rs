//! The normalized event model every reader produces and every later stage consumes.
//!
//! An [`Event`] is one action of one account at one time: a post, a comment, a reply or a
//! share. Readers turn each input format into events or [`Quarantined`] records; nothing is
//! dropped silently.

mod arena;
pub mod memory;
mod names;
pub mod progress;
pub use arena::StrArena;
pub use names::mix64;

use serde::{Deserialize, Serialize};

/// What kind of action an event is. Names (and the aliases platforms use) are defined here
/// once; `Display`, parsing and serde go through them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(ascii_case_insensitive)]
pub enum Kind {
    #[strum(
        to_string = "post",
        serialize = "video",
        serialize = "tweet",
        serialize = "message"
    )]
    Post,
    #[strum(to_string = "comment")]
    Comment,
    #[strum(to_string = "reply")]
    Reply,
    #[strum(
        to_string = "share",
        serialize = "repost",
        serialize = "retweet",
        serialize = "reshare",
        serialize = "forward"
    )]
    Share,
}
serde_by_name!(Kind);

impl Kind {
    /// A kind by any of its names, case-insensitive; blank means a post.
    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim();
        if s.is_empty() {
            return Some(Kind::Post);
        }
        s.parse().ok()
    }
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What kind of failure an error is. Each library's error type says which of these it is;
/// front ends map kinds to exit codes or HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The data: a file of no known shape, an unreadable input.
    Input,
    /// Parameters or a configuration file the user gave (a usage error).
    Config,
    /// Reading or writing the file system (outputs, temporary files).
    Io,
    /// A limit: memory, disk, sizes.
    Resources,
    /// A bug: something that should not happen.
    Internal,
}

/// One normalized action. Times are unix milliseconds (UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The post/comment id as the platform gives it.
    pub id: String,
    /// The account exactly as it appears in the input (user name or id).
    pub account: String,
    pub time_ms: i64,
    /// Lower-case platform name (`tiktok`, `x`, `telegram`, …); empty when unknown.
    pub platform: String,
    pub kind: Kind,
    pub text: Option<String>,
    pub hashtags: Vec<String>,
    pub urls: Vec<String>,
    pub mentions: Vec<String>,
    /// The sound/music id (TikTok `music_id`).
    pub sound: Option<String>,
    /// A media fingerprint: an image/video perceptual hash or shared media id.
    #[serde(default)]
    pub media: Option<String>,
    /// The post this event comments on, replies to or shares.
    pub parent: Option<String>,
    pub parent_account: Option<String>,
    pub account_created_ms: Option<i64>,
    pub followers: Option<u64>,
}

impl Event {
    /// A bare event; readers fill the optional fields they have.
    pub fn new(id: impl Into<String>, account: impl Into<String>, time_ms: i64) -> Event {
        Event {
            id: id.into(),
            account: account.into(),
            time_ms,
            platform: String::new(),
            kind: Kind::Post,
            text: None,
            hashtags: Vec::new(),
            urls: Vec::new(),
            mentions: Vec::new(),
            sound: None,
            media: None,
            parent: None,
            parent_account: None,
            account_created_ms: None,
            followers: None,
        }
    }
}

/// A record that could not become an event, kept with where it came from and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quarantined {
    pub file: String,
    /// 1-based line number (or record number for JSON documents).
    pub record: u64,
    pub reason: String,
    /// The raw record, cut to a readable length.
    pub raw: String,
}

/// Earliest and latest instants accepted as real activity: 2000-01-01 .. 2100-01-01 UTC.
/// Anything outside is an "impossible timestamp" (usually a unit mix-up) and is quarantined.
pub const MIN_TIME_MS: i64 = 946_684_800_000;
pub const MAX_TIME_MS: i64 = 4_102_444_800_000;

/// Parses a timestamp: RFC 3339 / ISO 8601 (with or without zone, `T` or space), a plain
/// date, or unix seconds (integer or fractional; 13-digit values are taken as milliseconds).
pub fn parse_time_ms(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("missing time".into());
    }
    let ms = if let Ok(v) = s.parse::<f64>() {
        if !v.is_finite() {
            return Err(format!("impossible timestamp {s:?}"));
        }
        // 13+ digit integers are milliseconds (JavaScript/Java exports).
        if v.abs() >= 1e12 {
            v.round() as i64
        } else {
            (v * 1000.0).round() as i64
        }
    } else if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        dt.timestamp_millis()
    } else if let Some(ms) = parse_loose_datetime(s) {
        ms
    } else {
        return Err(format!("unparseable time {s:?}"));
    };
    if !(MIN_TIME_MS..MAX_TIME_MS).contains(&ms) {
        return Err(format!("impossible timestamp {s:?} (outside 2000..2100)"));
    }
    Ok(ms)
}

fn parse_loose_datetime(s: &str) -> Option<i64> {
    use chrono::{NaiveDate, NaiveDateTime};
    // Zoned variants that RFC 3339 rejects: "2024-11-11 10:00:00+00:00", "... +0000", "...Z".
    for f in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = chrono::DateTime::parse_from_str(s, f) {
            return Some(dt.timestamp_millis());
        }
    }
    let t = s.trim_end_matches('Z').trim_end_matches(" UTC");
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    None
}

/// Formats unix milliseconds as RFC 3339 UTC with second precision (millis when present).
pub fn format_time(ms: i64) -> String {
    let mut out = Vec::with_capacity(24);
    write_time(&mut out, ms);
    String::from_utf8(out).expect("digits and ASCII punctuation")
}

/// [`format_time`] appended to `out`. Hand-written (days-to-civil, digits by hand) because
/// outputs format millions of times.
pub fn write_time(out: &mut Vec<u8>, ms: i64) {
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
    if (0..=9999).contains(&y) {
        // Every field is in range here, non-negative and within its width.
        write_padded(out, y as u64, 4);
        for (sep, v) in [(b'-', m), (b'-', d), (b'T', h), (b':', mi), (b':', s)] {
            out.push(sep);
            write_padded(out, v as u64, 2);
        }
        if milli != 0 {
            out.push(b'.');
            write_padded(out, milli as u64, 3);
        }
        out.push(b'Z');
    } else {
        // Years outside 0..=9999 (never accepted from input) as the formatter writes them.
        use std::io::Write;
        let _ = write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
        let _ = match milli {
            0 => write!(out, "Z"),
            _ => write!(out, ".{milli:03}Z"),
        };
    }
}

/// `n` in decimal with leading zeros to `width` digits (`n` has at most `width`).
pub fn write_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    let (mut n, mut i) = (n, out.len());
    while n > 0 {
        i -= 1;
        out[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Pulls `#hashtags`, `@mentions` and `http(s)://` URLs out of free text, for inputs that do
/// not list them as fields. Hashtags and mentions are returned without their sigil.
pub fn extract_entities(text: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    extract(text, true, true, true)
}

/// [`extract_entities`], collecting only the lists asked for (readers that are given some
/// lists as fields need only the others).
pub fn extract(
    text: &str,
    want_tags: bool,
    want_mentions: bool,
    want_urls: bool,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut tags = Vec::new();
    let mut mentions = Vec::new();
    let mut urls = Vec::new();
    let b = text.as_bytes();
    let sigils = (want_tags && b.contains(&b'#')) || (want_mentions && b.contains(&b'@'));
    let links = want_urls && text.contains("://");
    if !sigils && !links {
        return (tags, mentions, urls);
    }
    let starts = |w: &str, p: &str| {
        w.len() >= p.len() && w.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    for word in text.split_whitespace() {
        if starts(word, "http://") || starts(word, "https://") {
            if want_urls {
                let u = word.trim_end_matches(|c: char| {
                    matches!(c, ',' | '.' | ')' | ']' | '"' | '\'' | '!' | '?')
                });
                urls.push(u.to_string());
            }
            continue;
        }
        if !sigils {
            continue;
        }
        // A word may hold several tags: "#a#b".
        let mut rest = word;
        while let Some(pos) = rest.bytes().position(|c| c == b'#' || c == b'@') {
            let sigil = rest.as_bytes()[pos];
            let after = &rest[pos + 1..];
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' && sigil == b'@'))
                .unwrap_or(after.len());
            let name = after[..end].trim_end_matches('.');
            if !name.is_empty() {
                if sigil == b'#' {
                    if want_tags {
                        tags.push(name.to_string());
                    }
                } else if want_mentions {
                    mentions.push(name.to_string());
                }
            }
            rest = &after[end..];
        }
    }
    (tags, mentions, urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_every_documented_form() {
        let want = 1_731_319_200_000; // 2024-11-11T10:00:00Z
        for s in [
            "2024-11-11T10:00:00Z",
            "2024-11-11T12:00:00+02:00",
            "2024-11-11 10:00:00",
            "2024-11-11 10:00:00+00:00",
            "2024-11-11T10:00:00.000Z",
            "1731319200",
            "1731319200.0",
            "1731319200000",
        ] {
            assert_eq!(parse_time_ms(s), Ok(want), "{s}");
        }
        assert!(parse_time_ms("").is_err());
        assert!(parse_time_ms("yesterday").is_err());
        assert!(parse_time_ms("12").unwrap_err().contains("impossible"));
        assert!(parse_time_ms("NaN").is_err());
        assert!(parse_time_ms("9999999999999999").is_err());
        assert_eq!(format_time(want), "2024-11-11T10:00:00Z");
        // Against chrono across leap years, century rules, the epoch and millis, then every
        // field's digits over two centuries at irregular steps.
        let by_chrono = |ms: i64| {
            let dt = chrono::DateTime::from_timestamp_millis(ms).unwrap();
            let form = if ms % 1000 == 0 {
                "%Y-%m-%dT%H:%M:%SZ"
            } else {
                "%Y-%m-%dT%H:%M:%S%.3fZ"
            };
            dt.format(form).to_string()
        };
        let edge_cases = [
            0i64,
            951_782_400_000,
            4_102_444_799_999,
            1_709_164_800_123,
            978_307_199_000,
            -1000,
        ];
        let span = (MIN_TIME_MS - 86_400_000 * 366 * 30..MAX_TIME_MS).step_by(7_919_999_937);
        for ms in edge_cases.into_iter().chain(span) {
            assert_eq!(format_time(ms), by_chrono(ms), "{ms}");
        }
    }

    #[test]
    fn entities_come_out_of_text() {
        let (t, m, u) = extract_entities(
            "Vot #CG11#Romania pentru @calin.georgescu, vezi https://ex.ro/a?utm_source=x. ok",
        );
        assert_eq!(t, vec!["CG11", "Romania"]);
        assert_eq!(m, vec!["calin.georgescu"]);
        assert_eq!(u, vec!["https://ex.ro/a?utm_source=x"]);
        assert_eq!(extract_entities("no entities here # @ ").0.len(), 0);
    }

    #[test]
    fn kinds_parse() {
        assert_eq!(Kind::parse("Comment"), Some(Kind::Comment));
        assert_eq!(Kind::parse("retweet"), Some(Kind::Share));
        assert_eq!(Kind::parse("nonsense"), None);
    }

    #[test]
    fn extracting_some_lists_gives_the_same_lists() {
        for text in [
            "Votați #CG11 @ana.b https://x.ro/a, #a#b",
            "no entities",
            "mail me@host.ro or HTTPS://Y.RO/b!",
            "",
        ] {
            let (t, m, u) = extract_entities(text);
            assert_eq!(
                extract(text, true, false, false),
                (t.clone(), vec![], vec![])
            );
            assert_eq!(
                extract(text, false, true, false),
                (vec![], m.clone(), vec![])
            );
            assert_eq!(
                extract(text, false, false, true),
                (vec![], vec![], u.clone())
            );
        }
    }
}
