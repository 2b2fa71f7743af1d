//! The ingest stage: inputs become the columnar [`EventTable`], the [`TraceTable`] and the
//! sweep's [`Hit`]s.
//!
//! Three threads per file overlap: the reader (`lockstep_read`, which parses in parallel
//! itself), a *preparer* that does all per-event work needing no shared state — folding
//! hashtags, making every trace key with its hash ([`EventKeys`]), the caller's [`Annotate`]
//! marks — in parallel per batch, and the interning thread, which is left with table lookups
//! and so assigns ids in input order whatever the thread count.

mod canonical;
mod table;

pub use table::{account_key_hash, EventTable, Texts};

use lockstep_core::progress::{Progress, Reporter, Stage, StageName};
use lockstep_core::{ErrorKind, Event, Quarantined};
use lockstep_read::{InputFile, ReadError};
use lockstep_sweep::Hit;
use lockstep_trace::{EventKeys, LayerKind, TraceTable, Window};
use std::path::PathBuf;
use std::time::Instant;

const BATCH: usize = 4096;

/// Per-event marks computed while reading, on the parallel side (a watchlist's references):
/// whatever `u32` codes the implementation gives, kept as `(event, mark)` in
/// [`Ingested::marks`]. Defined here so the stage that interprets them (explain) depends on
/// ingest, not the other way round.
pub trait Annotate: Sync {
    /// Appends the marks of `event` to `out`.
    fn marks(&self, event: &Event, out: &mut Vec<u32>);
}

/// What the ingest stage needs.
pub struct IngestParams<'a> {
    /// Per-event layers (the corpus-level `text` layer is added later, by
    /// [`Ingested::add_text_families`]; its presence here keeps texts in the table).
    pub layers: &'a [LayerKind],
    pub annotate: Option<&'a dyn Annotate>,
    /// The readers' bounds on each input.
    pub limits: lockstep_read::ReadLimits,
    /// The run's memory budget: reading stops once it is spent.
    pub memory: Option<&'a lockstep_core::memory::Governor>,
}

/// The stage's output: every accepted event in the table, the traces they emitted as hits,
/// and what was read.
pub struct Ingested {
    pub table: EventTable,
    pub traces: TraceTable,
    /// One per (event, trace), in input order.
    pub hits: Vec<Hit>,
    /// One per file read, in path order.
    pub inputs: Vec<InputFile>,
    pub quarantined: u64,
    /// `(event, mark)` from the [`Annotate`] given, in event order.
    pub marks: Vec<(u32, u32)>,
    /// Paths inside the given folders that were passed over, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Each near-duplicate text family's trace with its first text's event and its size (so
    /// people read a family by a text, not by `text:<id>`), by trace.
    pub text_families: Vec<(u32, u32, u32)>,
}

/// Ingest failed as a whole (bad records never fail it: they are quarantined).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("no input files found in {0}")]
    NoInputs(String),
    #[error("{0}: the reader thread stopped unexpectedly")]
    ReaderPanicked(String),
    /// Reading passed the memory budget and stopped part way.
    #[error("--memory-mib {budget_mib} cannot be met: reading stopped at {percent:.0}% of the input bytes with {used_mib} MiB in use; reading these inputs alone needs about {needed_mib} MiB, and the stages after it more (the whole run typically needs twice what reading does): rerun with --memory-mib {} or more (or on a machine with more memory)", needed_mib * 2)]
    MemoryBudget {
        budget_mib: u64,
        used_mib: u64,
        percent: f64,
        /// What reading all of it would take at the rate so far (the whole run needs more).
        needed_mib: u64,
    },
}

impl IngestError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            IngestError::Read(ReadError::Io { .. }) => ErrorKind::Io,
            IngestError::Read(_) | IngestError::NoInputs(_) => ErrorKind::Input,
            IngestError::ReaderPanicked(_) => ErrorKind::Internal,
            IngestError::MemoryBudget { .. } => ErrorKind::Config,
        }
    }
}

/// An event's per-event work, done on the preparing threads.
struct Prepared {
    /// The account's `key_hash`.
    account_hash: u64,
    keys: EventKeys,
    marks: Vec<u32>,
}

fn prepare(
    event: &Event,
    layers: &[Box<dyn lockstep_trace::Layer>],
    annotate: Option<&dyn Annotate>,
) -> Prepared {
    let mut marks = Vec::new();
    if let Some(a) = annotate {
        a.marks(event, &mut marks);
    }
    Prepared {
        account_hash: table::account_key_hash(&event.platform, &event.account),
        keys: EventKeys::of(event, layers),
        marks,
    }
}

/// Events read and, index for index, the line each starts on.
type Raw = (Vec<Event>, Vec<u64>);

