//! The API against SQLite and PostgreSQL: every route's access rule (from the OpenAPI
//! document), triage, the audit log, login, uploads, server paths, bounds and errors.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn first_cluster(h_case: &std::path::Path) -> (i64, String) {
    let v: Value =
        serde_json::from_slice(&std::fs::read(h_case.join("clusters.json")).unwrap()).unwrap();
    let c = &v["clusters"][0];
    (
        c["id"].as_i64().unwrap(),
        c["members"][0].as_str().unwrap().to_string(),
    )
}

/// Every route of the OpenAPI document, and only those, is in the router; each refuses a
/// request without credentials (401), from a role without the right (403) and, for case
/// routes, from a member of another case (404).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_enforces_access() {
    let doc: Value = serde_json::from_str(lockstep_serve::openapi::document_json()).unwrap();
    let mut in_doc = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in item.as_object().unwrap().keys() {
            in_doc.insert((m.clone(), path.clone()));
        }
    }
    let table: BTreeSet<(String, String)> = lockstep_serve::api::route_list()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        in_doc, table,
        "the OpenAPI document's routes differ from the router's"
    );

    let case_dir = shared_case();
    let (cluster, _) = first_cluster(case_dir);
    for (backend, url, _t) in backends().await {
        let h = Harness::new(&url, &backend, |_| {}).await;
        let case1 = h.add_case("one", case_dir, "alice", &["vera"]).await;
        let _case2 = h.add_case("two", case_dir, "bob", &[]).await;
        let mut checked = 0;
        for (method, path, access) in lockstep_serve::api::route_list() {
            let p = path
                .replace("{id}", &case1)
                .replace("{cluster}", &cluster.to_string())
                .replace("{user}", "vera")
                .replace("{name}", "vera")
                .replace("{token_id}", "0123456789abcdef0123456789abcdef")
                .replace("{file}", "clusters.json")
                .replace("{watch_id}", "0123456789abcdef0123456789abcdef");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (m != Method::GET && m != Method::DELETE).then(|| json!({}));
            use lockstep_serve::auth::Access;
            use lockstep_serve::db::Role;
            if access == Access::Public {
                continue;
            }
            let r = h.call(None, m.clone(), &p, body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "[{backend}] {method} {path} without credentials"
            );
            assert_eq!(r.code(), "unauthenticated");
            let (need, case_route) = match access {
                Access::User(r) => (r, false),
                Access::Case(r) => (r, true),
                Access::Public => unreachable!(),
            };
            // A role just below the one needed (a member of the case, for case routes).
            let lower = match need {
                Role::Viewer => None,
                Role::Analyst => Some("vera"),
                Role::Admin => Some("alice"),
            };
            if let Some(who) = lower {
                let r = h.call(Some(who), m.clone(), &p, body.clone()).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{backend}] {method} {path} as {who}"
                );
                assert_eq!(r.code(), "forbidden");
            }
            if case_route {
                let r = h.call(Some("bob"), m.clone(), &p, body.clone()).await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "[{backend}] {method} {path} as another case's member"
                );
                // And the same answer for a case that does not exist.
                let r2 = h
                    .call(
                        Some("bob"),
                        m.clone(),
                        &path
                            .replace("{id}", "00000000000000000000000000000000")
                            .replace("{cluster}", "1")
                            .replace("{user}", "vera")
                            .replace("{file}", "x"),
                        body.clone(),
                    )
                    .await;
                assert_eq!(r2.status, StatusCode::NOT_FOUND);
                assert_eq!(
                    r.body, r2.body,
                    "a case one may not see looks like one that does not exist"
                );
            }
            checked += 1;
        }
        assert!(checked >= 30, "{checked} routes checked");
        // The viewer changed nothing: no verdict, note or status change was stored.
        let audit = h.get("admin", "/api/audit?per_page=200").await.json();
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(actions.iter().all(|a| *a == "denied"), "{actions:?}");
        let card = h
            .get("vera", &format!("/api/cases/{case1}/clusters/{cluster}"))
            .await
            .json();
        assert!(card["verdict"].is_null() && card["notes"].as_array().unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_verdicts_notes_and_audit() {
    let case_dir = shared_case();
    let (cluster, account) = first_cluster(case_dir);
    for (backend, url, _t) in backends().await {
        let h = Harness::new(&url, &backend, |_| {}).await;
        let id = h
            .add_case("triage", case_dir, "alice", &["vera", "bob"])
            .await;
        let list = h.get("vera", &format!("/api/cases/{id}/clusters")).await;
        assert_eq!(list.status, 200, "[{backend}]");
        let list = list.json();
        assert!(list["total"].as_i64().unwrap() >= 1);
        assert!(list["clusters"][0]["verdict"].is_null());

        let r = h
            .post(
                "alice",
                &format!("/api/cases/{id}/verdicts"),
                json!({"cluster": cluster, "verdict": "needs_review"}),
            )
            .await;
        assert_eq!(
            r.status,
            201,
            "[{backend}] {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            r.json()["vault_seq"].is_null(),
            "an unsealed case has no log"
        );
        let r = h
            .post(
                "bob",
                &format!("/api/cases/{id}/verdicts"),
                json!({"cluster": cluster, "verdict": "confirmed_coordinated"}),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = h
            .post(
                "alice",
                &format!("/api/cases/{id}/verdicts"),
                json!({"cluster": cluster, "account": account, "verdict": "dismissed"}),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = h
            .post(
                "alice",
                &format!("/api/cases/{id}/notes"),
                json!({"cluster": cluster, "text": "same sound, 40 s apart\nchecked by hand"}),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = h
            .call(
                Some("alice"),
                Method::PUT,
                &format!("/api/cases/{id}/clusters/{cluster}/assignee"),
                Some(json!({"assignee": "bob"})),
            )
            .await;
        assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));

        // Bad input changes nothing.
        for (path, body) in [
            ("verdicts", json!({"cluster": cluster, "verdict": "guilty"})),
            (
                "verdicts",
                json!({"cluster": 999_999, "verdict": "dismissed"}),
            ),
            (
                "verdicts",
                json!({"cluster": cluster, "account": "not-a-member-\u{202e}", "verdict": "dismissed"}),
            ),
            (
                "verdicts",
                json!({"cluster": cluster, "verdict": "dismissed", "extra": 1}),
            ),
            ("notes", json!({"cluster": cluster, "text": "   "})),
            (
                "notes",
                json!({"cluster": cluster, "text": "x".repeat(10_001)}),
            ),
            ("notes", json!({"cluster": cluster, "text": "bell\u{7}"})),
        ] {
            let r = h
                .post("alice", &format!("/api/cases/{id}/{path}"), body.clone())
                .await;
            assert!(r.status == 400 || r.status == 404, "{body}: {}", r.status);
            assert!(!r.code().is_empty());
        }
        let r = h
            .call(
                Some("alice"),
                Method::PUT,
                &format!("/api/cases/{id}/clusters/{cluster}/assignee"),
                Some(json!({"assignee": "vera"})),
            )
            .await;
        assert_eq!(r.status, 400, "a viewer cannot be assigned");

        let card = h
            .get("vera", &format!("/api/cases/{id}/clusters/{cluster}"))
            .await
            .json();
        assert_eq!(card["verdict"]["verdict"], "confirmed_coordinated");
        assert_eq!(card["verdict"]["analyst"], "bob");
        assert_eq!(card["history"].as_array().unwrap().len(), 3);
        assert_eq!(card["history_total"], 3);
        assert_eq!(card["account_verdicts"][0]["target"], account.as_str());
        assert_eq!(
            card["notes"][0]["text"],
            "same sound, 40 s apart\nchecked by hand"
        );
        assert_eq!(card["assignee"], "bob");
        let list = h
            .get(
                "vera",
                &format!("/api/cases/{id}/clusters?verdict=confirmed_coordinated"),
            )
            .await
            .json();
        assert_eq!(list["total"], 1);
        assert_eq!(list["clusters"][0]["assignee"], "bob");

        let trail = h
            .get("vera", &format!("/api/cases/{id}/audit?cluster={cluster}"))
            .await
            .json();
        let actions: Vec<(&str, &str)> = trail["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("assign", "alice"),
                ("note", "alice"),
                ("verdict", "alice"),
                ("verdict", "bob"),
                ("verdict", "alice")
            ]
        );

        let r = h
            .call(
                Some("alice"),
                Method::PATCH,
                &format!("/api/cases/{id}"),
                Some(json!({"status": "in_review"})),
            )
            .await;
        assert_eq!(r.json()["status"], "in_review");
        let export = h
            .get("vera", &format!("/api/cases/{id}/triage"))
            .await
            .json();
        assert_eq!(export["verdicts"].as_array().unwrap().len(), 3);
        let nd = h.get("admin", "/api/audit/export").await;
        assert_eq!(nd.status, 200);
        let lines: Vec<Value> = std::str::from_utf8(&nd.body)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let kinds: BTreeSet<&str> = lines
            .iter()
            .map(|l| l["action"].as_str().unwrap())
            .collect();
        for k in [
            "verdict",
            "note",
            "assign",
            "case_status",
            "export",
            "audit_export",
        ] {
            assert!(kinds.contains(k), "{k} missing from {kinds:?}");
        }
        // The case folder was not touched.
        assert!(lockstep_case::verify(case_dir).unwrap().0.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sessions_csrf_and_rate_limit() {
    for (backend, url, _t) in backends().await {
        let h = Harness::new(&url, &backend, |_| {}).await;
        let login = |name: &str, pw: &str| {
            Request::builder()
                .method("POST")
                .uri("/api/login")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"name": name, "password": pw}).to_string(),
                ))
                .unwrap()
        };
        let r = h.send(login("alice", "correct horse battery")).await;
        assert_eq!(r.status, 200, "[{backend}]");
        let cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "no TLS here");
        let csrf = r.json()["csrf"].as_str().unwrap().to_string();
        let session = cookie.split(';').next().unwrap().to_string();
        let with_cookie = |method: &str, path: &str, csrf: Option<&str>, body: Option<Value>| {
            let mut b = Request::builder()
                .method(method)
                .uri(path)
                .header("cookie", &session);
            if let Some(c) = csrf {
                b = b.header("x-csrf-token", c);
            }
            match body {
                Some(j) => b
                    .header("content-type", "application/json")
                    .body(Body::from(j.to_string()))
                    .unwrap(),
                None => b.body(Body::empty()).unwrap(),
            }
        };
        assert_eq!(
            h.send(with_cookie("GET", "/api/me", None, None))
                .await
                .json()["user"]["name"],
            "alice"
        );
        let r = h
            .send(with_cookie(
                "POST",
                "/api/tokens",
                None,
                Some(json!({"name": "x"})),
            ))
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::FORBIDDEN, "csrf")
        );
        let r = h
            .send(with_cookie(
                "POST",
                "/api/tokens",
                Some("0".repeat(64).as_str()),
                Some(json!({"name": "x"})),
            ))
            .await;
        assert_eq!(r.code(), "csrf");
        let r = h
            .send(with_cookie(
                "POST",
                "/api/tokens",
                Some(&csrf),
                Some(json!({"name": "script"})),
            ))
            .await;
        assert_eq!(r.status, 201);
        let token = r.json()["token"].as_str().unwrap().to_string();
        let tid = r.json()["info"]["id"].as_str().unwrap().to_string();
        let bearer = |t: &str| {
            Request::builder()
                .uri("/api/me")
                .header("authorization", format!("Bearer {t}"))
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(h.send(bearer(&token)).await.status, 200);
        let r = h
            .send(with_cookie(
                "DELETE",
                &format!("/api/tokens/{tid}"),
                Some(&csrf),
                None,
            ))
            .await;
        assert_eq!(r.status, 204);
        assert_eq!(
            h.send(bearer(&token)).await.status,
            401,
            "a revoked token is refused"
        );
        // A cross-site Origin is refused even with the token.
        let mut req = with_cookie(
            "POST",
            "/api/tokens",
            Some(&csrf),
            Some(json!({"name": "x"})),
        );
        req.headers_mut()
            .insert("origin", "https://evil.example".parse().unwrap());
        req.headers_mut()
            .insert("host", "127.0.0.1:8080".parse().unwrap());
        assert_eq!(h.send(req).await.code(), "csrf");
        // Logout ends the session.
        assert_eq!(
            h.send(with_cookie("POST", "/api/logout", Some(&csrf), None))
                .await
                .status,
            204
        );
        assert_eq!(
            h.send(with_cookie("GET", "/api/me", None, None))
                .await
                .status,
            401
        );

        // Rate limit: 5 failures per account, then 429 even for the right password.
        for _ in 0..5 {
            let r = h.send(login("bob", "wrong password!")).await;
            assert_eq!(
                (r.status, r.code().as_str()),
                (StatusCode::UNAUTHORIZED, "bad_credentials")
            );
        }
        let r = h.send(login("bob", "correct horse battery")).await;
        assert_eq!(r.status, 429);
        assert!(r.headers.contains_key("retry-after"));
        // Unknown users answer as wrong passwords do.
        let r = h.send(login("nobody", "whatever else")).await;
        assert_eq!(r.code(), "bad_credentials");
        // A disabled user cannot log in, nor use a token.
        let r = h
            .call(
                Some("admin"),
                Method::PATCH,
                "/api/users/vera",
                Some(json!({"disabled": true})),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            h.send(login("vera", "correct horse battery")).await.status,
            401
        );
        assert_eq!(
            h.call(Some("vera"), Method::GET, "/api/me", None)
                .await
                .status,
            401
        );
        let audit = h.get("admin", "/api/audit?per_page=200").await.json();
        let failed = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "login" && e["outcome"] == "failed")
            .count();
        assert!(failed >= 6, "failed logins are audited");
        let row = h.app.db.user_by_name("alice").await.unwrap().unwrap();
        assert!(row.password_hash.unwrap().starts_with("$argon2id$"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_run_and_failures_leave_nothing() {
    let data = std::fs::read(testdata("russian_coord_tweets.csv.gz")).unwrap();
    for (backend, url, _t) in backends().await {
        let h = Harness::new(&url, &backend, |c| c.max_upload_bytes = 4 << 20).await;
        let upload = |fields: &[(&str, &str)], files: &[(&str, &[u8])], who: &str| {
            let (ct, body) = multipart(fields, files);
            Request::builder()
                .method("POST")
                .uri("/api/cases")
                .header("content-type", ct)
                .header("authorization", format!("Bearer {}", h.tokens[who]))
                .body(Body::from(body))
                .unwrap()
        };
        let count_dirs = |sub: &str| {
            std::fs::read_dir(h.data.path().join(sub))
                .map(|d| d.count())
                .unwrap_or(0)
        };
        // Refused uploads: nothing stays.
        let big = vec![b'a'; 5 << 20];
        for (fields, files, code) in [
            (
                vec![("name", "x")],
                vec![("a.exe", &data[..])],
                "bad_request",
            ),
            (
                vec![("name", "x")],
                vec![("a.csv", &b"not,a,known\nformat,at,all\n"[..])],
                "bad_request",
            ),
            (
                vec![("name", "x")],
                vec![("big.csv", &big[..])],
                "too_large",
            ),
            (
                vec![("name", "x"), ("params", "{\"window\": -5}")],
                vec![("t.csv.gz", &data[..])],
                "bad_request",
            ),
            (
                vec![
                    ("name", "x"),
                    ("params", "{\"watchlist\": \"/etc/passwd\"}"),
                ],
                vec![("t.csv.gz", &data[..])],
                "bad_request",
            ),
            (vec![], vec![("t.csv.gz", &data[..])], "bad_request"),
            (vec![("name", "x")], vec![], "bad_request"),
        ] {
            let r = h.send(upload(&fields, &files, "alice")).await;
            assert_eq!(
                r.code(),
                code,
                "[{backend}] {fields:?}: {}",
                String::from_utf8_lossy(&r.body)
            );
            assert_eq!(count_dirs("cases"), 0);
            assert_eq!(count_dirs("staging"), 0);
        }
        assert_eq!(h.get("admin", "/api/cases").await.json()["total"], 0);
        let r = h
            .send(upload(&[("name", "x")], &[("t.csv.gz", &data[..])], "vera"))
            .await;
        assert_eq!(r.status, 403, "viewers do not upload");

        let r = h
            .send(upload(
                &[
                    ("name", "Russian co-retweets"),
                    ("description", "CooRTweet example"),
                    ("params", "{\"window\": 600}"),
                ],
                &[("russian_coord_tweets.csv.gz", &data[..])],
                "alice",
            ))
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let id = r.json()["id"].as_str().unwrap().to_string();
        let c = h.wait_case("alice", &id).await;
        assert_eq!(c["state"], "done", "{c}");
        assert!(c["clusters"].as_i64().unwrap() > 0);
        assert_eq!(c["params"]["window"], 600);
        let report = h.get("alice", &format!("/api/cases/{id}/report")).await;
        assert_eq!(report.status, 200);
        assert!(
            report.json()["clusters"].as_array().unwrap().len() as i64
                == c["clusters"].as_i64().unwrap()
        );
        let m = h
            .get("alice", &format!("/api/cases/{id}/files/manifest.json"))
            .await;
        assert_eq!(m.status, 200);
        assert_eq!(
            h.get(
                "alice",
                &format!("/api/cases/{id}/files/..%2Fmanifest.json")
            )
            .await
            .status,
            404
        );
        // The run's events, replayed after the end.
        let ev = h.get("alice", &format!("/api/cases/{id}/events")).await;
        let text = String::from_utf8_lossy(&ev.body);
        assert!(
            text.contains("event: started")
                && text.contains("event: finished")
                && text.contains("event: done"),
            "{text}"
        );
        // Search.
        assert_eq!(
            h.get("alice", "/api/cases?q=co-retweets").await.json()["total"],
            1
        );
        assert_eq!(
            h.get("alice", "/api/cases?q=nothing%25like").await.json()["total"],
            0
        );
        assert_eq!(
            h.get("bob", "/api/cases").await.json()["total"],
            0,
            "bob is not a member"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_paths_stay_inside_roots_and_failed_runs_say_why() {
    let roots = tempfile::tempdir().unwrap();
    let root = roots.path().join("root");
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::copy(
        testdata("cnt_coretweet_fixture.csv"),
        root.join("data/fixture.csv"),
    )
    .unwrap();
    std::fs::write(root.join("garbage.csv"), "this is not\na known format\n").unwrap();
    std::fs::write(roots.path().join("secret.csv"), "a,b\n").unwrap();
    let canon = std::fs::canonicalize(&root).unwrap();
    for (backend, url, _t) in backends().await {
        let h = Harness::new(&url, &backend, |c| c.input_roots = vec![canon.clone()]).await;
        assert_eq!(
            h.get("alice", "/api/roots").await.json()["roots"][0],
            canon.display().to_string()
        );
        for bad in ["../secret.csv", "/etc/passwd", "/", "data/../../secret.csv"] {
            let r = h
                .post(
                    "alice",
                    "/api/cases/from-paths",
                    json!({"name": "x", "paths": [bad]}),
                )
                .await;
            assert_eq!(r.status, 403, "[{backend}] {bad}");
        }
        assert_eq!(h.get("admin", "/api/cases").await.json()["total"], 0);
        let r = h
            .post(
                "alice",
                "/api/cases/from-paths",
                json!({"name": "fixture", "paths": ["data"], "params": {"min-cluster-size": 2}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let c = h.wait_case("alice", r.json()["id"].as_str().unwrap()).await;
        assert_eq!(c["state"], "done", "{c}");
        let r = h
            .post(
                "alice",
                "/api/cases/from-paths",
                json!({"name": "garbage", "paths": ["garbage.csv"]}),
            )
            .await;
        assert_eq!(r.status, 201);
        let c = h.wait_case("alice", r.json()["id"].as_str().unwrap()).await;
        assert_eq!(c["state"], "failed");
        assert!(
            c["failure"].as_str().unwrap().contains("garbage.csv"),
            "{c}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounds_errors_and_headers() {
    for (backend, url, _t) in backends().await {
        bounds_on(Harness::new(&url, &backend, |_| {}).await).await;
    }
}

async fn bounds_on(h: Harness) {
    let r = h.get("alice", "/api/nothing").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let r = h.call(Some("alice"), Method::PUT, "/api/me", None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    let deep = "[".repeat(100) + &"]".repeat(100);
    let req = Request::builder()
        .method("POST")
        .uri("/api/tokens")
        .header("authorization", format!("Bearer {}", h.tokens["alice"]))
        .header("content-type", "application/json")
        .body(Body::from(deep))
        .unwrap();
    assert_eq!(h.send(req).await.code(), "bad_request");
    let huge = json!({"name": "x".repeat(100_000)}).to_string();
    let req = Request::builder()
        .method("POST")
        .uri("/api/tokens")
        .header("authorization", format!("Bearer {}", h.tokens["alice"]))
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .unwrap();
    assert_eq!(h.send(req).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let req = Request::builder()
        .method("POST")
        .uri("/api/tokens")
        .header("authorization", format!("Bearer {}", h.tokens["alice"]))
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(h.send(req).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = h
        .get("alice", &format!("/api/cases?q={}", "a".repeat(5000)))
        .await;
    assert_eq!(r.status, StatusCode::URI_TOO_LONG);
    assert_eq!(
        h.get("alice", "/api/cases?per_page=1000").await.code(),
        "bad_request"
    );
    assert_eq!(
        h.get("alice", "/api/cases?page=abc").await.code(),
        "bad_request"
    );
    let r = h.call(None, Method::GET, "/", None).await;
    assert_eq!(r.status, 200);
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    let html = String::from_utf8(r.body).unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    let r = h
        .call(None, Method::GET, "/cases/..%2F..%2Fetc", None)
        .await;
    assert_eq!(r.status, 404);
    let r = h.call(None, Method::GET, "/api/openapi.json", None).await;
    assert_eq!(r.headers["cache-control"], "no-store");
    assert!(
        h.call(None, Method::GET, "/assets/serve.js", None)
            .await
            .body
            .len()
            > 10_000
    );
}

/// The committed openapi.json is the document the server serves (`UPDATE_OPENAPI=1`
/// rewrites it).
#[tokio::test]
async fn committed_openapi_matches() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let (backend, url, _t) = backends().await.remove(0);
    let h = Harness::new(&url, &backend, |_| {}).await;
    let served = h
        .call(None, Method::GET, "/api/openapi.json", None)
        .await
        .body;
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &served).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(committed == served, "crates/serve/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p lockstep-serve --test api committed_openapi_matches");
    let v: Value = serde_json::from_slice(&served).unwrap();
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
}

/// On a sealed case, verdicts and notes are appended to the signed case log; the sealed
/// files themselves stay as they were (verify reports only the pending entries).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_cases_log_verdicts() {
    let t = tempfile::tempdir().unwrap();
    let case = t.path().join("case");
    copy_dir(shared_case(), &case);
    let keys = lockstep_vault::keygen(&t.path().join("keys")).unwrap();
    lockstep_vault::seal(&case, &lockstep_vault::SealOptions::new(&keys.private_key)).unwrap();
    let (cluster, _) = first_cluster(&case);
    for (backend, url, _tt) in backends().await {
        let h = Harness::new(&url, &backend, |_| {}).await;
        sealed_on(&h, &case, cluster).await;
    }
}

async fn sealed_on(h: &Harness, case: &std::path::Path, cluster: i64) {
    let id = h.add_case("sealed", case, "alice", &[]).await;
    assert_eq!(
        h.get("alice", &format!("/api/cases/{id}")).await.json()["sealed"],
        true
    );
    let r = h
        .post(
            "alice",
            &format!("/api/cases/{id}/verdicts"),
            json!({"cluster": cluster, "verdict": "confirmed_coordinated"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let seq = r.json()["vault_seq"].as_u64().expect("appended to the log");
    let before = std::fs::read_to_string(case.join("vault/log.ndjson"))
        .unwrap()
        .lines()
        .count() as u64;
    assert_eq!(seq + 1, before);
    let r = h
        .post(
            "alice",
            &format!("/api/cases/{id}/notes"),
            json!({"cluster": cluster, "text": "signed off"}),
        )
        .await;
    assert_eq!(r.json()["vault_seq"].as_u64(), Some(seq + 1));
    let log = std::fs::read_to_string(case.join("vault/log.ndjson")).unwrap();
    let last: Vec<Value> = log
        .lines()
        .rev()
        .take(2)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(last[1]["kind"], "verdict");
    assert_eq!(last[1]["analyst"], "alice");
    assert_eq!(last[1]["verdict"], "confirmed_coordinated");
    assert_eq!(last[0]["kind"], "note");
    let report =
        lockstep_vault::verify_case(case, &lockstep_vault::VerifyOptions::default()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The audit log has no way to change or remove an entry: no statement in the code.
#[test]
fn audit_log_is_append_only_in_the_code() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for e in std::fs::read_dir(src).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path())
            .unwrap()
            .to_uppercase();
        let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            !squeezed.contains("UPDATE AUDIT"),
            "an UPDATE of the audit table"
        );
        assert!(
            !squeezed.contains("DELETE FROM AUDIT"),
            "a DELETE from the audit table"
        );
    }
}
