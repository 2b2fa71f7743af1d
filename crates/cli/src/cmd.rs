//! Subcommands. Exit codes: 0 success, 1 error (bad input, I/O), 2 usage error,
//! 3 `verify` found a changed or missing file.

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use lockstep_detect::{CaseSummary, Params};
use lockstep_trace::LayerKind;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lockstep",
    version,
    about = "Find coordinated inauthentic behaviour: accounts that act in concert."
)]
pub struct Cli {
    /// Worker threads (default: all cores). Outputs are identical for any value.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Detect coordinated accounts in files or folders and write a case folder.
    Detect(DetectArgs),
    /// Score a case folder against a simulator's truth.csv.
    Eval {
        /// truth.csv (account,campaign,role).
        #[arg(long)]
        truth: PathBuf,
        /// The case folder written by `detect`.
        #[arg(long)]
        case: PathBuf,
        /// Print nothing but errors (eval.json is still written).
        #[arg(long)]
        quiet: bool,
    },
    /// Recompute the manifest's hashes of inputs and outputs; name any file that changed.
    Verify {
        /// The case folder.
        case: PathBuf,
    },
    /// Write a simulated scenario with ground truth (data/ for detect, truth.csv for eval).
    Simulate(SimArgs),
    /// One command for a newcomer: simulate, detect, evaluate, and tell what was found.
    Demo {
        /// Accounts in the simulated scenario.
        #[arg(long, default_value_t = 50_000)]
        accounts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where the scenario and the case go.
        #[arg(long, default_value = "lockstep-demo")]
        out: PathBuf,
    },
    /// Throughput per stage, peak memory, and quality on several simulated scenarios.
    Bench(crate::bench::BenchArgs),
}

#[derive(Args)]
pub struct SimArgs {
    /// Built-in scenario name.
    #[arg(long, default_value = "romania-2024")]
    pub scenario: String,
    /// A TOML scenario file (overrides --scenario; knobs it does not name keep defaults).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Total accounts (overrides the scenario's).
    #[arg(long)]
    pub accounts: Option<usize>,
    /// Random seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Compress the data files with gzip.
    #[arg(long)]
    pub gzip: bool,
    /// Output folder.
    #[arg(long, short)]
    pub out: PathBuf,
    #[arg(long, short)]
    pub quiet: bool,
}

impl SimArgs {
    pub fn scenario(&self) -> Result<lockstep_sim::Scenario> {
        let mut sc = match &self.config {
            Some(p) => lockstep_sim::Scenario::from_toml_file(p)?,
            None => match lockstep_sim::Scenario::by_name(&self.scenario) {
                Some(s) => s,
                None => bail!(
                    "unknown scenario {:?} (known: {})",
                    self.scenario,
                    lockstep_sim::scenario_names().join(", ")
                ),
            },
        };
        if let Some(n) = self.accounts {
            sc.accounts = n;
        }
        if let Some(s) = self.seed {
            sc.seed = s;
        }
        sc.gzip |= self.gzip;
        Ok(sc)
    }
}

#[derive(Args)]
pub struct DetectArgs {
    /// Input files or folders (read recursively; plain, .gz or .zst).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output (case) folder.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Co-action window in seconds (inclusive).
    #[arg(long, default_value_t = Params::default().window_s)]
    pub window: f64,
    /// Layers, comma-separated: repost,url,reply,hashtag,mention,sound,hashtags,text,media.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "repost,url,reply,mention,sound,hashtags,text,media"
    )]
    pub layers: Vec<String>,
    /// Work bound: a hit pairs with at most this many earlier hits in its window (the nearest).
    #[arg(long, default_value_t = Params::default().max_crowd)]
    pub max_crowd: u32,
    /// False-discovery rate for keeping edges (Benjamini–Hochberg); `off` keeps all edges.
    #[arg(long, default_value = "0.01")]
    pub fdr: String,
    /// Minimum co-actions for an edge.
    #[arg(long, default_value_t = Params::default().min_co_actions)]
    pub min_co_actions: u32,
    /// CooRTweet-style minimum participation of an edge's busier account (0 = off).
    #[arg(long, default_value_t = Params::default().min_participation)]
    pub min_participation: u32,
    /// Smallest cluster reported.
    #[arg(long, default_value_t = Params::default().min_cluster_size)]
    pub min_cluster_size: usize,
    /// A cluster needs this mean number of significant partners per member inside it; clusters
    /// this small or smaller must be complete.
    #[arg(long, default_value_t = Params::default().min_mean_degree)]
    pub min_mean_degree: f64,
    /// Leiden modularity resolution.
    #[arg(long, default_value_t = Params::default().resolution)]
    pub resolution: f64,
    /// Leiden seed.
    #[arg(long, default_value_t = Params::default().seed)]
    pub seed: u64,
    /// Near-duplicate text: Jaccard similarity of word-bigram sets.
    #[arg(long, default_value_t = Params::default().text_similarity)]
    pub text_similarity: f64,
    /// Near-duplicate scripts: their own co-action window in seconds (scripts are posted across
    /// a day); applies to text families of at least --text-script-words words.
    #[arg(long, default_value_t = Params::default().text_window_s)]
    pub text_window: f64,
    /// Near-duplicate text: families of at least this many words count as scripts.
    #[arg(long, default_value_t = Params::default().text_script_words)]
    pub text_script_words: usize,
    /// Near-duplicate text: texts with fewer words never match.
    #[arg(long, default_value_t = Params::default().text_min_tokens)]
    pub text_min_tokens: usize,
    /// TOML watchlist of entities (name, handles, hashtags, keywords): clusters report which
    /// they promote or attack.
    #[arg(long)]
    pub watchlist: Option<PathBuf>,
    /// Soft memory budget in MiB: the sweep's pair records stay in memory while the process is
    /// below it and spill to temporary files in TMPDIR beyond it (at least 256 MiB stay in
    /// memory). Changes speed and memory use, never results.
    #[arg(long, default_value_t = Params::default().memory_mib)]
    pub memory_mib: u64,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