enum Batch {
    /// Events with their lines and, index for index, what was prepared for them (kept apart
    /// so the 300-byte events are not moved again).
    Events(Raw, Vec<Prepared>),
    Bad(Quarantined),
}

/// Hands the reader's events to the preparer in batches, quarantined records straight to the
/// interning thread (in file order among themselves).
struct Batcher<'a> {
    batch: Raw,
    raw_tx: &'a std::sync::mpsc::SyncSender<Raw>,
    tx: &'a std::sync::mpsc::SyncSender<Batch>,
}

fn new_batch() -> Raw {
    (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH))
}

impl lockstep_read::Sink for Batcher<'_> {
    fn event(&mut self, e: Event, record: u64) {
        self.batch.0.push(e);
        self.batch.1.push(record);
        if self.batch.0.len() == BATCH {
            let full = std::mem::replace(&mut self.batch, new_batch());
            let _ = self.raw_tx.send(full);
        }
    }
    fn quarantined(&mut self, q: Quarantined) {
        let _ = self.tx.send(Batch::Bad(q));
    }
}

/// Reads every input (files and folders), quarantining bad records through `quarantined` (in
/// input order), and returns the tables and hits.
pub fn ingest(
    inputs: &[PathBuf],
    params: &IngestParams,
    reporter: &dyn Reporter,
    quarantined: &mut dyn FnMut(&Quarantined),
) -> Result<(Ingested, Stage), IngestError> {
    let t = Instant::now();
    reporter.started(StageName::Read, "");
    let found = lockstep_read::discover(inputs)?;
    for (path, why) in &found.skipped {
        reporter.warning(&format!("{}: skipped: {why}", path.display()));
    }
    let mut skipped = found.skipped;
    let files = skip_case_outputs(found.files, &mut skipped, reporter);
    if files.is_empty() {
        let shown: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(IngestError::NoInputs(shown.join(", ")));
    }
    // Files whose bytes equal an earlier file's are read once: only files of equal sizes can
    // be equal, so only those are hashed before reading.
    let same_as = same_content(&files);
    let keep_text = params.layers.contains(&LayerKind::Text);
    let mut table = EventTable::default();
    let mut traces = TraceTable::default();
    let mut hits: Vec<Hit> = Vec::new();
    // Room for what the inputs probably hold, made once: growing these columns by doubling
    // copied them again and again and touched twice their memory. The guess is generous (one
    // event per 128 bytes, compressed files counted four times) because room never used is
    // never touched; where it cannot be had, the columns grow as they go.
    let mut bytes = 0u64;
    let mut on_disk = 0u64;
    for f in &files {
        let len = std::fs::metadata(f).map_or(0, |m| m.len());
        let compressed = matches!(
            f.extension().and_then(|e| e.to_str()),
            Some("gz" | "zst" | "gzip" | "zstd")
        );
        on_disk += len;
        bytes += if compressed {
            len.saturating_mul(4)
        } else {
            len
        };
    }
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
    let mut n_bad = 0u64;
    let mut marks = Vec::new();
    let mut read_files = Vec::new();
    for (file_index, f) in files.iter().enumerate() {
        if let Some(&(earlier, ref sha256)) = same_as.get(&file_index) {
            let first: &InputFile = &read_files[earlier];
            reporter.warning(&format!(
                "{}: the same bytes as {}: read once",
                f.display(),
                first.path
            ));
            read_files.push(InputFile {
                path: f.display().to_string(),
                sha256: sha256.clone(),
                bytes: first.bytes,
                format: first.format,
                read: 0,
                accepted: 0,
                quarantined: 0,
                duplicates: 0,
                time_resolution_ms: None,
                same_as: Some(first.path.clone()),
                skipped: Default::default(),
            });
            continue;
        }
        let file_index = file_index as u32;
        let detail = format!("reading {}", f.display());
        // Parsing runs on its own thread; interning stays on this one, in file order, so ids
        // are deterministic while the two halves overlap. A third stage between them prepares
        // batches (in parallel), so that parsing, preparing and interning all overlap.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(16);
        let (raw_tx, raw_rx) = std::sync::mpsc::sync_channel::<Raw>(4);
        // Consumed batches go back to the preparing thread to be freed in parallel there:
        // freeing millions of small allocations on the one interning thread cost seconds.
        type Done = (Vec<Event>, Vec<Prepared>);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
        let (layers, annotate) = (&layers, params.annotate);
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
                        if batch.0.is_empty() {
                            continue;
                        }
                        let prepared: Vec<Prepared> = batch
                            .0
                            .par_iter()
                            .map(|e| prepare(e, layers, annotate))
                            .collect();
                        if tx.send(Batch::Events(batch, prepared)).is_err() {
                            break;
                        }
                    }
                }
            });
            let reader = scope.spawn(move || {
                let mut sink = Batcher {
                    batch: new_batch(),
                    raw_tx: &raw_tx,
                    tx: &tx,
                };
                let stop = || params.memory.is_some_and(|g| g.over());
                let r = lockstep_read::read_file_until(f, &params.limits, &mut sink, &stop);
                let _ = raw_tx.send(sink.batch);
                r
            });
            for msg in rx {
                match msg {
                    Batch::Events((events, lines), prepared) => {
                        for ((e, p), &line) in events.iter().zip(&prepared).zip(&lines) {
                            let (ev, acc) = table.push(
                                e,
                                (file_index, line),
                                p.account_hash,
                                p.keys.hashtags(),
                                keep_text,
                            );
                            marks.extend(p.marks.iter().map(|&m| (ev, m)));
                            for k in p.keys.traces() {
                                hits.push(Hit {
                                    trace: traces.intern_key(k),
                                    time: e.time_ms,
                                    account: acc,
                                    event: ev,
                                });
                            }
                        }
                        reporter.progress(
                            StageName::Read,
                            Progress {
                                done: table.len() as u64,
                                total: None,
                                unit: "events",
                                detail: &detail,
                            },
                        );
                        let _ = done_tx.send((events, prepared));
                        if params.memory.is_some_and(|g| g.over()) {
                            // The reader stops at its next block; what it still sends is
                            // dropped with the channel.
                            break;
                        }
                    }
                    Batch::Bad(q) => {
                        n_bad += 1;
                        quarantined(&q);
                    }
                }
            }
            let _ = preparer.join();
            reader
                .join()
                .map_err(|_| IngestError::ReaderPanicked(f.display().to_string()))
        });
        if let Some(g) = params.memory.filter(|g| g.over()) {
            let partial = match &file {
                Ok(Ok(f)) => f.bytes,
                Ok(Err(ReadError::Stopped { partial, .. })) => partial.bytes,
                _ => 0,
            };
            let done: u64 = read_files.iter().map(|f: &InputFile| f.bytes).sum::<u64>() + partial;
            let fraction = (done as f64 / on_disk.max(1) as f64).clamp(0.01, 1.0);
            let used = g.peak_mib();
            let needed = (used / fraction) as u64;
            return Err(IngestError::MemoryBudget {
                budget_mib: g.budget_mib(),
                used_mib: used.ceil() as u64,
                percent: fraction * 100.0,
                needed_mib: needed.next_multiple_of(64),
            });
        }
        let file = file??;
        read_files.push(file);
    }
    let multi_row: Vec<bool> = read_files
        .iter()
        .map(|f| f.format.rows_per_post())
        .collect();
    let paths: Vec<String> = read_files.iter().map(|f| f.path.clone()).collect();
    let outcome = canonical::canonicalize(
        &mut table,
        &traces,
        &mut hits,
        &mut marks,
        &multi_row,
        &paths,
        &mut |q| {
            n_bad += 1;
            quarantined(q);
        },
    );
    for (i, f) in read_files.iter_mut().enumerate() {
        f.duplicates = outcome.duplicates[i];
        f.accepted -= outcome.duplicates[i] + outcome.conflicts[i];
        f.quarantined += outcome.conflicts[i];
    }
    let mut by_file: Vec<Vec<i64>> = vec![Vec::new(); read_files.len()];
    for ev in 0..table.len() as u32 {
        by_file[table.source(ev).0 as usize].push(table.time(ev));
    }
    for (f, times) in read_files.iter_mut().zip(by_file) {
        if !times.is_empty() {
            f.time_resolution_ms = Some(canonical::resolution_ms(times.into_iter()));
        }
    }
    let duplicates: u64 = outcome.duplicates.iter().sum();
    if duplicates > 0 {
        let from: Vec<String> = read_files
            .iter()
            .filter(|f| f.duplicates > 0)
            .map(|f| format!("{} ({})", f.path, f.duplicates))
            .collect();
        reporter.warning(&format!(
            "{duplicates} records repeat records already read and were dropped: {}",
            from.join(", ")
        ));
    }
    let read: u64 = read_files.iter().map(|f| f.read).sum();
    let stage = Stage::new(StageName::Read, t, read);
    reporter.finished(&stage);
    Ok((
        Ingested {
            table,
            traces,
            hits,
            inputs: read_files,
            quarantined: n_bad,
            marks,
            skipped,
            text_families: Vec::new(),
        },
        stage,
    ))
}

