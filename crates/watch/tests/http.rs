//! The HTTP ingest endpoint, live: bearer token, size limit, accounting; and a SIGTERM-like
//! stop that leaves a checkpoint a restart resumes from.

use clap::Parser;
use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: lockstep_watch::WatchArgs,
}

fn request(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let req = format!(
        "{head}\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (code, body)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_endpoint_wants_a_token_bounds_bodies_and_counts_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let state = dir.path().join("state");
    let argv = [
        "watch",
        "--listen",
        addr.as_str(),
        "--token",
        "s3cret",
        "--max-body-mib",
        "1",
        "--quiet",
        "--state",
        state.to_str().unwrap(),
        "--alerts",
        dir.path()
            .join("alerts.ndjson")
            .to_str()
            .unwrap()
            .to_string()
            .leak(),
        "--checkpoint-every",
        "0.1",
    ];
    let args = Cli::parse_from(argv).args;
    let signals = lockstep_watch::Signals::none();
    let stop = std::sync::Arc::clone(&signals.stop);
    let runner = std::thread::spawn(move || lockstep_watch::run(&args, &signals));
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let body = format!(
        "{{\"id\":\"1\",\"account\":\"a\",\"time\":{now},\"hashtags\":[\"x\"]}}\n{{\"id\":\"2\",\"account\":\"b\"}}\nnot json\n"
    );
    let (code, _) = request(port, "POST /ingest HTTP/1.1", body.as_bytes());
    assert_eq!(code, 401, "no token");
    let (code, _) = request(
        port,
        "POST /ingest HTTP/1.1\r\nAuthorization: Bearer wrong",
        body.as_bytes(),
    );
    assert_eq!(code, 401, "wrong token");
    let auth = "POST /ingest HTTP/1.1\r\nAuthorization: Bearer s3cret";
    let (code, _) = request(port, auth, &vec![b'x'; 2 << 20]);
    assert_eq!(code, 413, "over --max-body-mib");
    let (code, reply) = request(port, auth, body.as_bytes());
    assert_eq!(code, 202, "{reply}");
    let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(v["read"], 3);
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["quarantined"], 2);
    let (code, _) = request(
        port,
        "GET /ingest HTTP/1.1\r\nAuthorization: Bearer s3cret",
        b"",
    );
    assert_eq!(code, 404);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let s = runner.join().unwrap().expect("run");
    assert!(s.interrupted);
    assert_eq!(
        (s.totals.read, s.totals.accepted, s.totals.quarantined),
        (3, 1, 2)
    );
    assert!(state.join("checkpoint.bin").exists());
    // Quarantined records are kept with their reason.
    let q = std::fs::read_to_string(state.join("quarantine.ndjson")).unwrap();
    assert_eq!(q.lines().count(), 2, "{q}");
}
