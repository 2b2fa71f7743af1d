//! `lockstep detect`, end to end: read inputs, derive traces, sweep co-actions, test
//! significance, cluster, explain, and write the case folder.
//!
//! The binary is thin glue over [`detect`]; tests and the benchmark call it directly.

mod case;
mod explain;
mod params;
mod table;
pub mod text;
pub mod watchlist;

pub use case::{peak_rss_mib, CaseSummary, Stage};
pub use explain::ClusterReport;
pub use params::Params;
pub use table::EventTable;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lockstep_core::Quarantined;
use lockstep_graph::{ClusterParams, SignificanceParams};
use lockstep_output::AtomicFile;
use lockstep_read::InputFile;
use lockstep_sweep::{Hit, SweepParams};
use lockstep_trace::{LayerKind, TraceTable};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const BATCH: usize = 4096;

enum Batch {
    /// Events and, index for index, what was prepared for them (kept apart so the 300-byte
    /// events are not moved again).
    Events(Vec<lockstep_core::Event>, Vec<Prepared>),
    Bad(Quarantined),
}

/// An event with the work that needs no shared state done already (on the parser's side, in
/// parallel): folded hashtags, trace keys with their hashes, watchlist matches. What is left
/// for the one interning thread is table lookups. Strings live end to end in `buf`: two
/// allocations per event instead of one per tag and key.
struct Prepared {
    /// The account's `key_hash`.
    account_hash: u64,
    buf: String,
    /// Folded hashtags (layer `None`) then trace keys `layer:key`, with their `key_hash`es, as
    /// ranges of `buf`.
    spans: Vec<(Option<LayerKind>, u32, u32, u64)>,
    targets: Vec<(u16, bool)>,
}

impl Prepared {
    fn str(&self, s: &(Option<LayerKind>, u32, u32, u64)) -> &str {
        &self.buf[s.1 as usize..s.2 as usize]
    }
}

fn prepare(
    event: &lockstep_core::Event,
    layers: &[Box<dyn lockstep_trace::Layer>],
    watchlist: Option<&watchlist::Watchlist>,
) -> Prepared {
    // Sized up front: growing these a few bytes at a time reallocated several times per event.
    let tag_bytes: usize = event.hashtags.iter().map(String::len).sum();
    let mut buf = String::with_capacity(2 * tag_bytes + 96);
    let mut spans = Vec::with_capacity(event.hashtags.len() + layers.len());
    for t in &event.hashtags {
        let start = buf.len();
        lockstep_trace::fold_hashtag_into(t, &mut buf);
        let tag = &buf[start..];
        let seen = spans
            .iter()
            .any(|&(_, s, e, _)| &buf[s as usize..e as usize] == tag);
        if tag.is_empty() || seen {
            buf.truncate(start);
        } else {
            let h = lockstep_trace::key_hash(tag);
            spans.push((None, start as u32, buf.len() as u32, h));
        }
    }
    for l in layers {
        let kind = l.kind();
        l.traces(event, &mut |key| {
            let start = buf.len();
            buf.push_str(kind.name());
            buf.push(':');
            buf.push_str(key);
            let h = lockstep_trace::key_hash(&buf[start..]);
            spans.push((Some(kind), start as u32, buf.len() as u32, h));
        });
    }
    Prepared {
        account_hash: lockstep_trace::key_hash(&event.account),
        targets: watchlist.map(|w| w.matches(event)).unwrap_or_default(),
        buf,
        spans,
    }
}

/// Everything a run derived in memory, for the case writer and for tests.
pub struct Analysis {
    pub table: EventTable,
    pub traces: TraceTable,
    /// Sorted by (trace, time, account, event) after the sweep.
    pub hits: Vec<Hit>,
    pub inputs: Vec<InputFile>,
    pub quarantined: u64,
    pub sweep: lockstep_sweep::SweepReport,
    pub significance: lockstep_graph::SignificanceReport,
    pub min_participation_dropped: u64,
    pub edges: Vec<lockstep_graph::Edge>,
    pub clusters: Vec<lockstep_graph::Cluster>,
    pub stages: Vec<Stage>,
    /// With `--watchlist`: (event, entity, attacks) for every post that references an entity.
    pub targets: Vec<(u32, u16, bool)>,
    pub watchlist: Option<watchlist::Watchlist>,
}

fn spinner(quiet: bool, msg: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("static template"),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb.set_message(msg.to_string());
    pb
}

