//! Progress and timings of a run, reported through a trait so that each front end draws them
//! its own way: the binary as terminal bars, the server as server-sent events, a library user
//! as callbacks. Libraries never print.

use serde::Serialize;
use std::time::Instant;

/// A step of a run. Names are stable (`read`, `text`, …): timings and progress are keyed by
/// them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum StageName {
    Read,
    Text,
    Sweep,
    Significance,
    Cluster,
    Explain,
    Write,
}
crate::serde_by_name!(StageName);

/// Wall time and throughput of one stage (reported, never written into a case, so outputs
/// stay byte-identical).
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub name: StageName,
    pub seconds: f64,
    pub items: u64,
    /// Peak resident memory of the process so far (MiB), where the OS reports it.
    pub peak_mib: Option<f64>,
}

impl Stage {
    /// The stage `name` that began at `start` and handled `items`.
    pub fn new(name: StageName, start: Instant, items: u64) -> Stage {
        Stage {
            name,
            seconds: start.elapsed().as_secs_f64(),
            items,
            peak_mib: peak_rss_mib(),
        }
    }

    pub fn per_second(&self) -> f64 {
        self.items as f64 / self.seconds.max(1e-9)
    }
}

/// Where a stage stands: `done` of `total` units (`total` unknown for a stream), with a line
/// of detail ("reading data/videos.jsonl").
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub done: u64,
    pub total: Option<u64>,
    pub unit: &'static str,
    pub detail: &'a str,
}

/// Receives a run's progress. Every method has an empty default, so a reporter implements
/// only what it shows. Called from the run's threads: implementations must be cheap and
/// `Sync`.
pub trait Reporter: Sync {
    /// A stage begins; `detail` says on what ("9,120,059 hits").
    fn started(&self, _stage: StageName, _detail: &str) {}
    /// A stage moved on (throttle on the reporter's side if drawing is costly).
    fn progress(&self, _stage: StageName, _progress: Progress<'_>) {}
    /// A stage ended, with its timing.
    fn finished(&self, _stage: &Stage) {}
    /// Something the user should know that is not an error: a skipped path, a limit hit.
    fn warning(&self, _message: &str) {}
}

/// A reporter that shows nothing.
pub struct Silent;
impl Reporter for Silent {}

/// Peak resident memory of this process so far, from /proc (Linux), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
