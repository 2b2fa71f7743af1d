//! The JSON API: the route table (one list gives the router, the access rule of each route
//! and, checked by a test, the OpenAPI document's paths) and the handlers.

use crate::auth::{self, Access, Principal, Via};
use crate::db::{AuditRecord, NewNote, NewVerdict, Role};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Page};
use crate::ids::{new_id, now_ms, rfc3339};
use crate::{App, DashEvent};
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

type AppState = State<Arc<App>>;

/// The route table: method, path, who may call it, handler. `routes()` and `route_list()`
/// are both made from it.
macro_rules! route_table {
    ($($method:ident $path:literal $access:expr => $handler:path;)*) => {
        /// (method, path, access) of every API route.
        pub fn route_list() -> Vec<(&'static str, &'static str, Access)> {
            vec![$((stringify!($method), $path, $access)),*]
        }
        pub(crate) fn routes(app: &Arc<App>) -> axum::Router<Arc<App>> {
            let mut r = axum::Router::new();
            $(
                r = r.route($path, axum::routing::$method($handler).route_layer(
                    axum::middleware::from_fn_with_state(app.clone(), move |st, req, next| {
                        crate::access_check(st, $access, req, next)
                    }),
                ));
            )*
            r
        }
    };
}

use Access::{Case, Public, User};
use Role::{Admin, Analyst, Viewer};

route_table! {
    post "/api/login" Public => login;
    get "/api/openapi.json" Public => openapi_json;
    post "/api/logout" User(Viewer) => logout;
    get "/api/me" User(Viewer) => me;
    get "/api/tokens" User(Viewer) => list_tokens;
    post "/api/tokens" User(Viewer) => create_token;
    delete "/api/tokens/{token_id}" User(Viewer) => revoke_token;
    get "/api/users" User(Admin) => list_users;
    post "/api/users" User(Admin) => create_user;
    patch "/api/users/{name}" User(Admin) => update_user;
    get "/api/audit" User(Admin) => audit_log;
    get "/api/audit/export" User(Admin) => audit_export;
    get "/api/events" User(Viewer) => dashboard_events;
    get "/api/roots" User(Analyst) => list_roots;
    get "/api/cases" User(Viewer) => list_cases;
    post "/api/cases" User(Analyst) => create_case_upload;
    post "/api/cases/from-paths" User(Analyst) => create_case_paths;
    get "/api/cases/{id}" Case(Viewer) => get_case;
    patch "/api/cases/{id}" Case(Analyst) => update_case;
    get "/api/cases/{id}/events" Case(Viewer) => case_events;
    get "/api/cases/{id}/report" Case(Viewer) => case_report;
    get "/api/cases/{id}/files/{file}" Case(Viewer) => case_file;
    get "/api/cases/{id}/members" Case(Viewer) => list_members;
    put "/api/cases/{id}/members/{user}" Case(Admin) => add_member;
    delete "/api/cases/{id}/members/{user}" Case(Admin) => remove_member;
    get "/api/cases/{id}/clusters" Case(Viewer) => list_clusters;
    get "/api/cases/{id}/clusters/{cluster}" Case(Viewer) => get_cluster;
    put "/api/cases/{id}/clusters/{cluster}/assignee" Case(Analyst) => assign_cluster;
    post "/api/cases/{id}/verdicts" Case(Analyst) => add_verdict;
    post "/api/cases/{id}/notes" Case(Analyst) => add_note;
    get "/api/cases/{id}/audit" Case(Viewer) => case_audit;
    get "/api/cases/{id}/triage" Case(Viewer) => triage_export;
    get "/api/watches" User(Viewer) => list_watches;
    post "/api/watches" User(Analyst) => start_watch;
    post "/api/watches/{watch_id}/stop" User(Analyst) => stop_watch;
    get "/api/alerts" User(Viewer) => list_alerts;
}

/// The case an `Access::Case` route was checked against (in the request's extensions).
#[derive(Clone)]
pub struct CaseCtx(pub crate::db::CaseRow);

fn audit(p: &Principal, action: &'static str) -> AuditRecord {
    AuditRecord {
        actor: Some(p.user.name.clone()),
        address: p.address.clone(),
        action,
        outcome: "ok",
        case_id: None,
        cluster: None,
        target: None,
        detail: Value::Object(Default::default()),
    }
}

fn bounded_text(what: &str, s: &str, max_chars: usize, allow_empty: bool) -> ApiResult<String> {
    let t = s.trim();
    if !allow_empty && t.is_empty() {
        return Err(ApiError::bad_request(format!("{what} is empty")));
    }
    if t.chars().count() > max_chars {
        return Err(ApiError::bad_request(format!(
            "{what} is longer than {max_chars} characters"
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::bad_request(format!(
            "{what} holds control characters"
        )));
    }
    Ok(t.to_string())
}

/// Checks a new user's name (the CLI uses it too).
pub fn check_user_name_pub(name: &str) -> ApiResult<()> {
    check_user_name(name)
}

fn check_user_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a user name is 1–64 characters of A–Z, a–z, 0–9, . _ - @",
        ))
    }
}

