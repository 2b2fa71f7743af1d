//! `lockstep serve`: the team server. A web application and JSON API over case folders and
//! live watches: users with roles (admin, analyst, viewer) and per-case membership; cases
//! made from uploads or from server paths inside admin-set roots, run in the background with
//! live progress (SSE); a verdict and notes per cluster and account, stored apart from the
//! evidence and, on a sealed case, appended to its signed log; an append-only audit log.
//!
//! The evidence is never modified: the server reads case folders (`clusters.json`,
//! `report.html`, `manifest.json`) and writes only its database, new case folders made by
//! `lockstep_detect::detect`, and (on sealed cases) new entries through
//! `lockstep_vault::append_entry`.
//!
//! Map: [`db`] (queries, migrations), [`auth`] (passwords, sessions, tokens, CSRF, the access
//! rule), [`api`] (route table and handlers), [`runs`] (background detect), [`watch`] (the
//! watch adapter), [`pages`] (HTML shells and the bundled front end), [`openapi`], [`cli`].

pub mod api;
pub mod auth;
pub mod cli;
pub mod db;
pub mod error;
pub mod extract;
pub mod findings;
pub mod ids;
pub mod openapi;
pub mod pages;
mod params;
mod paths;
pub mod runs;
mod tls;
mod upload;
pub mod watch;

pub use error::{ApiError, ServeError};

use crate::api::CaseCtx;
use crate::auth::{Access, Principal};
use crate::db::{AuditRecord, Db};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::RequestExt;
use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use utoipa::ToSchema;

/// How the server runs (from `lockstep serve`'s flags).
#[derive(Debug, Clone)]
pub struct Config {
    /// Where case folders, uploads and watch folders go.
    pub data_dir: PathBuf,
    /// Folders cases may be made from on the server (canonical paths).
    pub input_roots: Vec<PathBuf>,
    pub max_upload_bytes: u64,
    pub max_files: usize,
    /// Behind TLS: cookies are `Secure`, HSTS is sent.
    pub tls: bool,
    pub session_ttl: Duration,
    pub login_per_account: usize,
    pub login_per_address: usize,
    pub login_window: Duration,
    /// The `lockstep` binary that runs `watch` (the server's own by default).
    pub watch_exe: Option<PathBuf>,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            input_roots: Vec::new(),
            max_upload_bytes: 2 << 30,
            max_files: 100,
            tls: false,
            session_ttl: Duration::from_secs(12 * 3600),
            login_per_account: 5,
            login_per_address: 20,
            login_window: Duration::from_secs(300),
            watch_exe: None,
        }
    }
}

/// What the dashboard hears (SSE `/api/events`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DashEvent {
    Case {
        case_id: String,
        name: String,
        state: String,
        failure: Option<String>,
    },
    Watch {
        watch_id: String,
        state: String,
        failure: Option<String>,
    },
    Alert(db::AlertView),
}

impl DashEvent {
    pub fn name(&self) -> &'static str {
        match self {
            DashEvent::Case { .. } => "case",
            DashEvent::Watch { .. } => "watch",
            DashEvent::Alert(_) => "alert",
        }
    }
}

/// The client's address (`ip:port`), from the connection.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

/// The server's state, shared by every request.
pub struct App {
    pub db: Db,
    pub config: Config,
    pub runs: runs::Runs,
    pub findings: findings::FindingsCache,
    pub limiter: auth::LoginLimiter,
    pub events: broadcast::Sender<DashEvent>,
    pub watches: Mutex<HashMap<String, Box<dyn watch::RunningWatch>>>,
    pub watch_backend: Arc<dyn watch::WatchBackend>,
    vault_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl App {
    /// Prepares the data folder and the database's leftovers from a previous run (runs that
    /// were cut off are marked failed; watches that were running, stopped).
    pub async fn new(
        config: Config,
        db: Db,
        watch_backend: Option<Arc<dyn watch::WatchBackend>>,
    ) -> Result<Arc<App>, ServeError> {
        for sub in ["cases", "staging", "watches"] {
            let d = config.data_dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| ServeError::io(&d, e))?;
        }
        // Uploads a stopped server was receiving: never cases.
        let staging = config.data_dir.join("staging");
        if let Ok(rd) = std::fs::read_dir(&staging) {
            for e in rd.flatten() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        db.fail_interrupted_runs().await?;
        db.stop_orphan_watches().await?;
        let exe = config
            .watch_exe
            .clone()
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("lockstep"));
        let backend = watch_backend.unwrap_or_else(|| Arc::new(watch::ProcessWatch { exe }));
        Ok(Arc::new(App {
            limiter: auth::LoginLimiter::new(
                config.login_per_account,
                config.login_per_address,
                config.login_window,
            ),
            db,
            config,
            runs: runs::Runs::default(),
            findings: findings::FindingsCache::default(),
            events: broadcast::channel(1024).0,
            watches: Mutex::new(HashMap::new()),
            watch_backend: backend,
            vault_locks: Mutex::new(HashMap::new()),
        }))
    }

