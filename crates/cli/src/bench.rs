//! `lockstep bench`: throughput per stage and peak memory on a large simulated data set, and
//! detection quality (defaults, no tuning) on several scenarios with ground truth.

use anyhow::{Context, Result};
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use lockstep_detect::Params;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// Approximate events for the throughput run (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Skip the quality suite.
    #[arg(long)]
    pub no_quality: bool,
    /// Scratch folder (default: a temporary folder, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Reuse the throughput data a previous run left in `--dir` (same `--events`) instead of
    /// generating it again.
    #[arg(long, requires = "dir")]
    pub reuse: bool,
}

use lockstep_core::progress::peak_rss_mib;

/// Resets the peak-memory mark so a stage is measured alone (Linux ≥ 4.0; ignored elsewhere).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The scenarios the quality bar is stated on: the default, other seeds and sizes, stronger
/// hard negatives, the harder `romania-2024-hard` (personalised orders, long-tailed delays,
/// more genuine supporters) and briefed influencers at another seed and the real case's
/// ~130 creators.
fn quality_suite() -> Vec<(String, lockstep_sim::Scenario)> {
    let base = lockstep_sim::Scenario::romania_2024();
    let mut v = vec![("default (50k, seed 1)".to_string(), base.clone())];
    for (seed, accounts) in [(2u64, 20_000usize), (3, 80_000), (4, 35_000), (5, 50_000)] {
        v.push((
            format!("{}k, seed {seed}", accounts / 1000),
            lockstep_sim::Scenario {
                seed,
                accounts,
                ..base.clone()
            },
        ));
    }
    let mut hard = lockstep_sim::Scenario {
        seed: 6,
        accounts: 50_000,
        ..base.clone()
    };
    hard.trend.intensity *= 2.0;
    hard.viral_sound.intensity *= 2.0;
    hard.challenge.intensity *= 2.0;
    hard.volunteer.intensity *= 2.0;
    v.push(("50k, seed 6, 2× hard negatives".into(), hard));
    v.push((
        "romania-2024-hard (50k, seed 7)".into(),
        lockstep_sim::Scenario {
            seed: 7,
            ..lockstep_sim::Scenario::romania_2024_hard()
        },
    ));
    let mut briefed = lockstep_sim::Scenario { seed: 8, ..base };
    briefed.influencer.size = lockstep_sim::Size::Count(130);
    v.push(("50k, seed 8, 130 briefed influencers".into(), briefed));
    v
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let tmp;
    let dir: &Path = match &args.dir {
        Some(d) => d,
        None => {
            tmp = tempfile::tempdir().context("creating a scratch folder")?;
            tmp.path()
        }
    };
    if args.events > 0 {
        throughput(args.events, dir, args.reuse)?;
    }
    if !args.no_quality {
        quality(dir)?;
    }
    Ok(())
}