/// Files in a folder holding an earlier case's `manifest.json` that the manifest lists as that
/// case's own outputs (and the manifest itself) are not inputs: they are passed over with a
/// note.
fn skip_case_outputs(
    files: Vec<PathBuf>,
    skipped: &mut Vec<(PathBuf, String)>,
    reporter: &dyn Reporter,
) -> Vec<PathBuf> {
    let mut outputs_of: std::collections::BTreeMap<PathBuf, Option<Vec<String>>> =
        Default::default();
    let mut kept = Vec::with_capacity(files.len());
    for f in files {
        let dir = f.parent().unwrap_or(std::path::Path::new("")).to_path_buf();
        let outputs = outputs_of.entry(dir.clone()).or_insert_with(|| {
            #[derive(serde::Deserialize)]
            struct Outputs {
                outputs: std::collections::BTreeMap<String, serde_json::Value>,
                lockstep_version: String,
            }
            let text = std::fs::read(dir.join("manifest.json")).ok()?;
            let m: Outputs = serde_json::from_slice(&text).ok()?;
            let _ = m.lockstep_version;
            Some(m.outputs.into_keys().collect())
        });
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        if let (Some(outs), Some(name)) = (outputs, name) {
            if outs.contains(&name) || name == "manifest.json" {
                let why =
                    "an output of the earlier case in this folder (its manifest.json lists it)";
                reporter.warning(&format!("{}: skipped: {why}", f.display()));
                skipped.push((f, why.to_string()));
                continue;
            }
        }
        kept.push(f);
    }
    kept
}

