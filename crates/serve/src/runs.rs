//! Detect runs in the background: one at a time (a run uses every core), each on a
//! blocking thread, its progress (`lockstep_core::progress::Reporter`) kept in a bounded
//! log and broadcast to whoever follows it over SSE. A run ends `done` or `failed` with
//! its reason; a panic is a failure, never a crashed server.

use lockstep_core::progress::{Progress, Reporter, Stage, StageName};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, Semaphore};
use utoipa::ToSchema;

/// One event of a run, as streamed (`data:` of an SSE event named by `type`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunEvent {
    Queued,
    Started {
        stage: String,
        detail: String,
    },
    Progress {
        stage: String,
        done: u64,
        total: Option<u64>,
        unit: String,
        detail: String,
    },
    Finished {
        stage: String,
        seconds: f64,
        items: u64,
    },
    Warning {
        message: String,
    },
    Done {
        clusters: i64,
        accounts: i64,
        flagged: i64,
    },
    Failed {
        reason: String,
    },
}

impl RunEvent {
    pub fn name(&self) -> &'static str {
        match self {
            RunEvent::Queued => "queued",
            RunEvent::Started { .. } => "started",
            RunEvent::Progress { .. } => "progress",
            RunEvent::Finished { .. } => "finished",
            RunEvent::Warning { .. } => "warning",
            RunEvent::Done { .. } => "done",
            RunEvent::Failed { .. } => "failed",
        }
    }
    pub fn is_end(&self) -> bool {
        matches!(self, RunEvent::Done { .. } | RunEvent::Failed { .. })
    }
}

/// Events kept per run (progress ticks are not kept, only the latest).
const LOG_CAP: usize = 500;

pub struct RunLog {
    inner: Mutex<LogInner>,
    tx: broadcast::Sender<RunEvent>,
}

struct LogInner {
    events: Vec<RunEvent>,
    last_progress: Option<RunEvent>,
    last_sent: Option<Instant>,
}

impl RunLog {
    fn new() -> RunLog {
        RunLog {
            inner: Mutex::new(LogInner {
                events: Vec::new(),
                last_progress: None,
                last_sent: None,
            }),
            tx: broadcast::channel(256).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, e: RunEvent) {
        let mut g = self.lock();
        if let RunEvent::Progress { .. } = e {
            // At most four ticks a second reach the browsers.
            let now = Instant::now();
            if g.last_sent
                .is_some_and(|t| now.duration_since(t) < Duration::from_millis(250))
            {
                g.last_progress = Some(e);
                return;
            }
            g.last_sent = Some(now);
            g.last_progress = Some(e.clone());
        } else if g.events.len() < LOG_CAP || e.is_end() {
            g.events.push(e.clone());
        }
        let _ = self.tx.send(e);
    }

    /// What happened so far, and a receiver for what follows (subscribed under the same
    /// lock, so nothing falls between the two).
    pub fn follow(&self) -> (Vec<RunEvent>, broadcast::Receiver<RunEvent>) {
        let g = self.lock();
        let mut past = g.events.clone();
        if let Some(p) = &g.last_progress {
            if !past.last().is_some_and(RunEvent::is_end) {
                past.push(p.clone());
            }
        }
        (past, self.tx.subscribe())
    }
}

/// The reporter a run writes to.
struct LogReporter(Arc<RunLog>);

impl Reporter for LogReporter {
    fn started(&self, stage: StageName, detail: &str) {
        self.0.push(RunEvent::Started {
            stage: stage.to_string(),
            detail: detail.to_string(),
        });
    }
    fn progress(&self, stage: StageName, p: Progress<'_>) {
        self.0.push(RunEvent::Progress {
            stage: stage.to_string(),
            done: p.done,
            total: p.total,
            unit: p.unit.to_string(),
            detail: p.detail.to_string(),
        });
    }
    fn finished(&self, s: &Stage) {
        self.0.push(RunEvent::Finished {
            stage: s.name.to_string(),
            seconds: s.seconds,
            items: s.items,
        });
    }
    fn warning(&self, message: &str) {
        self.0.push(RunEvent::Warning {
            message: message.to_string(),
        });
    }
}

/// What a finished run found.
pub struct RunOutcome {
    pub clusters: i64,
    pub accounts: i64,
    pub flagged: i64,
}

pub struct Runs {
    gate: Arc<Semaphore>,
    logs: Mutex<HashMap<String, Arc<RunLog>>>,
}

impl Default for Runs {
    fn default() -> Self {
        Runs {
            gate: Arc::new(Semaphore::new(1)),
            logs: Mutex::new(HashMap::new()),
        }
    }
}

impl Runs {
    pub fn log(&self, case_id: &str) -> Option<Arc<RunLog>> {
        self.logs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(case_id)
            .cloned()
    }

    fn new_log(&self, case_id: &str) -> Arc<RunLog> {
        let log = Arc::new(RunLog::new());
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        // Keep the logs of the last runs only (the outcome is in the database).
        if logs.len() >= 256 {
            logs.retain(|_, l| !l.lock().events.last().is_some_and(RunEvent::is_end));
        }
        logs.insert(case_id.to_string(), log.clone());
        log
    }

    /// Queues a detect run of `inputs` into `out`; `on_start` is called when it starts and
    /// `finish` with its outcome, before the run's log has its last event.
    pub fn start<S, SFut, F, FFut>(
        &self,
        case_id: &str,
        inputs: Vec<PathBuf>,
        out: PathBuf,
        params: lockstep_detect::Params,
        on_start: S,
        finish: F,
    ) where
        S: FnOnce() -> SFut + Send + 'static,
        SFut: std::future::Future<Output = ()> + Send + 'static,
        F: FnOnce(Result<RunOutcome, String>) -> FFut + Send + 'static,
        FFut: std::future::Future<Output = ()> + Send + 'static,
    {
        let log = self.new_log(case_id);
        log.push(RunEvent::Queued);
        let gate = self.gate.clone();
        tokio::spawn(async move {
            let Ok(_permit) = gate.acquire_owned().await else {
                return;
            };
            on_start().await;
            let reporter = LogReporter(log.clone());
            let result = tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    lockstep_detect::detect(&inputs, &out, &params, &reporter)
                }))
            })
            .await;
            let outcome = match result {
                Ok(Ok(Ok(s))) => Ok(RunOutcome {
                    clusters: s.counts.clusters as i64,
                    accounts: s.counts.accounts as i64,
                    flagged: s.counts.flagged_accounts as i64,
                }),
                Ok(Ok(Err(e))) => Err(e.to_string()),
                Ok(Err(_)) | Err(_) => Err("internal error: the run stopped unexpectedly".into()),
            };
            let end = match &outcome {
                Ok(o) => RunEvent::Done {
                    clusters: o.clusters,
                    accounts: o.accounts,
                    flagged: o.flagged,
                },
                Err(reason) => RunEvent::Failed {
                    reason: reason.clone(),
                },
            };
            // The database first: whoever hears the end and asks finds the case ended.
            finish(outcome).await;
            log.push(end);
        });
    }
}