// ---- session ------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&crate::db::User> for UserView {
    fn from(u: &crate::db::User) -> UserView {
        UserView {
            name: u.name.clone(),
            role: u.role,
            disabled: u.disabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    /// Send it back as `X-CSRF-Token` on every state-changing request (cookie sessions only).
    pub csrf: Option<String>,
}

/// Log in: sets the session cookie (HttpOnly, SameSite=Strict, Secure under TLS).
#[utoipa::path(post, path = "/api/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(app): AppState,
    headers: HeaderMap,
    Extension(addr): Extension<crate::ClientAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    auth::check_origin(&headers)?;
    let address = addr.0;
    let name = req.name.trim().to_string();
    if name.len() > 64 || req.password.len() > 256 {
        return Err(ApiError::bad_request("name or password too long"));
    }
    let mut record = AuditRecord {
        actor: None,
        address: address.clone(),
        action: "login",
        outcome: "failed",
        case_id: None,
        cluster: None,
        target: Some(name.clone()),
        detail: Value::Object(Default::default()),
    };
    if let Some(wait) = app.limiter.blocked(&name, &address) {
        record.outcome = "denied";
        record.detail = serde_json::json!({"reason": "rate limited"});
        app.db.audit(&record).await?;
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed logins: try again in {wait} s"),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let user = app.db.user_by_name(&name).await?;
    let password = req.password.clone();
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_string());
    // Argon2 takes tens of milliseconds of CPU: off the async threads.
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    let user = match user {
        Some(u) if ok && !u.disabled && u.password_hash.is_some() => u,
        _ => {
            app.limiter.failed(&name, &address);
            app.db.audit(&record).await?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "wrong name or password",
            ));
        }
    };
    app.limiter.succeeded(&name);
    let (secret, id_hash, csrf) = auth::new_session_secret();
    let ttl = app.config.session_ttl;
    app.db
        .add_session(
            &id_hash,
            &user.id,
            &csrf,
            &address,
            now_ms() + ttl.as_millis() as i64,
        )
        .await?;
    record.actor = Some(user.name.clone());
    record.outcome = "ok";
    app.db.audit(&record).await?;
    let cookie = format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        auth::SESSION_COOKIE,
        ttl.as_secs(),
        if app.config.tls { "; Secure" } else { "" }
    );
    let mut r = Json(MeView {
        user: UserView::from(&user),
        csrf: Some(csrf),
    })
    .into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie.parse().map_err(|_| ApiError::internal())?,
    );
    Ok(r)
}

/// Log out: ends the session.
#[utoipa::path(post, path = "/api/logout", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(app): AppState,
    Extension(p): Extension<Principal>,
) -> ApiResult<Response> {
    if let Via::Session { id_hash, .. } = &p.via {
        app.db.end_session(id_hash).await?;
    }
    app.db.audit(&audit(&p, "logout")).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    let clear = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        auth::SESSION_COOKIE,
        if app.config.tls { "; Secure" } else { "" }
    );
    r.headers_mut().insert(
        header::SET_COOKIE,
        clear.parse().map_err(|_| ApiError::internal())?,
    );
    Ok(r)
}

/// Who is logged in, and the session's CSRF token.
#[utoipa::path(get, path = "/api/me", tag = "session",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
pub async fn me(Extension(p): Extension<Principal>) -> Json<MeView> {
    Json(MeView {
        user: UserView::from(&p.user),
        csrf: match &p.via {
            Via::Session { csrf, .. } => Some(csrf.clone()),
            Via::Token => None,
        },
    })
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/api/openapi.json", tag = "session",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document_json(),
    )
        .into_response()
}

// ---- tokens -------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for ("nightly import").
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub info: crate::db::TokenInfo,
    /// Shown once: send as `Authorization: Bearer …`. Only its hash is stored.
    pub token: String,
}

/// Your API tokens.
#[utoipa::path(get, path = "/api/tokens", tag = "tokens",
    responses((status = 200, body = Vec<crate::db::TokenInfo>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(app): AppState,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<crate::db::TokenInfo>>> {
    Ok(Json(app.db.tokens(&p.user.id).await?))
}

/// Make an API token for scripts.
#[utoipa::path(post, path = "/api/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create_token(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = bounded_text("the token name", &req.name, 100, false)?;
    let (token, hash) = auth::new_api_token();
    let info = app.db.add_token(&p.user.id, &name, &hash).await?;
    let mut a = audit(&p, "token_create");
    a.target = Some(info.id.clone());
    a.detail = serde_json::json!({"name": name});
    app.db.audit(&a).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { info, token })))
}

/// Revoke one of your tokens.
#[utoipa::path(delete, path = "/api/tokens/{token_id}", tag = "tokens",
    params(("token_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn revoke_token(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiPath(token_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    if !app.db.revoke_token(&p.user.id, &token_id).await? {
        return Err(ApiError::not_found("token"));
    }
    let mut a = audit(&p, "token_revoke");
    a.target = Some(token_id);
    app.db.audit(&a).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- users --------------------------------------------------------------------------------

/// Every user (admins).
#[utoipa::path(get, path = "/api/users", tag = "users",
    responses((status = 200, body = Vec<UserView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(app): AppState) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(
        app.db.users().await?.iter().map(UserView::from).collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// Add a user (admins).
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    check_user_name(&req.name)?;
    auth::check_password_rules(&req.password)?;
    if app.db.user_by_name(&req.name).await?.is_some() {
        return Err(ApiError::conflict(format!("user {} exists", req.name)));
    }
    let pw = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|_| ApiError::internal())??;
    let u = app.db.add_user(&req.name, req.role, Some(&hash)).await?;
    let mut a = audit(&p, "user_add");
    a.target = Some(u.name.clone());
    a.detail = serde_json::json!({"role": u.role});
    app.db.audit(&a).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&u))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Change a user's role, password or disabled flag (admins). Users are never deleted:
/// the audit log and verdicts keep naming them.
#[utoipa::path(patch, path = "/api/users/{name}", tag = "users", request_body = UserChange,
    params(("name" = String, Path)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_user(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<UserChange>,
) -> ApiResult<Json<UserView>> {
    let u = app
        .db
        .user_by_name(&name)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if u.id == p.user.id
        && (req.disabled == Some(true) || req.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::bad_request(
            "an admin cannot disable or demote themselves (another admin can)",
        ));
    }
    let hash = match &req.password {
        Some(pw) => {
            auth::check_password_rules(pw)?;
            let pw = pw.clone();
            Some(
                tokio::task::spawn_blocking(move || auth::hash_password(&pw))
                    .await
                    .map_err(|_| ApiError::internal())??,
            )
        }
        None => None,
    };
    app.db
        .update_user(&u.id, req.role, hash.as_deref(), req.disabled)
        .await?;
    let mut a = audit(&p, "user_change");
    a.target = Some(u.name.clone());
    a.detail = serde_json::json!({"role": req.role, "disabled": req.disabled, "password_changed": req.password.is_some()});
    app.db.audit(&a).await?;
    let u = app
        .db
        .user_by_id(&u.id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(UserView::from(&u)))
}

