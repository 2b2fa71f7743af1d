//! The server over real sockets: the process adapter's edge cases (a stand-in process that
//! prints `lockstep watch`'s alert lines, a snapshot path outside the watch's folder, a
//! failing watch), alerts on the dashboard stream, and HTTPS with rustls. The real
//! `lockstep watch` behind the server is tested end to end in `crates/cli/tests/serve_watch.rs`.

mod common;

use axum::body::Body;
use axum::http::{Method, Request};
use common::*;
use futures_util::StreamExt;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn fake_watch(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    let p = dir.join("fake-watch.sh");
    std::fs::write(&p, format!("#!/bin/sh\n# prints what `lockstep watch INPUT... --state S --cases C --alerts - --quiet` prints\nout=\"$PWD\"\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_raise_alerts_that_link_to_snapshot_cases() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    std::fs::create_dir_all(root.join("stream")).unwrap();
    let snapshot = shared_case().display().to_string();
    let ok = fake_watch(
        t.path(),
        &format!("cp -r '{snapshot}' \"$out/snap1\"\necho 'starting (not JSON)'\necho '{{\"kind\":\"grew\",\"cluster\":7,\"size\":41,\"new_members\":[\"a\",\"b\"],\"case\":\"snap1\"}}'\necho '{{\"kind\":\"new\",\"cluster\":8,\"size\":5,\"case\":\"../../../../etc\"}}'\nsleep 60"),
    );
    let canon = std::fs::canonicalize(&root).unwrap();
    for (backend, url, _tt) in backends().await {
        let h = Harness::new(&url, &backend, |c| {
            c.input_roots = vec![canon.clone()];
            c.watch_exe = Some(ok.clone());
        })
        .await;
        // The dashboard stream, as vera (a viewer) sees it.
        let req = Request::builder()
            .uri("/api/events")
            .header("authorization", format!("Bearer {}", h.tokens["vera"]))
            .body(Body::empty())
            .unwrap();
        let resp = tower::ServiceExt::oneshot(h.router.clone(), req)
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        let mut events = resp.into_body().into_data_stream();

        let r = h
            .post(
                "vera",
                "/api/watches",
                json!({"name": "x", "paths": ["stream"]}),
            )
            .await;
        assert_eq!(r.status, 403, "viewers do not start watches");
        let r = h
            .post(
                "alice",
                "/api/watches",
                json!({"name": "x", "paths": ["stream"], "args": ["--out=/tmp"]}),
            )
            .await;
        assert_eq!(r.status, 400);
        let r = h
            .post(
                "alice",
                "/api/watches",
                json!({"name": "x", "paths": ["/etc"]}),
            )
            .await;
        assert_eq!(r.status, 403);
        let r = h
            .post(
                "alice",
                "/api/watches",
                json!({"name": "election night", "paths": ["stream"], "args": ["--tick=60"]}),
            )
            .await;
        assert_eq!(
            r.status,
            201,
            "[{backend}] {}",
            String::from_utf8_lossy(&r.body)
        );
        let wid = r.json()["id"].as_str().unwrap().to_string();

        let mut seen = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !seen.contains("cluster 7 grew to 41 accounts (+2)") {
            let chunk = tokio::time::timeout_at(deadline, events.next())
                .await
                .expect("an alert on the dashboard stream")
                .unwrap()
                .unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(seen.contains("event: alert"), "{seen}");
        let mut alerts = h.get("vera", "/api/alerts").await.json();
        for _ in 0..50 {
            if alerts.as_array().unwrap().len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            alerts = h.get("vera", "/api/alerts").await.json();
        }
        let alerts = alerts.as_array().unwrap().clone();
        let grew = alerts
            .iter()
            .find(|a| a["title"] == "cluster 7 grew to 41 accounts (+2)")
            .unwrap();
        let case_id = grew["case_id"]
            .as_str()
            .expect("linked to the snapshot case");
        assert_eq!(grew["detail"]["cluster"], 7);
        let escape = alerts
            .iter()
            .find(|a| a["title"] == "new cluster 8: 5 accounts")
            .unwrap();
        assert!(
            escape["case_id"].is_null(),
            "a snapshot outside the watch's folder is not opened"
        );
        let c = h
            .get("alice", &format!("/api/cases/{case_id}"))
            .await
            .json();
        assert_eq!(
            (
                c["source"].as_str(),
                c["state"].as_str(),
                c["watch_id"].as_str()
            ),
            (Some("watch"), Some("done"), Some(wid.as_str()))
        );
        assert_eq!(
            h.get("alice", &format!("/api/cases/{case_id}/clusters"))
                .await
                .status,
            200
        );

        let r = h
            .post("alice", &format!("/api/watches/{wid}/stop"), json!({}))
            .await;
        assert_eq!(r.json()["state"], "stopped");
        let r = h
            .post("alice", &format!("/api/watches/{wid}/stop"), json!({}))
            .await;
        assert_eq!(r.status, 409, "already stopped");
        let audit = h.get("admin", "/api/audit?per_page=100").await.json();
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains(&"watch_start") && actions.contains(&"watch_stop"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_watch_says_why() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let exe = fake_watch(
        t.path(),
        "echo 'error: --tick is not a flag of watch' >&2\nexit 2",
    );
    let canon = std::fs::canonicalize(&root).unwrap();
    let (backend, url, _tt) = backends().await.remove(0);
    let h = Harness::new(&url, &backend, |c| {
        c.input_roots = vec![canon.clone()];
        c.watch_exe = Some(exe.clone());
    })
    .await;
    let r = h
        .post(
            "alice",
            "/api/watches",
            json!({"name": "bad", "paths": ["."]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let wid = r.json()["id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let w = h.get("alice", "/api/watches").await.json();
        let w = w
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == wid.as_str())
            .unwrap()
            .clone();
        if w["state"] == "failed" {
            assert!(
                w["failure"]
                    .as_str()
                    .unwrap()
                    .contains("--tick is not a flag"),
                "{w}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the watch did not fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_secure_cookies() {
    let t = tempfile::tempdir().unwrap();
    let (cert, key) = (t.path().join("cert.pem"), t.path().join("key.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let (backend, url, _tt) = backends().await.remove(0);
    let h = Harness::new(&url, &backend, |c| c.tls = true).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let app = h.app.clone();
    let (c2, k2) = (cert.clone(), key.clone());
    let server =
        tokio::spawn(async move { lockstep_serve::serve(app, addr, Some((c2, k2))).await });
    let curl = |args: Vec<String>| {
        let cert = cert.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                std::process::Command::new("curl")
                    .args(["-s", "-i", "--max-time", "10", "--cacert"])
                    .arg(&cert)
                    .args(&args)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let mut out = None;
    for _ in 0..50 {
        let o = curl(vec![
            "-H".into(),
            "content-type: application/json".into(),
            "-d".into(),
            r#"{"name":"alice","password":"correct horse battery"}"#.into(),
            format!("https://127.0.0.1:{port}/api/login"),
        ])
        .await;
        if o.status.success() {
            out = Some(o);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = String::from_utf8_lossy(&out.expect("HTTPS answered").stdout).to_string();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let lower = text.to_lowercase();
    assert!(
        lower.contains("set-cookie: lockstep_session=") && lower.contains("; secure"),
        "{text}"
    );
    assert!(
        lower.contains("strict-transport-security: max-age="),
        "{text}"
    );
    // Plain HTTP on the TLS port gets no answer.
    let o = curl(vec![format!("http://127.0.0.1:{port}/api/openapi.json")]).await;
    assert!(!String::from_utf8_lossy(&o.stdout).contains("openapi"));
    server.abort();
    let _ = h.call(None, Method::GET, "/", None).await;
}
