//! `lockstep detect`, end to end: the batch driver of the stages. It calls them in order —
//! ingest (`lockstep_ingest`), near-duplicate text (`lockstep_text`), the co-action sweep
//! (`lockstep_sweep`), significance and clustering (`lockstep_graph`), explain
//! (`lockstep_explain`) — and hands their typed outputs to the case writer (`lockstep_case`).
//! No stage reaches into another's internals; this crate owns only the order, the
//! [`Params`] and the progress reporting.

mod params;

pub use lockstep_case::CaseSummary;
pub use lockstep_core::progress::{Reporter, Silent, Stage, StageName};
pub use params::{Fdr, Params, ReadParams, MIN_STORE_MIB};

use lockstep_case::{CaseError, CaseInput, QuarantineFile};
use lockstep_core::progress::peak_rss_mib;
use lockstep_core::ErrorKind;
use lockstep_explain::{Findings, Watchlist, WatchlistError};
use lockstep_graph::{Cluster, ClusterError, ClusterParams, Edge, SignificanceError};
use lockstep_ingest::{IngestError, IngestParams, Ingested};
use lockstep_sweep::{SpillError, SweepParams, SweepReport, Swept};
use lockstep_trace::LayerKind;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A detection run failed. [`Error::kind`] says whether the input, the parameters, the file
/// system or lockstep itself is to blame.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Watchlist(#[from] WatchlistError),
    #[error(transparent)]
    Sweep(#[from] SpillError),
    #[error(transparent)]
    Significance(#[from] SignificanceError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error("--memory-mib {budget} cannot be met: {used} MiB were in use after {stage}; rerun with --memory-mib {needed} or more (or on a machine with more memory)")]
    MemoryBudget {
        budget: u64,
        used: u64,
        needed: u64,
        stage: &'static str,
    },
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Ingest(e) => e.kind(),
            Error::Watchlist(e) => e.kind(),
            Error::Sweep(_) | Error::Significance(_) => ErrorKind::Resources,
            Error::Cluster(_) => ErrorKind::Internal,
            Error::Case(e) => e.kind(),
            Error::MemoryBudget { .. } => ErrorKind::Config,
        }
    }
}

/// Every stage's output up to the clusters: for tests, the benchmark and drivers that write
/// their own outputs.
pub struct Analysis {
    pub ingested: Ingested,
    pub windows: lockstep_case::Windows,
    pub sweep: SweepReport,
    pub significance: lockstep_graph::SignificanceReport,
    pub min_participation_dropped: u64,
    pub edges: Vec<Edge>,
    pub clusters: Vec<Cluster>,
    pub watchlist: Option<Watchlist>,
    pub stages: Vec<Stage>,
}

impl Analysis {
    /// The names of the accounts on kept edges.
    pub fn account_name(&self, id: u32) -> &str {
        self.ingested.table.account_name(id)
    }
}

/// Reads every input and runs the stages up to the clusters. Quarantined records go to
/// `quarantined`.
pub fn analyse(
    inputs: &[PathBuf],
    params: &Params,
    reporter: &dyn Reporter,
    quarantined: &mut dyn FnMut(&lockstep_core::Quarantined),
) -> Result<Analysis, Error> {
    let mut a = analyse_edges(inputs, params, reporter, quarantined)?;
    let (clusters, stage) = cluster(&a.edges, params, reporter)?;
    a.clusters = clusters;
    a.stages.push(stage);
    Ok(a)
}

