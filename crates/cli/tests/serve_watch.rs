//! The team server running the real `lockstep watch`: a watch started through the API
//! replays a simulated election, and the server's alerts are exactly those the same watch
//! raises when run by hand (kind, cluster, size, members), each kept with its detail.

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_lockstep");

fn run(args: &[&str], dir: &Path) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lockstep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(method: &str, url: &str, token: &str, body: Option<&str>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let auth = format!("Bearer {token}");
    let mut resp = match (method, body) {
        ("POST", Some(b)) => agent
            .post(url)
            .header("authorization", &auth)
            .content_type("application/json")
            .send(b),
        _ => agent.get(url).header("authorization", &auth).call(),
    }
    .unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// (kind, cluster, size, members) of each alert, sorted.
fn digest<'a>(alerts: impl Iterator<Item = &'a Value>) -> Vec<(String, u64, u64, String)> {
    let mut v: Vec<_> = alerts
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("").to_string(),
                a["cluster"].as_u64().unwrap_or(0),
                a["size"].as_u64().unwrap_or(0),
                a["members"].to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_server_runs_lockstep_watch_and_shows_its_alerts() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("collections");
    std::fs::create_dir_all(&root).unwrap();
    run(
        &[
            "simulate",
            "--accounts",
            "2000",
            "--seed",
            "5",
            "--out",
            "sim",
        ],
        &root,
    );

    // The same watch by hand: the reference alerts.
    let by_hand = t.path().join("by-hand");
    std::fs::create_dir_all(&by_hand).unwrap();
    let data = root.join("sim/data");
    run(
        &[
            "watch",
            data.to_str().unwrap(),
            "--replay",
            "--state",
            "state",
            "--cases",
            "cases",
            "--alerts",
            "alerts.ndjson",
            "--quiet",
        ],
        &by_hand,
    );
    let want: Vec<Value> = std::fs::read_to_string(by_hand.join("alerts.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!want.is_empty(), "the simulated election raises alerts");

    let team = t.path().join("team");
    let db = format!("sqlite:{}", team.join("lockstep.db").display());
    run(
        &["user", "add", "lead", "--role", "admin", "--db", &db],
        t.path(),
    );
    let token = run(
        &["token", "create", "--user", "lead", "--db", &db],
        t.path(),
    )
    .trim()
    .to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        Command::new(BIN)
            .args([
                "serve",
                "--db",
                &db,
                "--data",
                team.to_str().unwrap(),
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--input-root",
                root.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let (status, _) = http(
        "POST",
        &format!("{base}/api/watches"),
        &token,
        Some(r#"{"name": "replay", "paths": ["sim/data"], "args": ["--state=/tmp/x"]}"#),
    );
    assert_eq!(status, 400, "a caller does not choose the watch's files");
    let (status, w) = http(
        "POST",
        &format!("{base}/api/watches"),
        &token,
        Some(r#"{"name": "replay", "paths": ["sim/data"], "args": ["--replay"]}"#),
    );
    assert_eq!(status, 201, "{w}");
    let id = w["id"].as_str().unwrap().to_string();

    // The replay ends by itself; then every alert it printed is on the server.
    let deadline = Instant::now() + Duration::from_secs(300);
    let state = loop {
        let (_, ws) = http("GET", &format!("{base}/api/watches"), &token, None);
        let w = ws
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id.as_str())
            .cloned()
            .unwrap();
        if w["state"] != "running" {
            break w;
        }
        assert!(Instant::now() < deadline, "the watch did not end: {w}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_ne!(state["state"], "failed", "{state}");
    let (_, alerts) = http("GET", &format!("{base}/api/alerts"), &token, None);
    let alerts = alerts.as_array().unwrap().clone();
    assert_eq!(
        digest(alerts.iter().map(|a| &a["detail"])),
        digest(want.iter()),
        "the server's alerts are the watch's"
    );
    for a in &alerts {
        let d = &a["detail"];
        assert!(
            a["title"]
                .as_str()
                .unwrap()
                .contains(&d["cluster"].to_string()),
            "{a}"
        );
        assert!(!d["members"].as_array().unwrap().is_empty());
    }
}
