//! Load test of `lockstep serve` on loopback: analysts listing clusters, opening cluster
//! cards and recording verdicts, concurrently, bounded in time and requests.
//!
//! ```sh
//! cargo build --release -p lockstep --example load   # (the example lives in lockstep-serve)
//! target/release/examples/load --lockstep target/release/lockstep --accounts 50000 \
//!     --clients 50 --seconds 300 [--rate 500] [--db postgres://…]
//! ```
//!
//! Without `--rate`, each client sends its next request as soon as the last is answered:
//! that measures saturation (latency is then clients ÷ throughput, whatever the server). With
//! `--rate R`, requests are sent on a schedule of R per second in all, and latency is counted
//! from when each was due.
//!
//! It starts the server as a child on 127.0.0.1 (a free port, a temporary data folder,
//! SQLite unless `--db` names PostgreSQL), adds users and tokens with `lockstep user` and
//! `lockstep token`, simulates a scenario of `--accounts` accounts, makes a case of it from
//! server paths, waits for the run, then drives the load and prints requests/s, p50/p99 per
//! request kind, errors and the server's resident memory over the soak. It stops by itself
//! and stops the server. Nothing leaves the loopback interface.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Opts {
    lockstep: PathBuf,
    accounts: usize,
    clients: usize,
    seconds: u64,
    max_requests: u64,
    /// Requests per second over all clients, sent on a schedule (open loop); 0: each client
    /// sends its next request as soon as the last is answered (closed loop, saturation).
    rate: f64,
    db: Option<String>,
}