/// [`analyse`] up to the kept edges: no clusters yet.
fn analyse_edges(
    inputs: &[PathBuf],
    params: &Params,
    reporter: &dyn Reporter,
    quarantined: &mut dyn FnMut(&lockstep_core::Quarantined),
) -> Result<Analysis, Error> {
    let watchlist = params
        .watchlist
        .as_deref()
        .map(Watchlist::load)
        .transpose()?;
    // With a budget, resident memory is watched for the whole analysis: reading stops part
    // way once it is spent, and each stage after it must end within it.
    let governor = params
        .memory_mib
        .map(lockstep_core::memory::Governor::start);
    let ip = IngestParams {
        memory: governor.as_ref(),
        layers: &params.layers,
        limits: params.read.limits(),
        annotate: watchlist
            .as_ref()
            .map(|w| w as &dyn lockstep_ingest::Annotate),
    };
    let (mut ingested, read) = lockstep_ingest::ingest(inputs, &ip, reporter, quarantined)?;
    within_budget(governor.as_ref(), "reading")?;
    let mut stages = vec![read];

    if params.layers.contains(&LayerKind::Text) {
        let t = Instant::now();
        reporter.started(StageName::Text, "near-duplicate text");
        let families = lockstep_text::families(
            &ingested.table.texts(),
            params.text_similarity,
            params.text_min_tokens,
        );
        ingested.add_text_families(&families, params.text_script_words);
        stages.push(finish(reporter, StageName::Text, t, ingested.table.len()));
        within_budget(governor.as_ref(), "the near-duplicate text stage")?;
    }

    let t = Instant::now();
    reporter.started(
        StageName::Sweep,
        &format!("sweeping {} hits", ingested.hits.len()),
    );
    let windows = windows(&ingested, params);
    if windows.resolution_ms >= 60_000 {
        reporter.warning(&format!(
            "timestamps are whole {} at the finest: two stamps co-act when at most {} s apart, \
             so that their true times are surely within the {} s window",
            match windows.resolution_ms {
                3_600_000 => "hours",
                _ => "minutes",
            },
            windows.window_ms / 1000,
            params.window_s
        ));
    }
    let sp = SweepParams {
        windows_ms: [windows.window_ms, windows.text_window_ms],
        classes: ingested.traces.window_classes(),
        max_crowd: params.max_crowd,
        min_co_actions: params.min_co_actions,
        store_memory: Some(store_budget(
            params.memory_mib.unwrap_or(params::DEFAULT_STORE_MIB),
        )),
        fast_window_ms: (params.fast_window_s * 1000.0).round() as i64,
    };
    let n_accounts = ingested.table.n_accounts();
    let swept: Swept = lockstep_sweep::sweep(&mut ingested.hits, n_accounts, sp)?;
    stages.push(finish(reporter, StageName::Sweep, t, ingested.hits.len()));
    let sweep = swept.report.clone();
    within_budget(governor.as_ref(), "the sweep")?;

    let t = Instant::now();
    reporter.started(StageName::Significance, "testing significance");
    let traces = &ingested.traces;
    let tested = lockstep_graph::significant_edges(
        swept,
        ingested.table.posts(),
        |tr| traces.layer(tr).bit(),
        params.fdr.0,
    )?;
    let mut edges = tested.edges;
    let min_participation_dropped =
        apply_min_participation(&mut edges, n_accounts, params.min_participation);
    stages.push(finish(
        reporter,
        StageName::Significance,
        t,
        tested.report.tested as usize,
    ));
    within_budget(governor.as_ref(), "the significance stage")?;

    Ok(Analysis {
        ingested,
        windows,
        sweep,
        significance: tested.report,
        min_participation_dropped,
        edges,
        clusters: Vec::new(),
        watchlist,
        stages,
    })
}

/// A stage during which memory passed the budget (at any sample: the flag stays raised) fails
/// the run; the budget named is the peak with room for the sweep (a lower bound: later
/// stages need more).
fn within_budget(
    governor: Option<&lockstep_core::memory::Governor>,
    stage: &'static str,
) -> Result<(), Error> {
    match governor {
        Some(g) if g.check() => {
            let used = g.peak_mib().ceil() as u64;
            Err(Error::MemoryBudget {
                budget: g.budget_mib(),
                used,
                needed: (used + MIN_STORE_MIB).next_multiple_of(64),
                stage,
            })
        }
        _ => Ok(()),
    }
}

/// The windows as applied to the inputs' stamps (see [`lockstep_case::Windows`]): clocks of a
/// minute or coarser shrink the window by their resolution, finer ones are taken as exact.
fn windows(ingested: &Ingested, params: &Params) -> lockstep_case::Windows {
    let resolution_ms = ingested
        .inputs
        .iter()
        .filter_map(|f| f.time_resolution_ms)
        .max()
        .unwrap_or(1);
    let applied = |seconds: f64| {
        let ms = (seconds * 1000.0).round() as i64;
        if resolution_ms >= 60_000 {
            (ms - resolution_ms as i64).max(0)
        } else {
            ms
        }
    };
    lockstep_case::Windows {
        resolution_ms,
        window_ms: applied(params.window_s),
        text_window_ms: applied(params.text_window_s.max(params.window_s)),
    }
}

fn finish(reporter: &dyn Reporter, name: StageName, t: Instant, items: usize) -> Stage {
    let stage = Stage::new(name, t, items as u64);
    reporter.finished(&stage);
    stage
}