    fn vault_lock(&self, case_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.vault_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(case_id.to_string())
            .or_default()
            .clone()
    }
}

/// Bytes of a JSON request body, at most.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// The whole application: API, pages, assets, and the layers every request passes.
pub fn router(app: Arc<App>) -> axum::Router {
    let body_limit = app.config.max_upload_bytes as usize + (1 << 20);
    axum::Router::new()
        .merge(api::routes(&app))
        .merge(pages::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(request_bounds))
        .layer(axum::middleware::from_fn(client_addr))
        .layer(axum::middleware::from_fn_with_state(
            app.config.tls,
            security_headers,
        ))
        .layer(axum::middleware::from_fn(catch_panic))
        .with_state(app)
}

async fn fallback() -> ApiError {
    ApiError::not_found("page or route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}

/// A handler that panics answers a JSON 500; the panic message stays in the server's log.
async fn catch_panic(req: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(r) => r,
        Err(_) => ApiError::internal().into_response(),
    }
}

async fn client_addr(mut req: Request, next: Next) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "local".into());
    req.extensions_mut().insert(ClientAddr(addr));
    next.run(req).await
}

async fn request_bounds(req: Request, next: Next) -> Response {
    if req
        .uri()
        .query()
        .is_some_and(|q| q.len() > extract::MAX_QUERY_BYTES)
        || req.uri().path().len() > 2048
    {
        return ApiError::new(StatusCode::URI_TOO_LONG, "too_large", "URL too long")
            .into_response();
    }
    next.run(req).await
}

/// The page may run only its own script and styles, load nothing from elsewhere and be
/// framed by nobody.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(State(tls): State<bool>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    r
}

/// The access rule of a route ([`Access`]), checked before its handler: credentials (401),
/// CSRF on cookie writes (403), case membership (404: a case you may not see does not
/// exist for you), role (403, audited).
pub(crate) async fn access_check(
    State(app): State<Arc<App>>,
    access: Access,
    mut req: Request,
    next: Next,
) -> Response {
    match check_access(&app, access, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check_access(app: &App, access: Access, req: &mut Request) -> Result<(), ApiError> {
    let address = req
        .extensions()
        .get::<ClientAddr>()
        .map_or_else(|| "local".to_string(), |a| a.0.clone());
    let need = match access {
        Access::Public => return Ok(()),
        Access::User(r) | Access::Case(r) => r,
    };
    let p = auth::authenticate(&app.db, req.headers(), &address)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    auth::check_csrf(&p, req.method(), req.headers())?;
    if let Access::Case(_) = access {
        let params = req
            .extract_parts::<axum::extract::RawPathParams>()
            .await
            .map_err(|_| ApiError::not_found("case"))?;
        let id = params
            .iter()
            .find(|(k, _)| *k == "id")
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| ApiError::not_found("case"))?;
        let case = if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            app.db.case_for(&id, &p.user.id).await?
        } else {
            None
        };
        let case = match case {
            Some((c, member)) if member || p.is_admin() => c,
            _ => return Err(ApiError::not_found("case")),
        };
        req.extensions_mut().insert(CaseCtx(case));
    }
    if p.user.role < need {
        let route = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
        app.db
            .audit(&AuditRecord {
                actor: Some(p.user.name.clone()),
                address,
                action: "denied",
                outcome: "denied",
                case_id: req.extensions().get::<CaseCtx>().map(|c| c.0.id.clone()),
                cluster: None,
                target: Some(format!("{} {route}", req.method())),
                detail: serde_json::json!({"role": p.user.role, "needs": need}),
            })
            .await?;
        return Err(ApiError::forbidden(format!(
            "this needs the {need} role; you are {}",
            p.user.role
        )));
    }
    req.extensions_mut().insert(p);
    Ok(())
}

