//! Scores a detection run against ground truth.
//!
//! Inputs are a `truth.csv` (`account,campaign,role`; an empty campaign means organic, and
//! the role of an organic account names its hard-negative type) and a detection case folder
//! holding `accounts.csv` (`account,cluster,score,...`, one row per flagged account, with an
//! optional `role` column: `member` of cluster N, or `amplifier` of cluster N; absent or empty
//! = `member`).
//! [`evaluate`] reads both and returns an [`Evaluation`]: account-level precision / recall /
//! F1 over every flagged account (an amplifier counts as flagged) and over members and
//! amplifiers separately, recall per campaign and per (campaign, role), "core" recall over
//! every campaign except the excluded ones (by default `influencer`) and core precision over
//! members only, the influencer campaign's recall and the false-positive rate among genuine
//! `supporter`s, false positives per organic role, and cluster quality (majority label and
//! purity per cluster, mixed clusters, adjusted Rand index), computed on members.
//!
//! Conventions, chosen so every number is defined:
//! * a ratio whose denominator is zero is `0.0` — in particular precision, recall and F1 are
//!   all `0.0` when nothing is flagged, and recall is `0.0` for an empty campaign;
//! * a flagged account absent from the truth counts as organic (a false positive, labelled
//!   `organic` in clusters); having no role, it is counted in `unknown_flagged` rather than
//!   in the per-role false positives, so `overall.fp` = sum of per-role fp + `unknown_flagged`;
//! * the majority label of a cluster is the label (a campaign name, or `organic`) with most
//!   members; ties prefer a campaign over `organic`, then the alphabetically first campaign;
//! * the precision of campaign *c* is, over the clusters whose majority label is *c*, the share
//!   of their members that belong to *c*; it is `null` when no cluster has majority *c*;
//! * the adjusted Rand index compares campaign labels with cluster ids over the flagged campaign
//!   accounts; it is `1.0` when it is undefined (fewer than two accounts, or both partitions
//!   trivial and identical: one group each, or all singletons);
//! * clusters are made of their members: compositions, majorities, purity, mixed clusters,
//!   the ARI and the campaigns' precision count member rows only; each cluster lists its
//!   amplifiers' labels beside (amplifiers of a cluster without members appear in no cluster);
//! * the member and amplifier figures split the overall ones: their `tp`, `fp` and `flagged`
//!   add up to the overall ones, and each recall is over all campaign accounts, so the two
//!   recalls add up to the overall recall.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::File;
use std::hash::Hash;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use lockstep_core::ErrorKind;
use serde::Serialize;