/// Leiden on the kept edges, timed as the `cluster` stage.
fn cluster(
    edges: &[Edge],
    params: &Params,
    reporter: &dyn Reporter,
) -> Result<(Vec<Cluster>, Stage), Error> {
    let t = Instant::now();
    reporter.started(
        StageName::Cluster,
        &format!("clustering {} edges", edges.len()),
    );
    let cp = ClusterParams {
        min_size: params.min_cluster_size,
        min_mean_degree: params.min_mean_degree,
        resolution: params.resolution,
        seed: params.seed,
        // Clusters form from the significant core at the default rate or the stricter one
        // asked for: a looser --fdr only adds edges to the network files.
        max_q: params.fdr.0.map_or(CLUSTER_FDR, |f| f.min(CLUSTER_FDR)),
    };
    let clusters = lockstep_graph::cluster(edges, cp)?;
    Ok((
        clusters,
        finish(reporter, StageName::Cluster, t, edges.len()),
    ))
}

/// The cohort stage: the clusters' amplifiers (none with `--amplifier-fdr off`).
pub fn amplifiers(a: &Analysis, params: &Params) -> lockstep_cohort::Cohorts {
    match params.amplifier_fdr.0 {
        Some(fdr) => lockstep_cohort::amplifiers(
            &a.ingested,
            &a.clusters,
            &lockstep_cohort::CohortParams {
                fdr,
                min_cohort: params.min_cluster_size as u32,
                ..Default::default()
            },
        ),
        None => lockstep_cohort::Cohorts::default(),
    }
}

/// The false-discovery rate of the edges clusters are made of, however loose `--fdr` is.
pub const CLUSTER_FDR: f64 = 0.01;

/// Bytes the pair store may hold in memory: what the memory budget leaves above the process's
/// peak so far (what it held now can be less: memory freed after the text stage is not
/// necessarily returned), and never less than [`MIN_STORE_MIB`]. Where the OS does not
/// report the peak, only the minimum.
fn store_budget(memory_mib: u64) -> usize {
    let mib = match peak_rss_mib() {
        Some(held) => memory_mib.saturating_sub(held as u64),
        None => 0,
    }
    .max(MIN_STORE_MIB);
    usize::try_from(mib << 20).unwrap_or(usize::MAX)
}