// ---- audit --------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<crate::db::AuditView>,
    pub total: i64,
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(Page),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(app): AppState,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<AuditPage>> {
    let (limit, offset) = page.bounds()?;
    let (entries, total) = app.db.audit_entries(None, None, limit, offset).await?;
    Ok(Json(AuditPage { entries, total }))
}

/// The whole audit log as NDJSON, oldest first (admins). The export is itself audited.
#[utoipa::path(get, path = "/api/audit/export", tag = "audit",
    responses((status = 200, description = "one audit entry (JSON) per line", content_type = "application/x-ndjson"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit_export(
    State(app): AppState,
    Extension(p): Extension<Principal>,
) -> ApiResult<Response> {
    app.db.audit(&audit(&p, "audit_export")).await?;
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = app.db.audit_after(&after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for e in &page {
            serde_json::to_writer(&mut out, e).map_err(|_| ApiError::internal())?;
            out.push(b'\n');
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"lockstep-audit.ndjson\"",
            ),
        ],
        out,
    )
        .into_response())
}

// ---- events (SSE) -------------------------------------------------------------------------

/// Dashboard events (SSE): case states, watch states and alerts as they happen. Events
/// about a case reach only its members and admins.
#[utoipa::path(get, path = "/api/events", tag = "dashboard",
    responses((status = 200, description = "text/event-stream of DashEvent", content_type = "text/event-stream", body = DashEvent),
              (status = 401, body = ErrorBody)))]
pub async fn dashboard_events(
    State(app): AppState,
    Extension(p): Extension<Principal>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = app.events.subscribe();
    let stream = futures_util::stream::unfold((rx, app, p), |(mut rx, app, p)| async move {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    if let DashEvent::Case { case_id, .. } = &ev {
                        let member = p.is_admin()
                            || app.db.is_member(case_id, &p.user.id).await.unwrap_or(false);
                        if !member {
                            continue;
                        }
                    }
                    let e = Event::default()
                        .event(ev.name())
                        .json_data(&ev)
                        .unwrap_or_else(|_| Event::default());
                    return Some((Ok(e), (rx, app, p)));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// A case's run, live (SSE): what happened so far, then each stage as it starts, moves on
/// and finishes, warnings, and `done` or `failed` (the stream ends there).
#[utoipa::path(get, path = "/api/cases/{id}/events", tag = "cases",
    params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream of RunEvent", content_type = "text/event-stream", body = crate::runs::RunEvent),
              (status = 404, body = ErrorBody)))]
