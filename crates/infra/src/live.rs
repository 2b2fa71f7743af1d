//! `lockstep infra watch`: follows logs as they grow and raises an alert when a coordinated
//! campaign appears or grows.
//!
//! Each tick reads the lines appended to every followed file since the last tick (complete
//! lines only: a partial last line waits for its line break; a file whose identity changed
//! or that shrank was rotated or truncated and is read from its start), stores them as one
//! segment per file in `--state DIR/segments/`, drops the segments older than `--horizon`,
//! and runs the batch analysis — the same readers, classifier, sweep, null model and
//! clustering as `lockstep infra` — on the horizon. Clusters are matched to the campaigns of
//! earlier ticks by shared sources, so a campaign keeps its id while it lasts; an alert is
//! raised when one appears (`new`, at least `--min-sources` sources) or has grown by
//! `--growth` since its last alert (`grew`). The state (offsets, segments, campaigns) is
//! written atomically after each tick: a restart resumes where the last tick ended. Alerts
//! are written before the state; a crash between the two re-runs that tick, and the alerts
//! file is first cut back to its length at the last saved state, so each alert is in the
//! file once (on standard output a re-run tick repeats its alerts).
//!
//! Cost: each tick re-analyses the whole horizon (what `lockstep infra` does on that much
//! log), so a tick costs in proportion to the horizon, not to the time followed.

use crate::cli::AnalyseArgs;
use crate::InfraError;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(mut_arg("inputs", |a| a.help("Log files or folders to follow as they grow (not `-`: standard input cannot be followed)")))]
#[command(mut_arg("out", |a| a.help("Snapshot case folder, rewritten (whole) at each tick that alerts")))]
pub struct WatchArgs {
    #[command(flatten)]
    pub analyse: AnalyseArgs,
    /// State folder: offsets, the horizon's segments, campaigns (created if missing).
    #[arg(long)]
    pub state: PathBuf,
    /// Alerts as NDJSON, appended to this file (`-`: standard output).
    #[arg(long, default_value = "-")]
    pub alerts: String,
    /// Seconds between ticks.
    #[arg(long, default_value_t = 60)]
    pub tick: u64,
    /// Seconds of arrivals kept and analysed (at least one tick).
    #[arg(long, default_value_t = 6 * 3600)]
    pub horizon: u64,
    /// Run one tick and stop (for cron-style use and tests).
    #[arg(long)]
    pub once: bool,
    /// Stop after this many ticks.
    #[arg(long)]
    pub ticks: Option<u64>,
    /// A new campaign is alerted once it has this many sources.
    #[arg(long, default_value_t = 5)]
    pub min_sources: usize,
    /// A campaign is alerted again when it has grown by this factor since its last alert.
    #[arg(long, default_value_t = 1.5)]
    pub growth: f64,
}

#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq, Eq)]
struct Followed {
    offset: u64,
    /// (device, inode) where the platform has them: a change means rotation.
    identity: (u64, u64),
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Segment {
    tick: u64,
    /// Relative to the state folder.
    path: String,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Campaign {
    id: u32,
    members: BTreeSet<String>,
    /// Size at its last alert.
    alerted: usize,
    last_tick: u64,
}

#[derive(Serialize, Deserialize, Default, Debug)]
struct State {
    version: u32,
    tick: u64,
    files: BTreeMap<String, Followed>,
    segments: Vec<Segment>,
    campaigns: Vec<Campaign>,
    next_id: u32,
    quarantined: u64,
    /// Length of the alerts file after the last completed tick: a longer file holds the
    /// alerts of a tick whose state was never saved, and is cut back before it is re-run.
    #[serde(default)]
    alerts_bytes: u64,
}

/// One alert (a line of the alerts file).
#[derive(Serialize, Debug, Clone)]
pub struct Alert {
    pub kind: &'static str,
    pub campaign: u32,
    /// Wall clock when raised (RFC 3339).
    pub time: String,
    pub tick: u64,
    pub basis: &'static str,
    pub sources: usize,
    pub new_sources: usize,
    /// Up to 50 of them.
    pub new_members: Vec<String>,
    /// Up to 100.
    pub members: Vec<String>,
    pub attempts: u64,
    pub classes: BTreeMap<&'static str, u64>,
    pub targets: Vec<(String, u64)>,
    pub prefixes: Vec<(String, u64)>,
    pub countries: Vec<(String, u64)>,
    pub asns: Vec<(String, u64)>,
    pub first: String,
    pub last: String,
    pub score: String,
    /// The snapshot case written for this tick (`--out`), if any.
    pub case: Option<String>,
}

/// What one tick did.
#[derive(Debug, Default)]
pub struct TickReport {
    pub tick: u64,
    pub new_bytes: u64,
    pub segments: usize,
    pub clusters: usize,
    pub alerts: Vec<Alert>,
    /// Why this tick wrote no snapshot case (`--out`) although asked: the folder was busy,
    /// sealed or not a case, or writing it failed. The alerts went out all the same.
    pub snapshot_skipped: Option<String>,
}

const STATE_VERSION: u32 = 1;

fn io(p: &Path) -> impl Fn(std::io::Error) -> InfraError + '_ {
    move |e| InfraError::io(p, e)
}

fn load_state(dir: &Path) -> Result<State, InfraError> {
    let p = dir.join("state.json");
    match std::fs::read(&p) {
        Ok(b) => {
            let s: State = serde_json::from_slice(&b).map_err(|e| {
                InfraError::Input(format!(
                    "{}: not a lockstep infra watch state: {e}",
                    p.display()
                ))
            })?;
            if s.version != STATE_VERSION {
                return Err(InfraError::Input(format!(
                    "{}: state version {} (this lockstep writes {STATE_VERSION})",
                    p.display(),
                    s.version
                )));
            }
            Ok(s)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
            version: STATE_VERSION,
            next_id: 1,
            ..State::default()
        }),
        Err(e) => Err(InfraError::io(&p, e)),
    }
}