/// Reading the truth or the case, or writing the evaluation, failed. Every message starts with
/// the file (and the line, for a bad row).
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: line 1: cannot read header: {source}", path.display())]
    Header { path: PathBuf, source: csv::Error },
    #[error("{}: line 1: missing column `{column}` (header: {header})", path.display())]
    MissingColumn {
        path: PathBuf,
        column: &'static str,
        /// The header as read, its fields joined by commas.
        header: String,
    },
    /// A row the CSV reader could not read (unequal lengths, invalid UTF-8, a read error).
    #[error("{}: line {line}: {source}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        source: csv::Error,
    },
    #[error("{}: line {line}: bad {what} `{value}`", path.display())]
    BadValue {
        path: PathBuf,
        line: u64,
        what: &'static str,
        value: String,
    },
    #[error("{}: line {line}: empty account", path.display())]
    EmptyAccount { path: PathBuf, line: u64 },
    #[error("{}: line {line}: duplicate account `{account}`", path.display())]
    DuplicateAccount {
        path: PathBuf,
        line: u64,
        account: String,
    },
    /// The output path names no file (`..`, `/`).
    #[error("{}: not a file path", path.display())]
    NotAFilePath { path: PathBuf },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl EvalError {
    pub fn kind(&self) -> ErrorKind {
        let full = |e: &std::io::Error| {
            matches!(
                e.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        };
        match self {
            EvalError::Open { .. } => ErrorKind::Input,
            EvalError::Header { source, .. } | EvalError::Csv { source, .. }
                if source.is_io_error() =>
            {
                ErrorKind::Io
            }
            EvalError::Header { .. }
            | EvalError::MissingColumn { .. }
            | EvalError::Csv { .. }
            | EvalError::BadValue { .. }
            | EvalError::EmptyAccount { .. }
            | EvalError::DuplicateAccount { .. } => ErrorKind::Input,
            EvalError::NotAFilePath { .. } => ErrorKind::Config,
            EvalError::Write { source, .. } if full(source) => ErrorKind::Resources,
            EvalError::Write { .. } => ErrorKind::Io,
        }
    }
}

type Result<T, E = EvalError> = std::result::Result<T, E>;

/// Label used for organic accounts in cluster compositions.
pub const ORGANIC: &str = "organic";

/// Organic roles always reported in [`Evaluation::false_positives`], even when absent.
pub const ORGANIC_ROLES: [&str; 6] = [
    "trend",
    "viral_sound",
    "challenge",
    "volunteer",
    SUPPORTER,
    ORGANIC,
];

/// The campaign of paid influencers, reported in [`Evaluation::influencer`].
pub const INFLUENCER: &str = "influencer";

/// The organic role of genuine supporters who use the campaigns' tags, reported in
/// [`Evaluation::supporter`].
pub const SUPPORTER: &str = "supporter";

/// One row of `truth.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthRow {
    pub account: String,
    /// `None` for organic accounts.
    pub campaign: Option<String>,
    pub role: String,
}

impl TruthRow {
    pub fn new(account: &str, campaign: Option<&str>, role: &str) -> Self {
        TruthRow {
            account: account.to_string(),
            campaign: campaign.map(str::to_string),
            role: role.to_string(),
        }
    }
}

/// How a case reports a flagged account: a member of its cluster, or an amplifier of it
/// (an account that spreads the cluster's content without being one of its co-actors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagRole {
    #[default]
    Member,
    Amplifier,
}

impl FlagRole {
    /// `member` or `amplifier` (any case); empty is `member`.
    pub fn parse(s: &str) -> Option<FlagRole> {
        match s.to_ascii_lowercase().as_str() {
            "" | "member" => Some(FlagRole::Member),
            "amplifier" => Some(FlagRole::Amplifier),
            _ => None,
        }
    }
}

/// One row of a case's `accounts.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedRow {
    pub account: String,
    pub cluster: i64,
    pub score: f64,
    pub role: FlagRole,
}

impl FlaggedRow {
    /// A member of `cluster`.
    pub fn new(account: &str, cluster: i64, score: f64) -> Self {
        FlaggedRow {
            account: account.to_string(),
            cluster,
            score,
            role: FlagRole::Member,
        }
    }

    /// An amplifier of `cluster`.
    pub fn amplifier(account: &str, cluster: i64, score: f64) -> Self {
        FlaggedRow {
            role: FlagRole::Amplifier,
            ..FlaggedRow::new(account, cluster, score)
        }
    }
}

/// Evaluation parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalOptions {
    /// Campaigns left out of the core recall and reported separately.
    pub excluded_campaigns: Vec<String>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            excluded_campaigns: vec!["influencer".to_string()],
        }
    }
}

/// Account-level detection quality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overall {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Campaign accounts in the truth.
    pub positives: usize,
    /// Distinct flagged accounts.
    pub flagged: usize,
    /// Flagged accounts missing from the truth (counted as organic false positives).
    pub unknown_flagged: usize,
}

/// Recall over a group of campaigns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRecall {
    pub campaigns: Vec<String>,
    pub size: usize,
    /// Flagged accounts of these campaigns, members and amplifiers.
    pub flagged: usize,
    pub recall: f64,
    /// Of them, flagged as members, and the recall that counts members only.
    pub member_flagged: usize,
    pub member_recall: f64,
    /// Share of the accounts flagged as members that belong to any campaign (the same for
    /// `core` and `excluded`: amplifiers never dilute it).
    pub precision: f64,
}

