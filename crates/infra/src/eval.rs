//! `lockstep infra eval`: scores a case against the simulator's `truth.csv` — precision and
//! recall of coordinated sources per campaign, false positives by benign role, clusters that
//! mix campaigns, and which roles' sources were reported with attempts at all — and, with the
//! `requests.csv` beside it, the classification of every request: recall per true class and
//! the share of benign requests reported as attempts.

use crate::InfraError;
use clap::Args;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// truth.csv (source,campaign,role) from `lockstep infra simulate`.
    #[arg(long)]
    pub truth: PathBuf,
    /// The case folder.
    #[arg(long)]
    pub case: PathBuf,
}

#[derive(Debug, Default, Serialize, Clone)]
pub struct CampaignScore {
    pub sources: u64,
    pub clustered: u64,
    pub recall: f64,
    /// Clusters holding most of this campaign's detected sources.
    pub clusters: Vec<u32>,
}

#[derive(Debug, Default, Serialize, Clone)]
pub struct Evaluation {
    pub precision: f64,
    pub recall: f64,
    pub clustered_sources: u64,
    pub campaigns: BTreeMap<String, CampaignScore>,
    /// Benign role → (sources, clustered, with attempts).
    pub false_positives: BTreeMap<String, (u64, u64, u64)>,
    /// Clusters whose members come from more than one campaign (benign counts as one).
    pub mixed_clusters: u64,
    pub clusters: u64,
    /// True class → its requests' classification (empty without `requests.csv`).
    pub classification: BTreeMap<String, ClassScore>,
    /// Benign requests (every line read that `requests.csv` does not name) and how many of
    /// them were reported as attempts.
    pub benign_requests: u64,
    pub benign_flagged: u64,
}

#[derive(Debug, Default, Serialize, Clone)]
pub struct ClassScore {
    pub requests: u64,
    /// Reported as attempts with this class among theirs.
    pub flagged: u64,
    /// Reported as attempts, but only with other classes.
    pub other_class: u64,
    pub recall: f64,
}

/// Scores attempts.csv against requests.csv (file, 1-based line, class); evidence in
/// attempts.csv is `input id:line`, the id being the first 16 hex digits of the input's
/// sha256 in manifest.json.
fn classification(requests: &Path, case: &Path, ev: &mut Evaluation) -> Result<(), InfraError> {
    let m = crate::case::Manifest::read(case)?;
    let mut file_of: BTreeMap<String, String> = BTreeMap::new();
    let mut lines_read = 0u64;
    for i in &m.inputs {
        let base = Path::new(&i.path)
            .file_name()
            .map(|b| b.to_string_lossy().into_owned())
            .unwrap_or_default();
        file_of.insert(i.sha256.chars().take(16).collect(), base);
        lines_read += i.accepted;
    }
    let csv_err = |p: &Path, e: csv::Error| InfraError::Internal(format!("{}: {e}", p.display()));
    let mut truth: rustc_hash::FxHashMap<(String, u64), String> = Default::default();
    let mut r = csv::Reader::from_path(requests).map_err(|e| csv_err(requests, e))?;
    for row in r.records() {
        let row = row.map_err(|e| csv_err(requests, e))?;
        if let (Some(f), Some(Ok(l)), Some(c)) =
            (row.get(0), row.get(1).map(str::parse), row.get(2))
        {
            truth.insert((f.to_string(), l), c.to_string());
        }
    }
    for c in truth.values() {
        ev.classification.entry(c.clone()).or_default().requests += 1;
    }
    let ap = case.join("attempts.csv");
    let mut r = csv::Reader::from_path(&ap).map_err(|e| csv_err(&ap, e))?;
    for row in r.records() {
        let row = row.map_err(|e| csv_err(&ap, e))?;
        let (Some(classes), Some(evidence)) = (row.get(2), row.get(7)) else {
            continue;
        };
        let Some((id, line)) = evidence.rsplit_once(':') else {
            continue;
        };
        let (Some(file), Ok(line)) = (file_of.get(id), line.parse::<u64>()) else {
            continue;
        };
        match truth.get(&(file.clone(), line)) {
            Some(want) => {
                let s = ev.classification.entry(want.clone()).or_default();
                if classes.split(';').any(|c| c == want) {
                    s.flagged += 1;
                } else {
                    s.other_class += 1;
                }
            }
            None => ev.benign_flagged += 1,
        }
    }
    ev.benign_requests = lines_read.saturating_sub(truth.len() as u64);
    for s in ev.classification.values_mut() {
        s.recall = s.flagged as f64 / s.requests.max(1) as f64;
    }
    Ok(())
}

fn read_csv(p: &Path) -> Result<Vec<Vec<String>>, InfraError> {
    let text = std::fs::read_to_string(p).map_err(|e| InfraError::io(p, e))?;
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        // sources.csv quotes only its last field (reasons); the first three never need it.
        rows.push(line.splitn(4, ',').map(str::to_string).collect());
    }
    Ok(rows)
}

