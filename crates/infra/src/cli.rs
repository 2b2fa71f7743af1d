//! The `lockstep infra` command line, ready to wire: `Infra(lockstep_infra::cli::InfraArgs)`
//! in the binary's subcommands and `lockstep_infra::cli::run(args)` to run it.
//!
//! `lockstep infra INPUT... --out CASE` analyses logs; `lockstep infra simulate`,
//! `lockstep infra eval`, `lockstep infra bench` and `lockstep infra eval-rules` are the
//! simulator, the evaluator, the benchmark and the rule-set evaluation.

use crate::case::Outcome;
use crate::params::{ActorLevel, Params};
use crate::InfraError;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InfraArgs {
    #[command(subcommand)]
    pub command: Option<InfraCommand>,
    #[command(flatten)]
    pub analyse: AnalyseArgs,
}

#[derive(Subcommand, Debug)]
pub enum InfraCommand {
    /// Write simulated election-site logs with ground truth.
    Simulate(crate::sim::SimArgs),
    /// Score a case against a simulator's truth.csv.
    Eval(crate::eval::EvalArgs),
    /// Throughput per stage, peak memory and quality on simulated logs.
    Bench(crate::bench::BenchArgs),
    /// Follow logs as they grow; alert when a coordinated campaign appears or grows.
    Watch(Box<crate::live::WatchArgs>),
    /// Per-class recall and benign false-positive rate of the classifier on TSV corpora.
    EvalRules {
        /// Corpus files (see crates/infra/eval/build_corpus.py).
        #[arg(required = true)]
        corpora: Vec<PathBuf>,
        /// Only CRS tests of rules at this paranoia level or below.
        #[arg(long)]
        paranoia: Option<u8>,
        /// Also list up to N missed attacks per corpus and class, and N false positives per
        /// corpus.
        #[arg(long, value_name = "N", default_value_t = 0)]
        examples: usize,
    },
}

fn d() -> Params {
    Params::default()
}

