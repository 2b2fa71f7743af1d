//! The case report: one self-contained HTML file (`report.html`) that opens offline in any
//! browser and presents a case to readers who never run a command — editors, platforms,
//! regulators.
//!
//! [`render_html`] wraps the report data (JSON, built by the caller; shape documented in
//! `report/README.md`) in a page that inlines its stylesheet and script: the front end in
//! `report/src/` (plain DOM code plus sigma.js/graphology for the network view), built by
//! `report/build.sh` into `assets/report.js` and `assets/report.css`. The built assets are
//! committed, so building this crate needs no Node.
//!
//! The page loads nothing from the network: a Content-Security-Policy forbids every fetch.
//! The data sits in a `<script type="application/json">` block; `</` inside it is written as
//! `<\/` and `<!--` as `\u003c!--` (both still mean the same JSON), so no value can end the
//! block or change how the HTML parser reads it. The page inserts data as text only.

/// Minified front-end bundle (sigma.js, graphology and the report code).
pub const BUNDLE_JS: &str = include_str!("../assets/report.js");
/// Minified stylesheet.
pub const STYLE_CSS: &str = include_str!("../assets/report.css");

/// Content-Security-Policy of the page: inline code only, no fetch of any kind.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
img-src data: blob:; connect-src 'none'; font-src 'none'; media-src 'none'; object-src 'none'; \
frame-src 'none'; worker-src 'none'; base-uri 'none'; form-action 'none'";

/// Returns the complete report page for `data_json` (the report data as JSON text).
///
/// The output depends only on `data_json` and the compiled-in assets, so it is
/// byte-for-byte reproducible. The JSON is not validated here; a page whose data does not
/// parse shows a message saying so.
pub fn render_html(data_json: &str) -> String {
    let data = escape_json_for_script(data_json);
    let js = escape_raw_text(BUNDLE_JS, "script");
    let css = escape_raw_text(STYLE_CSS, "style");
    let mut out = String::with_capacity(data.len() + js.len() + css.len() + 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"");
    out.push_str(CSP);
    out.push_str("\">\n<meta name=\"referrer\" content=\"no-referrer\">\n");
    out.push_str("<title>lockstep case report</title>\n<style>");
    out.push_str(&css);
    out.push_str("</style>\n</head>\n<body>\n<div id=\"app\"><noscript><p style=\"font:16px sans-serif;margin:40px\">");
    out.push_str(
        "This report needs JavaScript to display. The same findings are in clusters.json, ",
    );
    out.push_str("accounts.csv and edges.csv in the case folder.</p></noscript></div>\n");
    out.push_str("<script id=\"lockstep-data\" type=\"application/json\">");
    out.push_str(&data);
    out.push_str("</script>\n<script>");
    out.push_str(&js);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

/// Makes JSON text safe inside `<script type="application/json">` without changing its
/// meaning: `</` becomes `<\/` and `<!--` becomes `\u003c!--`. In valid JSON `<` only occurs
/// inside strings, where both escapes decode to the original characters.
pub fn escape_json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    let mut rest = json;
    while let Some(p) = rest.find('<') {
        out.push_str(&rest[..p]);
        let tail = &rest[p..];
        if let Some(after) = tail.strip_prefix("</") {
            out.push_str("<\\/");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("<!--") {
            out.push_str("\\u003c!--");
            rest = after;
        } else {
            out.push('<');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Escapes `</tag` (any case) as `<\/tag` and `<!--` as `<\!--` in inline script or style
/// text. The built assets contain neither; this is a guard against a future bundle that does
/// (in JavaScript strings and CSS both escapes read as the original characters).
fn escape_raw_text(text: &str, tag: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let close = format!("</{tag}");
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    while let Some(p) = lower[i..].find('<') {
        let at = i + p;
        if lower[at..].starts_with(&close) {
            out.push_str(&text[last..at]);
            out.push_str("<\\/");
            last = at + 2;
        } else if lower[at..].starts_with("<!--") {
            out.push_str(&text[last..at]);
            out.push_str("<\\!--");
            last = at + 4;
        }
        i = at + 1;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests;