/// Reads every input and runs the analysis. Quarantined records are written to
/// `quarantine_to` (atomically) when given.
pub fn analyse(
    inputs: &[PathBuf],
    params: &Params,
    quiet: bool,
    quarantine_to: Option<&Path>,
) -> Result<Analysis> {
    let mut a = analyse_edges(inputs, params, quiet, quarantine_to)?;
    let (clusters, stage) = cluster(&a.edges, params, quiet)?;
    a.clusters = clusters;
    a.stages.push(stage);
    Ok(a)
}

/// [`analyse`] up to the kept edges: no clusters yet.
fn analyse_edges(
    inputs: &[PathBuf],
    params: &Params,
    quiet: bool,
    quarantine_to: Option<&Path>,
) -> Result<Analysis> {
    let mut stages = Vec::new();
    let t = Instant::now();
    let watchlist = params
        .watchlist
        .as_deref()
        .map(watchlist::Watchlist::load)
        .transpose()?;
    let mut targets: Vec<(u32, u16, bool)> = Vec::new();
    let files = lockstep_read::discover(inputs)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no input files found in {}",
        show_paths(inputs)
    );
    let keep_text = params.layers.contains(&LayerKind::Text);
    let pb = spinner(quiet, "reading");
    let mut table = EventTable::default();
    let mut traces = TraceTable::default();
    let mut hits: Vec<Hit> = Vec::new();
    // Room for what the inputs probably hold, made once: growing these columns by doubling
    // copied them again and again and touched twice their memory. The guess is generous (one
    // event per 128 bytes, compressed files counted four times) because room never used is
    // never touched; where it cannot be had, the columns grow as they go.
    let bytes: u64 = files
        .iter()
        .map(|f| {
            let len = std::fs::metadata(f).map_or(0, |m| m.len());
            let compressed = matches!(
                f.extension().and_then(|e| e.to_str()),
                Some("gz" | "zst" | "gzip" | "zstd")
            );
            if compressed {
                len.saturating_mul(4)
            } else {
                len
            }
        })
        .sum();
    let expected = usize::try_from(bytes / 128).unwrap_or(usize::MAX);
    table.try_reserve(
        expected,
        keep_text.then_some(usize::try_from(bytes / 4).unwrap_or(0)),
    );
    let _ = hits.try_reserve(expected.saturating_mul(2));
    let layers: Vec<Box<dyn lockstep_trace::Layer>> = params
        .layers
        .iter()
        .filter_map(|&k| lockstep_trace::layer(k))
        .collect();
    let mut quarantine = quarantine_to
        .map(AtomicFile::create)
        .transpose()
        .context("cannot create quarantine file")?;
    let mut qerr: Option<std::io::Error> = None;
    let mut quarantined = 0u64;
    let mut read_files = Vec::new();
    for f in &files {
        pb.set_message(format!("reading {} ({} events)", f.display(), table.len()));
        // Parsing runs on its own thread; interning stays on this one, in file order, so ids
        // are deterministic while the two halves overlap.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(16);
        // Consumed batches go back to the reader thread to be freed there: the allocator frees
        // cheaply on the thread that allocated, expensively across threads.
        // A third stage between them prepares batches (in parallel), so that parsing, preparing
        // and interning all overlap.
        let (raw_tx, raw_rx) = std::sync::mpsc::sync_channel::<Vec<lockstep_core::Event>>(4);
        // Consumed batches go back to the preparing thread to be freed in parallel there:
        // freeing millions of small allocations on the one interning thread cost seconds.
        type Done = (Vec<lockstep_core::Event>, Vec<Prepared>);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
        let (layers, wl) = (&layers, watchlist.as_ref());
        let file = std::thread::scope(|scope| {
            let preparer = scope.spawn({
                let tx = tx.clone();
                move || {
                    use rayon::prelude::*;
                    for batch in raw_rx {
                        while let Ok((events, prepared)) = done_rx.try_recv() {
                            events.into_par_iter().for_each(drop);
                            prepared.into_par_iter().for_each(drop);
                        }
                        let prepared: Vec<Prepared> =
                            batch.par_iter().map(|e| prepare(e, layers, wl)).collect();
                        if tx.send(Batch::Events(batch, prepared)).is_err() {
                            break;
                        }
                    }
                }
            });
            let reader = scope.spawn(move || {
                let mut batch = Vec::with_capacity(BATCH);
                let mut on_event = |e: lockstep_core::Event| {
                    batch.push(e);
                    if batch.len() == BATCH {
                        let _ =
                            raw_tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                    }
                };
                let mut on_bad = |q: Quarantined| {
                    let _ = tx.send(Batch::Bad(q));
                };
                let r = lockstep_read::read_file(f, &mut on_event, &mut on_bad);
                let _ = raw_tx.send(batch);
                r
            });
            for msg in rx {
                match msg {
                    Batch::Events(events, prepared) => {
                        for (e, p) in events.iter().zip(&prepared) {
                            let tags = p.spans.iter().filter(|s| s.0.is_none());
                            let tags = tags.map(|s| (p.str(s), s.3));
                            let (ev, acc) = table.push(e, p.account_hash, tags, keep_text);
                            targets.extend(p.targets.iter().map(|&(ent, att)| (ev, ent, att)));
                            for s in &p.spans {
                                let Some(kind) = s.0 else { continue };
                                let trace = traces.intern_hashed(kind, p.str(s), s.3);
                                hits.push(Hit {
                                    trace,
                                    time: e.time_ms,
                                    account: acc,
                                    event: ev,
                                });
                            }
                        }
                        let _ = done_tx.send((events, prepared));
                    }
                    Batch::Bad(q) => {
                        quarantined += 1;
                        if let (Some(w), None) = (quarantine.as_mut(), &qerr) {
                            if let Err(e) = serde_json::to_writer(&mut *w, &q)
                                .map_err(std::io::Error::from)
                                .and_then(|_| w.write_all(b"\n"))
                            {
                                qerr = Some(e);
                            }
                        }
                    }
                }
            }
            let _ = preparer.join();
            reader
                .join()
                .map_err(|_| anyhow::anyhow!("{}: reader thread panicked", f.display()))
        })??;
        read_files.push(file);
    }
    if let Some(e) = qerr {
        return Err(e).context("writing quarantine.ndjson");
    }
    if let Some(q) = quarantine {
        q.commit().context("writing quarantine.ndjson")?;
    }
    pb.finish_and_clear();
    let read: u64 = read_files.iter().map(|f| f.read).sum();
    stages.push(Stage::new("read", t, read));

    // Text families long enough to be a script: they co-act within the wide text window.
    let mut script_traces: Vec<bool> = Vec::new();
    if keep_text {
        let t = Instant::now();
        let pb = spinner(quiet, "near-duplicate text");
        let (fam, lengths) = text::families(
            &table.ev_text,
            params.text_similarity,
            params.text_min_tokens,
        );
        // A family is a script when its typical (median) text is long: judged on the family,
        // not on whichever text happened to come first.
        let mut family_lengths: rustc_hash::FxHashMap<u32, Vec<u32>> = Default::default();
        for (ev, f) in fam.iter().enumerate() {
            if let Some(root) = f {
                family_lengths
                    .entry(*root)
                    .or_default()
                    .push(lengths[ev] + 1);
            }
        }
        let is_script = |root: u32| {
            let v = &mut family_lengths.get(&root).cloned().unwrap_or_default();
            v.sort_unstable();
            v.get(v.len() / 2)
                .is_some_and(|&w| w as usize >= params.text_script_words)
        };
        for (ev, f) in fam.iter().enumerate() {
            if let Some(root) = f {
                let trace = traces.intern(LayerKind::Text, &table.ev_id[*root as usize]);
                if script_traces.len() <= trace as usize {
                    script_traces.resize(trace as usize + 1, false);
                    script_traces[trace as usize] = is_script(*root);
                }
                hits.push(Hit {
                    trace,
                    time: table.ev_time[ev],
                    account: table.ev_account[ev],
                    event: ev as u32,
                });
            }
        }
        pb.finish_and_clear();
        stages.push(Stage::new("text", t, table.len() as u64));
    }

    let t = Instant::now();
    let pb = spinner(quiet, &format!("sweeping {} hits", hits.len()));
    let is_text = |t: u32| script_traces.get(t as usize).copied().unwrap_or(false);
    let sp = SweepParams {
        window_ms: (params.window_s * 1000.0).round() as i64,
        wide: (params.text_window_s > params.window_s).then_some((
            &is_text as &(dyn Fn(u32) -> bool + Sync),
            (params.text_window_s * 1000.0).round() as i64,
        )),
        max_crowd: params.max_crowd,
        // Edges need min_co_actions; with two or more, pairs met once need not be kept.
        skip_single_pairs: params.min_co_actions >= 2,
        store_memory: Some(store_budget(params.memory_mib)),
    };
    let (pair_traces, exposure, sweep) = lockstep_sweep::sweep(&mut hits, table.accounts.len(), sp)
        .context("sweep: cannot write temporary files (set TMPDIR to a writable folder)")?;
    pb.finish_and_clear();
    stages.push(Stage::new("sweep", t, hits.len() as u64));

    let t = Instant::now();
    let pb = spinner(quiet, "testing significance");
    let sig = SignificanceParams {
        fdr: params.fdr,
        min_co_actions: params.min_co_actions,
    };
    let (mut edges, significance) = lockstep_graph::significant_edges(
        pair_traces,
        sweep.single_pairs,
        |tr| traces.layer(tr).bit(),
        &exposure,
        sig,
    )
    .context("significance: cannot read the sweep's temporary files")?;
    let n_edges = significance.tested;
    let min_participation_dropped =
        apply_min_participation(&mut edges, table.accounts.len(), params.min_participation);
    pb.finish_and_clear();
    stages.push(Stage::new("significance", t, n_edges));

    Ok(Analysis {
        table,
        traces,
        hits,
        inputs: read_files,
        quarantined,
        sweep,
        significance,
        min_participation_dropped,
        edges,
        clusters: Vec::new(),
        stages,
        targets,
        watchlist,
    })
}

