//! `lockstep demo`: the whole product in one command, on simulated data with ground truth.

use anyhow::Result;
use lockstep_detect::Params;
use std::path::Path;
use std::time::Instant;

pub fn run(accounts: usize, seed: u64, out: &Path) -> Result<()> {
    let t0 = Instant::now();
    let sc = lockstep_sim::Scenario {
        accounts,
        seed,
        ..lockstep_sim::Scenario::romania_2024()
    };
    let sim_dir = out.join("scenario");
    let case = out.join("case");
    println!("1/3 simulating the romania-2024 scenario: {accounts} accounts, seed {seed} …");
    let s = lockstep_sim::simulate(&sc, &sim_dir)?;
    println!(
        "    {} videos and {} comments; planted campaigns:",
        s.videos, s.comments
    );
    for (c, n) in &s.campaigns {
        println!("      {c:<14} {n} accounts");
    }
    println!("2/3 detecting with default parameters …");
    let summary = lockstep_detect::detect(
        &[sim_dir.join("data")],
        &case,
        &Params::default(),
        &lockstep_detect::Silent,
    )?;
    crate::cmd::print_summary(&summary, &case);
    println!("3/3 scoring against the simulator's ground truth …");
    let ev = lockstep_eval::evaluate(&sim_dir.join("truth.csv"), &case)?;
    ev.write_json(&case.join("eval.json"))?;
    println!();
    println!("What lockstep found");
    println!("-------------------");
    println!(
        "{} clusters, {} flagged accounts out of {}. Precision {:.3}, recall {:.3} (core campaigns: {:.3}).",
        summary.counts.clusters,
        summary.counts.flagged_accounts,
        summary.counts.accounts,
        ev.overall.precision,
        ev.overall.recall,
        ev.core.recall
    );
    for c in ev.clustering.per_cluster.iter().take(12) {
        println!(
            "  cluster {:>3}: {:>5} accounts, mostly {} (purity {:.2})",
            c.cluster, c.size, c.majority, c.purity
        );
    }
    if ev.clustering.per_cluster.len() > 12 {
        println!(
            "  … and {} smaller clusters",
            ev.clustering.per_cluster.len() - 12
        );
    }
    for (name, c) in &ev.campaigns {
        println!(
            "  campaign {name:<14} recall {:.3} ({} of {})",
            c.recall, c.flagged, c.size
        );
    }
    println!(
        "  paid influencers found as amplifiers of a cluster (not members): {} of {}; genuine supporters flagged: {} of {}",
        ev.influencer.as_amplifier, ev.influencer.accounts, ev.supporter.flagged, ev.supporter.accounts
    );
    let fp: usize = ev.false_positives.values().map(|f| f.fp).sum();
    println!(
        "  organic accounts flagged: {fp} ({} clusters mix two campaigns)",
        ev.clustering.mixed_clusters
    );
    println!();
    println!("Outputs: {} (report.html — open it in a browser — accounts.csv, clusters.json, edges.csv, graph.gexf, graph.graphml, self_amplification.csv, stix.json, manifest.json, eval.json)", case.display());
    println!(
        "Done in {:.1} s. Verify the case with: lockstep verify {}",
        t0.elapsed().as_secs_f64(),
        case.display()
    );
    Ok(())
}
