//! Network parts: the HTTP ingest endpoint, the webhook sender and the NATS JetStream source.

use crate::source::{parse_lines, Msg, Position};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// POST /ingest with a bearer token; the body goes through the reader stream. The detector's
/// queue is bounded: when it is full the request gets 429 (retry later) instead of being
/// buffered without bound.
pub struct HttpIngest {
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpIngest {
    pub fn start(
        addr: std::net::SocketAddr,
        token: String,
        limit: u64,
        source: u32,
        tx: SyncSender<Msg>,
    ) -> std::io::Result<HttpIngest> {
        let server = Arc::new(
            tiny_http::Server::http(addr).map_err(|e| std::io::Error::other(e.to_string()))?,
        );
        let s = Arc::clone(&server);
        let thread = std::thread::spawn(move || {
            let seq = AtomicU64::new(0);
            for mut req in s.incoming_requests() {
                let reply = |code: u16, body: String| {
                    tiny_http::Response::from_string(body)
                        .with_status_code(code)
                        .with_header(
                            tiny_http::Header::from_bytes("Content-Type", "application/json")
                                .expect("static header"),
                        )
                };
                let authorized = req.headers().iter().any(|h| {
                    h.field.equiv("Authorization")
                        && constant_time_eq(
                            h.value.as_str().as_bytes(),
                            format!("Bearer {token}").as_bytes(),
                        )
                });
                let resp = if req.url() != "/ingest" || *req.method() != tiny_http::Method::Post {
                    reply(404, r#"{"error":"POST /ingest"}"#.into())
                } else if !authorized {
                    reply(401, r#"{"error":"bearer token required"}"#.into())
                } else if req.body_length().is_some_and(|n| n as u64 > limit) {
                    reply(413, format!(r#"{{"error":"body over {limit} bytes"}}"#))
                } else {
                    match crate::source::read_limited(req.as_reader(), limit) {
                        Ok(None) => reply(413, format!(r#"{{"error":"body over {limit} bytes"}}"#)),
                        Err(e) => {
                            reply(400, serde_json::json!({"error": e.to_string()}).to_string())
                        }
                        Ok(Some(mut body)) => {
                            if body.last().is_some_and(|&b| b != b'\n') {
                                body.push(b'\n');
                            }
                            let n = seq.fetch_add(1, Ordering::Relaxed) + 1;
                            let name = format!("http:{n}");
                            let (items, _) = parse_lines(&body, &name, 1, None);
                            let (mut ev, mut bad) = (0u64, 0u64);
                            for it in &items {
                                match it {
                                    crate::source::Item::Event(..) => ev += 1,
                                    crate::source::Item::Bad(_) => bad += 1,
                                }
                            }
                            match tx.try_send(Msg::Records {
                                source,
                                name,
                                items,
                                pos: Position::None,
                            }) {
                                Ok(()) => reply(
                                    202,
                                    serde_json::json!({"read": ev + bad, "accepted": ev, "quarantined": bad}).to_string(),
                                ),
                                Err(TrySendError::Full(_)) => reply(
                                    429,
                                    r#"{"error":"lockstep is behind; retry later"}"#.into(),
                                )
                                .with_header(
                                    tiny_http::Header::from_bytes("Retry-After", "1").expect("static header"),
                                ),
                                Err(TrySendError::Disconnected(_)) => {
                                    reply(503, r#"{"error":"stopping"}"#.into())
                                }
                            }
                        }
                    }
                };
                let _ = req.respond(resp);
            }
        });
        Ok(HttpIngest {
            server,
            thread: Some(thread),
        })
    }
}

impl Drop for HttpIngest {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Alerts POSTed to a URL from a thread of their own, retried with exponential backoff (up
/// to 6 tries); the queue is bounded and drops the oldest when full, so a dead endpoint
/// never holds ingest back.
pub struct Webhook {
    tx: Option<SyncSender<String>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub dropped: Arc<AtomicU64>,
}

impl Webhook {
    pub fn start(url: &str) -> Webhook {
        let (tx, rx) = std::sync::mpsc::sync_channel::<String>(1024);
        let url = url.to_string();
        let dropped = Arc::new(AtomicU64::new(0));
        let thread = std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into();
            for body in rx {
                let mut wait = Duration::from_millis(200);
                for attempt in 0..6 {
                    let r = agent
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .send(body.as_bytes());
                    match r {
                        Ok(resp) if resp.status().is_success() => break,
                        _ if attempt == 5 => {
                            eprintln!(
                                "warning: webhook {url}: an alert was not delivered after 6 tries"
                            );
                        }
                        _ => {
                            std::thread::sleep(wait);
                            wait = (wait * 2).min(Duration::from_secs(10));
                        }
                    }
                }
            }
        });
        Webhook {
            tx: Some(tx),
            thread: Some(thread),
            dropped,
        }
    }

    pub fn send(&self, body: String) {
        if let Some(tx) = &self.tx {
            if let Err(TrySendError::Full(_)) = tx.try_send(body) {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                eprintln!("warning: the webhook is behind: an alert was not queued for it (it is in the alerts file)");
            }
        }
    }

    /// Gives the queue up to `grace` to drain.
    pub fn finish(mut self, grace: Duration) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let deadline = std::time::Instant::now() + grace;
            while !t.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// nats://HOST:PORT/STREAM/SUBJECT
fn parse_nats(url: &str) -> Option<(String, String, String)> {
    let rest = url.strip_prefix("nats://")?;
    let (host, path) = rest.split_once('/')?;
    let (stream, subject) = path.split_once('/')?;
    (!host.is_empty() && !stream.is_empty() && !subject.is_empty())
        .then(|| (host.to_string(), stream.to_string(), subject.to_string()))
}

/// JetStream: a durable pull consumer (`lockstep-watch-<stream>`), acknowledging (ack all) a
/// message only once the detector says its effect is checkpointed (`acks`). Messages at or
/// before `start_after` (already in the state being resumed) are skipped when redelivered.
#[cfg(feature = "nats")]
pub fn run_nats(
    url: &str,
    source: u32,
    start_after: u64,
    replay: bool,
    tx: SyncSender<Msg>,
    acks: Receiver<u64>,
    stop: Arc<AtomicBool>,
) {
    let fail = |e: String| {
        let _ = tx.send(Msg::Failed { source, error: e });
    };
    let Some((host, stream, subject)) = parse_nats(url) else {
        fail(format!("{url}: expected nats://HOST:PORT/STREAM/SUBJECT"));
        return;
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(e.to_string()),
    };
    let r: Result<(), String> = rt.block_on(async {
        use async_nats::jetstream;
        use futures_util::StreamExt;
        let client = async_nats::connect(host.as_str())
            .await
            .map_err(|e| e.to_string())?;
        let js = jetstream::new(client);
        let st = js.get_stream(&stream).await.map_err(|e| e.to_string())?;
        let durable = format!("lockstep-watch-{stream}");
        let consumer: jetstream::consumer::PullConsumer = st
            .get_or_create_consumer(
                &durable,
                jetstream::consumer::pull::Config {
                    durable_name: Some(durable.clone()),
                    filter_subject: subject.clone(),
                    ack_policy: jetstream::consumer::AckPolicy::All,
                    ack_wait: Duration::from_secs(300),
                    // Messages wait for a checkpoint to be acknowledged: the default cap on
                    // unacknowledged messages (1,000) would stall delivery between them.
                    max_ack_pending: -1,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut held: Vec<(u64, async_nats::jetstream::Message)> = Vec::new();
        loop {
            if stop.load(Ordering::Relaxed) {
                let mut upto = None;
                while let Ok(s) = acks.try_recv() {
                    upto = Some(s);
                }
                if let Some(s) = upto {
                    if let Some(i) = held.iter().rposition(|(seq, _)| *seq <= s) {
                        held[i].1.double_ack().await.map_err(|e| e.to_string())?;
                    }
                }
                return Ok(());
            }
            // Acknowledge what the detector has checkpointed (ack all: the latest suffices).
            let mut upto = None;
            while let Ok(s) = acks.try_recv() {
                upto = Some(s);
            }
            if let Some(s) = upto {
                if let Some(i) = held.iter().rposition(|(seq, _)| *seq <= s) {
                    let (_, m) = &held[i];
                    m.ack().await.map_err(|e| e.to_string())?;
                    held.drain(..=i);
                }
            }
            let mut batch = consumer
                .fetch()
                .max_messages(512)
                .expires(Duration::from_millis(500))
                .messages()
                .await
                .map_err(|e| e.to_string())?;
            let mut got = 0;
            while let Some(m) = batch.next().await {
                let m = m.map_err(|e| e.to_string())?;
                let seq = m.info().map(|i| i.stream_sequence).unwrap_or(0);
                got += 1;
                if seq <= start_after {
                    held.push((seq, m));
                    continue;
                }
                let mut body = m.payload.to_vec();
                if body.last().is_some_and(|&b| b != b'\n') {
                    body.push(b'\n');
                }
                let name = format!("nats:{stream}/{subject}");
                // The record's "line" is the message's stream sequence.
                let (items, _) = parse_lines(&body, &name, 1, None);
                let items = items
                    .into_iter()
                    .map(|it| match it {
                        crate::source::Item::Event(e, _) => crate::source::Item::Event(e, seq),
                        crate::source::Item::Bad(mut q) => {
                            q.record = seq;
                            crate::source::Item::Bad(q)
                        }
                    })
                    .collect();
                if tx
                    .send(Msg::Records {
                        source,
                        name,
                        items,
                        pos: Position::Nats(seq),
                    })
                    .is_err()
                {
                    return Ok(());
                }
                held.push((seq, m));
            }
            if got == 0 && replay {
                // Replay ends when the stream holds nothing more for us.
                let info = consumer
                    .clone()
                    .info()
                    .await
                    .map_err(|e| e.to_string())?
                    .clone();
                if info.num_pending == 0 {
                    let _ = tx.send(Msg::End { source });
                    // Keep acknowledging until the detector stops us.
                    while !stop.load(Ordering::Relaxed) {
                        let mut upto = None;
                        while let Ok(s) = acks.try_recv() {
                            upto = Some(s);
                        }
                        if let Some(s) = upto {
                            if let Some(i) = held.iter().rposition(|(seq, _)| *seq <= s) {
                                let _ = held[i].1.ack().await;
                                held.drain(..=i);
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    // The last checkpoint's acknowledgement may come with the stop; it is
                    // confirmed by the server before the connection goes.
                    let mut upto = None;
                    while let Ok(s) = acks.try_recv() {
                        upto = Some(s);
                    }
                    if let Some(s) = upto {
                        if let Some(i) = held.iter().rposition(|(seq, _)| *seq <= s) {
                            held[i].1.double_ack().await.map_err(|e| e.to_string())?;
                        }
                    }
                    return Ok(());
                }
            }
        }
    });
    if let Err(e) = r {
        fail(format!("{url}: {e}"));
    }
}

#[cfg(not(feature = "nats"))]
pub fn run_nats(
    url: &str,
    source: u32,
    _start_after: u64,
    _replay: bool,
    tx: SyncSender<Msg>,
    _acks: Receiver<u64>,
    _stop: Arc<AtomicBool>,
) {
    let _ = tx.send(Msg::Failed {
        source,
        error: format!("{url}: this build has no NATS support (feature `nats`)"),
    });
}