fn save_state(dir: &Path, s: &State) -> Result<(), InfraError> {
    let p = dir.join("state.json");
    let j = serde_json::to_vec_pretty(s).map_err(|e| InfraError::Internal(e.to_string()))?;
    lockstep_output::write_atomic(&p, &j)
        .map(|_| ())
        .map_err(io(&p))
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}
#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

/// Reads what `path` gained since `f`; returns the bytes to keep (complete lines; a
/// compressed file whole, once) and the new follow state.
fn read_new(path: &Path, f: &Followed) -> Result<(Vec<u8>, Followed), InfraError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let m = file.metadata().map_err(io(path))?;
    let id = identity(&m);
    let len = m.len();
    let mut head = [0u8; 4];
    let n = file.read(&mut head).map_err(io(path))?;
    if is_compressed(&head[..n]) {
        // A compressed file is complete when it appears (rotated logs): read it once.
        if f.identity == id && f.offset == len {
            return Ok((Vec::new(), f.clone()));
        }
        let mut all = Vec::with_capacity(len as usize);
        file.seek(SeekFrom::Start(0)).map_err(io(path))?;
        file.read_to_end(&mut all).map_err(io(path))?;
        return Ok((
            all,
            Followed {
                offset: len,
                identity: id,
            },
        ));
    }
    let start = if f.identity == id && f.offset <= len {
        f.offset
    } else {
        0 // rotated or truncated
    };
    file.seek(SeekFrom::Start(start)).map_err(io(path))?;
    let mut buf = Vec::with_capacity((len - start) as usize);
    file.take(len - start)
        .read_to_end(&mut buf)
        .map_err(io(path))?;
    let keep = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    buf.truncate(keep);
    Ok((
        buf,
        Followed {
            offset: start + keep as u64,
            identity: id,
        },
    ))
}

fn segment_name(tick: u64, k: usize, path: &Path) -> String {
    let base: String = path
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    format!("segments/t{tick:010}-{k:05}-{base}")
}

fn now_rfc3339() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut b = Vec::new();
    lockstep_core::write_time(&mut b, ms);
    String::from_utf8(b).unwrap_or_default()
}

