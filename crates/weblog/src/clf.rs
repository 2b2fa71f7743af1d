//! nginx/Apache text access logs: Common and Combined Log Format, optionally with a
//! virtual-host prefix (`vhost_combined`: `example.ro:443 1.2.3.4 - - [...] ...`) and with
//! extra fields after the user agent (nginx's `"$http_x_forwarded_for"`, a request time such
//! as `$request_time` or Apache's `%D`).
//!
//! Quoted fields are unescaped the way nginx and Apache escape them (`\"`, `\\`, `\xHH`);
//! bytes that are not UTF-8 after that are kept as `\xHH` text and the request is marked
//! malformed: an attack hidden behind one invalid byte must not vanish into quarantine.

use crate::record::{parse_ip, Http, Record};
use crate::time::parse_clf;
use crate::Config;
use std::borrow::Cow;
use std::net::IpAddr;

enum Token<'a> {
    Bare(&'a [u8]),
    Bracket(&'a [u8]),
    Quoted(&'a [u8]),
}

/// Splits a line into bare words, `[bracketed]` and `"quoted"` fields (backslash escapes
/// inside quotes). `None` if a bracket or quote is not closed.
fn tokens<'a>(line: &'a [u8], out: &mut Vec<Token<'a>>) -> Option<()> {
    let mut i = 0;
    let n = line.len();
    while i < n {
        match line[i] {
            b' ' | b'\t' => i += 1,
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < n && line[j] != b'"' {
                    j += if line[j] == b'\\' { 2 } else { 1 };
                }
                if j >= n {
                    return None;
                }
                out.push(Token::Quoted(&line[start..j]));
                i = j + 1;
            }
            b'[' => {
                let end = i + memchr::memchr(b']', &line[i..])?;
                out.push(Token::Bracket(&line[i + 1..end]));
                i = end + 1;
            }
            _ => {
                let end = line[i..]
                    .iter()
                    .position(|&b| b == b' ' || b == b'\t')
                    .map_or(n, |p| i + p);
                out.push(Token::Bare(&line[i..end]));
                i = end;
            }
        }
    }
    Some(())
}

/// Unescapes a quoted field. Returns the text and whether it held bytes that are not UTF-8.
fn unquote(b: &[u8]) -> (Cow<'_, str>, bool) {
    if !b.contains(&b'\\') {
        if let Ok(s) = std::str::from_utf8(b) {
            return (Cow::Borrowed(s), false);
        }
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'x' if hex2(&b[i + 2..]).is_some() => {
                    out.push(hex2(&b[i + 2..]).unwrap_or(0));
                    i += 4;
                    continue;
                }
                b'"' | b'\\' => {
                    out.push(b[i + 1]);
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => (Cow::Owned(s), false),
        Err(e) => (Cow::Owned(escape_invalid(e.as_bytes())), true),
    }
}

fn hex2(b: &[u8]) -> Option<u8> {
    let h = |c: u8| (c as char).to_digit(16);
    match b {
        [a, c, ..] => Some((h(*a)? * 16 + h(*c)?) as u8),
        _ => None,
    }
}

/// Text with every byte that is not part of valid UTF-8 written as `\xHH`.
pub(crate) fn escape_invalid(mut b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 8);
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, rest) = b.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len()).max(1);
                for &x in &rest[..bad] {
                    out.push_str(&format!("\\x{x:02X}"));
                }
                b = &rest[bad..];
            }
        }
    }
}

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

fn dash(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    (!s.is_empty() && s != "-").then_some(s)
}