/// Recall of one role within a campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleStats {
    pub size: usize,
    pub flagged: usize,
    pub recall: f64,
    /// Of the flagged, those reported as amplifiers.
    pub as_amplifier: usize,
}

/// How a group of accounts (a campaign, an organic role) was flagged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFlags {
    /// Accounts of the group in the truth.
    pub accounts: usize,
    /// Flagged ones (members and amplifiers), and how.
    pub flagged: usize,
    pub as_member: usize,
    pub as_amplifier: usize,
    /// `flagged / accounts` (0 when there are no accounts): a recall for a campaign, a
    /// false-positive rate for an organic role.
    pub rate: f64,
}

/// Quality for one campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignStats {
    pub size: usize,
    /// Flagged members (true positives).
    pub flagged: usize,
    pub recall: f64,
    /// Share of members of the clusters with this majority that belong to this campaign;
    /// `None` when no cluster has this majority.
    pub precision: Option<f64>,
    /// Number of clusters whose majority label is this campaign.
    pub majority_clusters: usize,
    pub roles: BTreeMap<String, RoleStats>,
    /// Of the flagged, those reported as amplifiers.
    pub as_amplifier: usize,
}

/// False positives among organic accounts of one role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FalsePositives {
    /// Organic accounts of this role in the truth.
    pub accounts: usize,
    /// Flagged ones.
    pub fp: usize,
    /// `fp / accounts` (0 when there are no accounts).
    pub rate: f64,
    /// Of the flagged, those reported as amplifiers.
    pub as_amplifier: usize,
}

/// One flagged cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterStats {
    pub cluster: i64,
    pub size: usize,
    pub majority: String,
    pub purity: f64,
    /// Members per label (campaign name or `organic`).
    pub composition: BTreeMap<String, usize>,
    /// The cluster's amplifiers per label (not counted in `size`).
    pub amplifiers: BTreeMap<String, usize>,
}

/// Cluster quality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clustering {
    pub clusters: usize,
    /// Clusters holding flagged accounts of two or more distinct campaigns.
    pub mixed_clusters: usize,
    /// Adjusted Rand index of campaign labels vs cluster ids over flagged campaign accounts.
    pub ari: f64,
    /// Sum over clusters of the majority count, divided by the number of flagged members.
    pub purity: f64,
    /// Sorted by cluster id.
    pub per_cluster: Vec<ClusterStats>,
}

/// Everything measured for one detection case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Every flagged account, members and amplifiers.
    pub overall: Overall,
    /// Accounts flagged as members of clusters only.
    pub members: Overall,
    /// Accounts flagged as amplifiers of clusters only.
    pub amplifiers: Overall,
    /// Recall over all campaigns except the excluded ones.
    pub core: GroupRecall,
    /// Recall over the excluded campaigns (e.g. `influencer`).
    pub excluded: GroupRecall,
    /// The paid influencers (campaign [`INFLUENCER`]): `rate` is their recall.
    pub influencer: GroupFlags,
    /// Genuine supporters (organic role [`SUPPORTER`]): `rate` is their false-positive rate.
    pub supporter: GroupFlags,
    pub campaigns: BTreeMap<String, CampaignStats>,
    /// Keyed by organic role.
    pub false_positives: BTreeMap<String, FalsePositives>,
    pub clustering: Clustering,
}

/// Reads `truth` and `case_dir/accounts.csv` (or `case_dir` itself if it is a file) and
/// evaluates with the default options.
pub fn evaluate(truth: &Path, case_dir: &Path) -> Result<Evaluation, EvalError> {
    evaluate_with(truth, case_dir, &EvalOptions::default())
}