pub async fn case_events(
    State(app): AppState,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    use crate::runs::RunEvent;
    let to_event = |e: &RunEvent| {
        Event::default()
            .event(e.name())
            .json_data(e)
            .unwrap_or_else(|_| Event::default())
    };
    let (past, rx) = match app.runs.log(&case.id) {
        Some(log) => {
            let (past, rx) = log.follow();
            (past, Some(rx))
        }
        None => (Vec::new(), None),
    };
    // No live run (a restart, or a case from a watch): the stored outcome.
    let mut first: Vec<RunEvent> = past;
    if rx.is_none() && !first.last().is_some_and(RunEvent::is_end) {
        {
            first.push(match case.state.as_str() {
                "failed" => RunEvent::Failed {
                    reason: case.failure.clone().unwrap_or_default(),
                },
                _ => RunEvent::Done {
                    clusters: case.clusters.unwrap_or(0),
                    accounts: case.accounts.unwrap_or(0),
                    flagged: case.flagged.unwrap_or(0),
                },
            });
        }
    }
    let ended = first.last().is_some_and(RunEvent::is_end);
    let head = futures_util::stream::iter(first.iter().map(to_event).map(Ok).collect::<Vec<_>>());
    let live = futures_util::stream::unfold(
        (if ended { None } else { rx }, false),
        move |(rx, done)| async move {
            if done {
                return None;
            }
            let mut rx = rx?;
            loop {
                match rx.recv().await {
                    Ok(e) => {
                        let end = e.is_end();
                        return Some((Ok(to_event(&e)), (Some(rx), end)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return None,
                }
            }
        },
    );
    use futures_util::StreamExt;
    Sse::new(head.chain(live)).keep_alive(KeepAlive::default())
}

// ---- cases --------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `upload`, `paths` or `watch`.
    pub source: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// Why the run failed.
    pub failure: Option<String>,
    /// Triage status: `open`, `in_review` or `closed`.
    pub status: String,
    #[schema(value_type = Object)]
    pub params: Value,
    #[schema(value_type = Vec<String>)]
    pub inputs: Value,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub clusters: Option<i64>,
    pub accounts: Option<i64>,
    pub flagged: Option<i64>,
    /// The case folder has an evidence vault: verdicts and notes are also appended to its log.
    pub sealed: bool,
    pub watch_id: Option<String>,
}

impl From<&crate::db::CaseRow> for CaseView {
    fn from(c: &crate::db::CaseRow) -> CaseView {
        CaseView {
            id: c.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            source: c.source.clone(),
            state: c.state.clone(),
            failure: c.failure.clone(),
            status: c.status.clone(),
            params: serde_json::from_str(&c.params).unwrap_or(Value::Null),
            inputs: serde_json::from_str(&c.inputs).unwrap_or(Value::Null),
            created_by: c.creator.clone(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            clusters: c.clusters,
            accounts: c.accounts,
            flagged: c.flagged,
            sealed: lockstep_vault::is_sealed(Path::new(&c.dir)),
            watch_id: c.watch_id.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// Words in the name or description.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    pub cases: Vec<CaseView>,
    pub total: i64,
}

/// Cases you can read (all of them for admins), newest first; `q` searches names and
/// descriptions.
#[utoipa::path(get, path = "/api/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_cases(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<CasePage>> {
    let (limit, offset) = Page {
        page: q.page,
        per_page: q.per_page,
    }
    .bounds()?;
    let text = q.q.unwrap_or_default();
    if text.chars().count() > 200 {
        return Err(ApiError::bad_request("q is longer than 200 characters"));
    }
    let member = (!p.is_admin()).then_some(p.user.id.as_str());
    let (rows, total) = app.db.cases(member, &text, limit, offset).await?;
    Ok(Json(CasePage {
        cases: rows.iter().map(CaseView::from).collect(),
        total,
    }))
}

/// One case: state, parameters, inputs, figures.
#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)))]
pub async fn get_case(Extension(CaseCtx(case)): Extension<CaseCtx>) -> Json<CaseView> {
    Json(CaseView::from(&case))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseChange {
    /// `open`, `in_review` or `closed`.
    pub status: String,
}

/// Set a case's triage status.
#[utoipa::path(patch, path = "/api/cases/{id}", tag = "cases", params(("id" = String, Path)), request_body = CaseChange,
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_case(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiJson(req): ApiJson<CaseChange>,
) -> ApiResult<Json<CaseView>> {
    if !matches!(req.status.as_str(), "open" | "in_review" | "closed") {
        return Err(ApiError::bad_request("status is open, in_review or closed"));
    }
    app.db.set_case_status(&case.id, &req.status).await?;
    let mut a = audit(&p, "case_status");
    a.case_id = Some(case.id.clone());
    a.detail = serde_json::json!({"from": case.status, "to": req.status});
    app.db.audit(&a).await?;
    let case = app
        .db
        .case(&case.id)
        .await?
        .ok_or_else(|| ApiError::not_found("case"))?;
    Ok(Json(CaseView::from(&case)))
}

/// The case report's data (what `report.html` embeds), for the case page.
#[utoipa::path(get, path = "/api/cases/{id}/report", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, description = "report data (schemas/report-data.schema.json)", content_type = "application/json"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn case_report(Extension(CaseCtx(case)): Extension<CaseCtx>) -> ApiResult<Response> {
    if case.state != "done" {
        return Err(ApiError::conflict(format!("the case is {}", case.state)));
    }
    let path = Path::new(&case.dir).join("report.html");
    let json = tokio::task::spawn_blocking(move || {
        let html = std::fs::read_to_string(&path).ok()?;
        crate::report_data(&html)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_report",
            "the case folder has no readable report.html",
        )
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// A file of the case folder, as listed in its manifest (and the manifest itself). The
/// download is audited.
#[utoipa::path(get, path = "/api/cases/{id}/files/{file}", tag = "cases",
    params(("id" = String, Path), ("file" = String, Path, description = "an output named in manifest.json, or manifest.json")),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn case_file(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiPath((_, file)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let dir = PathBuf::from(&case.dir);
    let manifest = lockstep_case::Manifest::read(&dir).map_err(|_| ApiError::not_found("file"))?;
    // Only names the manifest lists: never a path built from the request.
    let name = if file == "manifest.json" {
        "manifest.json".to_string()
    } else {
        manifest
            .outputs
            .keys()
            .find(|k| **k == file)
            .cloned()
            .ok_or_else(|| ApiError::not_found("file"))?
    };
    let bytes = tokio::fs::read(dir.join(&name))
        .await
        .map_err(|_| ApiError::not_found("file"))?;
    let mut a = audit(&p, "export");
    a.case_id = Some(case.id.clone());
    a.target = Some(name.clone());
    app.db.audit(&a).await?;
    let ct = if name.ends_with(".json") {
        "application/json"
    } else if name.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(['"', '\\'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct RootsView {
    /// Folders on the server cases may be made from (`--input-root`).
    pub roots: Vec<String>,
}

/// The server folders cases may read from.
#[utoipa::path(get, path = "/api/roots", tag = "cases",
    responses((status = 200, body = RootsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_roots(State(app): AppState) -> Json<RootsView> {
    Json(RootsView {
        roots: app
            .config
            .input_roots
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PathsCase {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Files or folders inside the configured roots.
    pub paths: Vec<String>,
    /// `lockstep detect` parameters by flag name (`{"window": 60, "layers": "repost,url"}`);
    /// absent ones keep their defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, Value>,
}

/// Make a case from files already on the server (inside the admin's `--input-root`s) and
/// start its run.
#[utoipa::path(post, path = "/api/cases/from-paths", tag = "cases", request_body = PathsCase,
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_case_paths(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiJson(req): ApiJson<PathsCase>,
) -> ApiResult<(StatusCode, Json<CaseView>)> {
    let name = bounded_text("the case name", &req.name, 200, false)?;
    let description = bounded_text("the description", &req.description, 4000, true)?;
    let (params, params_json) = crate::params::parse(&req.params)?;
    if req.paths.is_empty() || req.paths.len() > 100 {
        return Err(ApiError::bad_request("give 1 to 100 paths"));
    }
    let roots = app.config.input_roots.clone();
    let paths = req.paths.clone();
    let files = tokio::task::spawn_blocking(move || crate::paths::resolve(&roots, &paths))
        .await
        .map_err(|_| ApiError::internal())??;
    let id = new_id();
    let case_root = app.config.data_dir.join("cases").join(&id);
    std::fs::create_dir_all(&case_root).map_err(|e| {
        eprintln!("lockstep serve: {}: {e}", case_root.display());
        ApiError::internal()
    })?;
    let inputs_json = Value::from(req.paths.clone());
    let case = crate::db::CaseRow {
        id: id.clone(),
        name,
        description,
        source: "paths".into(),
        dir: case_root.join("case").display().to_string(),
        state: "queued".into(),
        failure: None,
        status: "open".into(),
        params: params_json.to_string(),
        inputs: inputs_json.to_string(),
        created_by: p.user.id.clone(),
        creator: p.user.name.clone(),
        created_at: now_ms(),
        updated_at: now_ms(),
        clusters: None,
        accounts: None,
        flagged: None,
        watch_id: None,
    };
    if let Err(e) = app.db.add_case(&case).await {
        let _ = std::fs::remove_dir_all(&case_root);
        return Err(e.into());
    }
    let mut a = audit(&p, "case_create");
    a.case_id = Some(id.clone());
    a.detail = serde_json::json!({"source": "paths", "paths": req.paths, "files": files.len(), "params": params_json});
    app.db.audit(&a).await?;
    crate::start_run(&app, &case, files, params, &p).await?;
    Ok((StatusCode::CREATED, Json(CaseView::from(&case))))
}

/// Make a case from uploaded files (multipart/form-data: `name`, optional `description`,
/// optional `params` (a JSON object, as for from-paths), and one or more `file` parts) and
/// start its run. Files are streamed to disk within the size limits; any failure leaves no
/// case behind.
#[utoipa::path(post, path = "/api/cases", tag = "cases",
    request_body(content_type = "multipart/form-data", description = "fields name, description, params; parts file"),
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_case_upload(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<CaseView>)> {
    let mp = mp.map_err(|e| {
        ApiError::bad_request(format!("send multipart/form-data: {}", e.body_text()))
    })?;
    let id = new_id();
    let staging = app.config.data_dir.join("staging").join(&id);
    let received = crate::upload::receive(&app.config, mp, &staging).await;
    let form = match received {
        Ok(f) => f,
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&staging).await;
            let mut a = audit(&p, "upload");
            a.outcome = "failed";
            a.detail = serde_json::json!({"reason": e.message});
            app.db.audit(&a).await?;
            return Err(e);
        }
    };
    let case_root = app.config.data_dir.join("cases").join(&id);
    let fail = |e: ApiError, staging: &Path| {
        let _ = std::fs::remove_dir_all(staging);
        e
    };
    if let Some(parent) = case_root.parent() {
        std::fs::create_dir_all(parent).map_err(|_| fail(ApiError::internal(), &staging))?;
    }
    std::fs::rename(&staging, &case_root).map_err(|_| fail(ApiError::internal(), &staging))?;
    let names: Vec<Value> = form
        .files
        .iter()
        .map(|(n, b)| serde_json::json!({"name": n, "bytes": b}))
        .collect();
    let case = crate::db::CaseRow {
        id: id.clone(),
        name: form.name,
        description: form.description,
        source: "upload".into(),
        dir: case_root.join("case").display().to_string(),
        state: "queued".into(),
        failure: None,
        status: "open".into(),
        params: form.params_json.to_string(),
        inputs: Value::from(
            form.files
                .iter()
                .map(|(n, _)| n.clone())
                .collect::<Vec<_>>(),
        )
        .to_string(),
        created_by: p.user.id.clone(),
        creator: p.user.name.clone(),
        created_at: now_ms(),
        updated_at: now_ms(),
        clusters: None,
        accounts: None,
        flagged: None,
        watch_id: None,
    };
    if let Err(e) = app.db.add_case(&case).await {
        let _ = std::fs::remove_dir_all(&case_root);
        return Err(e.into());
    }
    let mut a = audit(&p, "upload");
    a.case_id = Some(id.clone());
    a.detail = serde_json::json!({"files": names, "params": form.params_json});
    app.db.audit(&a).await?;
    crate::start_run(&app, &case, vec![case_root.join("inputs")], form.params, &p).await?;
    Ok((StatusCode::CREATED, Json(CaseView::from(&case))))
}

// ---- members ------------------------------------------------------------------------------

/// Who can read the case.
#[utoipa::path(get, path = "/api/cases/{id}/members", tag = "members", params(("id" = String, Path)),
    responses((status = 200, body = Vec<crate::db::Member>), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(app): AppState,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
) -> ApiResult<Json<Vec<crate::db::Member>>> {
    Ok(Json(app.db.members(&case.id).await?))
}

/// Give a user access to the case (admins).
#[utoipa::path(put, path = "/api/cases/{id}/members/{user}", tag = "members",
    params(("id" = String, Path), ("user" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_member(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiPath((_, user)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let u = app
        .db
        .user_by_name(&user)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    app.db.add_member(&case.id, &u.id, &p.user.id).await?;
    let mut a = audit(&p, "member_add");
    a.case_id = Some(case.id.clone());
    a.target = Some(u.name.clone());
    app.db.audit(&a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a user's access to the case away (admins).
#[utoipa::path(delete, path = "/api/cases/{id}/members/{user}", tag = "members",
    params(("id" = String, Path), ("user" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn remove_member(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiPath((_, user)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let u = app
        .db
        .user_by_name(&user)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if !app.db.remove_member(&case.id, &u.id).await? {
        return Err(ApiError::not_found("member"));
    }
    let mut a = audit(&p, "member_remove");
    a.case_id = Some(case.id.clone());
    a.target = Some(u.name.clone());
    app.db.audit(&a).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- clusters and triage ------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct ClusterLine {
    #[serde(flatten)]
    pub cluster: crate::findings::ClusterSummary,
    /// The verdict in force on the cluster.
    pub verdict: Option<String>,
    pub assignee: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClusterPage {
    pub clusters: Vec<ClusterLine>,
    pub total: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// Only clusters with this verdict (`none`: without one).
    pub verdict: Option<String>,
}

pub const VERDICTS: [&str; 3] = ["confirmed_coordinated", "dismissed", "needs_review"];

async fn findings_of(
    app: &App,
    case: &crate::db::CaseRow,
) -> ApiResult<Arc<crate::findings::CaseFindings>> {
    if case.state != "done" {
        return Err(ApiError::conflict(format!(
            "the case is {}: no findings yet",
            case.state
        )));
    }
    app.findings.get(&case.id, Path::new(&case.dir)).await
}

/// The case's clusters, strongest first, with their verdicts and assignees.
#[utoipa::path(get, path = "/api/cases/{id}/clusters", tag = "triage", params(("id" = String, Path), ClusterQuery),
    responses((status = 200, body = ClusterPage), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn list_clusters(
    State(app): AppState,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
) -> ApiResult<Json<ClusterPage>> {
    let (limit, offset) = Page {
        page: q.page,
        per_page: q.per_page,
    }
    .bounds()?;
    if let Some(v) = &q.verdict {
        if v != "none" && !VERDICTS.contains(&v.as_str()) {
            return Err(ApiError::bad_request(
                "verdict is confirmed_coordinated, dismissed, needs_review or none",
            ));
        }
    }
    let f = findings_of(&app, &case).await?;
    let verdicts: std::collections::HashMap<i64, String> = app
        .db
        .current_verdicts(&case.id, None)
        .await?
        .into_iter()
        .filter(|v| v.target_kind == "cluster")
        .filter_map(|v| Some((v.target.parse().ok()?, v.verdict)))
        .collect();
    let assignees: std::collections::HashMap<i64, String> =
        app.db.assignments(&case.id).await?.into_iter().collect();
    let mut lines: Vec<ClusterLine> = f
        .summaries
        .iter()
        .map(|c| ClusterLine {
            cluster: c.clone(),
            verdict: verdicts.get(&c.id).cloned(),
            assignee: assignees.get(&c.id).cloned(),
        })
        .filter(|l| match q.verdict.as_deref() {
            None => true,
            Some("none") => l.verdict.is_none(),
            Some(v) => l.verdict.as_deref() == Some(v),
        })
        .collect();
    lines.sort_by(|a, b| {
        b.cluster
            .score
            .total_cmp(&a.cluster.score)
            .then(a.cluster.id.cmp(&b.cluster.id))
    });
    let total = lines.len() as i64;
    let page = lines
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok(Json(ClusterPage {
        clusters: page,
        total,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ClusterCard {
    /// The cluster as `clusters.json` has it (schemas/clusters.schema.json).
    #[schema(value_type = Object)]
    pub cluster: Box<serde_json::value::RawValue>,
    /// The verdict in force on the cluster.
    pub verdict: Option<crate::db::VerdictView>,
    /// The verdicts in force on its accounts.
    pub account_verdicts: Vec<crate::db::VerdictView>,
    /// The latest verdicts given on the cluster and its accounts (at most
    /// [`HISTORY_ON_CARD`]), oldest first; the audit log holds them all.
    pub history: Vec<crate::db::VerdictView>,
    /// How many verdicts were given in all.
    pub history_total: i64,
    pub notes: Vec<crate::db::NoteView>,
    pub assignee: Option<String>,
}

/// Verdicts shown on a cluster card.
pub const HISTORY_ON_CARD: i64 = 100;

fn cluster_id(s: &str) -> ApiResult<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::bad_request("a cluster id is a number"))
}

/// A cluster's card: the finding, its verdicts (in force and history), notes, assignee.
#[utoipa::path(get, path = "/api/cases/{id}/clusters/{cluster}", tag = "triage",
    params(("id" = String, Path), ("cluster" = i64, Path)),
    responses((status = 200, body = ClusterCard), (status = 404, body = ErrorBody)))]
pub async fn get_cluster(
    State(app): AppState,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiPath((_, cluster)): ApiPath<(String, String)>,
) -> ApiResult<Json<ClusterCard>> {
    let cid = cluster_id(&cluster)?;
    let f = findings_of(&app, &case).await?;
    let c = f
        .cluster(cid)
        .ok_or_else(|| ApiError::not_found("cluster"))?
        .to_owned();
    let (history, history_total) = app
        .db
        .verdict_history(&case.id, cid, HISTORY_ON_CARD)
        .await?;
    let current = app.db.current_verdicts(&case.id, Some(cid)).await?;
    let (verdict, account_verdicts): (Vec<_>, Vec<_>) = current
        .into_iter()
        .partition(|v| v.target_kind == "cluster");
    let assignee = app.db.assignee(&case.id, cid).await?;
    Ok(Json(ClusterCard {
        cluster: c,
        verdict: verdict.into_iter().next(),
        account_verdicts,
        history,
        history_total,
        notes: app.db.notes(&case.id, cid).await?,
        assignee,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// A member of the case, or null to unassign.
    pub assignee: Option<String>,
}

/// Assign a cluster to an analyst (a member of the case).
#[utoipa::path(put, path = "/api/cases/{id}/clusters/{cluster}/assignee", tag = "triage",
    params(("id" = String, Path), ("cluster" = i64, Path)), request_body = Assignment,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn assign_cluster(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiPath((_, cluster)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<Assignment>,
) -> ApiResult<StatusCode> {
    let cid = cluster_id(&cluster)?;
    let f = findings_of(&app, &case).await?;
    if !f.has_cluster(cid) {
        return Err(ApiError::not_found("cluster"));
    }
    let assignee = match &req.assignee {
        Some(name) => {
            let u = app
                .db
                .user_by_name(name)
                .await?
                .ok_or_else(|| ApiError::bad_request(format!("no user {name}")))?;
            if u.role == Role::Viewer
                || !(u.role == Role::Admin || app.db.is_member(&case.id, &u.id).await?)
            {
                return Err(ApiError::bad_request(format!(
                    "{name} is not an analyst of this case"
                )));
            }
            Some(u)
        }
        None => None,
    };
    let mut a = audit(&p, "assign");
    a.case_id = Some(case.id.clone());
    a.cluster = Some(cid);
    a.target = Some(format!("cluster:{cid}"));
    a.detail = serde_json::json!({"assignee": req.assignee});
    app.db
        .assign(
            &case.id,
            cid,
            assignee.as_ref().map(|u| u.id.as_str()),
            &p.user.id,
            &a,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictRequest {
    pub cluster: i64,
    /// An account of the cluster: the verdict is on it, not on the cluster.
    pub account: Option<String>,
    /// `confirmed_coordinated`, `dismissed` or `needs_review`.
    pub verdict: String,
}

#[derive(Serialize, ToSchema)]
pub struct Recorded {
    /// The sequence number of the entry appended to the case's evidence log, when the case
    /// is sealed.
    pub vault_seq: Option<u64>,
}

async fn target_of(
    app: &App,
    case: &crate::db::CaseRow,
    cluster: i64,
    account: &Option<String>,
) -> ApiResult<(&'static str, String)> {
    let f = findings_of(app, case).await?;
    if !f.has_cluster(cluster) {
        return Err(ApiError::not_found("cluster"));
    }
    match account {
        None => Ok(("cluster", cluster.to_string())),
        Some(a) => {
            if f.cluster_of(a) != Some(cluster) {
                return Err(ApiError::bad_request(format!(
                    "account {a:?} is not a member of cluster {cluster}"
                )));
            }
            Ok(("account", a.clone()))
        }
    }
}

/// Record a verdict on a cluster or one of its accounts. Stored apart from the evidence;
/// on a sealed case also appended to the case log.
#[utoipa::path(post, path = "/api/cases/{id}/verdicts", tag = "triage", params(("id" = String, Path)), request_body = VerdictRequest,
    responses((status = 201, body = Recorded), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_verdict(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiJson(req): ApiJson<VerdictRequest>,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    if !VERDICTS.contains(&req.verdict.as_str()) {
        return Err(ApiError::bad_request(
            "verdict is confirmed_coordinated, dismissed or needs_review",
        ));
    }
    let (kind, target) = target_of(&app, &case, req.cluster, &req.account).await?;
    let mut a = audit(&p, "verdict");
    a.case_id = Some(case.id.clone());
    a.cluster = Some(req.cluster);
    a.target = Some(format!("{kind}:{target}"));
    a.detail = serde_json::json!({"verdict": req.verdict});
    app.db
        .add_verdict(
            &NewVerdict {
                case_id: &case.id,
                target_kind: kind,
                target: &target,
                cluster: Some(req.cluster),
                verdict: &req.verdict,
                user_id: &p.user.id,
            },
            &a,
        )
        .await?;
    let entry = lockstep_vault::NewEntry::new(lockstep_vault::log::kind::VERDICT)
        .with("cluster", req.cluster)
        .with("account", req.account.clone())
        .with("verdict", req.verdict.clone())
        .with("analyst", p.user.name.clone());
    let vault_seq = crate::append_to_vault(&app, &case, entry).await;
    Ok((StatusCode::CREATED, Json(Recorded { vault_seq })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub cluster: i64,
    pub account: Option<String>,
    /// Free text, at most 10,000 characters.
    pub text: String,
}

/// Add a note to a cluster or one of its accounts (notes are never edited or deleted).
#[utoipa::path(post, path = "/api/cases/{id}/notes", tag = "triage", params(("id" = String, Path)), request_body = NoteRequest,
    responses((status = 201, body = Recorded), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_note(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiJson(req): ApiJson<NoteRequest>,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let text = bounded_text("the note", &req.text, 10_000, false)?;
    let (kind, target) = target_of(&app, &case, req.cluster, &req.account).await?;
    let mut a = audit(&p, "note");
    a.case_id = Some(case.id.clone());
    a.cluster = Some(req.cluster);
    a.target = Some(format!("{kind}:{target}"));
    a.detail = serde_json::json!({"chars": text.chars().count()});
    app.db
        .add_note(
            &NewNote {
                case_id: &case.id,
                target_kind: kind,
                target: &target,
                cluster: Some(req.cluster),
                body: &text,
                user_id: &p.user.id,
            },
            &a,
        )
        .await?;
    let entry = lockstep_vault::NewEntry::new(lockstep_vault::log::kind::NOTE)
        .with("cluster", req.cluster)
        .with("account", req.account.clone())
        .with("text", text)
        .with("analyst", p.user.name.clone());
    let vault_seq = crate::append_to_vault(&app, &case, entry).await;
    Ok((StatusCode::CREATED, Json(Recorded { vault_seq })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseAuditQuery {
    /// Only entries about this cluster.
    pub cluster: Option<i64>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// The case's audit trail (optionally one cluster's), newest first.
#[utoipa::path(get, path = "/api/cases/{id}/audit", tag = "audit", params(("id" = String, Path), CaseAuditQuery),
    responses((status = 200, body = AuditPage), (status = 404, body = ErrorBody)))]
pub async fn case_audit(
    State(app): AppState,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
    ApiQuery(q): ApiQuery<CaseAuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let (limit, offset) = Page {
        page: q.page,
        per_page: q.per_page,
    }
    .bounds()?;
    let (entries, total) = app
        .db
        .audit_entries(Some(&case.id), q.cluster, limit, offset)
        .await?;
    Ok(Json(AuditPage { entries, total }))
}

#[derive(Serialize, ToSchema)]
pub struct TriageExport {
    pub case: CaseView,
    pub exported_at: String,
    pub exported_by: String,
    pub verdicts: Vec<crate::db::VerdictView>,
    pub notes: Vec<crate::db::NoteView>,
}

/// Every verdict and note of the case (JSON). The export is audited.
#[utoipa::path(get, path = "/api/cases/{id}/triage", tag = "triage", params(("id" = String, Path)),
    responses((status = 200, body = TriageExport), (status = 404, body = ErrorBody)))]
pub async fn triage_export(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    Extension(CaseCtx(case)): Extension<CaseCtx>,
) -> ApiResult<Json<TriageExport>> {
    let (verdicts, notes) = app.db.triage_export(&case.id).await?;
    let mut a = audit(&p, "export");
    a.case_id = Some(case.id.clone());
    a.target = Some("triage".into());
    app.db.audit(&a).await?;
    Ok(Json(TriageExport {
        case: CaseView::from(&case),
        exported_at: rfc3339(now_ms()),
        exported_by: p.user.name.clone(),
        verdicts,
        notes,
    }))
}

// ---- watches ------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct WatchView {
    pub id: String,
    pub name: String,
    /// `running`, `stopped` or `failed`.
    pub state: String,
    pub failure: Option<String>,
    #[schema(value_type = Object)]
    pub spec: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&crate::db::WatchRow> for WatchView {
    fn from(w: &crate::db::WatchRow) -> WatchView {
        WatchView {
            id: w.id.clone(),
            name: w.name.clone(),
            state: w.state.clone(),
            failure: w.failure.clone(),
            spec: serde_json::from_str(&w.spec).unwrap_or(Value::Null),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// Every watch.
#[utoipa::path(get, path = "/api/watches", tag = "watches",
    responses((status = 200, body = Vec<WatchView>), (status = 401, body = ErrorBody)))]
pub async fn list_watches(State(app): AppState) -> ApiResult<Json<Vec<WatchView>>> {
    Ok(Json(
        app.db
            .watches()
            .await?
            .iter()
            .map(WatchView::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWatch {
    pub name: String,
    /// Files or folders inside the configured roots.
    pub paths: Vec<String>,
    /// Extra `lockstep watch` flags (`--flag` or `--flag=value`).
    #[serde(default)]
    pub args: Vec<String>,
}

/// Start a `lockstep watch` job on server-side inputs.
#[utoipa::path(post, path = "/api/watches", tag = "watches", request_body = NewWatch,
    responses((status = 201, body = WatchView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn start_watch(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiJson(req): ApiJson<NewWatch>,
) -> ApiResult<(StatusCode, Json<WatchView>)> {
    let name = bounded_text("the watch name", &req.name, 200, false)?;
    if req.paths.is_empty() || req.paths.len() > 100 || req.args.len() > 50 {
        return Err(ApiError::bad_request(
            "give 1 to 100 paths and at most 50 arguments",
        ));
    }
    // Flags that name files or open network endpoints are the server's to choose (the
    // watch's folder, its alerts on stdout), never a caller's: they would reach outside the
    // input roots or make the server a proxy.
    const RESERVED: &[&str] = &[
        "--out",
        "--state",
        "--cases",
        "--alerts",
        "--case-log",
        "--webhook",
        "--listen",
        "--token",
        "--watchlist",
    ];
    for a in &req.args {
        let flag = a.split('=').next().unwrap_or("");
        let ok = a.starts_with("--")
            && a.len() <= 200
            && !RESERVED.contains(&flag)
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=.,:".contains(c));
        if !ok {
            return Err(ApiError::bad_request(format!("argument {a:?} refused: only --flag or --flag=value (letters, digits, - _ = . , :), and none of {}", RESERVED.join(" "))));
        }
    }
    let roots = app.config.input_roots.clone();
    let paths = req.paths.clone();
    let inputs =
        tokio::task::spawn_blocking(move || crate::paths::resolve_roots_only(&roots, &paths))
            .await
            .map_err(|_| ApiError::internal())??;
    let spec = crate::watch::WatchSpec {
        inputs,
        args: req.args.clone(),
    };
    let w = crate::start_watch(&app, &name, spec, &p).await?;
    Ok((StatusCode::CREATED, Json(WatchView::from(&w))))
}

/// Stop a running watch.
#[utoipa::path(post, path = "/api/watches/{watch_id}/stop", tag = "watches", params(("watch_id" = String, Path)),
    responses((status = 200, body = WatchView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn stop_watch(
    State(app): AppState,
    Extension(p): Extension<Principal>,
    ApiPath(watch_id): ApiPath<String>,
) -> ApiResult<Json<WatchView>> {
    let w = app
        .db
        .watch(&watch_id)
        .await?
        .ok_or_else(|| ApiError::not_found("watch"))?;
    let running = app
        .watches
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&w.id);
    let Some(mut running) = running else {
        return Err(ApiError::conflict(format!("the watch is {}", w.state)));
    };
    running.stop();
    app.db.set_watch_state(&w.id, "stopped", None).await?;
    let mut a = audit(&p, "watch_stop");
    a.target = Some(w.id.clone());
    app.db.audit(&a).await?;
    let _ = app.events.send(DashEvent::Watch {
        watch_id: w.id.clone(),
        state: "stopped".into(),
        failure: None,
    });
    let w = app
        .db
        .watch(&watch_id)
        .await?
        .ok_or_else(|| ApiError::not_found("watch"))?;
    Ok(Json(WatchView::from(&w)))
}

/// Alerts raised by watches, newest first.
#[utoipa::path(get, path = "/api/alerts", tag = "watches", params(Page),
    responses((status = 200, body = Vec<crate::db::AlertView>), (status = 401, body = ErrorBody)))]
pub async fn list_alerts(
    State(app): AppState,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Vec<crate::db::AlertView>>> {
    let (limit, offset) = page.bounds()?;
    Ok(Json(app.db.alerts(limit, offset).await?))
}