#[derive(Args, Debug, Default)]
pub struct AnalyseArgs {
    /// Log files or folders (plain, .gz or .zst; `-` reads standard input).
    pub inputs: Vec<PathBuf>,
    /// Output (case) folder.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Co-action window in seconds.
    #[arg(long, default_value_t = d().window_s)]
    pub window: f64,
    /// Work bound: a hit pairs with at most this many earlier hits in its window.
    #[arg(long, default_value_t = d().max_crowd)]
    pub max_crowd: u32,
    /// Benjamini–Hochberg false-discovery rate for keeping edges.
    #[arg(long, default_value_t = d().fdr)]
    pub fdr: f64,
    /// Clusters are formed from edges with q at most this (the strong core).
    #[arg(long, default_value_t = d().core_q)]
    pub core_q: f64,
    /// Attempts within an hour that make a source loud: reported alone, not in the co-action test.
    #[arg(long, default_value_t = d().loud_per_hour)]
    pub loud_per_hour: u32,
    /// Minimum co-actions for an edge (at least 2).
    #[arg(long, default_value_t = d().min_co_actions)]
    pub min_co_actions: u32,
    /// Smallest cluster reported.
    #[arg(long, default_value_t = d().min_cluster_size)]
    pub min_cluster_size: usize,
    /// Mean significant partners per member a cluster needs.
    #[arg(long, default_value_t = d().min_mean_degree)]
    pub min_mean_degree: f64,
    /// Leiden modularity resolution.
    #[arg(long, default_value_t = d().resolution)]
    pub resolution: f64,
    /// Leiden seed.
    #[arg(long, default_value_t = d().seed)]
    pub seed: u64,
    /// Actors: `address`, `prefix` (IPv4 /24, IPv6 /48) or `asn` (with --mmdb).
    #[arg(long, default_value = "address")]
    pub actor: String,
    /// Login attempts within an hour that make one source a brute forcer.
    #[arg(long, default_value_t = d().brute_force_per_hour)]
    pub brute_force_per_hour: u32,
    /// Distinct user names one source fails with that make it a sprayer.
    #[arg(long, default_value_t = d().spray_users)]
    pub spray_users: u32,
    /// Distinct sources failing on one user name within an hour: a distributed attack.
    #[arg(long, default_value_t = d().distributed_sources)]
    pub distributed_sources: u32,
    /// Requests per minute from one source to one target that are a flood.
    #[arg(long, default_value_t = d().flood_per_minute)]
    pub flood_per_minute: u32,
    /// A target's minute is a burst at this many times its median minute...
    #[arg(long, default_value_t = d().flood_burst_factor)]
    pub flood_burst_factor: f64,
    /// ...and at least this many requests.
    #[arg(long, default_value_t = d().flood_burst_min)]
    pub flood_burst_min: u32,
    /// Requests per minute to a bursting target that make a source part of the flood.
    #[arg(long, default_value_t = d().flood_burst_per_source)]
    pub flood_burst_per_source: u32,
    /// Distinct 404 targets within ten minutes that make a source a forced browser.
    #[arg(long, default_value_t = d().forced_browsing_404s)]
    pub forced_browsing_404s: u32,
    /// Attempts that put a lone source on the blocklist (clustered sources always are).
    #[arg(long, default_value_t = d().block_min_attempts)]
    pub block_min_attempts: u32,
    /// Hours a blocklist / CrowdSec decision lasts.
    #[arg(long, default_value_t = d().block_hours)]
    pub block_hours: u32,
    /// Trusted proxy (CIDR, repeatable): its X-Forwarded-For names the client.
    #[arg(long = "trusted-proxy")]
    pub trusted_proxies: Vec<String>,
    /// Year of BSD syslog lines (default: the year of the latest dated record).
    #[arg(long)]
    pub syslog_year: Option<i32>,
    /// MaxMind-format database (country, city or ASN; repeatable).
    #[arg(long)]
    pub mmdb: Vec<PathBuf>,
    /// Soft memory budget in MiB for the sweep's pair store.
    #[arg(long, default_value_t = d().memory_mib)]
    pub memory_mib: u64,
    /// Longest log line parsed, in bytes; longer lines are quarantined unread.
    #[arg(long, value_name = "BYTES", default_value_t = d().max_line_bytes, value_parser = at_least_one)]
    pub max_line_bytes: usize,
    /// A gzip/zstd input that expands more than this many times (past 64 MiB) is refused as
    /// a decompression bomb; `0` turns the check off.
    #[arg(long, value_name = "RATIO", default_value_t = d().max_expansion)]
    pub max_expansion: u64,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

impl AnalyseArgs {
    pub fn params(&self) -> Result<Params, InfraError> {
        let bad = |m: &str| Err(InfraError::Usage(m.to_string()));
        if !(self.window.is_finite() && self.window >= 0.0) {
            return bad("--window must be a non-negative number of seconds");
        }
        if !(self.fdr > 0.0 && self.fdr <= 1.0) {
            return bad("--fdr must be in (0, 1]");
        }
        if !(self.core_q > 0.0 && self.core_q <= 1.0) {
            return bad("--core-q must be in (0, 1]");
        }
        if self.min_co_actions < 2 {
            return bad("--min-co-actions must be at least 2");
        }
        if !(self.flood_burst_factor.is_finite() && self.flood_burst_factor > 0.0) {
            return bad("--flood-burst-factor must be positive");
        }
        let actor = match self.actor.as_str() {
            "address" => ActorLevel::Address,
            "prefix" => ActorLevel::Prefix,
            "asn" if self.mmdb.is_empty() => {
                return bad("--actor asn needs an ASN database (--mmdb)")
            }
            "asn" => ActorLevel::Asn,
            other => {
                return Err(InfraError::Usage(format!(
                    "--actor must be `address`, `prefix` or `asn`, got {other:?}"
                )))
            }
        };
        Ok(Params {
            window_s: self.window,
            max_crowd: self.max_crowd,
            fdr: self.fdr,
            core_q: self.core_q,
            loud_per_hour: self.loud_per_hour,
            min_co_actions: self.min_co_actions,
            min_cluster_size: self.min_cluster_size,
            min_mean_degree: self.min_mean_degree,
            resolution: self.resolution,
            seed: self.seed,
            actor,
            brute_force_per_hour: self.brute_force_per_hour,
            spray_users: self.spray_users,
            distributed_sources: self.distributed_sources,
            flood_per_minute: self.flood_per_minute,
            flood_burst_factor: self.flood_burst_factor,
            flood_burst_min: self.flood_burst_min,
            flood_burst_per_source: self.flood_burst_per_source,
            forced_browsing_404s: self.forced_browsing_404s,
            block_min_attempts: self.block_min_attempts,
            block_hours: self.block_hours,
            trusted_proxies: self.trusted_proxies.clone(),
            syslog_year: self.syslog_year,
            mmdb: self.mmdb.clone(),
            memory_mib: self.memory_mib,
            max_line_bytes: self.max_line_bytes,
            max_expansion: self.max_expansion,
        })
    }
}

/// What `run` did, for the binary to print and to choose its exit code.
#[derive(Debug)]
pub enum RunOutcome {
    Case(Box<Outcome>, PathBuf),
    Text(String),
}

/// Runs `lockstep infra`. Errors of kind [`InfraError::Usage`] are usage errors (exit 2).
pub fn run(args: InfraArgs) -> Result<RunOutcome, InfraError> {
    match args.command {
        Some(InfraCommand::Simulate(s)) => crate::sim::run(&s).map(RunOutcome::Text),
        Some(InfraCommand::Eval(e)) => crate::eval::run(&e).map(RunOutcome::Text),
        Some(InfraCommand::Bench(b)) => crate::bench::run(&b).map(RunOutcome::Text),
        Some(InfraCommand::Watch(w)) => crate::live::run(&w).map(RunOutcome::Text),
        Some(InfraCommand::EvalRules {
            corpora,
            paranoia,
            examples,
        }) => {
            let refs: Vec<&std::path::Path> = corpora.iter().map(|p| p.as_path()).collect();
            let rep = crate::rules_eval::eval_rules(&refs, paranoia, examples)
                .map_err(|e| InfraError::Input(format!("corpus: {e}")))?;
            Ok(RunOutcome::Text(rep.render()))
        }
        None => {
            let a = args.analyse;
            let Some(out) = a.out.clone() else {
                return Err(InfraError::Usage("--out CASE is required".into()));
            };
            if a.inputs.is_empty() {
                return Err(InfraError::Usage(
                    "give at least one log file or folder (or - for standard input)".into(),
                ));
            }
            let p = a.params()?;
            let outcome = crate::infra(&a.inputs, &out, &p)?;
            if !a.quiet {
                print!("{}", render_outcome(&outcome, &out));
            }
            Ok(RunOutcome::Case(Box::new(outcome), out))
        }
    }
}

/// The end-of-run summary.
pub fn render_outcome(o: &Outcome, out: &std::path::Path) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "files {}  lines read {} (accepted {}, quarantined {})",
        o.files, o.read, o.accepted, o.quarantined
    );
    let _ = writeln!(
        s,
        "requests {}  sources {}  attempts {} from {} sources{}",
        o.requests,
        o.sources,
        o.attempts,
        o.attack_sources,
        if o.countries > 0 {
            format!(" in {} countries", o.countries)
        } else {
            String::new()
        }
    );
    let _ = writeln!(s, "coordination: {} hits, {} pairs tested, {} edges kept, {} clusters ({} sources); {} on the blocklist",
        o.hits, o.pairs_tested, o.edges_kept, o.clusters, o.coordinated_sources, o.blocklisted);
    for (id, size, attempts, classes) in &o.top_clusters {
        let _ = writeln!(
            s,
            "  cluster {id}: {size} sources, {attempts} attempts ({classes})"
        );
    }
    for st in &o.stages {
        let _ = writeln!(
            s,
            "  stage {:<14} {:>8.2} s {:>12.0}/s{}",
            st.name,
            st.seconds,
            st.items as f64 / st.seconds.max(1e-9),
            st.peak_mib
                .map(|m| format!("  peak {m:.0} MiB"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(s, "case written to {}", out.display());
    s
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!("must be a whole number ≥ 1, got {s:?}")),
    }
}