/// Runs one tick: reads, stores, analyses, matches and alerts; saves the state.
pub fn tick(a: &WatchArgs) -> Result<TickReport, InfraError> {
    if a.analyse.inputs.is_empty() {
        return Err(InfraError::Usage(
            "give at least one log file or folder to follow".into(),
        ));
    }
    if a.analyse.inputs.iter().any(|p| p.as_os_str() == "-") {
        return Err(InfraError::Usage(
            "infra watch follows files and folders; standard input cannot be followed".into(),
        ));
    }
    if a.tick == 0 || a.horizon < a.tick {
        return Err(InfraError::Usage(
            "--tick must be at least 1 s and --horizon at least one tick".into(),
        ));
    }
    if a.growth.is_nan() || a.growth <= 1.0 {
        return Err(InfraError::Usage("--growth must be above 1".into()));
    }
    if let Some(out) = &a.analyse.out {
        // A snapshot inside a followed folder would be followed as logs.
        crate::refuse_overlap(&a.analyse.inputs, out)?;
    }
    let p = a.analyse.params()?;
    let dir = &a.state;
    std::fs::create_dir_all(dir.join("segments")).map_err(io(dir))?;
    let mut st = load_state(dir)?;
    if a.alerts != "-" {
        let ap = Path::new(&a.alerts);
        match std::fs::metadata(ap) {
            Ok(m) if m.len() > st.alerts_bytes => {
                // The last tick wrote its alerts and stopped before saving the state: it is
                // about to run again, so its first alerts go (exactly once in the file).
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(ap)
                    .and_then(|f| f.set_len(st.alerts_bytes))
                    .map_err(io(ap))?;
            }
            // Shorter: rotated or emptied by the user; appending goes on from there.
            Ok(m) => st.alerts_bytes = m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => st.alerts_bytes = 0,
            Err(e) => return Err(InfraError::io(ap, e)),
        }
    }
    st.tick += 1;
    let mut rep = TickReport {
        tick: st.tick,
        ..TickReport::default()
    };

    // Read what every followed file gained.
    let files = crate::ingest::discover(&a.analyse.inputs)?;
    for (k, path) in files.iter().enumerate() {
        let key = path.display().to_string();
        let prev = st.files.get(&key).cloned().unwrap_or_default();
        let (bytes, next) = read_new(path, &prev)?;
        if !bytes.is_empty() {
            let rel = segment_name(st.tick, k, path);
            let sp = dir.join(&rel);
            lockstep_output::write_atomic(&sp, &bytes).map_err(io(&sp))?;
            rep.new_bytes += bytes.len() as u64;
            st.segments.push(Segment {
                tick: st.tick,
                path: rel,
            });
        }
        st.files.insert(key, next);
    }
    // The horizon: segments of the last horizon/tick ticks.
    let keep_ticks = a.horizon / a.tick;
    let oldest = st.tick.saturating_sub(keep_ticks.saturating_sub(1));
    let (kept, old): (Vec<Segment>, Vec<Segment>) =
        st.segments.drain(..).partition(|s| s.tick >= oldest);
    for s in old {
        let sp = dir.join(&s.path);
        match std::fs::remove_file(&sp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(InfraError::io(&sp, e)),
        }
    }
    st.segments = kept;
    rep.segments = st.segments.len();

    if !st.segments.is_empty() && rep.new_bytes > 0 {
        let paths: Vec<PathBuf> = st.segments.iter().map(|s| dir.join(&s.path)).collect();
        let qp = dir.join("quarantine.ndjson");
        let mut q = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&qp)
            .map_err(io(&qp))?;
        let new_segments: BTreeSet<String> = st
            .segments
            .iter()
            .filter(|s| s.tick == st.tick)
            .map(|s| dir.join(&s.path).display().to_string())
            .collect();
        let mut quarantined = 0u64;
        // The snapshot case (`--out`) is staged while the tick reads; put in place only if
        // the tick alerts. Its quarantine holds the whole horizon's bad lines.
        // A snapshot that cannot be written never holds back the alerts.
        let mut snapshot = match &a.analyse.out {
            Some(out) => match lockstep_output::Staging::begin(out)
                .map_err(InfraError::from)
                .and_then(|s| Ok((crate::Quarantine::create(s.dir())?, s)))
            {
                Ok((q, staging)) => Some((staging, q)),
                Err(e) => {
                    rep.snapshot_skipped = Some(e.to_string());
                    None
                }
            },
            None => None,
        };
        let mut on_bad = |r: lockstep_core::Quarantined| -> Result<(), InfraError> {
            if let Some((_, sq)) = &mut snapshot {
                sq.record(&r)?;
            }
            // Each bad line is recorded once in the state: when its segment is new.
            if new_segments.contains(&r.file) {
                quarantined += 1;
                let line = serde_json::json!({"file": r.file, "line": r.record, "reason": r.reason, "raw": r.raw});
                writeln!(q, "{line}").map_err(io(&qp))?;
            }
            Ok(())
        };
        let analysis = crate::analysis::analyse(&paths, &p, &mut on_bad)?;
        st.quarantined += quarantined;
        let reports = crate::case::explain(&analysis, &p);
        rep.clusters = reports.len();
        let mut taken: BTreeSet<u32> = BTreeSet::new();
        let mut order: Vec<usize> = (0..reports.len()).collect();
        order.sort_by(|&x, &y| {
            reports[y]
                .members
                .len()
                .cmp(&reports[x].members.len())
                .then(reports[x].members.cmp(&reports[y].members))
        });
        for i in order {
            let r = &reports[i];
            let members: BTreeSet<String> = r.members.iter().cloned().collect();
            // The earlier campaign sharing the most sources (a fifth of this cluster at least).
            let best = st
                .campaigns
                .iter()
                .enumerate()
                .filter(|(_, c)| !taken.contains(&c.id))
                .map(|(k, c)| (c.members.intersection(&members).count(), k))
                .filter(|&(n, _)| n > 0 && n * 5 >= members.len())
                .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
            let (kind, k, fresh) = match best {
                Some((_, k)) => {
                    let c = &st.campaigns[k];
                    let fresh: Vec<String> = members.difference(&c.members).cloned().collect();
                    let grew = members.len() as f64 >= c.alerted.max(1) as f64 * a.growth
                        && members.len() >= a.min_sources;
                    let kind = if c.alerted == 0 && members.len() >= a.min_sources {
                        Some("new")
                    } else if c.alerted > 0 && grew {
                        Some("grew")
                    } else {
                        None
                    };
                    (kind, k, fresh)
                }
                None => {
                    st.campaigns.push(Campaign {
                        id: st.next_id,
                        members: BTreeSet::new(),
                        alerted: 0,
                        last_tick: st.tick,
                    });
                    st.next_id += 1;
                    let k = st.campaigns.len() - 1;
                    let kind = (members.len() >= a.min_sources).then_some("new");
                    (kind, k, members.iter().cloned().collect())
                }
            };
            let c = &mut st.campaigns[k];
            taken.insert(c.id);
            c.last_tick = st.tick;
            c.members.extend(members.iter().cloned());
            if let Some(kind) = kind {
                c.alerted = members.len();
                rep.alerts.push(Alert {
                    kind,
                    campaign: c.id,
                    time: now_rfc3339(),
                    tick: st.tick,
                    basis: r.basis,
                    sources: r.sources,
                    new_sources: fresh.len(),
                    new_members: fresh.into_iter().take(50).collect(),
                    members: r.members.iter().take(100).cloned().collect(),
                    attempts: r.attempts,
                    classes: r.classes.clone(),
                    targets: r.targets.iter().take(5).cloned().collect(),
                    prefixes: r.prefixes.iter().take(5).cloned().collect(),
                    countries: r.countries.iter().take(5).cloned().collect(),
                    asns: r.asns.iter().take(5).cloned().collect(),
                    first: r.first.clone(),
                    last: r.last.clone(),
                    score: r.score.clone(),
                    case: None,
                });
            }
        }
        // Campaigns unseen for a whole horizon are forgotten: a later one is new.
        st.campaigns.retain(|c| c.last_tick + keep_ticks > st.tick);
        if !rep.alerts.is_empty() {
            if let Some((staging, sq)) = snapshot {
                let written = crate::write_analysis(&analysis, &p, staging.dir(), sq)
                    .and_then(|_| Ok(staging.commit()?));
                match written {
                    Ok(()) => {
                        let out = a.analyse.out.as_ref().map(|o| o.display().to_string());
                        for al in &mut rep.alerts {
                            al.case = out.clone();
                        }
                    }
                    Err(e) => rep.snapshot_skipped = Some(e.to_string()),
                }
            }
        }
    }

    // Alerts first, then the state (with the alerts file's new length).
    if !rep.alerts.is_empty() {
        let mut text = Vec::new();
        for al in &rep.alerts {
            serde_json::to_writer(&mut text, al)
                .map_err(|e| InfraError::Internal(e.to_string()))?;
            text.push(b'\n');
        }
        if a.alerts == "-" {
            let mut o = std::io::stdout().lock();
            o.write_all(&text)
                .and_then(|_| o.flush())
                .map_err(io(Path::new("-")))?;
        } else {
            let ap = Path::new(&a.alerts);
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(ap)
                .map_err(io(ap))?;
            f.write_all(&text)
                .and_then(|_| f.sync_data())
                .map_err(io(ap))?;
            st.alerts_bytes = f.metadata().map_err(io(ap))?.len();
        }
    }
    save_state(dir, &st)?;
    Ok(rep)
}

/// Follows until `--ticks` (or one tick with `--once`); returns a summary line per tick
/// when not `--quiet`.
pub fn run(a: &WatchArgs) -> Result<String, InfraError> {
    let mut done = 0u64;
    let limit = if a.once { Some(1) } else { a.ticks };
    loop {
        let t = std::time::Instant::now();
        let r = tick(a)?;
        done += 1;
        if let Some(why) = &r.snapshot_skipped {
            eprintln!("warning: tick {}: no snapshot case written: {why}", r.tick);
        }
        if !a.analyse.quiet {
            eprintln!(
                "tick {}: {} new bytes, {} segments in the horizon, {} clusters, {} alerts ({:.1} s)",
                r.tick,
                r.new_bytes,
                r.segments,
                r.clusters,
                r.alerts.len(),
                t.elapsed().as_secs_f64()
            );
        }
        if limit.is_some_and(|n| done >= n) {
            return Ok(String::new());
        }
        let wait = std::time::Duration::from_secs(a.tick).saturating_sub(t.elapsed());
        std::thread::sleep(wait);
    }
}