/// Files whose bytes equal an earlier file's: index → (index of the earlier one, sha256).
fn same_content(files: &[PathBuf]) -> std::collections::HashMap<usize, (usize, String)> {
    use sha2::Digest;
    let mut by_size: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
    for (i, f) in files.iter().enumerate() {
        if let Ok(m) = std::fs::metadata(f) {
            if m.is_file() {
                by_size.entry(m.len()).or_default().push(i);
            }
        }
    }
    let mut out = std::collections::HashMap::new();
    for group in by_size.values().filter(|g| g.len() > 1) {
        let mut seen: Vec<(String, usize)> = Vec::new();
        for &i in group {
            let Ok(mut file) = std::fs::File::open(&files[i]) else {
                continue;
            };
            let mut h = sha2::Sha256::new();
            if std::io::copy(&mut file, &mut h).is_err() {
                continue;
            }
            let sha = hex::encode(h.finalize());
            match seen.iter().find(|(s, _)| *s == sha) {
                Some(&(_, earlier)) => {
                    out.insert(i, (earlier, sha));
                }
                None => seen.push((sha, i)),
            }
        }
    }
    out
}

impl Ingested {
    /// Adds the corpus-level `text` layer: one trace per near-duplicate family (named by its
    /// first text's post id), with a hit for each member text. A family whose typical
    /// (median) text has at least `script_words` words is a *script* and gets the wide
    /// [`Window::Script`]: judged on the family, not on whichever text came first.
    pub fn add_text_families(&mut self, families: &lockstep_text::Families, script_words: usize) {
        let mut lengths: rustc_hash::FxHashMap<u32, Vec<u32>> = Default::default();
        for (ev, f) in families.root.iter().enumerate() {
            if let Some(root) = f {
                lengths
                    .entry(*root)
                    .or_default()
                    .push(families.lengths[ev] + 1);
            }
        }
        let is_script = |root: u32| {
            let v = &mut lengths.get(&root).cloned().unwrap_or_default();
            v.sort_unstable();
            v.get(v.len() / 2)
                .is_some_and(|&w| w as usize >= script_words)
        };
        let mut classified: rustc_hash::FxHashMap<u32, usize> = Default::default();
        for (ev, f) in families.root.iter().enumerate() {
            if let Some(root) = *f {
                let trace = self.traces.intern(LayerKind::Text, self.table.id(root));
                let k = *classified.entry(trace).or_insert_with(|| {
                    if is_script(root) {
                        self.traces.set_window(trace, Window::Script);
                    }
                    self.text_families.push((trace, root, 0));
                    self.text_families.len() - 1
                });
                self.text_families[k].2 += 1;
                let ev = ev as u32;
                self.hits.push(Hit {
                    trace,
                    time: self.table.time(ev),
                    account: self.table.account(ev),
                    event: ev,
                });
            }
        }
        self.text_families.sort_unstable();
    }

    /// How a person reads a trace: a near-duplicate text family by its first text (cut to 100
    /// characters) and its size, other traces by their key.
    pub fn trace_label(&self, trace: u32) -> String {
        let key = self.traces.key(trace);
        if let Ok(k) = self
            .text_families
            .binary_search_by_key(&trace, |&(t, _, _)| t)
        {
            let (_, root, size) = self.text_families[k];
            let text = self.table.text(root).unwrap_or("");
            let short: String = text.chars().take(100).collect();
            let more = if short.len() < text.len() { "…" } else { "" };
            return format!("text: “{short}{more}” ({size} posts)");
        }
        key.to_string()
    }
}