/// Parses one access-log line; `Ok(None)` if it does not look like one at all (so another
/// format can be tried), `Err` if it does but is broken.
pub(crate) fn parse<'a>(
    line: &'a [u8],
    cfg: &Config,
) -> Result<Option<(Record<'a>, bool)>, String> {
    let mut toks = Vec::with_capacity(12);
    if tokens(line, &mut toks).is_none() {
        // An unterminated quote in something that starts like an access log is a broken line.
        return if starts_like_access_log(line) {
            Err("unterminated quoted field".into())
        } else {
            Ok(None)
        };
    }
    // [vhost[:port]] client ident user [time] "request" status bytes …
    let ip_at = |k: usize| match toks.get(k) {
        Some(Token::Bare(b)) => text(b).and_then(parse_ip),
        _ => None,
    };
    let (host, peer, k) = match (ip_at(0), ip_at(1)) {
        (Some(ip), _) if matches!(toks.get(3), Some(Token::Bracket(_))) => (None, ip, 0),
        (_, Some(ip)) if matches!(toks.get(4), Some(Token::Bracket(_))) => {
            let Some(Token::Bare(v)) = toks.first() else {
                return Ok(None);
            };
            let v = text(v).unwrap_or("");
            let v = v.rsplit_once(':').map_or(v, |(h, p)| {
                if p.bytes().all(|c| c.is_ascii_digit()) {
                    h
                } else {
                    v
                }
            });
            (dash(Cow::Borrowed(v)), ip, 1)
        }
        _ => return Ok(None),
    };
    let Some(Token::Bracket(time)) = toks.get(k + 3) else {
        return Ok(None);
    };
    let time = parse_clf(time)?;
    let user = match toks.get(k + 2) {
        Some(Token::Bare(u)) => text(u).map(Cow::Borrowed).and_then(dash),
        _ => None,
    };
    let Some(Token::Quoted(request)) = toks.get(k + 4) else {
        return Err("no quoted request line after the time".into());
    };
    let status = match toks.get(k + 5) {
        Some(Token::Bare(s)) => text(s)
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (100..=999).contains(s))
            .ok_or("bad status code")?,
        _ => return Err("missing status code".into()),
    };
    let bytes = match toks.get(k + 6) {
        Some(Token::Bare(b"-")) => 0,
        Some(Token::Bare(b)) => text(b)
            .and_then(|s| s.parse().ok())
            .ok_or("bad byte count")?,
        _ => return Err("missing byte count".into()),
    };
    let mut http = Http {
        time,
        source: Some(peer),
        status,
        bytes,
        host,
        user,
        ..Http::default()
    };
    let (req, invalid) = unquote(request);
    let mut invalid_utf8 = invalid;
    split_request_line(req, &mut http);
    let mut rest = toks[k + 7..].iter();
    let mut combined = false;
    let mut xff = None;
    // Referer and user agent: two quoted fields (combined); then extras.
    if let (Some(Token::Quoted(r)), Some(Token::Quoted(ua))) = (toks.get(k + 7), toks.get(k + 8)) {
        combined = true;
        let (r, bad_r) = unquote(r);
        let (ua, bad_ua) = unquote(ua);
        invalid_utf8 |= bad_r | bad_ua;
        http.referer = dash(r);
        http.user_agent = dash(ua);
        rest = toks[k + 9..].iter();
    }
    for t in rest {
        match t {
            Token::Quoted(q) => {
                let (v, _) = unquote(q);
                if xff.is_none() && v.split(',').next().and_then(parse_ip).is_some() {
                    xff = Some(v);
                }
            }
            Token::Bare(b) => {
                if let Some(ms) = text(b).and_then(duration_ms) {
                    http.duration_ms.get_or_insert(ms);
                }
            }
            Token::Bracket(_) => {}
        }
    }
    if let Some(x) = xff {
        http.source = Some(cfg.client_behind(peer, &x));
    }
    if invalid_utf8 {
        http.malformed.get_or_insert("bytes that are not UTF-8");
    }
    Ok(Some((Record::Http(http), combined)))
}

fn starts_like_access_log(line: &[u8]) -> bool {
    let first = line.split(|&b| b == b' ').next().unwrap_or(b"");
    text(first).and_then(parse_ip).is_some() && memchr::memchr(b'[', line).is_some()
}

/// `0.123` (seconds, nginx `$request_time`) or an integer (microseconds, Apache `%D`).
fn duration_ms(s: &str) -> Option<u32> {
    if s.contains('.') {
        let v: f64 = s.parse().ok()?;
        (v.is_finite() && (0.0..4e6).contains(&v)).then(|| (v * 1000.0).round() as u32)
    } else {
        let us: u64 = s.parse().ok()?;
        u32::try_from(us / 1000).ok()
    }
}

/// `METHOD target PROTOCOL`; anything else (nginx logs `"-"` or the raw bytes of a TLS
/// handshake for a bad request) is kept as the target and marked malformed.
pub(crate) fn split_request_line<'a>(req: Cow<'a, str>, http: &mut Http<'a>) {
    let parts = |s: &str| -> Option<(usize, usize, usize, usize)> {
        let sp1 = s.find(' ')?;
        let sp2 = s.rfind(' ')?;
        let method = &s[..sp1];
        let ok_method = !method.is_empty()
            && method.len() <= 32
            && method
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_');
        ok_method.then_some((sp1, sp1 + 1, sp2, sp2 + 1))
    };
    let shape = parts(&req);
    match (req, shape) {
        (Cow::Borrowed(s), Some((a, b, c, d))) if c > a => {
            http.method = Cow::Borrowed(&s[..a]);
            http.target = Cow::Borrowed(&s[b..c]);
            http.protocol = Cow::Borrowed(&s[d..]);
        }
        (Cow::Borrowed(s), Some((a, b, _, _))) => {
            // HTTP/0.9: "GET /path".
            http.method = Cow::Borrowed(&s[..a]);
            http.target = Cow::Borrowed(&s[b..]);
        }
        (Cow::Owned(s), Some((a, b, c, d))) => {
            http.method = Cow::Owned(s[..a].to_string());
            if c > a {
                http.target = Cow::Owned(s[b..c].to_string());
                http.protocol = Cow::Owned(s[d..].to_string());
            } else {
                http.target = Cow::Owned(s[b..].to_string());
            }
        }
        (req, None) => {
            if req.is_empty() || req == "-" {
                http.malformed = Some("no request line");
            } else if req.starts_with("\\x16\\x03") || req.as_bytes().first() == Some(&0x16) {
                http.malformed = Some("TLS handshake on a plain-HTTP port");
            } else {
                http.malformed = Some("malformed request line");
            }
            http.target = req;
        }
    }
    if http.protocol.is_empty() && http.malformed.is_none() && !http.method.is_empty() {
        http.malformed = Some("request line without protocol (HTTP/0.9)");
    }
}