fn opts() -> Opts {
    let mut o = Opts {
        lockstep: PathBuf::from("target/release/lockstep"),
        accounts: 50_000,
        clients: 50,
        seconds: 300,
        max_requests: 50_000_000,
        rate: 0.0,
        db: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--lockstep" => o.lockstep = PathBuf::from(v),
            "--accounts" => o.accounts = v.parse().expect("--accounts N"),
            "--clients" => o.clients = v.parse().expect("--clients N"),
            "--seconds" => o.seconds = v.parse().expect("--seconds N"),
            "--max-requests" => o.max_requests = v.parse().expect("--max-requests N"),
            "--db" => o.db = Some(v),
            "--rate" => o.rate = v.parse().expect("--rate REQUESTS_PER_SECOND"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    o
}

/// A keep-alive HTTP/1.1 connection to the server (loopback only).
struct Conn {
    s: TcpStream,
    addr: SocketAddr,
    buf: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        assert!(
            addr.ip().is_loopback(),
            "the load generator talks to loopback only"
        );
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            s,
            addr,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    /// (status, body).
    fn request(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n",
            self.addr
        );
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        if let Some(b) = body {
            req.push_str(b);
        }
        self.s.write_all(req.as_bytes())?;
        self.buf.clear();
        let mut chunk = [0u8; 16384];
        let head_end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
            let n = self.s.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_string();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while self.buf.len() < head_end + len {
            let n = self.s.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, self.buf[head_end..head_end + len].to_vec()))
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run lockstep");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A small xorshift generator: the requests' choices (no dependency needed).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Default)]
struct Stats {
    lat: [Vec<u32>; 3],
    errors: u64,
    /// Open loop: requests due before the end that were never sent.
    unsent: u64,
}

const KINDS: [&str; 3] = ["list clusters", "cluster card", "verdict (write)"];

fn main() {
    let o = opts();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let db =
        o.db.clone()
            .unwrap_or_else(|| format!("sqlite:{}", tmp.path().join("serve.db").display()));
    let exe = &o.lockstep;
    eprintln!("simulating {} accounts …", o.accounts);
    let sim = tmp.path().join("sim");
    run(Command::new(exe)
        .args([
            "simulate",
            "--accounts",
            &o.accounts.to_string(),
            "--seed",
            "7",
            "-q",
            "--out",
        ])
        .arg(&sim));
    run(Command::new(exe).args(["user", "add", "lead", "--role", "admin", "--db", &db]));
    let token = run(Command::new(exe).args(["token", "create", "--user", "lead", "--db", &db]));
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(exe)
        .args([
            "serve",
            "--db",
            &db,
            "--listen",
            &addr.to_string(),
            "--input-root",
        ])
        .arg(&sim)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start lockstep serve");
    let server = Server(child);
    let pid = server.0.id();
    let mut c = loop {
        if let Ok(c) = Conn::open(addr) {
            break c;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let body =
        serde_json::json!({"name": "load test", "paths": [sim.join("data").display().to_string()]})
            .to_string();
    let (st, b) = c
        .request("POST", "/api/cases/from-paths", &token, Some(&body))
        .unwrap();
    assert_eq!(st, 201, "{}", String::from_utf8_lossy(&b));
    let case: serde_json::Value = serde_json::from_slice(&b).unwrap();
    let id = case["id"].as_str().unwrap().to_string();
    eprintln!("case {id}: running detect …");
    let t0 = Instant::now();
    let case = loop {
        let (_, b) = c
            .request("GET", &format!("/api/cases/{id}"), &token, None)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        if v["state"] == "done" {
            break v;
        }
        assert_ne!(v["state"], "failed", "{v}");
        std::thread::sleep(Duration::from_millis(500));
    };
    eprintln!(
        "detect took {:.1} s: {} accounts, {} clusters, {} flagged",
        t0.elapsed().as_secs_f64(),
        case["accounts"],
        case["clusters"],
        case["flagged"]
    );
    let (_, b) = c
        .request(
            "GET",
            &format!("/api/cases/{id}/clusters?per_page=200"),
            &token,
            None,
        )
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&b).unwrap();
    let total = page["total"].as_u64().unwrap() as usize;
    let mut clusters: Vec<i64> = Vec::new();
    for p in 1..=total.div_ceil(200) {
        let (_, b) = c
            .request(
                "GET",
                &format!("/api/cases/{id}/clusters?per_page=200&page={p}"),
                &token,
                None,
            )
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        clusters.extend(
            v["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
    }
    assert!(!clusters.is_empty(), "no clusters to triage");
    // Analysts with their own tokens (verdicts carry their names).
    let mut tokens = Vec::new();
    for i in 0..o.clients {
        let name = format!("analyst{i}");
        let r = c.request("POST", "/api/users", &token, Some(&serde_json::json!({"name": name, "role": "analyst", "password": "load-test-password"}).to_string())).unwrap();
        assert_eq!(r.0, 201);
        c.request(
            "PUT",
            &format!("/api/cases/{id}/members/{name}"),
            &token,
            Some(""),
        )
        .unwrap();
        tokens.push(run(
            Command::new(exe).args(["token", "create", "--user", &name, "--db", &db])
        ));
    }
    drop(c);

    eprintln!(
        "{} clients × {} s on {} clusters …",
        o.clients,
        o.seconds,
        clusters.len()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let stats = Arc::new(Mutex::new(Stats::default()));
    let clusters = Arc::new(clusters);
    let pages = total.div_ceil(50).max(1);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(o.seconds);
    let mut handles = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let (stop, sent, stats, clusters, id) = (
            stop.clone(),
            sent.clone(),
            stats.clone(),
            clusters.clone(),
            id.clone(),
        );
        let max = o.max_requests;
        // Open loop: this client's requests are due every `gap`, from a phase of its own;
        // latency counts from when a request was due, so a slow answer that delays the next
        // request is counted against the server (no coordinated omission).
        let gap = (o.rate > 0.0).then(|| Duration::from_secs_f64(o.clients as f64 / o.rate));
        let mut due =
            start + gap.map_or(Duration::ZERO, |g| g.mul_f64(i as f64 / o.clients as f64));
        handles.push(std::thread::spawn(move || {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
            let mut conn = Conn::open(addr).unwrap();
            let mut local = Stats::default();
            while !stop.load(Ordering::Relaxed) && sent.fetch_add(1, Ordering::Relaxed) < max {
                if gap.is_some() {
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                // A triage step: the list, then two cards, then a verdict.
                let step = rng.below(4);
                let (kind, method, path, body) = match step {
                    0 => (
                        0,
                        "GET",
                        format!(
                            "/api/cases/{id}/clusters?page={}&per_page=50",
                            rng.below(pages) + 1
                        ),
                        None,
                    ),
                    1 | 2 => (
                        1,
                        "GET",
                        format!(
                            "/api/cases/{id}/clusters/{}",
                            clusters[rng.below(clusters.len())]
                        ),
                        None,
                    ),
                    _ => {
                        let v =
                            ["confirmed_coordinated", "dismissed", "needs_review"][rng.below(3)];
                        (
                            2,
                            "POST",
                            format!("/api/cases/{id}/verdicts"),
                            Some(format!(
                                "{{\"cluster\":{},\"verdict\":\"{v}\"}}",
                                clusters[rng.below(clusters.len())]
                            )),
                        )
                    }
                };
                let t = if gap.is_some() { due } else { Instant::now() };
                let r = conn.request(method, &path, &token, body.as_deref());
                let us = t.elapsed().as_micros() as u32;
                if let Some(g) = gap {
                    due += g;
                }
                match r {
                    Ok((s, _)) if s == 200 || s == 201 => local.lat[kind].push(us),
                    Ok((s, b)) => {
                        local.errors += 1;
                        if local.errors < 3 {
                            eprintln!("{method} {path}: {s} {}", String::from_utf8_lossy(&b));
                        }
                    }
                    Err(e) => {
                        local.errors += 1;
                        eprintln!("{method} {path}: {e}");
                        conn = match Conn::open(addr) {
                            Ok(c) => c,
                            Err(_) => break,
                        };
                    }
                }
            }
            // Open loop: requests that fell due before the end but were never sent (the
            // server was behind) count against it.
            let unsent = match gap {
                Some(g) if due < deadline => {
                    ((deadline - due).as_secs_f64() / g.as_secs_f64()) as u64
                }
                _ => 0,
            };
            let mut s = stats.lock().unwrap();
            s.unsent += unsent;
            for k in 0..3 {
                s.lat[k].extend_from_slice(&local.lat[k]);
            }
            s.errors += local.errors;
        }));
    }
    let mut rss = vec![(0u64, rss_mib(pid))];
    while Instant::now() < deadline && sent.load(Ordering::Relaxed) < o.max_requests {
        std::thread::sleep(
            Duration::from_secs(1).min(deadline.saturating_duration_since(Instant::now())),
        );
        let t = start.elapsed().as_secs();
        if t >= rss.last().unwrap().0 + 10.min(o.seconds.max(1)) {
            rss.push((t, rss_mib(pid)));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    rss.push((secs as u64, rss_mib(pid)));
    let mut s = stats.lock().unwrap();
    let n: usize = s.lat.iter().map(Vec::len).sum();
    println!(
        "lockstep serve load: {} clients ({}), {:.0} s, case of {} accounts ({} clusters), db {}",
        o.clients,
        if o.rate > 0.0 {
            format!("open loop, {} requests/s scheduled", o.rate)
        } else {
            "closed loop: each sends as soon as answered".into()
        },
        secs,
        case["accounts"],
        clusters.len(),
        if o.db.is_some() { "postgres" } else { "sqlite" }
    );
    println!(
        "requests: {n} ok, {} errors, {:.0} requests/s{}",
        s.errors,
        n as f64 / secs,
        if s.unsent > 0 {
            format!(", {} due but never sent (the server fell behind)", s.unsent)
        } else {
            String::new()
        }
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let v = &mut s.lat[k];
        v.sort_unstable();
        let q = |p: f64| {
            v.get(((v.len() as f64 - 1.0) * p).round() as usize)
                .map_or(0.0, |&x| x as f64 / 1000.0)
        };
        println!(
            "{:<16} {:>8} requests  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            kind,
            v.len(),
            q(0.5),
            q(0.99),
            q(1.0)
        );
    }
    println!(
        "server RSS (MiB) over the run: {}",
        rss.iter()
            .map(|(t, m)| format!("{t}s:{m:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = Path::new(&data);
    if s.errors > 0 || s.unsent > 0 {
        std::process::exit(1);
    }
}
