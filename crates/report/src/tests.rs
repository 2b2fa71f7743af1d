use super::*;

const DATA_OPEN: &str = "<script id=\"lockstep-data\" type=\"application/json\">";
const BUNDLE_OPEN: &str = "</script>\n<script>";

/// The embedded data block, exactly as written between its tags.
fn data_block(html: &str) -> &str {
    let start = html.find(DATA_OPEN).expect("data block") + DATA_OPEN.len();
    let len = html[start..].find("</script>").expect("data block closes");
    &html[start..start + len]
}

#[test]
fn data_cannot_close_its_script_tag() {
    let json = r#"{"x":"</script><script>alert(1)</script>","y":"</SCRIPT >","z":"<!--<script>"}"#;
    let html = render_html(json);
    let start = html.find(DATA_OPEN).unwrap();
    let bundle = html.rfind(BUNDLE_OPEN).unwrap();
    // Between the data block's opening tag and the bundle script there is exactly one
    // closing tag: the data block's own, right before the bundle.
    let between = &html[start..bundle + "</script>".len()];
    assert_eq!(between.to_ascii_lowercase().matches("</script").count(), 1);
    assert_eq!(html.find("</script>").unwrap(), bundle);
    // The bundle is what follows.
    assert!(html[bundle + BUNDLE_OPEN.len()..].starts_with(BUNDLE_JS));
    assert!(!data_block(&html).contains("<!--"));
    // Two closing tags in the whole page: data and bundle.
    assert_eq!(html.to_ascii_lowercase().matches("</script").count(), 2);
}

#[test]
fn escaped_data_means_the_same_json() {
    let json =
        r#"{"a":"</script>","b":"<!-- x -->","c":"a<b","d":["</style>","<\/p>"],"e":"\u003c/"}"#;
    let html = render_html(json);
    let block = data_block(&html);
    let want: serde_json::Value = serde_json::from_str(json).unwrap();
    let got: serde_json::Value = serde_json::from_str(block).unwrap();
    assert_eq!(got, want);
    assert_eq!(escape_json_for_script("<</<!--<"), "<<\\/\\u003c!--<");
}

#[test]
fn output_is_deterministic_and_complete() {
    let json = r#"{"version":"0.1.0","clusters":[]}"#;
    let a = render_html(json);
    let b = render_html(json);
    assert_eq!(a, b);
    assert!(a.starts_with("<!doctype html>"));
    assert!(a.contains("<title>lockstep case report</title>"));
    assert!(a.contains(BUNDLE_JS));
    assert!(a.contains(STYLE_CSS));
    assert!(a.contains(json));
    assert!(BUNDLE_JS.len() > 10_000, "bundle present");
    assert!(a.ends_with("</html>\n"));
}

#[test]
fn page_fetches_nothing() {
    let html = render_html("{}");
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("default-src 'none'"));
    // No external resource references in the page shell.
    for needle in ["<link", " src=", "@import", "http://", "https://"] {
        let shell = html.replace(BUNDLE_JS, "").replace(STYLE_CSS, "");
        assert!(!shell.contains(needle), "{needle} in page shell");
    }
    assert!(!STYLE_CSS.contains("url("), "stylesheet loads nothing");
}

#[test]
fn raw_text_escapes() {
    assert_eq!(
        escape_raw_text("a</SCRIPT>b<!--c", "script"),
        "a<\\/SCRIPT>b<\\!--c"
    );
    assert_eq!(escape_raw_text("x</style y", "style"), "x<\\/style y");
    assert_eq!(escape_raw_text("x</p><y", "script"), "x</p><y");
    assert_eq!(escape_raw_text("", "script"), "");
}