/// CooRTweet's rule: an edge stays when at least one of its accounts takes part in
/// `min` co-actions overall. Returns how many edges were dropped.
fn apply_min_participation(edges: &mut Vec<Edge>, n_accounts: usize, min: u32) -> u64 {
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

/// Runs detection on `inputs` and writes the case folder `out`.
pub fn detect(
    inputs: &[PathBuf],
    case: &Path,
    params: &Params,
    reporter: &dyn Reporter,
) -> Result<CaseSummary, Error> {
    // An input in the case would be replaced by it; a case in an input folder is fine: the
    // reader passes over an earlier case's own files.
    lockstep_output::refuse_overlap(inputs, case, &[lockstep_output::Overlap::InputInCase])
        .map_err(CaseError::from)?;
    // Everything is written into a staging folder and put in place whole at the end: the
    // case folder is always the previous complete case or the new one.
    let staging = lockstep_case::Staging::begin(case).map_err(CaseError::from)?;
    let out = staging.dir();
    let summary = write(inputs, out, params, reporter)?;
    staging.commit().map_err(CaseError::from)?;
    Ok(summary)
}

/// A window a person would type, at least `s` seconds: 1, 2 or 5 times a power of ten.
fn round_window(s: f64) -> f64 {
    let p = 10f64.powf(s.max(1.0).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&w| w >= s)
        .unwrap_or(10.0 * p)
}

/// Why nothing was found, and the data's pace next to the window.
fn notes(a: &Analysis, timing: &lockstep_explain::Timing, params: &Params) -> Vec<String> {
    let mut notes = Vec::new();
    for f in &a.ingested.inputs {
        if !f.skipped.is_empty() {
            let what: Vec<String> = f.skipped.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            notes.push(format!(
                "{}: passed over records that are not actions ({}; counted in the manifest)",
                f.path,
                what.join(", ")
            ));
        }
    }
    let window_s = a.windows.window_ms as f64 / 1000.0;
    if timing.gaps > 0 {
        let mut pace = format!(
            "pace: consecutive actions of different accounts on a shared trace are a median {:.0} s apart (90% within {:.0} s); the window is {window_s:.0} s",
            timing.median_gap_s, timing.p90_gap_s
        );
        // A suggestion only when nothing was found: slow organic data around a fast campaign
        // is the usual case, and then the window is right.
        if a.clusters.is_empty() && timing.median_gap_s > 2.0 * window_s.max(1.0) {
            pace.push_str(&format!(
                "; for data this slow try --window {:.0}",
                round_window(timing.median_gap_s)
            ));
        }
        notes.push(pace);
    }
    if a.clusters.is_empty() {
        notes.push(if a.edges.is_empty() {
            format!(
                "no cluster: of {} account pairs that co-acted, none did so significantly more than chance ({} had fewer than {} co-actions)",
                a.significance.tested, a.significance.below_min_co_actions, params.min_co_actions
            )
        } else {
            format!(
                "no cluster: {} significant pairs, none in a group of {} or more where members have {} significant partners each on average",
                a.edges.len(),
                params.min_cluster_size,
                params.min_mean_degree
            )
        });
    }
    notes
}

/// The run, into the (staging) folder `out`.
fn write(
    inputs: &[PathBuf],
    out: &Path,
    params: &Params,
    reporter: &dyn Reporter,
) -> Result<CaseSummary, Error> {
    let mut quarantine = QuarantineFile::create(out)?;
    if params.aggregates_only {
        quarantine = quarantine.withholding_raw();
    }
    let mut a = analyse_edges(inputs, params, reporter, &mut |q| quarantine.record(q))?;
    if !params.spreadsheet_safe {
        let risky = a
            .ingested
            .table
            .account_names()
            .iter()
            .filter(|n| lockstep_output::spreadsheet_safe(n).len() != n.len())
            .count();
        if risky > 0 {
            reporter.warning(&format!(
                "{risky} account names begin with =, +, -, @, tab or CR: the CSVs hold them \
                 exactly; rerun with --spreadsheet-safe before opening them in a spreadsheet"
            ));
        }
    }
    let quarantine_sha256 = quarantine.commit()?;
    std::thread::scope(|s| {
        // edges.csv needs only the kept edges: it is written on the core that clustering and
        // explaining (one thread each) leave idle, and put in place with the other files.
        let (table, edges) = (&a.ingested.table, &a.edges);
        let safe = params.spreadsheet_safe;
        let writer = (!params.aggregates_only)
            .then(|| s.spawn(move || lockstep_case::write_edges_csv(table, edges, out, safe)));
        let (clusters, stage) = cluster(&a.edges, params, reporter)?;
        a.clusters = clusters;
        a.stages.push(stage);
        let t = Instant::now();
        reporter.started(StageName::Explain, "explaining clusters");
        let cohorts = amplifiers(&a, params);
        let mut findings: Findings = lockstep_explain::explain(
            &a.ingested,
            &a.edges,
            &a.clusters,
            a.watchlist.as_ref(),
            params.fast_window_s,
            &cohorts,
        );
        if params.aggregates_only {
            findings.aggregates_only();
        }
        a.stages
            .push(finish(reporter, StageName::Explain, t, a.clusters.len()));
        reporter.started(StageName::Write, "writing the case");
        let input = CaseInput {
            ingested: &a.ingested,
            sweep: &a.sweep,
            significance: &a.significance,
            min_participation_dropped: a.min_participation_dropped,
            edges: &a.edges,
            clusters: &a.clusters,
            findings: &findings,
            parameters: params,
            stages: a.stages.clone(),
            quarantine_sha256,
            windows: a.windows.clone(),
            spreadsheet_safe: params.spreadsheet_safe,
            aggregates_only: params.aggregates_only,
            tlp: params.tlp,
        };
        let edges_csv = || {
            writer
                .ok_or(CaseError::WriterPanicked("edges.csv"))?
                .join()
                .map_err(|_| CaseError::WriterPanicked("edges.csv"))?
        };
        let mut summary = lockstep_case::write_case(input, edges_csv, out)?;
        if let Some(w) = summary.stages.last() {
            reporter.finished(w);
        }
        summary.notes = notes(&a, &findings.timing, params);
        if let (Some(peak), Some(budget)) = (peak_rss_mib(), params.memory_mib) {
            if peak > budget as f64 * 1.1 {
                reporter.warning(&format!(
                    "the run peaked at {peak:.0} MiB, above --memory-mib {budget}: clustering and writing the case are not bounded by the budget"
                ));
            }
        }
        Ok(summary)
    })
}
