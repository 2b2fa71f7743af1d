//! Request extractors whose every rejection is an [`ApiError`] (a JSON body with a code),
//! with the bounds the server promises: body size (axum's limit, answered 413), JSON nesting
//! depth, query length.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// Deepest JSON nesting accepted in a request body (the API's own bodies are 2 deep).
pub const MAX_JSON_DEPTH: usize = 16;
/// Longest query string accepted.
pub const MAX_QUERY_BYTES: usize = 2048;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json_type {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let _ = state;
        let max = crate::MAX_JSON_BYTES;
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max as u64) {
            return Err(ApiError::too_large(format!(
                "a JSON body has at most {max} bytes"
            )));
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), max)
            .await
            .map_err(|_| {
                ApiError::too_large(format!(
                    "a JSON body has at most {max} bytes (or it was cut off)"
                ))
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    check_depth(bytes, MAX_JSON_DEPTH)?;
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
}

/// Refuses JSON nested deeper than `max` (counted outside strings) before parsing it.
pub fn check_depth(bytes: &[u8], max: usize) -> Result<(), ApiError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(ApiError::bad_request(format!(
                        "JSON nested deeper than {max} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        if q.len() > MAX_QUERY_BYTES {
            return Err(ApiError::too_large("query string too long"));
        }
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))
    }
}

pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| ApiError::bad_request(format!("bad path: {}", e.body_text())))
    }
}

/// A page of a list: `page` from 1, `per_page` at most [`MAX_PER_PAGE`].
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// From 1 (default 1).
    pub page: Option<u32>,
    /// At most 200 (default 50).
    pub per_page: Option<u32>,
}

pub const MAX_PER_PAGE: u32 = 200;

impl Page {
    /// (limit, offset), or an error for a page size past the bound.
    pub fn bounds(&self) -> Result<(i64, i64), ApiError> {
        let per = self.per_page.unwrap_or(50);
        if per == 0 || per > MAX_PER_PAGE {
            return Err(ApiError::bad_request(format!(
                "per_page must be 1..={MAX_PER_PAGE}"
            )));
        }
        let page = self.page.unwrap_or(1);
        if page == 0 || page > 1_000_000 {
            return Err(ApiError::bad_request("page must be 1..=1000000"));
        }
        Ok((i64::from(per), i64::from(page - 1) * i64::from(per)))
    }
}
