//! JSON log lines: access logs (nginx `escape=json` formats, Caddy, Traefik, AWS
//! ALB/CloudFront-style exports — fields are found by name), ModSecurity 2/3 JSON audit
//! records, and `journalctl -o json` entries (whose MESSAGE is parsed as an sshd line).
//!
//! Field names are compared normalized (lowercase, letters and digits only), so
//! `http_user_agent`, `request_User-Agent`, `cs(User-Agent)` and `request.headers.User-Agent`
//! meet the same alias list. Nested objects are flattened with their path.

use crate::clf::split_request_line;
use crate::record::{parse_ip, Http, LineFormat, Record, WafMatch};
use crate::time::{parse_any, parse_clf, parse_ctime};
use crate::Config;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON value that keeps object keys in document order (header order is evidence) without
/// switching serde_json's map type for the whole workspace.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl<'de> serde::Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<J, E> {
                Ok(J::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<J, E> {
                Ok(J::Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<J, E> {
                Ok(J::Num(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<J, E> {
                Ok(J::Num(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<J, E> {
                Ok(J::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<J, E> {
                Ok(J::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(J::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, J>()? {
                    v.push((k, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl J {
    fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn path(&self, keys: &[&str]) -> Option<&J> {
        keys.iter().try_fold(self, |j, k| j.get(k))
    }
    /// A scalar as text (a one-element array, as Caddy logs header values, counts too).
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            J::Str(s) => Some(Cow::Borrowed(s.as_str())),
            J::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Some(Cow::Owned(format!("{}", *n as i64)))
            }
            J::Num(n) => Some(Cow::Owned(n.to_string())),
            J::Bool(b) => Some(Cow::Owned(b.to_string())),
            J::Arr(v) => v.first().and_then(J::text),
            _ => None,
        }
    }
}

fn norm(key: &str) -> String {
    key.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase() as char)
        .collect()
}

/// Top-level and nested scalars as (normalized path, value), in document order; header
/// objects also give their key order.
struct Flat<'j> {
    fields: Vec<(String, &'j J)>,
    header_order: Option<String>,
}

fn flatten<'j>(j: &'j J, prefix: &str, depth: usize, out: &mut Flat<'j>) {
    let J::Obj(kv) = j else { return };
    for (k, v) in kv {
        let key = format!("{prefix}{}", norm(k));
        match v {
            J::Obj(inner) if depth < 3 => {
                if out.header_order.is_none() && key.ends_with("headers") && !key.contains("resp") {
                    let names: Vec<String> =
                        inner.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
                    if !names.is_empty() {
                        out.header_order = Some(names.join(","));
                    }
                }
                flatten(v, &key, depth + 1, out);
            }
            _ => out.fields.push((key, v)),
        }
    }
}

impl<'j> Flat<'j> {
    fn find(&self, aliases: &[&str]) -> Option<&'j J> {
        aliases
            .iter()
            .find_map(|a| {
                self.fields
                    .iter()
                    .find(|(k, v)| k == a && !matches!(v, J::Null))
            })
            .map(|(_, v)| *v)
    }
    fn text(&self, aliases: &[&str]) -> Option<String> {
        self.find(aliases)
            .and_then(J::text)
            .map(|s| s.into_owned())
            .filter(|s| !s.is_empty() && s != "-")
    }
}

const CLIENT: &[&str] = &[
    "requestclientip",
    "clientip",
    "remoteaddr",
    "requestremoteip",
    "clienthost",
    "cip",
    "clientaddr",
    "remoteip",
    "sourceip",
    "srcip",
    "client",
    "ip",
    "httpsourceip",
    "remoteaddress",
];
const XFF: &[&str] = &[
    "httpxforwardedfor",
    "xforwardedfor",
    "requestheadersxforwardedfor",
    "requestxforwardedfor",
    "forwardedfor",
];
const TIME: &[&str] = &[
    "timeiso8601",
    "timelocal",
    "timestamp",
    "time",
    "ts",
    "msec",
    "startutc",
    "starttime",
    "requesttimestamp",
    "datetime",
    "date",
];
const METHOD: &[&str] = &[
    "requestmethod",
    "method",
    "requestverb",
    "csmethod",
    "httpmethod",
    "verb",
];
const URI: &[&str] = &[
    "requesturi",
    "uri",
    "requestpath",
    "requesturl",
    "url",
    "csuristem",
    "path",
    "requestpathquery",
];
const QUERY: &[&str] = &["csuriquery", "querystring", "args", "query"];
const REQUEST_LINE: &[&str] = &["request", "requestline"];
const PROTOCOL: &[&str] = &[
    "serverprotocol",
    "requestprotocol",
    "requestproto",
    "proto",
    "protocol",
    "csprotocol",
    "csprotocolversion",
    "httpversion",
];
const STATUS: &[&str] = &[
    "status",
    "downstreamstatus",
    "elbstatuscode",
    "scstatus",
    "statuscode",
    "responsestatus",
    "httpstatus",
    "responsecode",
];
const BYTES: &[&str] = &[
    "bodybytessent",
    "bytessent",
    "size",
    "downstreamcontentsize",
    "scbytes",
    "sentbytes",
    "responsesize",
    "bytes",
];
const HOST: &[&str] = &[
    "host",
    "httphost",
    "requesthost",
    "servername",
    "cshost",
    "xhostheader",
    "domainname",
    "vhost",
    "requestheadershost",
    "hostname",
];
const UA: &[&str] = &[
    "httpuseragent",
    "useragent",
    "csuseragent",
    "requestuseragent",
    "requestheadersuseragent",
];
const REFERER: &[&str] = &[
    "httpreferer",
    "referer",
    "referrer",
    "csreferer",
    "requestreferer",
    "requestheadersreferer",
];
const DURATION_S: &[&str] = &[
    "requesttime",
    "duration",
    "timetaken",
    "requestprocessingtime",
];
const TLS: &[&str] = &[
    "ja4",
    "sslja4",
    "httpsslja4",
    "ja4fingerprint",
    "tlsja4",
    "requesttlsja4",
    "ja3",
    "sslja3",
    "httpsslja3",
    "ja3fingerprint",
    "ja3hash",
    "tlsja3",
    "tlsfingerprint",
];
const USER: &[&str] = &[
    "remoteuser",
    "user",
    "username",
    "requestuser",
    "userid",
    "authuser",
];
const HEADER_ORDER: &[&str] = &["headerorder", "requestheaderorder", "headersorder"];

/// Parses a JSON line. `Ok(None)`: valid JSON of no known kind.
pub(crate) fn parse(
    line: &[u8],
    cfg: &Config,
) -> Result<Option<(Record<'static>, LineFormat)>, String> {
    let j: J = serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
    if !matches!(j, J::Obj(_)) {
        return Err("a JSON line that is not an object".into());
    }
    if j.get("transaction").is_some()
        && (j.path(&["transaction", "messages"]).is_some()
            || j.get("audit_data").is_some()
            || j.path(&["transaction", "request"]).is_some()
            || j.get("request").is_some())
    {
        return modsecurity(&j, cfg).map(|r| Some((r, LineFormat::ModSecurity)));
    }
    if j.get("MESSAGE").is_some()
        && (j.get("__REALTIME_TIMESTAMP").is_some() || j.get("_PID").is_some())
    {
        return journald(&j).map(|r| Some((r, LineFormat::Journald)));
    }
    let mut flat = Flat {
        fields: Vec::new(),
        header_order: None,
    };
    flatten(&j, "", 0, &mut flat);
    let has = |a: &[&str]| flat.find(a).is_some();
    if has(CLIENT) && (has(URI) || has(REQUEST_LINE)) && has(STATUS) {
        return access(&flat, cfg).map(|r| Some((r, LineFormat::JsonAccess)));
    }
    Ok(None)
}

fn status_of(j: Option<&J>) -> Result<u16, String> {
    let s = j.and_then(J::text).ok_or("missing status")?;
    s.parse::<u16>()
        .ok()
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| format!("bad status {s:?}"))
}

fn access(f: &Flat<'_>, cfg: &Config) -> Result<Record<'static>, String> {
    let peer = f
        .text(CLIENT)
        .and_then(|s| parse_ip(&s))
        .ok_or("missing or bad client address")?;
    let source = match f.text(XFF) {
        Some(x) => cfg.client_behind(peer, &x),
        None => peer,
    };
    let time = match (f.text(&["date"]), f.text(&["time"])) {
        // CloudFront: separate date and time columns.
        (Some(d), Some(t)) if d.len() == 10 && t.len() >= 8 && !t.contains('T') => {
            parse_any(&format!("{d}T{t}Z"))?
        }
        _ => match f.find(TIME) {
            Some(J::Num(n)) => parse_any(&n.to_string())?,
            Some(j) => parse_any(&j.text().ok_or("bad time")?)?,
            None => return Err("missing time".into()),
        },
    };
    let mut http = Http {
        time,
        source: Some(source),
        status: status_of(f.find(STATUS))?,
        ..Http::default()
    };
    match (f.text(METHOD), f.text(URI)) {
        (Some(m), Some(u)) => {
            http.method = Cow::Owned(m);
            http.target = Cow::Owned(match f.text(QUERY) {
                Some(q) if !u.contains('?') => format!("{u}?{q}"),
                _ => u,
            });
            http.protocol = Cow::Owned(f.text(PROTOCOL).unwrap_or_default());
        }
        _ => match f.text(REQUEST_LINE) {
            Some(line) => split_request_line(Cow::Owned(line), &mut http),
            None => return Err("missing request method or URI".into()),
        },
    }
    http.bytes = f
        .text(BYTES)
        .and_then(|b| b.parse::<f64>().ok())
        .map_or(0, |b| b.max(0.0) as u64);
    http.host = f.text(HOST).map(Cow::Owned);
    http.user_agent = f.text(UA).map(Cow::Owned);
    http.referer = f.text(REFERER).map(Cow::Owned);
    http.user = f.text(USER).map(Cow::Owned);
    http.tls = f.text(TLS).map(Cow::Owned);
    http.header_order = f.text(HEADER_ORDER).or_else(|| f.header_order.clone());
    if let Some(d) = f.find(DURATION_S) {
        let v = d.text().and_then(|s| s.parse::<f64>().ok()).unwrap_or(-1.0);
        // Traefik logs nanoseconds as an integer; everyone else seconds.
        let ms = if v > 1e6 { v / 1e6 } else { v * 1000.0 };
        if ms.is_finite() && (0.0..4e9).contains(&ms) {
            http.duration_ms = Some(ms.round() as u32);
        }
    }
    Ok(Record::Http(http))
}

fn header(headers: Option<&J>, name: &str) -> Option<String> {
    match headers? {
        J::Obj(kv) => kv
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.text().map(|s| s.into_owned())),
        _ => None,
    }
}

fn header_order(headers: Option<&J>) -> Option<String> {
    match headers? {
        J::Obj(kv) if !kv.is_empty() => Some(
            kv.iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

/// ModSecurity 3 (`transaction.{client_ip,time_stamp,request,response,messages}`) or
/// ModSecurity 2 (`transaction.{remote_address,time}`, `request.request_line`,
/// `audit_data.messages` as text with `[id "942100"]`).
fn modsecurity(j: &J, cfg: &Config) -> Result<Record<'static>, String> {
    let t = j.get("transaction").ok_or("no transaction")?;
    let peer = t
        .get("client_ip")
        .or_else(|| t.get("remote_address"))
        .and_then(J::text)
        .and_then(|s| parse_ip(&s))
        .ok_or("ModSecurity record without a client address")?;
    let time = if let Some(ts) = t.get("time_stamp").and_then(J::text) {
        parse_ctime(&ts)?
    } else if let Some(ts) = t.get("time").and_then(J::text) {
        parse_clf(ts.as_bytes())?
    } else {
        return Err("ModSecurity record without a time".into());
    };
    let mut http = Http {
        time,
        ..Http::default()
    };
    let (headers, status);
    if let Some(req) = t.get("request") {
        headers = req.get("headers");
        http.method = Cow::Owned(
            req.get("method")
                .and_then(J::text)
                .unwrap_or_default()
                .into_owned(),
        );
        http.target = Cow::Owned(
            req.get("uri")
                .and_then(J::text)
                .unwrap_or_default()
                .into_owned(),
        );
        http.protocol = Cow::Owned(match req.get("http_version").and_then(J::text) {
            Some(v) => format!("HTTP/{v}"),
            None => String::new(),
        });
        status = t.path(&["response", "http_code"]);
        for m in match t.get("messages") {
            Some(J::Arr(v)) => v.as_slice(),
            _ => &[],
        } {
            let d = m.get("details");
            let rule = d
                .and_then(|d| d.get("ruleId"))
                .and_then(J::text)
                .and_then(|s| s.parse().ok());
            if let Some(rule) = rule {
                let tags = match d.and_then(|d| d.get("tags")) {
                    Some(J::Arr(v)) => v
                        .iter()
                        .filter_map(|t| t.text().map(|s| s.to_ascii_lowercase()))
                        .collect(),
                    _ => Vec::new(),
                };
                let message = m
                    .get("message")
                    .and_then(J::text)
                    .unwrap_or_default()
                    .into_owned();
                http.waf.push(WafMatch {
                    rule,
                    tags,
                    message,
                });
            }
        }
    } else {
        let req = j
            .get("request")
            .ok_or("ModSecurity record without a request")?;
        headers = req.get("headers");
        let line = req
            .get("request_line")
            .and_then(J::text)
            .unwrap_or_default()
            .into_owned();
        split_request_line(Cow::Owned(line), &mut http);
        status = j.path(&["response", "status"]);
        if let Some(J::Arr(msgs)) = j.path(&["audit_data", "messages"]) {
            for m in msgs.iter().filter_map(J::text) {
                if let Some(rule) = bracket_value(&m, "id").and_then(|s| s.parse().ok()) {
                    let tags = bracket_values(&m, "tag")
                        .map(|s| s.to_ascii_lowercase())
                        .collect();
                    let message = bracket_value(&m, "msg").unwrap_or_default().to_string();
                    http.waf.push(WafMatch {
                        rule,
                        tags,
                        message,
                    });
                }
            }
        }
    }
    http.status = status_of(status).unwrap_or(0);
    http.host = header(headers, "host").map(Cow::Owned);
    http.user_agent = header(headers, "user-agent").map(Cow::Owned);
    http.referer = header(headers, "referer").map(Cow::Owned);
    http.header_order = header_order(headers);
    http.source = Some(match header(headers, "x-forwarded-for") {
        Some(x) => cfg.client_behind(peer, &x),
        None => peer,
    });
    Ok(Record::Http(http))
}

fn bracket_values<'m>(m: &'m str, name: &'m str) -> impl Iterator<Item = &'m str> + 'm {
    let pat = format!("[{name} \"");
    let mut rest = m;
    std::iter::from_fn(move || {
        let p = rest.find(&pat)? + pat.len();
        let end = rest[p..].find("\"]")? + p;
        let v = &rest[p..end];
        rest = &rest[end..];
        Some(v)
    })
}

fn bracket_value<'m>(m: &'m str, name: &'m str) -> Option<&'m str> {
    bracket_values(m, name).next()
}

fn journald(j: &J) -> Result<Record<'static>, String> {
    let message = match j.get("MESSAGE") {
        Some(J::Str(s)) => s.clone(),
        // journald writes a non-UTF-8 message as an array of bytes.
        Some(J::Arr(bytes)) => {
            let b: Vec<u8> = bytes
                .iter()
                .map(|x| match x {
                    J::Num(n) if (0.0..256.0).contains(n) => Ok(*n as u8),
                    _ => Err("MESSAGE byte array with a value that is not a byte".to_string()),
                })
                .collect::<Result<_, _>>()?;
            crate::clf::escape_invalid(&b)
        }
        _ => return Err("MESSAGE that is neither text nor bytes".into()),
    };
    let time = j
        .get("__REALTIME_TIMESTAMP")
        .and_then(J::text)
        .and_then(|s| s.parse::<i64>().ok())
        .map(|us| us / 1000)
        .ok_or("journal entry without __REALTIME_TIMESTAMP")?;
    let time = if (lockstep_core::MIN_TIME_MS..lockstep_core::MAX_TIME_MS).contains(&time) {
        time
    } else {
        return Err("impossible timestamp (outside 2000..2100)".into());
    };
    let ident = j
        .get("SYSLOG_IDENTIFIER")
        .or_else(|| j.get("_COMM"))
        .and_then(J::text)
        .unwrap_or_default()
        .into_owned();
    match crate::auth::parse_message(&ident, &message, crate::time::Time::Utc(time)) {
        Some(a) => Ok(Record::Auth(crate::auth::owned(a))),
        None => Ok(Record::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> (Http<'static>, LineFormat) {
        match parse(line.as_bytes(), &Config::default()) {
            Ok(Some((Record::Http(h), f))) => (h, f),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn access_flavours() {
        let (h, _) = one(
            r#"{"time_iso8601":"2024-11-19T12:00:00+00:00","remote_addr":"1.2.3.4","request":"GET /x?a=1 HTTP/1.1","status":"404","body_bytes_sent":"12","http_user_agent":"sqlmap/1.7","request_time":"0.004","ssl_ja4":"t13d1516h2_8daaf6152771_02713d6af862"}"#,
        );
        assert_eq!(
            (h.method.as_ref(), h.target.as_ref(), h.status, h.bytes),
            ("GET", "/x?a=1", 404, 12)
        );
        assert_eq!(h.duration_ms, Some(4));
        assert!(h.tls.is_some());
        let (h, _) = one(
            r#"{"level":"info","ts":1732017600.25,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.1","client_ip":"2001:db8::1","proto":"HTTP/2.0","method":"POST","host":"vot.ro","uri":"/login","headers":{"User-Agent":["Mozilla/5.0"],"Accept":["*/*"]}},"status":401,"size":3,"duration":0.5}"#,
        );
        assert_eq!(h.source, "2001:db8::1".parse().ok());
        assert_eq!(
            (h.time, h.status, h.duration_ms),
            (1_732_017_600_250, 401, Some(500))
        );
        assert_eq!(h.header_order.as_deref(), Some("user-agent,accept"));
        assert_eq!(h.user_agent.as_deref(), Some("Mozilla/5.0"));
        let (h, _) = one(
            r#"{"ClientAddr":"1.2.3.4:5555","ClientHost":"1.2.3.4","DownstreamStatus":200,"RequestMethod":"GET","RequestPath":"/r","RequestProtocol":"HTTP/1.1","StartUTC":"2024-11-19T12:00:00.5Z","Duration":2000000,"request_User-Agent":"curl/8"}"#,
        );
        assert_eq!(
            (h.status, h.duration_ms, h.user_agent.as_deref()),
            (200, Some(2), Some("curl/8"))
        );
        let (h, _) = one(
            r#"{"date":"2024-11-19","time":"12:00:00","c-ip":"1.2.3.4","cs-method":"GET","cs-uri-stem":"/a","cs-uri-query":"b=1","sc-status":"200","cs(User-Agent)":"x","ja4-fingerprint":"t13d"}"#,
        );
        assert_eq!((h.target.as_ref(), h.time), ("/a?b=1", 1_732_017_600_000));
        assert_eq!(h.tls.as_deref(), Some("t13d"));
    }

    #[test]
    fn modsecurity_v3_and_v2() {
        let v3 = r#"{"transaction":{"client_ip":"5.6.7.8","time_stamp":"Tue Nov 19 12:00:00 2024","request":{"method":"GET","http_version":1.1,"uri":"/?id=1' or 1=1--","headers":{"Host":"bec.ro","User-Agent":"x"}},"response":{"http_code":403},"messages":[{"message":"SQL Injection Attack Detected via libinjection","details":{"ruleId":"942100","tags":["attack-sqli","OWASP_CRS"]}}]}}"#;
        let (h, f) = one(v3);
        assert_eq!(f, LineFormat::ModSecurity);
        assert_eq!(
            (h.status, h.waf[0].rule, h.host.as_deref()),
            (403, 942100, Some("bec.ro"))
        );
        assert_eq!(h.waf[0].tags[0], "attack-sqli");
        let v2 = r#"{"transaction":{"time":"19/Nov/2024:12:00:00.123456 +0000","remote_address":"5.6.7.8"},"request":{"request_line":"GET /a/../../etc/passwd HTTP/1.1","headers":{"User-Agent":"y"}},"response":{"status":403},"audit_data":{"messages":["Message: Warning. Matched phrase \"etc/passwd\" [file \"x.conf\"] [id \"930120\"] [msg \"OS File Access Attempt\"] [tag \"attack-lfi\"]"]}}"#;
        let (h, _) = one(v2);
        assert_eq!(
            (h.waf[0].rule, h.waf[0].message.as_str()),
            (930120, "OS File Access Attempt")
        );
        assert_eq!(h.target, "/a/../../etc/passwd");
    }

    #[test]
    fn journald_sshd() {
        let line = r#"{"__REALTIME_TIMESTAMP":"1732017600000000","SYSLOG_IDENTIFIER":"sshd","_PID":"1","MESSAGE":"Failed password for invalid user admin from 9.9.9.9 port 22 ssh2"}"#;
        match parse(line.as_bytes(), &Config::default()) {
            Ok(Some((Record::Auth(a), LineFormat::Journald))) => {
                assert_eq!(a.user.as_deref(), Some("admin"));
                assert_eq!(a.outcome, crate::AuthOutcome::Failure);
            }
            other => panic!("{other:?}"),
        }
        let bytes = r#"{"__REALTIME_TIMESTAMP":"1732017600000000","_PID":"1","MESSAGE":[70,97,105,108,255]}"#;
        assert!(matches!(
            parse(bytes.as_bytes(), &Config::default()),
            Ok(Some((Record::Other, _)))
        ));
        assert!(parse(b"{\"a\":", &Config::default()).is_err());
        assert!(matches!(parse(b"{\"a\":1}", &Config::default()), Ok(None)));
    }
}
