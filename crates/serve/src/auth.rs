//! Who is asking, and may they: passwords (Argon2id), sessions (an HttpOnly, SameSite=Strict
//! cookie holding a random secret; the database keeps its sha256), API tokens (Bearer,
//! stored hashed, revocable), CSRF tokens for cookie-authenticated writes, the login rate
//! limit, and the one access check every route passes through ([`Access`]).

use crate::db::{Role, User};
use crate::error::ApiError;
use crate::ids::{constant_time_eq, random_hex, secret_hash};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::{HeaderMap, Method, StatusCode};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "lockstep_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TOKEN_PREFIX: &str = "lst_";

/// Argon2id with the crate's defaults (RFC 9106's second recommendation: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| ApiError::internal())?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| ApiError::internal())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| ApiError::internal())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password matches, verified for unknown users so that a login takes as long
/// whether or not the name exists.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password(&random_hex(16)).unwrap_or_default())
}

/// What a password must be: long enough, not absurdly long (Argon2 time is linear in it).
pub fn check_password_rules(p: &str) -> Result<(), ApiError> {
    let n = p.chars().count();
    if n < 10 {
        return Err(ApiError::bad_request(
            "a password needs at least 10 characters",
        ));
    }
    if p.len() > 256 {
        return Err(ApiError::bad_request("a password has at most 256 bytes"));
    }
    Ok(())
}

/// A new session: (cookie secret, its hash, CSRF token).
pub fn new_session_secret() -> (String, String, String) {
    let secret = random_hex(32);
    let hash = secret_hash(&secret);
    (secret, hash, random_hex(32))
}

pub fn new_api_token() -> (String, String) {
    let t = format!("{TOKEN_PREFIX}{}", random_hex(32));
    let h = secret_hash(&t);
    (t, h)
}

/// How a request was authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    Session { id_hash: String, csrf: String },
    Token,
}

/// The authenticated user of a request (in the request's extensions after [`Access`] ran).
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub via: Via,
    pub address: String,
}

impl Principal {
    pub fn name(&self) -> &str {
        &self.user.name
    }
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// Who may call a route. Checked before the handler runs, for every route, from the route
/// table (`api::routes`): a handler cannot forget it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials needed (login, the OpenAPI document).
    Public,
    /// Any logged-in user with at least this role.
    User(Role),
    /// At least this role and membership of the case named by the path's `{id}` (admins
    /// read every case). Anyone else is told the case does not exist (404).
    Case(Role),
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Resolves the request's credentials; `Ok(None)` when it carries none.
pub async fn authenticate(
    db: &crate::db::Db,
    headers: &HeaderMap,
    address: &str,
) -> Result<Option<Principal>, ApiError> {
    if let Some(token) = bearer(headers) {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Err(ApiError::unauthenticated());
        }
        return match db.token_user(&secret_hash(token)).await? {
            Some(user) if !user.disabled => Ok(Some(Principal {
                user,
                via: Via::Token,
                address: address.to_string(),
            })),
            _ => Err(ApiError::unauthenticated()),
        };
    }
    if let Some(secret) = cookie_value(headers, SESSION_COOKIE) {
        if secret.len() != 64 {
            return Ok(None);
        }
        let id_hash = secret_hash(secret);
        if let Some((user, csrf)) = db.session(&id_hash).await? {
            if !user.disabled {
                return Ok(Some(Principal {
                    user,
                    via: Via::Session { id_hash, csrf },
                    address: address.to_string(),
                }));
            }
        }
    }
    Ok(None)
}

/// A cookie-authenticated request that changes state must carry the session's CSRF token
/// in `X-CSRF-Token` (a page of another site cannot read it), and an `Origin`, when sent,
/// must be this server's.
pub fn check_csrf(p: &Principal, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    check_origin(headers)?;
    if let Via::Session { csrf, .. } = &p.via {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "missing or wrong X-CSRF-Token header (reload the page)",
            ));
        }
    }
    Ok(())
}

/// `Origin`, when present, names the host the request was sent to.
pub fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return Ok(());
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h);
    if host.is_some() && origin_host == host {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "cross-origin request refused",
        ))
    }
}

/// Failed logins per account and per address in a sliding window; past the limit a login
/// is refused (429) without checking the password, so guessing costs the guesser time.
pub struct LoginLimiter {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(per_account: usize, per_address: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_account,
            per_address,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [String; 2] {
        [format!("u:{account}"), format!("a:{address}")]
    }

    /// Seconds to wait, when either key is over its limit.
    pub fn blocked(&self, account: &str, address: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let [ka, kb] = Self::keys(account, address);
        let mut wait = None;
        for (k, limit) in [(ka, self.per_account), (kb, self.per_address)] {
            if let Some(v) = map.get_mut(&k) {
                v.retain(|t| now.duration_since(*t) < self.window);
                if v.len() >= limit {
                    let oldest = v[0];
                    let w = self.window.saturating_sub(now.duration_since(oldest));
                    wait = Some(wait.unwrap_or(0).max(w.as_secs().max(1)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: an address spraying names cannot grow the map without end.
        if map.len() > 100_000 {
            map.retain(|_, v| {
                v.last()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for k in Self::keys(account, address) {
            map.entry(k).or_default().push(now);
        }
    }

    pub fn succeeded(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("u:{account}"));
    }
}