/// [`evaluate`] with explicit options.
pub fn evaluate_with(
    truth: &Path,
    case_dir: &Path,
    opts: &EvalOptions,
) -> Result<Evaluation, EvalError> {
    let accounts = if case_dir.is_file() {
        case_dir.to_path_buf()
    } else {
        case_dir.join("accounts.csv")
    };
    let truth = read_truth(truth)?;
    let flagged = read_flagged(&accounts)?;
    Ok(evaluate_sets_with(&truth, &flagged, opts))
}

/// Evaluates in memory with the default options.
pub fn evaluate_sets(truth: &[TruthRow], flagged: &[FlaggedRow]) -> Evaluation {
    evaluate_sets_with(truth, flagged, &EvalOptions::default())
}

/// Evaluates in memory. Duplicate accounts keep their first row.
pub fn evaluate_sets_with(
    truth: &[TruthRow],
    flagged: &[FlaggedRow],
    opts: &EvalOptions,
) -> Evaluation {
    let mut by_account: HashMap<&str, &TruthRow> = HashMap::new();
    for row in truth {
        by_account.entry(row.account.as_str()).or_insert(row);
    }
    let mut seen = HashSet::new();
    let flagged: Vec<&FlaggedRow> = flagged
        .iter()
        .filter(|f| seen.insert(f.account.as_str()))
        .collect();
    // The first row of a duplicated account decides its role too.
    let roles: HashMap<&str, FlagRole> = flagged
        .iter()
        .map(|f| (f.account.as_str(), f.role))
        .collect();
    let campaign_of = |account: &str| by_account.get(account).and_then(|t| t.campaign.as_deref());
    let is_amplifier = |account: &str| roles.get(account) == Some(&FlagRole::Amplifier);

    // Per campaign and role, and false positives per organic role.
    let mut campaigns: BTreeMap<String, CampaignStats> = BTreeMap::new();
    let empty_fp = || FalsePositives {
        accounts: 0,
        fp: 0,
        rate: 0.0,
        as_amplifier: 0,
    };
    let mut fps: BTreeMap<String, FalsePositives> = ORGANIC_ROLES
        .iter()
        .map(|r| (r.to_string(), empty_fp()))
        .collect();
    // Flagged members per campaign, for the member recalls.
    let mut member_hits: BTreeMap<&str, usize> = BTreeMap::new();
    for row in by_account.values() {
        let account = row.account.as_str();
        let hit = roles.contains_key(account) as usize;
        let amp = is_amplifier(account) as usize;
        match &row.campaign {
            Some(c) => {
                let stats = campaigns.entry(c.clone()).or_insert_with(|| CampaignStats {
                    size: 0,
                    flagged: 0,
                    recall: 0.0,
                    precision: None,
                    majority_clusters: 0,
                    roles: BTreeMap::new(),
                    as_amplifier: 0,
                });
                stats.size += 1;
                stats.flagged += hit;
                stats.as_amplifier += amp;
                let role = stats.roles.entry(row.role.clone()).or_insert(RoleStats {
                    size: 0,
                    flagged: 0,
                    recall: 0.0,
                    as_amplifier: 0,
                });
                role.size += 1;
                role.flagged += hit;
                role.as_amplifier += amp;
                *member_hits.entry(c.as_str()).or_default() += hit - amp;
            }
            None => {
                let fp = fps.entry(row.role.clone()).or_insert_with(empty_fp);
                fp.accounts += 1;
                fp.fp += hit;
                fp.as_amplifier += amp;
            }
        }
    }
    for fp in fps.values_mut() {
        fp.rate = ratio(fp.fp, fp.accounts);
    }

    // Overall, and members and amplifiers apart.
    let positives: usize = campaigns.values().map(|c| c.size).sum();
    let summary = |rows: &[&&FlaggedRow]| {
        let tp = rows
            .iter()
            .filter(|f| campaign_of(&f.account).is_some())
            .count();
        let unknown_flagged = rows
            .iter()
            .filter(|f| !by_account.contains_key(f.account.as_str()))
            .count();
        let precision = ratio(tp, rows.len());
        let recall = ratio(tp, positives);
        Overall {
            precision,
            recall,
            f1: f1(precision, recall),
            tp,
            fp: rows.len() - tp,
            fn_: positives - tp,
            positives,
            flagged: rows.len(),
            unknown_flagged,
        }
    };
    let all: Vec<&&FlaggedRow> = flagged.iter().collect();
    let (amplifier_rows, member_rows): (Vec<&&FlaggedRow>, Vec<&&FlaggedRow>) =
        all.iter().partition(|f| f.role == FlagRole::Amplifier);
    let overall = summary(&all);
    let members = summary(&member_rows);
    let amplifiers = summary(&amplifier_rows);

    // Clusters: made of their members; amplifiers listed beside.
    let mut compositions: BTreeMap<i64, BTreeMap<String, usize>> = BTreeMap::new();
    for f in &member_rows {
        let label = campaign_of(&f.account).unwrap_or(ORGANIC);
        *compositions
            .entry(f.cluster)
            .or_default()
            .entry(label.to_string())
            .or_default() += 1;
    }
    let mut attached: BTreeMap<i64, BTreeMap<String, usize>> = BTreeMap::new();
    for f in &amplifier_rows {
        let label = campaign_of(&f.account).unwrap_or(ORGANIC);
        *attached
            .entry(f.cluster)
            .or_default()
            .entry(label.to_string())
            .or_default() += 1;
    }
    let mut majority_total = 0;
    let mut mixed_clusters = 0;
    let mut by_majority: BTreeMap<&str, (usize, usize)> = BTreeMap::new(); // (members of c, size)
    let per_cluster: Vec<ClusterStats> = compositions
        .into_iter()
        .map(|(cluster, composition)| {
            let size = composition.values().sum();
            let (majority, count) = composition
                .iter()
                .max_by(|a, b| {
                    (a.1, a.0 != ORGANIC, std::cmp::Reverse(a.0)).cmp(&(
                        b.1,
                        b.0 != ORGANIC,
                        std::cmp::Reverse(b.0),
                    ))
                })
                .map(|(l, &n)| (l.clone(), n))
                .expect("a cluster has at least one member");
            majority_total += count;
            if composition.keys().filter(|l| *l != ORGANIC).count() >= 2 {
                mixed_clusters += 1;
            }
            ClusterStats {
                cluster,
                size,
                majority,
                purity: ratio(count, size),
                composition,
                amplifiers: attached.remove(&cluster).unwrap_or_default(),
            }
        })
        .collect();
    for c in &per_cluster {
        if c.majority != ORGANIC {
            let e = by_majority.entry(&c.majority).or_default();
            e.0 += c.composition[&c.majority];
            e.1 += c.size;
        }
    }
    for (name, stats) in &mut campaigns {
        stats.recall = ratio(stats.flagged, stats.size);
        for role in stats.roles.values_mut() {
            role.recall = ratio(role.flagged, role.size);
        }
        if let Some(&(own, size)) = by_majority.get(name.as_str()) {
            stats.precision = Some(ratio(own, size));
        }
        stats.majority_clusters = per_cluster.iter().filter(|c| &c.majority == name).count();
    }
    let (labels, clusters): (Vec<&str>, Vec<i64>) = member_rows
        .iter()
        .filter_map(|f| campaign_of(&f.account).map(|c| (c, f.cluster)))
        .unzip();
    let clustering = Clustering {
        clusters: per_cluster.len(),
        mixed_clusters,
        ari: adjusted_rand_index(&labels, &clusters),
        purity: ratio(majority_total, member_rows.len()),
        per_cluster,
    };

    let excluded: BTreeSet<&str> = opts.excluded_campaigns.iter().map(String::as_str).collect();
    let group = |keep: bool| {
        let chosen: Vec<(&String, &CampaignStats)> = campaigns
            .iter()
            .filter(|(name, _)| excluded.contains(name.as_str()) != keep)
            .collect();
        let size = chosen.iter().map(|(_, c)| c.size).sum();
        let flagged = chosen.iter().map(|(_, c)| c.flagged).sum();
        let member_flagged = chosen
            .iter()
            .map(|(n, _)| member_hits.get(n.as_str()).copied().unwrap_or(0))
            .sum();
        GroupRecall {
            campaigns: chosen.iter().map(|(n, _)| (*n).clone()).collect(),
            size,
            flagged,
            recall: ratio(flagged, size),
            member_flagged,
            member_recall: ratio(member_flagged, size),
            precision: members.precision,
        }
    };
    let (core, excluded) = (group(true), group(false));
    let influencer = campaigns.get(INFLUENCER).map_or(
        GroupFlags {
            accounts: 0,
            flagged: 0,
            as_member: 0,
            as_amplifier: 0,
            rate: 0.0,
        },
        |c| GroupFlags {
            accounts: c.size,
            flagged: c.flagged,
            as_member: c.flagged - c.as_amplifier,
            as_amplifier: c.as_amplifier,
            rate: c.recall,
        },
    );
    let s = &fps[SUPPORTER];
    let supporter = GroupFlags {
        accounts: s.accounts,
        flagged: s.fp,
        as_member: s.fp - s.as_amplifier,
        as_amplifier: s.as_amplifier,
        rate: s.rate,
    };

    Evaluation {
        overall,
        members,
        amplifiers,
        core,
        excluded,
        influencer,
        supporter,
        campaigns,
        false_positives: fps,
        clustering,
    }
}