/// The first address in a forwarded-for list that is not a trusted proxy, reading from the
/// right (the nearest hop first), as nginx's `real_ip_recursive on` does.
pub(crate) fn rightmost_untrusted(
    peer: IpAddr,
    xff: &str,
    trusted: &dyn Fn(IpAddr) -> bool,
) -> IpAddr {
    if !trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in xff.rsplit(',') {
        match parse_ip(hop) {
            Some(ip) => {
                client = ip;
                if !trusted(ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(line: &str, cfg: &Config) -> Http<'static> {
        let line: &'static str = Box::leak(line.to_string().into_boxed_str());
        match parse(line.as_bytes(), cfg) {
            Ok(Some((Record::Http(h), _))) => h,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn combined_and_common() {
        let cfg = Config::default();
        let h = http(
            r#"203.0.113.9 - alice [19/Nov/2024:12:00:00 +0000] "GET /a?q=1 HTTP/1.1" 200 512 "https://ref.example/" "Mozilla/5.0 (X11)""#,
            &cfg,
        );
        assert_eq!(h.source, "203.0.113.9".parse().ok());
        assert_eq!(
            (h.method.as_ref(), h.target.as_ref(), h.protocol.as_ref()),
            ("GET", "/a?q=1", "HTTP/1.1")
        );
        assert_eq!(
            (h.status, h.bytes, h.user.as_deref()),
            (200, 512, Some("alice"))
        );
        assert_eq!(h.user_agent.as_deref(), Some("Mozilla/5.0 (X11)"));
        let h = http(
            r#"2001:db8::7 - - [19/Nov/2024:12:00:00 +0000] "POST /login HTTP/1.0" 401 -"#,
            &cfg,
        );
        assert_eq!(h.source, "2001:db8::7".parse().ok());
        assert_eq!((h.status, h.bytes, h.user_agent), (401, 0, None));
    }

    #[test]
    fn vhost_xff_and_request_time() {
        let mut cfg = Config::default();
        cfg.trusted_proxies.push(("10.0.0.0".parse().unwrap(), 8));
        let line = r#"bec.ro:443 10.0.0.5 - - [19/Nov/2024:12:00:00 +0200] "GET / HTTP/2.0" 200 10 "-" "curl/8.5" "198.51.100.4, 10.0.0.9" 0.250"#;
        let h = http(line, &cfg);
        assert_eq!(h.host.as_deref(), Some("bec.ro"));
        assert_eq!(h.source, "198.51.100.4".parse().ok());
        assert_eq!(h.duration_ms, Some(250));
        assert_eq!(h.referer, None);
        // Without trusting the proxy, the peer stands.
        let h = http(line, &Config::default());
        assert_eq!(h.source, "10.0.0.5".parse().ok());
    }

    #[test]
    fn escapes_and_bad_lines() {
        let cfg = Config::default();
        let h = http(
            r#"1.2.3.4 - - [19/Nov/2024:12:00:00 +0000] "\x16\x03\x01\x00\xA5\x01" 400 157 "-" "-""#,
            &cfg,
        );
        assert_eq!(h.malformed, Some("TLS handshake on a plain-HTTP port"));
        let h = http(
            r#"1.2.3.4 - - [19/Nov/2024:12:00:00 +0000] "GET /\xC3\x28 HTTP/1.1" 404 1 "-" "a \"b\"""#,
            &cfg,
        );
        assert_eq!(h.target, "/\\xC3(");
        assert_eq!(h.malformed, Some("bytes that are not UTF-8"));
        assert_eq!(h.user_agent.as_deref(), Some("a \"b\""));
        for bad in [
            r#"1.2.3.4 - - [19/Nov/2024:12:00:00 +0000] "GET / HTTP/1.1" 2x0 1"#,
            r#"1.2.3.4 - - [19/Nov/2024:12:00:00 +0000] "GET / HTTP/1.1"#,
            r#"1.2.3.4 - - [32/Nov/2024:12:00:00 +0000] "GET / HTTP/1.1" 200 1"#,
        ] {
            assert!(parse(bad.as_bytes(), &cfg).is_err(), "{bad}");
        }
        assert!(matches!(parse(b"hello world", &cfg), Ok(None)));
    }
}
