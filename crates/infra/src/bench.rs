//! `lockstep infra bench`: simulate logs of a given size (or reuse them), run the analysis,
//! print each stage's time, throughput and the peak memory after it, and the quality
//! against the simulator's truth.

use crate::InfraError;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Log lines to simulate.
    #[arg(long, default_value_t = 1_000_000)]
    pub lines: u64,
    /// Folder for the simulated logs and the case (default: a temporary folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Reuse logs already simulated in --dir.
    #[arg(long)]
    pub reuse: bool,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(b: &BenchArgs) -> Result<String, InfraError> {
    use std::fmt::Write;
    let tmp;
    let dir = match &b.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().map_err(|e| InfraError::Internal(e.to_string()))?;
            tmp.path().to_path_buf()
        }
    };
    let mut out = String::new();
    let sim = dir.join("sim");
    if !(b.reuse && sim.join("truth.csv").exists()) {
        let t = std::time::Instant::now();
        let mut a = crate::sim::SimArgs::new(sim.clone());
        a.lines = b.lines;
        a.seed = b.seed;
        let s = crate::sim::simulate(&a)?;
        let _ = writeln!(
            out,
            "simulated {} lines in {:.1} s",
            s.lines,
            t.elapsed().as_secs_f64()
        );
    }
    let case = dir.join("case");
    let t = std::time::Instant::now();
    let o = crate::infra(&[sim.join("logs")], &case, &crate::Params::default())?;
    let total = t.elapsed().as_secs_f64();
    let _ = writeln!(
        out,
        "{:<16} {:>9} {:>14} {:>10}",
        "stage", "seconds", "items/s", "peak MiB"
    );
    for s in &o.stages {
        let _ = writeln!(
            out,
            "{:<16} {:>9.2} {:>14.0} {:>10}",
            s.name,
            s.seconds,
            s.items as f64 / s.seconds.max(1e-9),
            s.peak_mib.map_or("-".into(), |m| format!("{m:.0}"))
        );
    }
    let _ = writeln!(
        out,
        "end to end {total:.2} s for {} lines ({:.0} lines/s), peak {} MiB",
        o.read,
        o.read as f64 / total.max(1e-9),
        crate::analysis::peak_rss_mib().map_or("-".into(), |m| format!("{m:.0}"))
    );
    let ev = crate::eval::evaluate(&sim.join("truth.csv"), &case)?;
    out.push_str(&ev.render());
    Ok(out)
}