pub fn evaluate(truth: &Path, case: &Path) -> Result<Evaluation, InfraError> {
    let mut role: BTreeMap<String, (String, String)> = BTreeMap::new();
    for r in read_csv(truth)? {
        if r.len() >= 3 {
            role.insert(r[0].clone(), (r[1].clone(), r[2].clone()));
        }
    }
    let mut cluster_of: BTreeMap<String, u32> = BTreeMap::new();
    let mut attempted: BTreeSet<String> = BTreeSet::new();
    for r in read_csv(&case.join("sources.csv"))? {
        if r.len() >= 2 {
            attempted.insert(r[0].clone());
            if let Ok(c) = r[1].parse::<u32>() {
                cluster_of.insert(r[0].clone(), c);
            }
        }
    }
    let mut ev = Evaluation::default();
    let mut per_cluster: BTreeMap<u32, BTreeMap<String, u64>> = BTreeMap::new();
    let mut camp_clusters: BTreeMap<String, BTreeMap<u32, u64>> = BTreeMap::new();
    let (mut tp, mut campaign_total) = (0u64, 0u64);
    for (src, (campaign, r)) in &role {
        let c = cluster_of.get(src).copied();
        if let Some(c) = c {
            let label = if campaign.is_empty() {
                format!("benign:{r}")
            } else {
                campaign.clone()
            };
            *per_cluster.entry(c).or_default().entry(label).or_default() += 1;
        }
        if campaign.is_empty() {
            let e = ev.false_positives.entry(r.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(c.is_some());
            e.2 += u64::from(attempted.contains(src));
        } else {
            campaign_total += 1;
            let s = ev.campaigns.entry(campaign.clone()).or_default();
            s.sources += 1;
            if let Some(c) = c {
                s.clustered += 1;
                tp += 1;
                *camp_clusters
                    .entry(campaign.clone())
                    .or_default()
                    .entry(c)
                    .or_default() += 1;
            }
        }
    }
    ev.clustered_sources = cluster_of.len() as u64;
    ev.precision = if ev.clustered_sources == 0 {
        1.0
    } else {
        tp as f64 / ev.clustered_sources as f64
    };
    ev.recall = if campaign_total == 0 {
        1.0
    } else {
        tp as f64 / campaign_total as f64
    };
    for (name, s) in ev.campaigns.iter_mut() {
        s.recall = s.clustered as f64 / s.sources.max(1) as f64;
        let mut cs: Vec<(u32, u64)> = camp_clusters
            .get(name)
            .map(|m| m.iter().map(|(a, b)| (*a, *b)).collect())
            .unwrap_or_default();
        cs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        s.clusters = cs.into_iter().take(5).map(|c| c.0).collect();
    }
    ev.clusters = per_cluster.len() as u64;
    ev.mixed_clusters = per_cluster.values().filter(|m| m.len() > 1).count() as u64;
    let requests = truth.with_file_name("requests.csv");
    if requests.is_file() {
        classification(&requests, case, &mut ev)?;
    }
    Ok(ev)
}

impl Evaluation {
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "coordinated sources: precision {:.3}, recall {:.3} ({} clustered, {} clusters, {} mixed)",
            self.precision, self.recall, self.clustered_sources, self.clusters, self.mixed_clusters);
        for (c, x) in &self.campaigns {
            let _ = writeln!(
                s,
                "  campaign {c:<10} recall {:.3} ({}/{}) clusters {:?}",
                x.recall, x.clustered, x.sources, x.clusters
            );
        }
        for (c, x) in &self.classification {
            let _ = writeln!(
                s,
                "  class {c:<10} recall {:.3} ({}/{}), {} reported as another class",
                x.recall, x.flagged, x.requests, x.other_class
            );
        }
        if !self.classification.is_empty() {
            let _ = writeln!(
                s,
                "  benign requests reported as attempts: {} of {} ({:.5})",
                self.benign_flagged,
                self.benign_requests,
                self.benign_flagged as f64 / self.benign_requests.max(1) as f64
            );
        }
        for (r, (n, cl, att)) in &self.false_positives {
            let _ = writeln!(
                s,
                "  benign {r:<8} {n:>7} sources, {cl} clustered ({:.4}), {att} with attempts",
                *cl as f64 / (*n).max(1) as f64
            );
        }
        s
    }
}

pub fn run(a: &EvalArgs) -> Result<String, InfraError> {
    let ev = evaluate(&a.truth, &a.case)?;
    let p = a.case.join("eval.json");
    let j =
        serde_json::to_string_pretty(&ev).map_err(|e| InfraError::Internal(e.to_string()))? + "\n";
    lockstep_output::write_atomic(&p, j.as_bytes()).map_err(|e| InfraError::io(&p, e))?;
    Ok(ev.render())
}
