//! URL normalization for the shared-link layer, on the `url` crate's WHATWG parser: it lower-
//! cases and IDNA-encodes hosts (`Exämple.RO` → `xn--exmple-cua.ro`), writes IPv4 and IPv6
//! literals canonically, drops default ports and resolves `.`/`..` segments.

/// Query parameters that identify a click, not a page.
fn is_tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "yclid"
                | "_hsenc"
                | "_hsmi"
                | "ref_src"
                | "twclid"
                | "si"
        )
}

/// Percent-escapes of unreserved characters decoded (`%7E` → `~`, `%41` → `A`) and the hex
/// digits of the others upper-cased, as RFC 3986 §6.2.2 normalizes: two spellings of one path
/// compare equal.
fn normalize_escapes(s: &str, out: &mut String) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                let c = (h * 16 + l) as u8;
                if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                    out.push(c as char);
                } else {
                    out.push('%');
                    out.push(b[i + 1].to_ascii_uppercase() as char);
                    out.push(b[i + 2].to_ascii_uppercase() as char);
                }
                i += 3;
                continue;
            }
        }
        // `s` is ASCII after WHATWG serialization, so bytes are characters.
        out.push(b[i] as char);
        i += 1;
    }
}

/// Normalizes a URL so that two shares of one page compare equal: parsed as WHATWG does
/// (host case and IDNA, IP literals, default ports, dot segments), `http` and `https` taken
/// as one, `www.` dropped, fragment and tracking parameters (`utm_*`, `fbclid`, …) removed,
/// percent-escapes normalized, trailing slash removed. Returns `None` for text that is not an
/// http(s) URL with a host.
pub fn normalize_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let scheme = raw.split_once("://")?.0;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let u = url::Url::parse(raw).ok()?;
    let host = match u.host()? {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            d.strip_prefix("www.").unwrap_or(d).to_string()
        }
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => format!("[{ip}]"),
    };
    if host.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(raw.len() + 8);
    out.push_str("https://");
    out.push_str(&host);
    // A port other than the scheme's default (the parser already dropped those).
    if let Some(p) = u.port() {
        if !(p == 80 || p == 443) {
            out.push(':');
            out.push_str(&p.to_string());
        }
    }
    normalize_escapes(u.path().trim_end_matches('/'), &mut out);
    if let Some(q) = u.query() {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|kv| !kv.is_empty() && !is_tracking(kv.split('=').next().unwrap_or("")))
            .collect();
        if !kept.is_empty() {
            out.push('?');
            normalize_escapes(&kept.join("&"), &mut out);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_one_page_are_equal() {
        let want = Some("https://example.ro/stiri/a?id=3".to_string());
        for u in [
            "https://example.ro/stiri/a?id=3",
            "HTTP://WWW.Example.RO/stiri/a/?id=3&utm_source=fb&utm_medium=x",
            "https://example.ro:443/stiri/a?fbclid=abc&id=3#top",
            "http://example.ro/stiri/a?id=3&",
            "https://example.ro/stiri/./b/../a?id=3",
            "https://example.ro./stiri/%61?id=3",
        ] {
            assert_eq!(normalize_url(u), want, "{u}");
        }
        // The path keeps its case: servers may treat it as significant.
        assert_ne!(
            normalize_url("https://ex.ro/A"),
            normalize_url("https://ex.ro/a")
        );
        assert_eq!(
            normalize_url("https://ex.ro/"),
            Some("https://ex.ro".into())
        );
        assert_eq!(normalize_url("ftp://ex.ro"), None);
        assert_eq!(normalize_url("not a url"), None);
        assert_eq!(normalize_url("https://"), None);
    }

    #[test]
    fn hosts_escapes_and_literals_are_normalized() {
        // IDNA: the Unicode and the punycode spelling of one host.
        assert_eq!(
            normalize_url("https://Exämple.ro/x"),
            normalize_url("https://xn--exmple-cua.ro/x")
        );
        assert_eq!(
            normalize_url("https://exämple.ro/x").as_deref(),
            Some("https://xn--exmple-cua.ro/x")
        );
        // IPv6 literals compare by address, not by spelling.
        assert_eq!(
            normalize_url("http://[2001:DB8:0:0::1]:80/a").as_deref(),
            Some("https://[2001:db8::1]/a")
        );
        // Percent-escapes: case of hex digits and escaped unreserved characters.
        assert_eq!(
            normalize_url("https://ex.ro/%7Eana/%c8%99"),
            normalize_url("https://ex.ro/~ana/%C8%99")
        );
        assert_eq!(
            normalize_url("https://ex.ro/ș").as_deref(),
            Some("https://ex.ro/%C8%99")
        );
        // Other ports are kept.
        assert_eq!(
            normalize_url("https://ex.ro:8443/a").as_deref(),
            Some("https://ex.ro:8443/a")
        );
    }
}