/// Leiden on the kept edges, timed as the `cluster` stage.
fn cluster(
    edges: &[lockstep_graph::Edge],
    params: &Params,
    quiet: bool,
) -> Result<(Vec<lockstep_graph::Cluster>, Stage)> {
    let t = Instant::now();
    let pb = spinner(quiet, &format!("clustering {} edges", edges.len()));
    let cp = ClusterParams {
        min_size: params.min_cluster_size,
        min_mean_degree: params.min_mean_degree,
        resolution: params.resolution,
        seed: params.seed,
    };
    let clusters = lockstep_graph::cluster(edges, cp)
        .map_err(|e| anyhow::anyhow!("clustering failed: {e}"))?;
    pb.finish_and_clear();
    Ok((clusters, Stage::new("cluster", t, edges.len() as u64)))
}

/// Bytes the pair store may hold in memory: what the memory budget leaves above the process's
/// peak so far (what it held now can be less: memory freed after the text stage is not
/// necessarily returned), and never less than [`params::MIN_STORE_MIB`]. Where the OS does not
/// report the peak, only the minimum.
fn store_budget(memory_mib: u64) -> usize {
    let mib = match case::peak_rss_mib() {
        Some(held) => memory_mib.saturating_sub(held as u64),
        None => 0,
    }
    .max(params::MIN_STORE_MIB);
    usize::try_from(mib << 20).unwrap_or(usize::MAX)
}