/// Adjusted Rand index (Hubert & Arabie) of two partitions of the same items, from the
/// contingency table. Returns `1.0` when the index is undefined (fewer than two items, or
/// both partitions are the same trivial partition). Panics if the slices differ in length.
pub fn adjusted_rand_index<A: Hash + Eq, B: Hash + Eq>(labels: &[A], clusters: &[B]) -> f64 {
    assert_eq!(
        labels.len(),
        clusters.len(),
        "partitions of different lengths"
    );
    let pairs = |n: usize| (n * n.saturating_sub(1)) as f64 / 2.0;
    let mut cells: HashMap<(&A, &B), usize> = HashMap::new();
    let mut rows: HashMap<&A, usize> = HashMap::new();
    let mut cols: HashMap<&B, usize> = HashMap::new();
    for (a, b) in labels.iter().zip(clusters) {
        *cells.entry((a, b)).or_default() += 1;
        *rows.entry(a).or_default() += 1;
        *cols.entry(b).or_default() += 1;
    }
    let index: f64 = cells.values().map(|&n| pairs(n)).sum();
    let sum_rows: f64 = rows.values().map(|&n| pairs(n)).sum();
    let sum_cols: f64 = cols.values().map(|&n| pairs(n)).sum();
    let total = pairs(labels.len());
    if total == 0.0 {
        return 1.0;
    }
    let expected = sum_rows * sum_cols / total;
    let max = (sum_rows + sum_cols) / 2.0;
    if max == expected {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Opens a CSV file and returns the reader with the index of each requested column and the
/// header (for optional columns).
fn open_csv<const N: usize>(
    path: &Path,
    columns: [&'static str; N],
) -> Result<(csv::Reader<File>, [usize; N], csv::StringRecord)> {
    let file = File::open(path).map_err(|source| EvalError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers = reader
        .headers()
        .map_err(|source| EvalError::Header {
            path: path.to_path_buf(),
            source,
        })?
        .clone();
    let mut idx = [0; N];
    for (slot, name) in idx.iter_mut().zip(columns) {
        *slot = match headers.iter().position(|h| h.eq_ignore_ascii_case(name)) {
            Some(i) => i,
            None => {
                return Err(EvalError::MissingColumn {
                    path: path.to_path_buf(),
                    column: name,
                    header: headers.iter().collect::<Vec<_>>().join(","),
                })
            }
        };
    }
    Ok((reader, idx, headers))
}

/// Iterates over records as `(line, record)`, naming the file and line on error.
fn records(
    path: &Path,
    reader: csv::Reader<File>,
) -> impl Iterator<Item = Result<(u64, csv::StringRecord)>> + '_ {
    reader.into_records().map(move |r| {
        r.map(|rec| (rec.position().map_or(0, |p| p.line()), rec))
            .map_err(|source| EvalError::Csv {
                path: path.to_path_buf(),
                line: source.position().map_or(0, |p| p.line()),
                source,
            })
    })
}

/// Reads `truth.csv` (`account,campaign,role`). An empty role becomes `organic` for organic
/// accounts. Duplicate or empty accounts are errors.
pub fn read_truth(path: &Path) -> Result<Vec<TruthRow>, EvalError> {
    let (reader, cols, _) = open_csv(path, ["account", "campaign", "role"])?;
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for rec in records(path, reader) {
        let (line, rec) = rec?;
        let [account, campaign, role] = cols.map(|i| &rec[i]);
        check_account(path, line, account, &mut seen)?;
        let role = if role.is_empty() && campaign.is_empty() {
            ORGANIC
        } else {
            role
        };
        rows.push(TruthRow::new(
            account,
            Some(campaign).filter(|c| !c.is_empty()),
            role,
        ));
    }
    Ok(rows)
}

/// Reads a case's `accounts.csv` (`account,cluster,score,...`, and an optional `role` column
/// of `member` or `amplifier`; absent or empty = `member`). Duplicate or empty accounts,
/// unparsable numbers and unknown roles are errors.
pub fn read_flagged(path: &Path) -> Result<Vec<FlaggedRow>, EvalError> {
    let (reader, cols, headers) = open_csv(path, ["account", "cluster", "score"])?;
    let role_col = headers.iter().position(|h| h.eq_ignore_ascii_case("role"));
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for rec in records(path, reader) {
        let (line, rec) = rec?;
        let [account, cluster, score] = cols.map(|i| &rec[i]);
        check_account(path, line, account, &mut seen)?;
        let bad = |what: &'static str, v: &str| EvalError::BadValue {
            path: path.to_path_buf(),
            line,
            what,
            value: v.to_string(),
        };
        rows.push(FlaggedRow {
            account: account.to_string(),
            cluster: cluster.parse().map_err(|_| bad("cluster", cluster))?,
            score: score.parse().map_err(|_| bad("score", score))?,
            role: match role_col.and_then(|i| rec.get(i)) {
                None => FlagRole::Member,
                Some(r) => FlagRole::parse(r).ok_or_else(|| bad("role", r))?,
            },
        });
    }
    Ok(rows)
}

fn check_account(path: &Path, line: u64, account: &str, seen: &mut HashSet<String>) -> Result<()> {
    if account.is_empty() {
        return Err(EvalError::EmptyAccount {
            path: path.to_path_buf(),
            line,
        });
    }
    if !seen.insert(account.to_string()) {
        return Err(EvalError::DuplicateAccount {
            path: path.to_path_buf(),
            line,
            account: account.to_string(),
        });
    }
    Ok(())
}

/// Formats rows as a table: first column left-aligned, the others right-aligned.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i == 0 {
                let _ = write!(line, "{cell:<w$}");
            } else {
                let _ = write!(line, "  {cell:>w$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

/// At most this many clusters are listed by [`Evaluation::render_text`].
const SHOWN_CLUSTERS: usize = 20;

impl Evaluation {
    /// A short plain-text report with aligned columns.
    pub fn render_text(&self) -> String {
        let o = &self.overall;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "precision {}  recall {}  F1 {}  (tp {}, fp {}, fn {}; {} flagged, {} unknown)",
            f3(o.precision),
            f3(o.recall),
            f3(o.f1),
            o.tp,
            o.fp,
            o.fn_,
            o.flagged,
            o.unknown_flagged
        );
        for (name, m) in [("members", &self.members), ("amplifiers", &self.amplifiers)] {
            let _ = writeln!(
                out,
                "{name:<10} precision {}  recall {}  (tp {}, fp {}; {} flagged)",
                f3(m.precision),
                f3(m.recall),
                m.tp,
                m.fp,
                m.flagged
            );
        }
        for (name, g) in [("core", &self.core), ("excluded", &self.excluded)] {
            let _ = writeln!(
                out,
                "{name} recall {} ({}/{}) over [{}]; as members {} ({}/{})",
                f3(g.recall),
                g.flagged,
                g.size,
                g.campaigns.join(", "),
                f3(g.member_recall),
                g.member_flagged,
                g.size
            );
        }
        let _ = writeln!(out, "core precision (members) {}", f3(self.core.precision));
        for (what, g) in [
            ("influencer recall", &self.influencer),
            ("supporter false-positive rate", &self.supporter),
        ] {
            let _ = writeln!(
                out,
                "{what} {} ({}/{}; {} as members, {} as amplifiers)",
                f3(g.rate),
                g.flagged,
                g.accounts,
                g.as_member,
                g.as_amplifier
            );
        }

        out.push('\n');
        let mut rows = Vec::new();
        for (name, c) in &self.campaigns {
            rows.push(vec![
                name.clone(),
                c.size.to_string(),
                c.flagged.to_string(),
                f3(c.recall),
                c.precision.map_or_else(|| "-".to_string(), f3),
                c.majority_clusters.to_string(),
            ]);
            for (role, r) in &c.roles {
                rows.push(vec![
                    format!("  {role}"),
                    r.size.to_string(),
                    r.flagged.to_string(),
                    f3(r.recall),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        table(
            &mut out,
            &[
                "campaign/role",
                "size",
                "flagged",
                "recall",
                "precision",
                "clusters",
            ],
            &rows,
        );

        out.push('\n');
        let rows: Vec<Vec<String>> = self
            .false_positives
            .iter()
            .map(|(role, f)| {
                vec![
                    role.clone(),
                    f.accounts.to_string(),
                    f.fp.to_string(),
                    f3(f.rate),
                ]
            })
            .collect();
        table(&mut out, &["organic role", "accounts", "fp", "rate"], &rows);

        let c = &self.clustering;
        let _ = writeln!(
            out,
            "\n{} clusters, {} mixed, purity {}, ARI {}",
            c.clusters,
            c.mixed_clusters,
            f3(c.purity),
            f3(c.ari)
        );
        if !c.per_cluster.is_empty() {
            let mut shown: Vec<&ClusterStats> = c.per_cluster.iter().collect();
            shown.sort_by_key(|s| (std::cmp::Reverse(s.size), s.cluster));
            let rows: Vec<Vec<String>> = shown
                .iter()
                .take(SHOWN_CLUSTERS)
                .map(|s| {
                    vec![
                        s.cluster.to_string(),
                        s.size.to_string(),
                        s.majority.clone(),
                        f3(s.purity),
                    ]
                })
                .collect();
            table(&mut out, &["cluster", "size", "majority", "purity"], &rows);
            if shown.len() > SHOWN_CLUSTERS {
                let _ = writeln!(
                    out,
                    "({} smaller clusters not shown)",
                    shown.len() - SHOWN_CLUSTERS
                );
            }
        }
        out
    }

    /// Writes pretty JSON atomically: a temporary file in the same directory, then a rename.
    pub fn write_json(&self, path: &Path) -> Result<(), EvalError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path.file_name().ok_or_else(|| EvalError::NotAFilePath {
            path: path.to_path_buf(),
        })?;
        let tmp = dir.join(format!(
            ".{}.tmp{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            // Into a file, serde_json fails only on I/O (the report is plain data).
            serde_json::to_writer_pretty(&mut file, self)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            Ok(())
        };
        write().map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            EvalError::Write {
                path: path.to_path_buf(),
                source,
            }
        })
    }
}
