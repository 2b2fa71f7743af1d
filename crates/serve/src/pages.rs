//! The web pages: HTML shells (no data: every page asks the API, which checks access) and
//! the front end, compiled in. `serve.js` is built by `report/build.sh` from `report/src/`
//! together with the report itself; nothing is loaded from the network.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

pub const SERVE_JS: &str = include_str!("../assets/serve.js");
pub const SERVE_CSS: &str = include_str!("../assets/serve.css");

fn shell(page: &str, case: Option<&str>) -> Response {
    let case_attr = case.map_or(String::new(), |c| format!(" data-case=\"{c}\""));
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n<link rel=\"icon\" href=\"data:,\">\n<title>lockstep</title>\n\
<link rel=\"stylesheet\" href=\"/assets/report.css\">\n<link rel=\"stylesheet\" href=\"/assets/serve.css\">\n\
</head>\n<body data-page=\"{page}\"{case_attr}>\n<div id=\"app\"></div>\n\
<script src=\"/assets/serve.js\"></script>\n</body>\n</html>\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

fn asset(ct: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn case_page(axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        shell("case", Some(&id))
    } else {
        crate::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such case").into_response()
    }
}

/// Page routes (not in the API document: they carry no data).
pub const PAGES: &[&str] = &[
    "/",
    "/login",
    "/cases/{id}",
    "/assets/serve.js",
    "/assets/serve.css",
    "/assets/report.css",
];

pub fn routes() -> axum::Router<Arc<crate::App>> {
    axum::Router::new()
        .route("/", get(|| async { shell("dashboard", None) }))
        .route("/login", get(|| async { shell("login", None) }))
        .route("/cases/{id}", get(case_page))
        .route(
            "/assets/serve.js",
            get(|| async { asset("text/javascript; charset=utf-8", SERVE_JS) }),
        )
        .route(
            "/assets/serve.css",
            get(|| async { asset("text/css; charset=utf-8", SERVE_CSS) }),
        )
        .route(
            "/assets/report.css",
            get(|| async { asset("text/css; charset=utf-8", lockstep_report::STYLE_CSS) }),
        )
}