/// CooRTweet's rule: an edge stays when at least one of its accounts takes part in
/// `min` co-actions overall. Returns how many edges were dropped.
fn apply_min_participation(
    edges: &mut Vec<lockstep_graph::Edge>,
    n_accounts: usize,
    min: u32,
) -> u64 {
    if min == 0 {
        return 0;
    }
    let mut part = vec![0u64; n_accounts];
    for e in edges.iter() {
        part[e.a as usize] += u64::from(e.co_actions);
        part[e.b as usize] += u64::from(e.co_actions);
    }
    let before = edges.len();
    edges.retain(|e| part[e.a as usize] >= u64::from(min) || part[e.b as usize] >= u64::from(min));
    (before - edges.len()) as u64
}

fn show_paths(p: &[PathBuf]) -> String {
    p.iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs detection on `inputs` and writes the case folder `out`.
pub fn detect(inputs: &[PathBuf], out: &Path, params: &Params, quiet: bool) -> Result<CaseSummary> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create output folder", out.display()))?;
    let mut a = analyse_edges(inputs, params, quiet, Some(&out.join("quarantine.ndjson")))?;
    std::thread::scope(|s| {
        // edges.csv needs only the kept edges: it is written on the core that clustering and
        // explaining (one thread each) leave idle, and put in place with the other files.
        let (table, edges) = (&a.table, &a.edges);
        let writer = s.spawn(move || case::write_edges_csv(table, edges, out));
        let (clusters, stage) = cluster(&a.edges, params, quiet)?;
        a.clusters = clusters;
        a.stages.push(stage);
        let edges_csv = || {
            writer
                .join()
                .map_err(|_| anyhow::anyhow!("writing edges.csv: the writer thread panicked"))?
        };
        case::write_case(&a, edges_csv, params, out, quiet)
    })
}