fn throughput(events: u64, dir: &Path, reuse: bool) -> Result<()> {
    // The default scenario writes about 22 events per account; size it to the target.
    let accounts = (events / 22).max(1000) as usize;
    let sc = lockstep_sim::Scenario {
        accounts,
        seed: 11,
        ..lockstep_sim::Scenario::romania_2024()
    };
    let sim_dir = dir.join("throughput");
    let scenario_file = sim_dir.join("scenario.toml");
    let same = lockstep_sim::Scenario::from_toml_file(&scenario_file).is_ok_and(|old| old == sc);
    if reuse && same && sim_dir.join("truth.csv").exists() {
        println!("reusing the data in {}", sim_dir.display());
    } else {
        println!("generating ~{events} events ({accounts} accounts) …");
        let t = Instant::now();
        let s = lockstep_sim::simulate(&sc, &sim_dir)?;
        let gen_s = t.elapsed().as_secs_f64();
        let n = s.videos + s.comments;
        println!(
            "generated {n} events in {gen_s:.1} s ({:.0} events/s)",
            n as f64 / gen_s
        );
    }
    reset_peak_rss();
    let t = Instant::now();
    let summary = lockstep_detect::detect(
        &[sim_dir.join("data")],
        &dir.join("throughput-case"),
        &Params::default(),
        &lockstep_detect::Silent,
    )?;
    let total = t.elapsed().as_secs_f64();
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "stage", "seconds", "items", "items/s", "events/s", "peak MiB",
    ]);
    for st in &summary.stages {
        table.add_row([
            st.name.to_string(),
            format!("{:.2}", st.seconds),
            st.items.to_string(),
            format!("{:.0}", st.per_second()),
            format!("{:.0}", summary.counts.read as f64 / st.seconds.max(1e-9)),
            st.peak_mib.map_or("-".into(), |m| format!("{m:.0}")),
        ]);
    }
    table.add_row([
        "end to end".into(),
        format!("{total:.2}"),
        summary.counts.read.to_string(),
        format!("{:.0}", summary.counts.read as f64 / total),
        format!("{:.0}", summary.counts.read as f64 / total),
        peak_rss_mib().map_or("-".into(), |m| format!("{m:.0}")),
    ]);
    println!("{table}");
    println!(
        "detect: {} events, {} hits ({} crowded), {} candidate co-actions, {} pair-trace records, {} pairs tested, {} edges kept, {} clusters; peak memory {:.0} MiB",
        summary.counts.read,
        summary.counts.hits,
        summary.counts.crowded_hits,
        summary.counts.co_action_records,
        summary.counts.pair_traces,
        summary.counts.pairs_tested,
        summary.counts.edges_kept,
        summary.counts.clusters,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    let ev = lockstep_eval::evaluate(&sim_dir.join("truth.csv"), &dir.join("throughput-case"))?;
    println!(
        "quality on this data: precision {:.3}, core recall {:.3}",
        ev.overall.precision, ev.core.recall
    );
    Ok(())
}

fn quality(dir: &Path) -> Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let campaigns = ["network", "comment_flood", "smear", "copypasta"];
    let mut header = vec![
        "scenario".to_string(),
        "precision".into(),
        "core recall".into(),
    ];
    header.extend(campaigns.iter().map(|c| format!("R {c}")));
    header.extend([
        "R influencer".to_string(),
        "supporter FP rate".into(),
        "hard-neg FP rate".into(),
        "mixed".into(),
        "ARI".into(),
        "detect s".into(),
    ]);
    table.set_header(header);
    for (i, (name, sc)) in quality_suite().into_iter().enumerate() {
        let sim_dir = dir.join(format!("quality-{i}"));
        lockstep_sim::simulate(&sc, &sim_dir)?;
        let case = dir.join(format!("quality-{i}-case"));
        let t = Instant::now();
        lockstep_detect::detect(
            &[sim_dir.join("data")],
            &case,
            &Params::default(),
            &lockstep_detect::Silent,
        )?;
        let secs = t.elapsed().as_secs_f64();
        let ev = lockstep_eval::evaluate(&sim_dir.join("truth.csv"), &case)?;
        let mut row = vec![
            name,
            format!("{:.3}", ev.overall.precision),
            format!("{:.3}", ev.core.recall),
        ];
        for c in campaigns {
            row.push(
                ev.campaigns
                    .get(c)
                    .map_or("-".into(), |c| format!("{:.3}", c.recall)),
            );
        }
        row.push(format!("{:.3}", ev.influencer.rate));
        row.push(format!(
            "{:.4} ({}/{})",
            ev.supporter.rate, ev.supporter.flagged, ev.supporter.accounts
        ));
        let (neg_fp, neg_n) = ev
            .false_positives
            .iter()
            .filter(|(role, _)| role.as_str() != "organic")
            .fold((0, 0), |(f, n), (_, x)| (f + x.fp, n + x.accounts));
        row.push(format!(
            "{:.4} ({neg_fp}/{neg_n})",
            neg_fp as f64 / neg_n.max(1) as f64
        ));
        row.push(ev.clustering.mixed_clusters.to_string());
        row.push(format!("{:.3}", ev.clustering.ari));
        row.push(format!("{secs:.1}"));
        table.add_row(row);
        // Each full case is hundreds of MB: keep its scores, not the folder.
        ev.write_json(&dir.join(format!("quality-{i}-eval.json")))?;
        let _ = std::fs::remove_dir_all(&sim_dir);
        let _ = std::fs::remove_dir_all(&case);
    }
    println!(
        "quality with default parameters (R = recall per campaign; hard-neg = every organic role but `organic`, supporters included):"
    );
    println!("{table}");
    Ok(())
}
