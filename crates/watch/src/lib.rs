//! `lockstep watch`: live monitoring with alerts, a second driver of the batch stages.
//!
//! Sources (a folder a collector fills, standard input, NATS JetStream, an HTTP endpoint) are
//! read by the public reader stream; the [`engine`] keeps a sliding horizon of event time and
//! re-detects at each tick with the batch rules applied incrementally; [`alerts`] keeps
//! cluster ids stable and decides what is worth telling; the state is checkpointed atomically
//! so a restart (even after kill -9) resumes with nothing lost and nothing repeated;
//! snapshots of the horizon are normal case folders written by `lockstep_detect::detect`.

pub mod alerts;
pub mod engine;
mod net;
pub mod source;
mod text;

use alerts::{Draft, Thresholds, Tracker};
use engine::{Config, Engine, Origin};
use lockstep_core::ErrorKind;
use lockstep_detect::Params;
use serde::{Deserialize, Serialize};
use source::{Item, Msg, Position};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A duration on the command line: `90`, `90s`, `10m`, `72h`, `3d` (seconds by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span(pub i64);

impl std::str::FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Span, String> {
        let s = s.trim();
        let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, "s"),
        };
        let v: f64 = num
            .trim()
            .parse()
            .map_err(|_| format!("not a duration: {s:?} (e.g. 90s, 10m, 72h, 3d)"))?;
        let mult = match unit {
            "ms" => 1.0,
            "s" => 1e3,
            "m" | "min" => 60e3,
            "h" => 3600e3,
            "d" => 86400e3,
            _ => return Err(format!("unknown unit in {s:?}: use ms, s, m, h or d")),
        };
        if !(v >= 0.0 && v.is_finite()) {
            return Err(format!("must be a non-negative duration: {s:?}"));
        }
        Ok(Span((v * mult).round() as i64))
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0;
        if ms % 86_400_000 == 0 && ms > 0 {
            write!(f, "{}d", ms / 86_400_000)
        } else if ms % 3_600_000 == 0 && ms > 0 {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms % 60_000 == 0 && ms > 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

/// `lockstep watch`: every flag, defaults written once here (the README's table comes from
/// `--help`).
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// Sources: a folder (new files and appended lines), `-` (standard input), or
    /// nats://HOST:PORT/STREAM/SUBJECT (JetStream, durable consumer).
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Also take events over HTTP: POST a body (any format `detect` reads) to
    /// http://ADDR/ingest with `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// The bearer token the HTTP endpoint requires (or the LOCKSTEP_WATCH_TOKEN variable).
    #[arg(long)]
    pub token: Option<String>,
    /// Largest HTTP request body, in MiB (413 beyond).
    #[arg(long, default_value_t = 16)]
    pub max_body_mib: u64,
    /// Replay: the clock is the data's (event time), not the wall clock; the run ends, exit 0,
    /// when its sources are exhausted.
    #[arg(long)]
    pub replay: bool,
    /// Sliding horizon of event time: older hits are evicted.
    #[arg(long, default_value = "72h")]
    pub horizon: Span,
    /// Out-of-order arrivals up to this far behind the stream's clock are placed correctly;
    /// later ones are quarantined with the reason.
    #[arg(long, default_value = "10m")]
    pub lateness: Span,
    /// Tick: the new hits are swept every this much event time.
    #[arg(long, default_value = "60s")]
    pub tick: Span,
    /// Least event time between two re-tests of significance and re-clusterings (0: every
    /// tick). Each re-test covers every pair whose co-actions changed since the last.
    #[arg(long, default_value = "60s")]
    pub retest: Span,
    /// Alerts as NDJSON: a file (appended) or `-` for standard output.
    #[arg(long, default_value = "-")]
    pub alerts: String,
    /// Also POST each alert (JSON) to this URL, retried with backoff on a thread of its own
    /// (never blocking ingest).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Folder of the checkpointed state: a restart with the same --state resumes.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Seconds of wall-clock time between checkpoints (also on SIGINT/SIGTERM and at the end).
    #[arg(long, default_value_t = 30.0)]
    pub checkpoint_every: f64,
    /// Write a snapshot case of the horizon every this much event time (also on SIGUSR1 and
    /// at the end of a replay).
    #[arg(long)]
    pub case_every: Option<Span>,
    /// Folder where snapshot cases go (default: STATE/cases, else ./watch-cases).
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// A sealed case whose log records each snapshot written (lockstep_vault::append_entry).
    #[arg(long, value_name = "CASE")]
    pub case_log: Option<PathBuf>,
    /// Alert threshold: smallest cluster that raises an alert.
    #[arg(long, default_value_t = 5)]
    pub alert_min_size: usize,
    /// Alert threshold: smallest cluster score (in [0, 1], as in accounts.csv).
    #[arg(long, default_value_t = 0.0)]
    pub alert_min_score: f64,
    /// Alert threshold: a cluster alerts again (`grew`) at this factor of its size at its
    /// last alert.
    #[arg(long, default_value_t = 1.5)]
    pub alert_growth: f64,
    /// An alerted cluster unseen this long (event time) raises `quiet`.
    #[arg(long, default_value = "6h")]
    pub quiet_after: Span,
    /// Print nothing but errors, warnings and alerts.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub detect: Params,
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{0}")]
    Config(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the state in {0} cannot be read ({1}); remove it to start afresh")]
    State(PathBuf, String),
    #[error("source {0}: {1}")]
    Source(String, String),
    #[error(transparent)]
    Snapshot(#[from] lockstep_detect::Error),
}

impl WatchError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            WatchError::Config(_) => ErrorKind::Config,
            WatchError::Io { .. } => ErrorKind::Io,
            WatchError::State(..) => ErrorKind::Input,
            WatchError::Source(..) => ErrorKind::Input,
            WatchError::Snapshot(e) => e.kind(),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WatchError + '_ {
    move |source| WatchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The checkpoint: everything a resumed run needs to continue as if never stopped.
#[derive(Serialize, Deserialize)]
struct State {
    version: u32,
    sources: Vec<String>,
    engine: Engine,
    tracker: Tracker,
    positions: Vec<Position>,
    /// Bytes of the alerts file that hold the alerts raised up to this state.
    alerts_bytes: u64,
    alerts_raised: u64,
    next_case: Option<i64>,
    cases_written: Vec<String>,
}

const STATE_VERSION: u32 = 3;
const STATE_FILE: &str = "checkpoint.bin";

/// What a run ends with.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub totals: engine::Totals,
    pub alerts: u64,
    pub final_case: Option<PathBuf>,
    pub resumed: bool,
    pub interrupted: bool,
    pub seconds: f64,
    pub peak_rss_mib: Option<f64>,
}

fn engine_config(a: &WatchArgs) -> Result<Config, WatchError> {
    let p = &a.detect;
    let window_ms = (p.window_s * 1000.0).round() as i64;
    let text_ms = (p.text_window_s.max(p.window_s) * 1000.0).round() as i64;
    if a.tick.0 <= 0 {
        return Err(WatchError::Config("--tick must be positive".into()));
    }
    if a.horizon.0 < a.lateness.0 + text_ms + a.tick.0 {
        return Err(WatchError::Config(format!(
            "--horizon ({}) must exceed --lateness + --text-window + --tick ({} ms)",
            a.horizon,
            a.lateness.0 + text_ms + a.tick.0
        )));
    }
    let alpha = p.fdr.0.map_or(lockstep_detect::CLUSTER_FDR, |f| {
        f.min(lockstep_detect::CLUSTER_FDR)
    });
    Ok(Config {
        horizon_ms: a.horizon.0,
        lateness_ms: a.lateness.0,
        tick_ms: a.tick.0,
        retest_ms: a.retest.0,
        windows_ms: [window_ms, text_ms],
        fast_window_ms: (p.fast_window_s * 1000.0).round() as i64,
        max_crowd: p.max_crowd,
        min_co_actions: p.min_co_actions,
        alpha,
        layers: p.layers.clone(),
        text_similarity: p.text_similarity,
        text_min_tokens: p.text_min_tokens,
        text_script_words: p.text_script_words,
        min_cluster_size: p.min_cluster_size,
        min_mean_degree: p.min_mean_degree,
        resolution: p.resolution,
        seed: p.seed,
    })
}

/// Where alerts go: a file (with its length known, so a resume can cut what the lost state
/// never raised) or standard output; and the webhook queue.
struct AlertOut {
    file: Option<(PathBuf, std::fs::File)>,
    bytes: u64,
    raised: u64,
    webhook: Option<net::Webhook>,
}

impl AlertOut {
    fn write(&mut self, line: &str) -> Result<(), WatchError> {
        match &mut self.file {
            Some((path, f)) => {
                f.write_all(line.as_bytes())
                    .and_then(|_| f.write_all(b"\n"))
                    .map_err(io_err(path))?;
            }
            None => {
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(line.as_bytes());
                let _ = o.write_all(b"\n");
                let _ = o.flush();
            }
        }
        self.bytes += line.len() as u64 + 1;
        self.raised += 1;
        if let Some(w) = &self.webhook {
            w.send(line.to_string());
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), WatchError> {
        if let Some((path, f)) = &mut self.file {
            f.flush().map_err(io_err(path))?;
            f.sync_data().map_err(io_err(path))?;
        }
        Ok(())
    }
}

/// Signals: SIGINT/SIGTERM stop (after a checkpoint), SIGUSR1 asks for a snapshot.
pub struct Signals {
    pub stop: Arc<AtomicBool>,
    pub snapshot: Arc<AtomicBool>,
}

impl Signals {
    /// Registers the handlers (the binary calls this instead of its own SIGINT handler).
    pub fn install() -> Signals {
        let s = Signals {
            stop: Arc::new(AtomicBool::new(false)),
            snapshot: Arc::new(AtomicBool::new(false)),
        };
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
            let _ = signal_hook::flag::register(SIGINT, Arc::clone(&s.stop));
            let _ = signal_hook::flag::register(SIGTERM, Arc::clone(&s.stop));
            let _ = signal_hook::flag::register(SIGUSR1, Arc::clone(&s.snapshot));
        }
        s
    }

    pub fn none() -> Signals {
        Signals {
            stop: Arc::new(AtomicBool::new(false)),
            snapshot: Arc::new(AtomicBool::new(false)),
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn compact_time(ms: i64) -> String {
    lockstep_core::format_time(ms)
        .replace(['-', ':'], "")
        .replace('.', "")
}

/// Runs `lockstep watch` until its sources are exhausted (replay) or it is stopped.
pub fn run(args: &WatchArgs, signals: &Signals) -> Result<Summary, WatchError> {
    let started = Instant::now();
    let cfg = engine_config(args)?;
    if args.sources.is_empty() && args.listen.is_none() {
        return Err(WatchError::Config(
            "no source: give a folder, `-`, a nats:// URL, or --listen".into(),
        ));
    }
    let token = args
        .token
        .clone()
        .or_else(|| std::env::var("LOCKSTEP_WATCH_TOKEN").ok())
        .filter(|t| !t.is_empty());
    if args.listen.is_some() && token.is_none() {
        return Err(WatchError::Config(
            "--listen needs --token (or LOCKSTEP_WATCH_TOKEN): the endpoint requires a bearer token"
                .into(),
        ));
    }
    let thresholds = Thresholds {
        min_size: args.alert_min_size,
        min_score: args.alert_min_score,
        growth: args.alert_growth,
        quiet_after_ms: args.quiet_after.0,
        forget_after_ms: args.horizon.0.max(args.quiet_after.0),
    };
    let cases_dir = args
        .cases
        .clone()
        .or_else(|| args.state.as_ref().map(|s| s.join("cases")))
        .unwrap_or_else(|| PathBuf::from("watch-cases"));
    // State: resume or start.
    let mut resumed = None;
    if let Some(dir) = &args.state {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(STATE_FILE);
        if path.exists() {
            let bytes = std::fs::read(&path).map_err(io_err(&path))?;
            let st: State = bincode::deserialize(&bytes)
                .map_err(|e| WatchError::State(dir.clone(), e.to_string()))?;
            if st.version != STATE_VERSION {
                return Err(WatchError::State(
                    dir.clone(),
                    "another state version".into(),
                ));
            }
            if st.engine.cfg != cfg || st.sources != args.sources {
                return Err(WatchError::Config(format!(
                    "{}: the state was made with other sources or parameters; give the same ones, or another --state",
                    dir.display()
                )));
            }
            resumed = Some(st);
        }
    }
    let was_resumed = resumed.is_some();
    let (
        mut engine,
        mut tracker,
        mut positions,
        alerts_bytes,
        alerts_raised,
        mut next_case,
        mut cases_written,
    ) = match resumed {
        Some(st) => {
            let mut e = st.engine;
            e.init_layers();
            (
                e,
                st.tracker,
                st.positions,
                st.alerts_bytes,
                st.alerts_raised,
                st.next_case,
                st.cases_written,
            )
        }
        None => (
            Engine::new(cfg.clone()),
            Tracker::new(thresholds),
            vec![Position::None; args.sources.len() + 1],
            0,
            0,
            None,
            Vec::new(),
        ),
    };
    tracker.thresholds = thresholds;
    if positions.len() < args.sources.len() + 1 {
        positions.resize(args.sources.len() + 1, Position::None);
    }
    // Alerts file: a resume cuts what was raised after the state it resumes from (those
    // alerts are raised again, identically).
    let file = if args.alerts == "-" {
        None
    } else {
        let path = PathBuf::from(&args.alerts);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let len = f.metadata().map_err(io_err(&path))?.len();
        if was_resumed && len > alerts_bytes {
            f.set_len(alerts_bytes).map_err(io_err(&path))?;
        } else if !was_resumed && args.state.is_some() && len > 0 {
            f.set_len(0).map_err(io_err(&path))?;
        }
        Some((path, f))
    };
    let mut out = AlertOut {
        file,
        bytes: alerts_bytes,
        raised: alerts_raised,
        webhook: args.webhook.as_deref().map(net::Webhook::start),
    };
    if args.alerts == "-" && was_resumed {
        out.bytes = alerts_bytes;
    }

    // Sources, each on its own thread, into one bounded channel.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Msg>(64);
    let stop_sources = Arc::new(AtomicBool::new(false));
    let mut names = Vec::new();
    let mut ended = vec![false; args.sources.len() + 1];
    let mut nats_acks: Vec<(u32, std::sync::mpsc::Sender<u64>)> = Vec::new();
    let mut handles = Vec::new();
    let mut nats_threads = Vec::new();
    for (i, s) in args.sources.iter().enumerate() {
        let i = i as u32;
        names.push(s.clone());
        let txc = tx.clone();
        if s == "-" {
            if was_resumed {
                eprintln!("note: standard input cannot resume: reading it afresh");
            }
            handles.push(std::thread::spawn(move || source::run_stdin(i, txc)));
        } else if s.starts_with("nats://") {
            let start_after = match &positions[i as usize] {
                Position::Nats(seq) => *seq,
                _ => 0,
            };
            let (ack_tx, ack_rx) = std::sync::mpsc::channel();
            nats_acks.push((i, ack_tx));
            let url = s.clone();
            let stop = Arc::clone(&stop_sources);
            let replay = args.replay;
            nats_threads.push(std::thread::spawn(move || {
                net::run_nats(&url, i, start_after, replay, txc, ack_rx, stop)
            }));
        } else {
            let files = match &positions[i as usize] {
                Position::Folder(f) => f.clone(),
                _ => Vec::new(),
            };
            let folder = source::Folder {
                dir: PathBuf::from(s),
                source: i,
                replay: args.replay,
                files,
            };
            let stop = Arc::clone(&stop_sources);
            handles.push(std::thread::spawn(move || folder.run(txc, stop)));
        }
    }
    let http_source = args.sources.len() as u32;
    names.push("http".into());
    let mut server = None;
    if let Some(addr) = args.listen {
        let token = token.clone().unwrap_or_default();
        let limit = args.max_body_mib.saturating_mul(1 << 20);
        server = Some(
            net::HttpIngest::start(addr, token, limit, http_source, tx.clone())
                .map_err(|e| WatchError::Source(format!("--listen {addr}"), e.to_string()))?,
        );
        if !args.quiet {
            eprintln!("listening on http://{addr}/ingest");
        }
    } else {
        ended[http_source as usize] = true;
    }
    drop(tx);

    let mut quarantine = QuarantineLog::open(args.state.as_deref())?;
    let mut last_checkpoint = Instant::now();
    let mut last_report = Instant::now();
    let mut interrupted = false;
    let checkpoint_every = Duration::from_secs_f64(args.checkpoint_every.max(0.05));
    let ctx = Ctx {
        args,
        cases_dir: &cases_dir,
    };
    let mut nats_seen: Vec<(u32, u64)> = Vec::new();
    loop {
        let msg = rx.recv_timeout(Duration::from_millis(100));
        match msg {
            Ok(Msg::Records {
                source,
                name,
                items,
                pos,
            }) => {
                let nats_seq = match &pos {
                    Position::Nats(s) => Some(*s),
                    _ => None,
                };
                for it in items {
                    match it {
                        Item::Event(e, line) => {
                            let origin = Origin { source, line };
                            if let Some(q) = engine.admit(e, origin, &name) {
                                quarantine.record(&q);
                            }
                            // Ticks by the data's clock, checked after every event so that
                            // what a tick holds does not depend on how records were chunked.
                            if args.replay {
                                while let Some(b) = engine.due(engine.stream_time) {
                                    let t = engine.tick(b);
                                    ctx.after_tick(
                                        &mut engine,
                                        &mut tracker,
                                        t,
                                        &mut out,
                                        &mut next_case,
                                        &mut cases_written,
                                        signals,
                                    )?;
                                }
                            }
                        }
                        Item::Bad(q) => {
                            engine.count_quarantined();
                            quarantine.record(&q);
                        }
                    }
                }
                if let Some(s) = nats_seq {
                    nats_seen.retain(|x| x.0 != source);
                    nats_seen.push((source, s));
                }
                if !matches!(pos, Position::None) {
                    positions[source as usize] = pos;
                }
            }
            Ok(Msg::End { source }) => {
                ended[source as usize] = true;
            }
            Ok(Msg::Failed { source, error }) => {
                return Err(WatchError::Source(names[source as usize].clone(), error));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                for e in ended.iter_mut() {
                    *e = true;
                }
            }
        }
        if !args.replay {
            let now = now_ms();
            while let Some(b) = engine.due(now.max(engine.stream_time)) {
                let t = engine.tick(b);
                ctx.after_tick(
                    &mut engine,
                    &mut tracker,
                    t,
                    &mut out,
                    &mut next_case,
                    &mut cases_written,
                    signals,
                )?;
            }
        }
        if signals.snapshot.swap(false, Ordering::Relaxed) {
            let path = ctx.snapshot(&engine, &mut cases_written)?;
            if !args.quiet {
                eprintln!("snapshot written to {}", path.display());
            }
        }
        let stop = signals.stop.load(Ordering::Relaxed);
        let done = args.replay && ended.iter().all(|&e| e);
        if stop || done || last_checkpoint.elapsed() >= checkpoint_every {
            if done {
                // The rest of the stream: every pending event swept, a last re-test.
                let end = engine.stream_time;
                while let Some(b) = engine.due(end + engine.cfg.tick_ms) {
                    let t = engine.tick(b);
                    ctx.after_tick(
                        &mut engine,
                        &mut tracker,
                        t,
                        &mut out,
                        &mut next_case,
                        &mut cases_written,
                        signals,
                    )?;
                    if engine.pending_len() == 0 {
                        break;
                    }
                }
                // Every pair re-tested with the final exposure, and re-clustered.
                let t = engine.settle();
                ctx.after_tick(
                    &mut engine,
                    &mut tracker,
                    t,
                    &mut out,
                    &mut next_case,
                    &mut cases_written,
                    signals,
                )?;
            }
            out.sync()?;
            quarantine.sync()?;
            if let Some(dir) = &args.state {
                let st = State {
                    version: STATE_VERSION,
                    sources: args.sources.clone(),
                    engine,
                    tracker,
                    positions: positions.clone(),
                    alerts_bytes: out.bytes,
                    alerts_raised: out.raised,
                    next_case,
                    cases_written: cases_written.clone(),
                };
                write_state(dir, &st)?;
                engine = st.engine;
                tracker = st.tracker;
                // Messages whose effect is now checkpointed are acknowledged.
                for (src, seq) in &nats_seen {
                    if let Some((_, ack)) = nats_acks.iter().find(|a| a.0 == *src) {
                        let _ = ack.send(*seq);
                    }
                }
            } else {
                for (src, seq) in &nats_seen {
                    if let Some((_, ack)) = nats_acks.iter().find(|a| a.0 == *src) {
                        let _ = ack.send(*seq);
                    }
                }
            }
            last_checkpoint = Instant::now();
            if stop {
                interrupted = true;
                break;
            }
            if done {
                break;
            }
        }
        if !args.quiet && last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            let t = &engine.totals;
            let (ev, hits, recs, pairs) = engine.sizes();
            eprintln!(
                "stream {} · read {} = accepted {} + quarantined {} (late {}) · horizon {ev} events, {hits} hits, {recs} records, {pairs} pairs · {} alerts",
                if engine.stream_time == i64::MIN { "-".into() } else { lockstep_core::format_time(engine.stream_time) },
                t.read, t.accepted, t.quarantined, t.late, out.raised
            );
        }
    }
    stop_sources.store(true, Ordering::Relaxed);
    drop(server);
    // NATS sources acknowledge the last checkpoint before they go.
    drop(rx);
    for t in nats_threads {
        let _ = t.join();
    }
    let mut final_case = None;
    if args.replay && !interrupted {
        let path = ctx.snapshot(&engine, &mut cases_written)?;
        // The incremental clusters beside the batch snapshot, to compare them.
        let clusters: Vec<serde_json::Value> = tracker
            .current()
            .into_iter()
            .map(|(id, members)| serde_json::json!({"cluster": id, "size": members.len(), "members": members}))
            .collect();
        let side = path.with_extension("watch.json");
        std::fs::write(
            &side,
            serde_json::json!({
                "stream_time": lockstep_core::format_time(engine.swept_until),
                "clusters": clusters,
                "totals": &engine.totals,
            })
            .to_string(),
        )
        .map_err(io_err(&side))?;
        if let Some(dir) = &args.state {
            let st = State {
                version: STATE_VERSION,
                sources: args.sources.clone(),
                engine,
                tracker,
                positions: positions.clone(),
                alerts_bytes: out.bytes,
                alerts_raised: out.raised,
                next_case,
                cases_written: cases_written.clone(),
            };
            write_state(dir, &st)?;
            engine = st.engine;
        }
        final_case = Some(path);
    }
    if let Some(w) = out.webhook.take() {
        w.finish(Duration::from_secs(10));
    }
    Ok(Summary {
        totals: engine.totals.clone(),
        alerts: out.raised,
        final_case,
        resumed: was_resumed,
        interrupted,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mib: lockstep_core::progress::peak_rss_mib(),
    })
}

fn write_state(dir: &Path, st: &State) -> Result<(), WatchError> {
    let tmp = dir.join(format!("{STATE_FILE}.tmp"));
    let path = dir.join(STATE_FILE);
    let f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    bincode::serialize_into(&mut w, st).map_err(|e| WatchError::Io {
        path: tmp.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let f = w.into_inner().map_err(|e| WatchError::Io {
        path: tmp.clone(),
        source: e.into_error(),
    })?;
    f.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Quarantined records, appended as NDJSON to STATE/quarantine.ndjson (or standard error
/// without a state).
struct QuarantineLog {
    file: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
}

impl QuarantineLog {
    fn open(state: Option<&Path>) -> Result<QuarantineLog, WatchError> {
        let Some(dir) = state else {
            return Ok(QuarantineLog { file: None });
        };
        let path = dir.join("quarantine.ndjson");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        Ok(QuarantineLog {
            file: Some((path, std::io::BufWriter::new(f))),
        })
    }

    fn record(&mut self, q: &lockstep_core::Quarantined) {
        let line = serde_json::to_string(q).unwrap_or_default();
        match &mut self.file {
            Some((_, w)) => {
                let _ = writeln!(w, "{line}");
            }
            None => eprintln!("quarantined: {line}"),
        }
    }

    fn sync(&mut self) -> Result<(), WatchError> {
        if let Some((path, w)) = &mut self.file {
            w.flush().map_err(io_err(path))?;
        }
        Ok(())
    }
}

struct Ctx<'a> {
    args: &'a WatchArgs,
    cases_dir: &'a Path,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn after_tick(
        &self,
        engine: &mut Engine,
        tracker: &mut Tracker,
        t: engine::TickOut,
        out: &mut AlertOut,
        next_case: &mut Option<i64>,
        cases_written: &mut Vec<String>,
        _signals: &Signals,
    ) -> Result<(), WatchError> {
        let mut case_path = None;
        if let Some(every) = self.args.case_every {
            let due =
                next_case.get_or_insert(t.boundary.div_euclid(every.0.max(1)) * every.0 + every.0);
            if t.boundary >= *due {
                *due = t.boundary.div_euclid(every.0.max(1)) * every.0 + every.0;
                case_path = Some(self.snapshot(engine, cases_written)?);
            }
        }
        let drafts: Vec<Draft>;
        let mut ids = Vec::new();
        let mut views = Vec::new();
        match t.clusters {
            Some(v) => {
                let (i, d) = tracker.update(t.boundary, &v);
                ids = i;
                views = v;
                drafts = d;
            }
            None => drafts = tracker.idle(t.boundary),
        }
        let _ = ids;
        if drafts.is_empty() {
            return Ok(());
        }
        let which: Vec<usize> = drafts
            .iter()
            .filter_map(|d| d.view.map(|v| views[v].index))
            .collect();
        let findings = engine.explain(&which);
        let mut k = 0;
        for d in drafts {
            let finding = if d.view.is_some() {
                k += 1;
                findings.get(k - 1)
            } else {
                None
            };
            let line = alert_json(
                &d,
                t.boundary,
                finding,
                d.view.map(|v| &views[v]),
                case_path.as_deref(),
            );
            out.write(&line)?;
        }
        out.sync()?;
        Ok(())
    }

    /// The horizon as a normal case folder: its events written as lockstep NDJSON beside
    /// the case, then `lockstep_detect::detect` (the batch driver itself) on them.
    fn snapshot(&self, engine: &Engine, written: &mut Vec<String>) -> Result<PathBuf, WatchError> {
        let dir = self.cases_dir;
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let name = format!(
            "snapshot-{}",
            if engine.stream_time == i64::MIN {
                "empty".into()
            } else {
                compact_time(engine.swept_until)
            }
        );
        let input = dir.join(format!("{name}.horizon.ndjson"));
        let case = dir.join(&name);
        {
            let tmp = dir.join(format!("{name}.horizon.ndjson.tmp"));
            let f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            for s in engine.horizon_events() {
                let line = event_json(&s.event);
                w.write_all(line.as_bytes())
                    .and_then(|_| w.write_all(b"\n"))
                    .map_err(io_err(&tmp))?;
            }
            w.flush().map_err(io_err(&tmp))?;
            std::fs::rename(&tmp, &input).map_err(io_err(&input))?;
        }
        let reporter = lockstep_detect::Silent;
        if engine.horizon_len() == 0 {
            return Ok(case);
        }
        lockstep_detect::detect(
            std::slice::from_ref(&input),
            &case,
            &self.args.detect,
            &reporter,
        )?;
        written.push(case.display().to_string());
        if let Some(log) = &self.args.case_log {
            let entry = lockstep_vault::NewEntry::new("watch-snapshot")
                .with("case", case.display().to_string())
                .with(
                    "stream_time",
                    lockstep_core::format_time(engine.swept_until),
                )
                .with("events", engine.horizon_len() as u64);
            if let Err(e) = lockstep_vault::append_entry(log, &entry) {
                eprintln!(
                    "warning: {}: the case log was not extended: {e}",
                    log.display()
                );
            }
        }
        Ok(case)
    }
}

/// An event as lockstep NDJSON (the snapshot's input; every field the readers use).
fn event_json(e: &lockstep_core::Event) -> String {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), e.id.clone().into());
    m.insert("account".into(), e.account.clone().into());
    m.insert("time".into(), lockstep_core::format_time(e.time_ms).into());
    if !e.platform.is_empty() {
        m.insert("platform".into(), e.platform.clone().into());
    }
    m.insert("kind".into(), e.kind.to_string().into());
    if let Some(t) = &e.text {
        m.insert("text".into(), t.clone().into());
    }
    m.insert("hashtags".into(), e.hashtags.clone().into());
    m.insert("urls".into(), e.urls.clone().into());
    m.insert("mentions".into(), e.mentions.clone().into());
    for (k, v) in [
        ("sound", &e.sound),
        ("media", &e.media),
        ("parent", &e.parent),
        ("parent_account", &e.parent_account),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v.clone().into());
        }
    }
    if let Some(c) = e.account_created_ms {
        m.insert(
            "account_created".into(),
            lockstep_core::format_time(c).into(),
        );
    }
    if let Some(f) = e.followers {
        m.insert("followers".into(), f.into());
    }
    serde_json::Value::Object(m).to_string()
}

/// One alert, the contract documented in the README.
fn alert_json(
    d: &Draft,
    stream_time: i64,
    finding: Option<&lockstep_explain::ClusterFinding>,
    view: Option<&engine::ClusterView>,
    case: Option<&Path>,
) -> String {
    let f = finding.and_then(|f| serde_json::to_value(f).ok());
    let get = |k: &str| f.as_ref().and_then(|v| v.get(k)).cloned();
    let top_traces = get("top_traces").unwrap_or_else(|| {
        serde_json::json!(view
            .map(|v| v
                .top_traces
                .iter()
                .map(|(t, n)| serde_json::json!({"trace": t, "co_actions": n}))
                .collect::<Vec<_>>())
            .unwrap_or_default())
    });
    let evidence: Vec<serde_json::Value> = match get("evidence") {
        Some(serde_json::Value::Array(posts)) => {
            posts.iter().filter_map(|p| p.get("id").cloned()).collect()
        }
        _ => view
            .map(|v| v.evidence.iter().map(|s| s.clone().into()).collect())
            .unwrap_or_default(),
    };
    let mut o = serde_json::json!({
        "kind": d.kind,
        "cluster": d.cluster,
        "time": lockstep_core::format_time(now_ms()),
        "stream_time": lockstep_core::format_time(stream_time),
        "size": d.members.len(),
        "members": d.members,
        "new_members": d.new_members,
        "score": (d.score * 10_000.0).round() / 10_000.0,
        "layers": view.map(|v| v.layers.clone()).unwrap_or_default(),
        "top_traces": top_traces,
        "signals": get("signals").unwrap_or_else(|| serde_json::json!([])),
        "evidence": evidence,
        "case": case.map(|c| c.display().to_string()),
    });
    if !d.merged_from.is_empty() {
        o["merged_from"] = serde_json::json!(d.merged_from);
    }
    if let Some(a) = get("activation") {
        o["activation"] = a;
    }
    o.to_string()
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.totals;
        write!(
            f,
            "{}: read {} = accepted {} + quarantined {} (late {}), {} duplicates dropped; {} ticks, {} re-tests, {} re-clusters; {} alerts; {:.1} s ({:.0} events/s)",
            if self.interrupted { "stopped (state saved)" } else { "done" },
            t.read, t.accepted, t.quarantined, t.late, t.duplicates, t.ticks, t.retests, t.reclusters,
            self.alerts, self.seconds, t.read as f64 / self.seconds.max(1e-9)
        )?;
        if let Some(m) = self.peak_rss_mib {
            write!(f, "; peak memory {m:.0} MiB")?;
        }
        if let Some(c) = &self.final_case {
            write!(f, "\nfinal snapshot: {}", c.display())?;
        }
        Ok(())
    }
}
