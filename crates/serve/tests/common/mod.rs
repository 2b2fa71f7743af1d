//! Test harness: an app on each database (SQLite always; PostgreSQL when
//! `LOCKSTEP_TEST_POSTGRES` names a server, as `scripts/test-serve.sh` does — each test gets
//! its own database there), requests through the router in process, and one real case
//! folder (detect on `testdata/real/russian_coord_tweets.csv.gz`) shared read-only.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use lockstep_serve::db::{CaseRow, Db, Role};
use lockstep_serve::{App, Config};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(name)
}

/// The database URLs every database test runs against.
pub async fn backends() -> Vec<(String, String, tempfile::TempDir)> {
    let mut out = Vec::new();
    let t = tempfile::tempdir().unwrap();
    out.push((
        "sqlite".to_string(),
        format!("sqlite:{}", t.path().join("t.db").display()),
        t,
    ));
    match std::env::var("LOCKSTEP_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => {
            let name = format!("t_{}", lockstep_serve::ids::random_hex(8));
            sqlx::any::install_default_drivers();
            let admin = sqlx::AnyPool::connect(&base)
                .await
                .expect("connect to LOCKSTEP_TEST_POSTGRES");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let url = match base.rsplit_once('/') {
                Some((head, tail)) => {
                    let query = tail
                        .split_once('?')
                        .map(|(_, q)| format!("?{q}"))
                        .unwrap_or_default();
                    format!("{head}/{name}{query}")
                }
                None => panic!("LOCKSTEP_TEST_POSTGRES must end in /DBNAME"),
            };
            out.push(("postgres".to_string(), url, tempfile::tempdir().unwrap()));
        }
        _ => {
            assert!(
                std::env::var("LOCKSTEP_REQUIRE_POSTGRES").is_err(),
                "LOCKSTEP_REQUIRE_POSTGRES is set but LOCKSTEP_TEST_POSTGRES is not"
            );
            eprintln!("note: LOCKSTEP_TEST_POSTGRES unset: database tests ran on SQLite only (scripts/test-serve.sh runs both)");
        }
    }
    out
}

/// A case folder made once per test binary (read-only: the server never writes it).
pub fn shared_case() -> &'static Path {
    static CASE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &CASE
        .get_or_init(|| {
            let t = tempfile::tempdir().unwrap();
            let case = t.path().join("case");
            let params = lockstep_detect::Params {
                window_s: 600.0,
                ..Default::default()
            };
            lockstep_detect::detect(
                &[testdata("russian_coord_tweets.csv.gz")],
                &case,
                &params,
                &lockstep_detect::Silent,
            )
            .unwrap();
            (t, case)
        })
        .1
}

pub struct Harness {
    pub app: Arc<App>,
    pub router: axum::Router,
    pub data: tempfile::TempDir,
    pub backend: String,
    pub tokens: std::collections::HashMap<&'static str, String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl Harness {
    pub async fn new(url: &str, backend: &str, tweak: impl FnOnce(&mut Config)) -> Harness {
        let db = Db::connect(url).await.unwrap();
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::new(data.path());
        tweak(&mut config);
        let app = App::new(config, db, None).await.unwrap();
        let router = lockstep_serve::router(app.clone());
        let mut h = Harness {
            app,
            router,
            data,
            backend: backend.to_string(),
            tokens: Default::default(),
        };
        for (name, role) in [
            ("admin", Role::Admin),
            ("alice", Role::Analyst),
            ("bob", Role::Analyst),
            ("vera", Role::Viewer),
        ] {
            let hash = lockstep_serve::auth::hash_password("correct horse battery").unwrap();
            let u = h.app.db.add_user(name, role, Some(&hash)).await.unwrap();
            let (token, th) = lockstep_serve::auth::new_api_token();
            h.app.db.add_token(&u.id, "test", &th).await.unwrap();
            h.tokens.insert(name, token);
        }
        h
    }

    pub async fn user_id(&self, name: &str) -> String {
        self.app.db.user_by_name(name).await.unwrap().unwrap().id
    }

    /// A done case pointing at `dir`, created by `owner`, with `members` too.
    pub async fn add_case(&self, name: &str, dir: &Path, owner: &str, members: &[&str]) -> String {
        let id = lockstep_serve::ids::new_id();
        let now = lockstep_serve::ids::now_ms();
        let row = CaseRow {
            id: id.clone(),
            name: name.into(),
            description: String::new(),
            source: "paths".into(),
            dir: dir.display().to_string(),
            state: "done".into(),
            failure: None,
            status: "open".into(),
            params: "{}".into(),
            inputs: "[]".into(),
            created_by: self.user_id(owner).await,
            creator: owner.into(),
            created_at: now,
            updated_at: now,
            clusters: Some(1),
            accounts: Some(1),
            flagged: Some(1),
            watch_id: None,
        };
        self.app.db.add_case(&row).await.unwrap();
        let by = self.user_id("admin").await;
        for m in members {
            let uid = self.user_id(m).await;
            self.app.db.add_member(&id, &uid, &by).await.unwrap();
        }
        id
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = axum::body::to_bytes(r.into_body(), 1 << 30)
            .await
            .unwrap()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A request as `who` (a user name: their API token; `None`: no credentials).
    pub async fn call(
        &self,
        who: Option<&str>,
        method: Method,
        path: &str,
        json: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(w) = who {
            b = b.header("authorization", format!("Bearer {}", self.tokens[w]));
        }
        let req = match json {
            Some(j) => b
                .header("content-type", "application/json")
                .body(Body::from(j.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn get(&self, who: &str, path: &str) -> Resp {
        self.call(Some(who), Method::GET, path, None).await
    }

    pub async fn post(&self, who: &str, path: &str, json: Value) -> Resp {
        self.call(Some(who), Method::POST, path, Some(json)).await
    }

    /// Waits until a case's run ended; its final record.
    pub async fn wait_case(&self, who: &str, id: &str) -> Value {
        for _ in 0..600 {
            let c = self.get(who, &format!("/api/cases/{id}")).await.json();
            if c["state"] == "done" || c["state"] == "failed" {
                return c;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        panic!("case {id} did not finish");
    }
}

/// A multipart body: text fields, then files (name, bytes).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "lockstepboundary7d1f";
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}
