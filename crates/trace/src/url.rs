//! URL normalization for the shared-link layer.

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

/// Normalizes a URL so that two shares of one page compare equal: scheme and host lower-cased,
/// `www.` and default ports dropped, fragment and tracking parameters (`utm_*`, `fbclid`, …)
/// removed, trailing slash removed. Returns `None` for text that is not an http(s) URL.
pub fn normalize_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (scheme, rest) = raw.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or("");
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let authority = authority
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let host = authority
        .strip_suffix(":80")
        .or_else(|| authority.strip_suffix(":443"))
        .unwrap_or(&authority);
    let host = host
        .strip_prefix("www.")
        .unwrap_or(host)
        .trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let mut out = format!("https://{host}{}", path.trim_end_matches('/'));
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|kv| !kv.is_empty() && !is_tracking(kv.split('=').next().unwrap_or("")))
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
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
}