impl DetectArgs {
    pub fn params(&self) -> Result<Params> {
        let mut layers = Vec::new();
        for l in &self.layers {
            match LayerKind::parse(l) {
                Some(k) if !layers.contains(&k) => layers.push(k),
                Some(_) => {}
                None => bail!("unknown layer {l:?} (known: repost, url, reply, hashtag, mention, sound, hashtags, text, media)"),
            }
        }
        let fdr = match self.fdr.as_str() {
            "off" | "none" => None,
            s => match s.parse::<f64>() {
                Ok(v) if v > 0.0 && v <= 1.0 => Some(v),
                _ => bail!("--fdr must be in (0, 1] or `off`, got {s:?}"),
            },
        };
        if !(self.window >= 0.0 && self.window.is_finite()) {
            bail!("--window must be a non-negative number of seconds");
        }
        if !(0.0..=1.0).contains(&self.text_similarity) {
            bail!("--text-similarity must be in [0, 1]");
        }
        Ok(Params {
            window_s: self.window,
            layers,
            max_crowd: self.max_crowd.max(2),
            fdr,
            min_co_actions: self.min_co_actions,
            min_participation: self.min_participation,
            min_cluster_size: self.min_cluster_size,
            min_mean_degree: self.min_mean_degree,
            resolution: self.resolution,
            seed: self.seed,
            text_similarity: self.text_similarity,
            text_min_tokens: self.text_min_tokens,
            text_window_s: self.text_window,
            text_script_words: self.text_script_words,
            memory_mib: self.memory_mib,
            watchlist: self.watchlist.clone(),
        })
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Simulate(args) => {
            let sc = args.scenario()?;
            let t = std::time::Instant::now();
            let s = lockstep_sim::simulate(&sc, &args.out)?;
            if !args.quiet {
                println!(
                    "simulated {} accounts ({} videos, {} comments) in {:.1} s into {}",
                    s.accounts,
                    s.videos,
                    s.comments,
                    t.elapsed().as_secs_f64(),
                    args.out.display()
                );
                for (c, n) in &s.campaigns {
                    println!("  campaign {c:<14} {n} accounts");
                }
                println!(
                    "detect with: lockstep detect {} --out CASE",
                    args.out.join("data").display()
                );
                println!(
                    "score with:  lockstep eval --truth {} --case CASE",
                    args.out.join("truth.csv").display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            accounts,
            seed,
            out,
        } => crate::demo::run(accounts, seed, &out).map(|_| ExitCode::SUCCESS),
        Command::Bench(args) => crate::bench::run(&args).map(|_| ExitCode::SUCCESS),
        Command::Detect(args) => {
            let params = match args.params() {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return Ok(ExitCode::from(2));
                }
            };
            let s = lockstep_detect::detect(&args.inputs, &args.out, &params, args.quiet)?;
            if !args.quiet {
                print_summary(&s, &args.out);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { truth, case, quiet } => {
            let ev = lockstep_eval::evaluate(&truth, &case)?;
            ev.write_json(&case.join("eval.json"))?;
            if !quiet {
                print!("{}", ev.render_text());
                println!("wrote {}", case.join("eval.json").display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { case } => {
            let (bad, checked) = lockstep_output::verify(&case)?;
            if bad.is_empty() {
                println!("verified: all {checked} files match the manifest");
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &bad {
                    match &m.actual {
                        Some(h) => {
                            println!("CHANGED {} (manifest {}, now {})", m.path, m.expected, h)
                        }
                        None => println!("MISSING {} (manifest {})", m.path, m.expected),
                    }
                }
                println!("{} of {checked} files do not match the manifest", bad.len());
                Ok(ExitCode::from(3))
            }
        }
    }
}

pub fn print_summary(s: &CaseSummary, out: &std::path::Path) {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["", "count"]);
    for (k, v) in [
        ("files", s.files as u64),
        ("records read", s.read),
        ("  accepted", s.accepted),
        ("  quarantined", s.quarantined),
        ("accounts", s.accounts as u64),
        ("trace hits", s.hits),
        ("  in crowded windows (bounded)", s.crowded_hits),
        ("account pairs tested", s.pairs_tested),
        ("edges kept (significant)", s.edges_kept),
        ("clusters", s.clusters as u64),
        ("flagged accounts", s.flagged_accounts as u64),
    ] {
        t.add_row([k.to_string(), v.to_string()]);
    }
    println!("{t}");
    let mut st = Table::new();
    st.load_preset(UTF8_FULL_CONDENSED);
    st.set_header(["stage", "seconds", "items/s"]);
    for x in &s.stages {
        st.add_row([
            x.name.clone(),
            format!("{:.2}", x.seconds),
            format!("{:.0}", x.per_second()),
        ]);
    }
    println!("{st}");
    if !s.top_clusters.is_empty() {
        let mut ct = Table::new();
        ct.load_preset(UTF8_FULL_CONDENSED);
        ct.set_header(["cluster", "size", "score", "top shared trace"]);
        for (id, size, score, trace) in &s.top_clusters {
            ct.add_row([
                id.to_string(),
                size.to_string(),
                score.clone(),
                trace.clone(),
            ]);
        }
        println!("{ct}");
    }
    println!("case written to {}", out.display());
}
