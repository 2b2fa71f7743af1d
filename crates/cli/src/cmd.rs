//! Subcommands. Exit codes: 0 success, 1 error (bad input, I/O), 2 usage error,
//! 3 `verify` found a changed or missing file.

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use lockstep_detect::{CaseSummary, Params};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lockstep",
    version,
    about = "Find coordinated inauthentic behaviour: accounts that act in concert."
)]
pub struct Cli {
    /// Worker threads (default: all cores; at most 256). Outputs are identical for any value.
    #[arg(long, global = true, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
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
    /// Check a case: every file hash; for a sealed case also every proof, the log, the
    /// checkpoint signatures and timestamps. Names exactly what is wrong (exit 3).
    Verify(lockstep_vault::cli::VerifyArgs),
    /// Make an Ed25519 key pair (PEM: PKCS#8 private key 0600, SPKI public key) for sealing.
    Keygen(lockstep_vault::cli::KeygenArgs),
    /// Seal a case as evidence: Merkle trees over its files and records, a signed checkpoint
    /// in the case log, evidence records with proofs, an optional RFC 3161 timestamp.
    Seal(lockstep_vault::cli::SealArgs),
    /// Print a self-contained proof bundle for one input record or evidence post.
    Prove(lockstep_vault::cli::ProveArgs),
    /// Write the evidentiary copy of a sealed case (zip) with VERIFY.md for standard tools.
    Export(lockstep_vault::cli::ExportArgs),
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
    /// Intrusion attempts on election infrastructure and the network sources acting in concert.
    Infra(lockstep_infra::cli::InfraArgs),
    /// Run the team server: web application and JSON API over shared cases and watches.
    Serve(lockstep_serve::cli::ServeArgs),
    /// The team server's users (to bootstrap without the web UI).
    #[command(subcommand)]
    User(lockstep_serve::cli::UserCommand),
    /// The team server's API tokens (for scripts).
    #[command(subcommand)]
    Token(lockstep_serve::cli::TokenCommand),
    /// Follow activity as it arrives (folder, stdin, NATS, HTTP), re-detect over a sliding
    /// horizon and raise alerts; checkpointed, resumable.
    Watch(Box<lockstep_watch::WatchArgs>),
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
    #[command(flatten)]
    pub params: Params,
    /// Print nothing but errors and warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The reporter for a command: spinners, or only warnings with `--quiet`.
pub fn reporter(quiet: bool) -> Box<dyn lockstep_detect::Reporter> {
    if quiet {
        Box::new(crate::progress::WarningsOnly)
    } else {
        Box::new(crate::progress::Bars::new())
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
        Command::Infra(args) => crate::infra::run(args),
        Command::Watch(args) => {
            let s = lockstep_watch::run(&args, &lockstep_watch::Signals::install())?;
            if !args.quiet {
                eprintln!("{s}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Detect(args) => {
            let s = lockstep_detect::detect(
                &args.inputs,
                &args.out,
                &args.params,
                reporter(args.quiet).as_ref(),
            )?;
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
        Command::Verify(a) => {
            let o = lockstep_vault::cli::run_verify(&a)?;
            println!("{o}");
            Ok(ExitCode::from(o.exit_code()))
        }
        Command::Keygen(a) => {
            println!("{}", lockstep_vault::cli::run_keygen(&a)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Seal(a) => {
            println!("{}", lockstep_vault::cli::run_seal(&a)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Prove(a) => {
            println!("{}", lockstep_vault::cli::run_prove(&a)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Export(a) => {
            println!("{}", lockstep_vault::cli::run_export(&a)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(a) => {
            lockstep_serve::cli::run_serve(&a)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(c) => {
            println!("{}", lockstep_serve::cli::run_user(&c)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(c) => {
            println!("{}", lockstep_serve::cli::run_token(&c)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn print_summary(s: &CaseSummary, out: &std::path::Path) {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["", "count"]);
    let c = &s.counts;
    for (k, v) in [
        ("files", c.files as u64),
        ("records read", c.read),
        ("  accepted", c.accepted),
        ("  quarantined", c.quarantined),
        ("accounts", c.accounts as u64),
        ("trace hits", c.hits),
        ("  in crowded windows (bounded)", c.crowded_hits),
        ("account pairs tested", c.pairs_tested),
        ("edges kept (significant)", c.edges_kept),
        ("clusters", c.clusters as u64),
        ("flagged accounts", c.flagged_accounts as u64),
        ("  amplifiers", c.amplifiers as u64),
    ] {
        t.add_row([k.to_string(), v.to_string()]);
    }
    println!("{t}");
    let mut st = Table::new();
    st.load_preset(UTF8_FULL_CONDENSED);
    st.set_header(["stage", "seconds", "items/s"]);
    for x in &s.stages {
        st.add_row([
            x.name.to_string(),
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
                lockstep_output::fixed(*score, 1),
                trace.clone(),
            ]);
        }
        println!("{ct}");
    }
    for n in &s.notes {
        println!("{n}");
    }
    println!("case written to {}", out.display());
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// The README's table of `detect` parameters lists exactly the command's flags, with the
    /// defaults `--help` prints (they come from one place, `Params`; this checks the README).
    #[test]
    fn readme_parameter_table_matches_the_flags() {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split("### `lockstep detect`")
            .nth(1)
            .expect("README has a detect section");
        let rows: Vec<(String, String)> = section
            .lines()
            .skip_while(|l| !l.starts_with("| parameter"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                (cells[1].trim_matches('`').to_string(), cells[2].to_string())
            })
            .collect();
        let cli = super::Cli::command();
        let detect = cli.find_subcommand("detect").unwrap();
        let flags: Vec<(String, String)> = detect
            .get_arguments()
            .filter(|a| {
                a.get_long()
                    .is_some_and(|l| !matches!(l, "out" | "threads" | "help"))
            })
            .map(|a| {
                let default: Vec<String> = a
                    .get_default_values()
                    .iter()
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect();
                (format!("--{}", a.get_long().unwrap()), default.join(","))
            })
            .collect();
        assert_eq!(rows, flags);
    }
}