/// Queues the detect run of a new case; its state follows in the database, the run's log
/// (SSE) and the dashboard.
pub(crate) async fn start_run(
    app: &Arc<App>,
    case: &db::CaseRow,
    inputs: Vec<PathBuf>,
    params: lockstep_detect::Params,
    p: &Principal,
) -> Result<(), ApiError> {
    let (a1, a2) = (app.clone(), app.clone());
    let (id1, id2) = (case.id.clone(), case.id.clone());
    let (name1, name2) = (case.name.clone(), case.name.clone());
    let (actor, address) = (p.user.name.clone(), p.address.clone());
    let on_start = move || async move {
        if let Err(e) = a1.db.set_case_state(&id1, "running", None, None).await {
            eprintln!("lockstep serve: {e}");
        }
        let _ = a1.events.send(DashEvent::Case {
            case_id: id1,
            name: name1,
            state: "running".into(),
            failure: None,
        });
    };
    let finish = move |outcome: Result<runs::RunOutcome, String>| async move {
        let (state, failure, figures) = match &outcome {
            Ok(o) => ("done", None, Some((o.clusters, o.accounts, o.flagged))),
            Err(r) => ("failed", Some(r.clone()), None),
        };
        if let Err(e) = a2
            .db
            .set_case_state(&id2, state, failure.as_deref(), figures)
            .await
        {
            eprintln!("lockstep serve: {e}");
        }
        a2.findings.forget(&id2);
        let _ = a2
            .db
            .audit(&AuditRecord {
                actor: Some(actor),
                address,
                action: "run",
                outcome: if outcome.is_ok() { "ok" } else { "failed" },
                case_id: Some(id2.clone()),
                cluster: None,
                target: None,
                detail: match &outcome {
                    Ok(o) => serde_json::json!({"clusters": o.clusters, "accounts": o.accounts, "flagged": o.flagged}),
                    Err(r) => serde_json::json!({"reason": r}),
                },
            })
            .await;
        let _ = a2.events.send(DashEvent::Case {
            case_id: id2,
            name: name2,
            state: state.into(),
            failure,
        });
    };
    app.runs.start(
        &case.id,
        inputs,
        PathBuf::from(&case.dir),
        params,
        on_start,
        finish,
    );
    let _ = app.events.send(DashEvent::Case {
        case_id: case.id.clone(),
        name: case.name.clone(),
        state: "queued".into(),
        failure: None,
    });
    Ok(())
}

/// Appends an entry to a sealed case's log (one writer per case at a time); `None` when
/// the case is not sealed or the append failed (logged: the database keeps the record).
pub(crate) async fn append_to_vault(
    app: &App,
    case: &db::CaseRow,
    entry: lockstep_vault::NewEntry,
) -> Option<u64> {
    let dir = PathBuf::from(&case.dir);
    if !lockstep_vault::is_sealed(&dir) {
        return None;
    }
    let lock = app.vault_lock(&case.id);
    let _g = lock.lock().await;
    match tokio::task::spawn_blocking(move || lockstep_vault::append_entry(&dir, &entry)).await {
        Ok(Ok(seq)) => Some(seq),
        Ok(Err(e)) => {
            eprintln!(
                "lockstep serve: case {}: cannot append to the vault log: {e}",
                case.id
            );
            None
        }
        Err(_) => None,
    }
}

/// Starts a watch and the task that turns its events into alerts (and its snapshots into
/// read-only cases).
pub(crate) async fn start_watch(
    app: &Arc<App>,
    name: &str,
    spec: watch::WatchSpec,
    p: &Principal,
) -> Result<db::WatchRow, ApiError> {
    let id = ids::new_id();
    let out = app.config.data_dir.join("watches").join(&id);
    std::fs::create_dir_all(&out).map_err(|_| ApiError::internal())?;
    let out = std::fs::canonicalize(&out).map_err(|_| ApiError::internal())?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let handle = app
        .watch_backend
        .start(&spec, &out, tx)
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "watch_failed", e))?;
    let row = db::WatchRow {
        id: id.clone(),
        name: name.to_string(),
        state: "running".into(),
        spec: serde_json::to_string(&spec).map_err(|_| ApiError::internal())?,
        failure: None,
        created_by: p.user.id.clone(),
        created_at: ids::now_ms(),
        updated_at: ids::now_ms(),
    };
    app.db.add_watch(&row).await?;
    app.watches
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), handle);
    app.db
        .audit(&AuditRecord {
            actor: Some(p.user.name.clone()),
            address: p.address.clone(),
            action: "watch_start",
            outcome: "ok",
            case_id: None,
            cluster: None,
            target: Some(id.clone()),
            detail: serde_json::json!({"name": name, "spec": spec}),
        })
        .await?;
    let _ = app.events.send(DashEvent::Watch {
        watch_id: id.clone(),
        state: "running".into(),
        failure: None,
    });
    let app = app.clone();
    let owner = p.user.clone();
    tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            match ev {
                watch::WatchEvent::Alert {
                    title,
                    detail,
                    snapshot,
                } => {
                    let case_id = match snapshot {
                        Some(s) => import_snapshot(&app, &id, &out, &s, &title, &owner).await,
                        None => None,
                    };
                    let alert = db::AlertView {
                        id: ids::ordered_id(),
                        watch_id: id.clone(),
                        at: ids::rfc3339(ids::now_ms()),
                        title,
                        detail,
                        case_id,
                    };
                    if let Err(e) = app.db.add_alert(&alert).await {
                        eprintln!("lockstep serve: {e}");
                    }
                    let _ = app.events.send(DashEvent::Alert(alert));
                }
                watch::WatchEvent::Exited(result) => {
                    let was_running = app
                        .watches
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&id)
                        .is_some();
                    if was_running {
                        let (state, failure) = match result {
                            Ok(()) => ("stopped", None),
                            Err(e) => ("failed", Some(e)),
                        };
                        let _ = app.db.set_watch_state(&id, state, failure.as_deref()).await;
                        let _ = app.events.send(DashEvent::Watch {
                            watch_id: id.clone(),
                            state: state.into(),
                            failure,
                        });
                    }
                    break;
                }
            }
        }
    });
    Ok(row)
}

/// A snapshot case folder a watch wrote (inside its own folder, with a manifest) becomes a
/// read-only case that the watch's owner can open.
async fn import_snapshot(
    app: &App,
    watch_id: &str,
    out: &Path,
    snapshot: &Path,
    title: &str,
    owner: &db::User,
) -> Option<String> {
    let dir = std::fs::canonicalize(snapshot).ok()?;
    if !dir.starts_with(out) {
        eprintln!(
            "lockstep serve: watch {watch_id}: snapshot {} is outside its folder: ignored",
            dir.display()
        );
        return None;
    }
    let m = lockstep_case::Manifest::read(&dir).ok()?;
    let now = ids::now_ms();
    let case = db::CaseRow {
        id: ids::new_id(),
        name: format!(
            "watch snapshot: {}",
            title.chars().take(150).collect::<String>()
        ),
        description: String::new(),
        source: "watch".into(),
        dir: dir.display().to_string(),
        state: "done".into(),
        failure: None,
        status: "open".into(),
        params: m.parameters.to_string(),
        inputs: serde_json::Value::from(
            m.inputs.iter().map(|i| i.path.clone()).collect::<Vec<_>>(),
        )
        .to_string(),
        created_by: owner.id.clone(),
        creator: owner.name.clone(),
        created_at: now,
        updated_at: now,
        // Counts are read by name: a case written by another command may lack some.
        clusters: m.counts.get("clusters").and_then(|v| v.as_i64()),
        accounts: m.counts.get("accounts").and_then(|v| v.as_i64()),
        flagged: m.counts.get("flagged_accounts").and_then(|v| v.as_i64()),
        watch_id: Some(watch_id.to_string()),
    };
    app.db.add_case(&case).await.ok()?;
    Some(case.id)
}

/// The report data a `report.html` embeds (valid JSON as written: `<\/` is a JSON escape).
pub fn report_data(html: &str) -> Option<String> {
    let open = "<script id=\"lockstep-data\" type=\"application/json\">";
    let start = html.find(open)? + open.len();
    let len = html[start..].find("</script>")?;
    Some(html[start..start + len].to_string())
}

/// Serves `app` on `listen` (TLS when `tls` names a certificate and key) until the process
/// ends.
pub async fn serve(
    app: Arc<App>,
    listen: SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| ServeError::Config(format!("cannot listen on {listen}: {e}")))?;
    let router = router(app);
    match tls {
        None => axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .map_err(|e| ServeError::io("listener", e)),
        Some((cert, key)) => tls::serve(listener, router, &cert, &key).await,
    }
}
