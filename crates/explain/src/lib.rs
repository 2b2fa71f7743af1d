//! The explain stage: findings about each cluster and each flagged account, as domain types
//! with real numbers — scores, synchrony, the [`Signal`]s (activation cohort, marker hashtags,
//! name template, creation cohort, night hours, watchlist targets), a timeline and evidence
//! posts. Writers (the case crate) only format these.

mod signals;
pub mod watchlist;

pub use signals::{Day, Signal, Stance};
pub use watchlist::{Watchlist, WatchlistError};

use lockstep_core::{format_time, Kind};
use lockstep_graph::{Cluster, Edge};
use lockstep_ingest::{EventTable, Ingested};
use lockstep_trace::LayerKind;
use rustc_hash::FxHashMap;
use schemars::JsonSchema;
use serde::Serialize;
use signals::{DAY, HOUR};
use std::collections::BTreeMap;

/// The most links and hashtags a cluster gives as indicators.
pub const MAX_INDICATORS: usize = 1000;

/// A trace the members shared, with how many members and events used it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TraceCount {
    /// `layer:key`, as in the trace table.
    pub trace: String,
    /// How a person reads it: a near-duplicate text family by its first text and its size.
    pub label: String,
    /// Members who emitted it.
    pub accounts: u32,
    pub events: u32,
}

/// A post cited as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EvidencePost {
    #[serde(skip)]
    pub event: u32,
    /// The post id as the platform gives it.
    pub id: String,
    pub account: String,
    #[serde(serialize_with = "time")]
    #[schemars(with = "String")]
    pub time: i64,
    pub platform: String,
    #[schemars(with = "String")]
    pub kind: Kind,
    /// The text, cut to 280 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The post on its platform, where the platform has a stable URL scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Where the post's raw record is: the input as the manifest names it, and the line it
    /// starts on (1-based, in the decompressed content).
    pub source: Source,
}

/// A record's place in the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Source {
    pub file: String,
    pub line: u32,
}

/// The day most members switched on, and the share that did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct Activation {
    pub date: Day,
    pub share: f64,
    /// The data does not cover enough days before `date` to tell a switch-on from the start
    /// of the collection (then no activation cohort signal is given).
    pub censored: bool,
}

/// One account re-sharing one post again and again within an hour (its edges count it once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfShare {
    pub account: u32,
    /// The `repost:` trace of the post re-shared.
    pub trace: u32,
    /// Shares within the densest hour.
    pub shares: u32,
    pub first: i64,
    pub last: i64,
}

/// Gaps between consecutive actions of different accounts on a shared trace: how fast the
/// data's accounts follow each other, to compare with the window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timing {
    /// Consecutive-action gaps measured.
    pub gaps: u64,
    pub median_gap_s: f64,
    pub p90_gap_s: f64,
}

/// What lockstep found about one cluster (an entry of `clusters.json`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ClusterFinding {
    /// 1-based, largest cluster first.
    pub id: u32,
    pub size: usize,
    /// The strength of the evidence for the whole cluster: `−log10` of the chance that its
    /// members' co-actions (summed over its edges) arise from activity and crowds alone,
    /// given the expectation summed over the same edges. Larger and tighter clusters score
    /// higher; clusters are ranked by it (id 1 is the strongest).
    pub score: f64,
    /// Member names, sorted.
    pub members: Vec<String>,
    /// Internal edges per layer.
    pub layers: BTreeMap<&'static str, u32>,
    /// Kept edges inside the cluster.
    pub edges: usize,
    /// Kept edges inside over all possible pairs.
    pub density: f64,
    pub co_actions: u64,
    /// The first and last co-action inside the cluster (RFC 3339).
    #[serde(serialize_with = "time")]
    #[schemars(with = "String")]
    pub first: i64,
    #[serde(serialize_with = "time")]
    #[schemars(with = "String")]
    pub last: i64,
    /// Median of the internal edges' median gaps, in seconds.
    pub median_gap_s: f64,
    /// How long after the first of a pair the second acts: the internal edges' median gaps
    /// at the 10th, 50th and 90th percentiles, in seconds (order-to-execution lag).
    pub lag_s: [f64; 3],
    /// Who acts first: the members that most often led their co-actions (at least three
    /// co-actions and most of them first), leaders first.
    pub leaders: Vec<Leader>,
    /// The fast sub-network: internal edges with at least two co-actions within the fast
    /// window, and the members they join.
    pub fast: FastCore,
    pub top_traces: Vec<TraceCount>,
    /// The links and hashtags at least two members used, most used first (at most
    /// [`MAX_INDICATORS`]): what the STIX export gives as indicators.
    #[serde(skip)]
    #[schemars(skip)]
    pub indicators: Vec<TraceCount>,
    /// The most common switch-on day (first of 3 active days in 4); absent when no member
    /// switched on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
    #[serde(serialize_with = "signals_with_text")]
    #[schemars(with = "Vec<SignalWithText>")]
    pub signals: Vec<Signal>,
    /// With a watchlist: the entities the members' posts reference, most referenced first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<watchlist::Target>,
    /// Posts per hour of the members: `[hour start (RFC 3339), posts]` for non-empty hours.
    #[serde(serialize_with = "timeline")]
    #[schemars(with = "Vec<(String, u32)>")]
    pub timeline: Vec<(i64, u32)>,
    pub evidence: Vec<EvidencePost>,
    /// The cluster's campaign traces (its own, and those others tag beside them) and their
    /// campaign windows: the hours many accounts outside the clusters adopted them at once.
    // Optional in the schema: cases written before amplifiers lack them.
    #[serde(default)]
    pub campaign_traces: Vec<CampaignTrace>,
    /// Accounts outside the cluster that amplify it (adoption cohorts): how many…
    #[serde(default)]
    pub amplifier_count: usize,
    /// …and each with its reasons, strongest first (empty with `--aggregates-only`).
    #[serde(default)]
    pub amplifiers: Vec<AmplifierFinding>,
}

/// A campaign trace of a cluster, with its windows.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CampaignTrace {
    /// `layer:key`.
    pub trace: String,
    /// The members use it themselves (else others' posts carry it beside the members' own).
    pub own: bool,
    /// `[start, end)` (RFC 3339) of each window.
    #[serde(serialize_with = "spans")]
    #[schemars(with = "Vec<(String, String)>")]
    pub windows: Vec<(i64, i64)>,
}

fn spans<S: serde::Serializer>(t: &[(i64, i64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(t.iter().map(|&(a, b)| (format_time(a), format_time(b))))
}

/// An account outside a cluster that posted the cluster's campaign traces in its campaign
/// windows far more often than its own clock predicts (`lockstep_cohort`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AmplifierFinding {
    #[serde(skip)]
    pub account_id: u32,
    pub account: String,
    /// `adopter`: campaign traces in campaign windows; `executor`: the cluster's orders
    /// (sounds, links, media only its members use) while the members posted them.
    pub kind: lockstep_cohort::AmplifierKind,
    /// The campaign traces it posted inside their windows, or the orders it executed
    /// (`layer:key`).
    pub traces: Vec<String>,
    /// The days of its posts in campaign windows.
    pub days: Vec<Day>,
    /// Clock hours in which it posted the cluster's campaign traces (an executor: its posts
    /// with a sound, link or media)…
    pub hours: u32,
    /// …of them in the campaign windows (an executor: distinct orders executed), and how
    /// many its own clock (an executor: the share of all such posts that execute the
    /// cluster's orders) predicts.
    pub in_windows: u32,
    pub expected: f64,
    /// `P(Binomial(hours, expected/hours) ≥ in_windows)`, and its Benjamini–Hochberg q-value
    /// over every account tested.
    pub p_value: f64,
    pub q_value: f64,
}

impl std::fmt::Display for AmplifierFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days: Vec<String> = self.days.iter().map(|d| d.to_string()).collect();
        if self.kind == lockstep_cohort::AmplifierKind::Executor {
            return write!(
                f,
                "executed {} of the cluster's orders ({}) while its members posted them, on {} ({} of its {} posts with a sound, link or media, {:.2} expected by chance); p = {:.1e}, q = {:.1e}",
                self.in_windows,
                self.traces.join(", "),
                days.join(", "),
                self.in_windows,
                self.hours,
                self.expected,
                self.p_value,
                self.q_value
            );
        }
        write!(
            f,
            "posted {} in the cluster's campaign windows on {} ({} of {} hours with its campaign traces in windows, {:.2} expected from its own clock); p = {:.1e}, q = {:.1e}",
            self.traces.join(", "),
            days.join(", "),
            self.in_windows,
            self.hours,
            self.expected,
            self.p_value,
            self.q_value
        )
    }
}

fn time<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*t))
}

fn timeline<S: serde::Serializer>(t: &[(i64, u32)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(t.iter().map(|&(h, k)| (format_time(h), k)))
}

/// A signal as `clusters.json` carries it: its kind and figures, and the sentence a person
/// reads (`text`).
#[derive(Serialize, JsonSchema)]
pub struct SignalWithText<'a> {
    #[serde(flatten)]
    pub signal: &'a Signal,
    pub text: String,
}

fn signals_with_text<S: serde::Serializer>(v: &[Signal], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|signal| SignalWithText {
        signal,
        text: signal.to_string(),
    }))
}

/// A member that acts first.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Leader {
    pub account: String,
    /// Co-actions inside the cluster this member acted first in, and second in.
    pub led: u32,
    pub followed: u32,
}

/// The part of a cluster that co-acts within seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, JsonSchema)]
pub struct FastCore {
    pub window_s: f64,
    pub edges: usize,
    pub members: usize,
    pub co_actions: u64,
}

/// What lockstep found about one account on a kept edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountFinding {
    /// The strongest edge's −log10(q), capped at 30, divided by 30: in [0, 1].
    pub score: f64,
    /// Kept edges.
    pub edges: u32,
    pub co_actions: u64,
    /// Layer bit mask of its edges.
    pub layers: u32,
    pub best_q: f64,
}

/// The explain stage's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Findings {
    /// In cluster id order.
    pub clusters: Vec<ClusterFinding>,
    /// Indexed by account id; `None` for accounts on no kept edge.
    pub accounts: Vec<Option<AccountFinding>>,
    /// Accounts re-sharing one post 3 or more times within an hour, by account then trace.
    pub self_shares: Vec<SelfShare>,
    pub timing: Timing,
}

impl Findings {
    pub fn account(&self, id: u32) -> Option<&AccountFinding> {
        self.accounts.get(id as usize).and_then(Option::as_ref)
    }

    /// Only what may leave a clean room (`--aggregates-only`): cluster-level counts, signals
    /// and timelines. Member names, leaders, evidence posts, per-account findings and every
    /// trace that can name an account, a post or a text (reposts, links, mentions, replies,
    /// texts, media) go; hashtags and sounds stay.
    pub fn aggregates_only(&mut self) {
        const KEPT: [LayerKind; 3] = [LayerKind::Hashtag, LayerKind::HashtagSet, LayerKind::Sound];
        for c in &mut self.clusters {
            c.members.clear();
            c.leaders.clear();
            c.amplifiers.clear();
            c.campaign_traces.retain(|t| {
                let layer = t.trace.split_once(':').map_or("", |(l, _)| l);
                KEPT.iter().any(|k| k.name() == layer)
            });
            c.evidence.clear();
            c.signals.retain(|s| !matches!(s, Signal::Leader { .. }));
            let shareable = |t: &TraceCount| {
                let layer = t.trace.split_once(':').map_or("", |(l, _)| l);
                KEPT.iter().any(|k| k.name() == layer)
            };
            c.top_traces.retain(shareable);
            c.indicators.retain(shareable);
            for s in &mut c.signals {
                if let Signal::Amplifiers { traces, .. } = s {
                    traces.retain(|t| {
                        let layer = t.split_once(':').map_or("", |(l, _)| l);
                        KEPT.iter().any(|k| k.name() == layer)
                    });
                }
            }
        }
        self.accounts.clear();
        self.self_shares.clear();
    }
}

/// `clusters.json`: every cluster's finding.
#[derive(Serialize, JsonSchema)]
pub struct ClustersFile<'a> {
    /// The case was made with `--aggregates-only`: clusters carry no member names, leaders,
    /// evidence posts, or traces that name accounts, posts or texts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aggregates_only: bool,
    pub clusters: &'a [ClusterFinding],
}

/// Per-account activity of clustered accounts, gathered in one pass over the events.
struct Activity {
    /// Per member account: hashtag id → posts carrying it.
    tag_use: Vec<BTreeMap<u32, u32>>,
    /// Per cluster: posts per hour of its members.
    timelines: Vec<BTreeMap<i64, u32>>,
    /// Per account: its active days, sorted.
    days: Vec<Vec<i64>>,
    posts: Vec<u32>,
    night: Vec<u32>,
    /// Share of all posts at night.
    background_night: f64,
}

fn activity(table: &EventTable, cluster_of: &[u32], n_clusters: usize) -> Activity {
    let n = table.n_accounts();
    let mut a = Activity {
        tag_use: vec![BTreeMap::new(); n],
        timelines: vec![BTreeMap::new(); n_clusters + 1],
        days: vec![Vec::new(); n],
        posts: vec![0; n],
        night: vec![0; n],
        background_night: 0.0,
    };
    let mut all_night = 0usize;
    for ev in 0..table.len() as u32 {
        let t = table.time(ev);
        all_night += usize::from(signals::is_night(t));
        let acc = table.account(ev) as usize;
        if cluster_of[acc] == 0 {
            continue;
        }
        let day = t.div_euclid(DAY);
        let days = &mut a.days[acc];
        if let Err(at) = days.binary_search(&day) {
            days.insert(at, day);
        }
        *a.timelines[cluster_of[acc] as usize]
            .entry(t.div_euclid(HOUR))
            .or_insert(0) += 1;
        a.posts[acc] += 1;
        for &tag in table.tags_of(ev) {
            *a.tag_use[acc].entry(tag).or_insert(0) += 1;
        }
        a.night[acc] += u32::from(signals::is_night(t));
    }
    a.background_night = all_night as f64 / table.len().max(1) as f64;
    a
}

/// Per cluster, trace → (members who emitted it, their events), from the sorted hits.
fn trace_use(
    hits: &[lockstep_sweep::Hit],
    cluster_of: &[u32],
    n_clusters: usize,
) -> Vec<FxHashMap<u32, (u32, u32)>> {
    let mut out: Vec<FxHashMap<u32, (u32, u32)>> = vec![FxHashMap::default(); n_clusters + 1];
    let mut group: Vec<(u32, u32)> = Vec::new();
    for run in hits.chunk_by(|x, y| x.trace == y.trace) {
        let trace = run[0].trace;
        group.clear();
        group.extend(
            run.iter()
                .filter(|h| cluster_of[h.account as usize] != 0)
                .map(|h| (h.account, h.event)),
        );
        group.sort_unstable();
        let mut last_acc = u32::MAX;
        for &(acc, _) in &group {
            let c = cluster_of[acc as usize] as usize;
            let entry = out[c].entry(trace).or_insert((0, 0));
            entry.1 += 1;
            if acc != last_acc {
                entry.0 += 1;
                last_acc = acc;
            }
        }
    }
    out
}

/// Account findings from the kept edges (indexed by account while millions of edges are
/// summed).
fn account_findings(edges: &[Edge], n: usize) -> Vec<Option<AccountFinding>> {
    let mut by_account: Vec<Option<AccountFinding>> = vec![None; n];
    for e in edges {
        let s = lockstep_graph::strength(e);
        for x in [e.a, e.b] {
            let r = by_account[x as usize].get_or_insert(AccountFinding {
                score: 0.0,
                edges: 0,
                co_actions: 0,
                layers: 0,
                best_q: 1.0,
            });
            r.edges += 1;
            r.co_actions += u64::from(e.co_actions);
            r.layers |= e.layers;
            r.score = r.score.max(s / 30.0);
            r.best_q = r.best_q.min(e.q_value);
        }
    }
    by_account
}

/// Explains every cluster. `ingested.hits` must be sorted by trace (as the sweep leaves
/// them); `watchlist` is the one whose marks the ingest stage recorded.
pub fn explain(
    ingested: &Ingested,
    edges: &[Edge],
    clusters: &[Cluster],
    watchlist: Option<&Watchlist>,
    fast_window_s: f64,
    cohorts: &lockstep_cohort::Cohorts,
) -> Findings {
    let table = &ingested.table;
    let n = table.n_accounts();
    let mut cluster_of = vec![0u32; n];
    for c in clusters {
        for &m in &c.members {
            cluster_of[m as usize] = c.id;
        }
    }
    let accounts = account_findings(edges, n);
    let mut act = activity(table, &cluster_of, clusters.len());
    let trace_use = trace_use(&ingested.hits, &cluster_of, clusters.len());
    let mut background_shapes: BTreeMap<String, usize> = BTreeMap::new();
    for a in 0..n as u32 {
        *background_shapes
            .entry(signals::shape(table.account_handle(a)))
            .or_insert(0) += 1;
    }
    let coverage = signals::coverage_start(table.times());
    let self_shares = self_shares(&ingested.hits, &ingested.traces);
    let mut repeating: Vec<u32> = vec![0; n];
    for s in &self_shares {
        let r = &mut repeating[s.account as usize];
        *r = (*r).max(s.shares);
    }

    let mut out = Vec::with_capacity(clusters.len());
    for c in clusters {
        let size = c.members.len();
        let internal: Vec<&Edge> = c.internal_edges.iter().map(|&i| &edges[i]).collect();
        // Edges per layer: counted per layer bit, named once (millions of edges at scale).
        let mut per_bit = [0u32; 32];
        for e in &internal {
            for (b, n) in per_bit.iter_mut().enumerate() {
                *n += (e.layers >> b) & 1;
            }
        }
        let mut layers: BTreeMap<&'static str, u32> = BTreeMap::new();
        for (b, &k) in per_bit.iter().enumerate() {
            if k > 0 {
                for name in LayerKind::names_in(1 << b) {
                    *layers.entry(name).or_insert(0) += k;
                }
            }
        }
        let mut gaps: Vec<i64> = internal.iter().map(|e| e.median_gap_ms).collect();
        gaps.sort_unstable();
        let median_gap_s = gaps.get(gaps.len() / 2).copied().unwrap_or(0) as f64 / 1000.0;
        let first = internal.iter().map(|e| e.first).min().unwrap_or(0);
        let last = internal.iter().map(|e| e.last).max().unwrap_or(0);
        let co_actions: u64 = internal.iter().map(|e| u64::from(e.co_actions)).sum();
        let density = if size > 1 {
            2.0 * internal.len() as f64 / (size * (size - 1)) as f64
        } else {
            0.0
        };
        let score = c.evidence;
        let lag_s = {
            let q = |f: f64| {
                gaps.get(((gaps.len() as f64 - 1.0) * f).round() as usize)
                    .copied()
                    .unwrap_or(0) as f64
                    / 1000.0
            };
            [q(0.1), q(0.5), q(0.9)]
        };
        let leaders = leaders(table, &internal);
        let fast = fast_core(&internal, fast_window_s);

        let mut top: Vec<(u32, (u32, u32))> = trace_use[c.id as usize]
            .iter()
            .filter(|(_, v)| v.0 >= 2)
            .map(|(&k, &v)| (k, v))
            .collect();
        // Ties by the trace's key: trace ids follow the order of reading.
        top.sort_by(|x, y| {
            y.1.cmp(&x.1)
                .then_with(|| ingested.traces.key(x.0).cmp(ingested.traces.key(y.0)))
        });
        let count = |&(t, (accs, evs)): &(u32, (u32, u32))| TraceCount {
            trace: ingested.traces.key(t).to_string(),
            label: ingested.trace_label(t),
            accounts: accs,
            events: evs,
        };
        let top_traces: Vec<TraceCount> = top.iter().take(10).map(count).collect();
        let indicators: Vec<TraceCount> = top
            .iter()
            .filter(|(t, _)| {
                let layer = ingested
                    .traces
                    .key(*t)
                    .split_once(':')
                    .map_or("", |(l, _)| l);
                [LayerKind::Url, LayerKind::Hashtag, LayerKind::HashtagSet]
                    .iter()
                    .any(|k| k.name() == layer)
            })
            .take(MAX_INDICATORS)
            .map(count)
            .collect();

        let (act_day, act_n) =
            signals::activation(c.members.iter().map(|&m| act.days[m as usize].clone()));
        let activation = (act_n > 0).then_some(Activation {
            date: Day(act_day),
            share: f64::from(act_n) / size as f64,
            censored: !signals::switch_on_observed(act_day, coverage),
        });

        let mut signals = vec![Signal::CoAction {
            members: size,
            co_actions,
            pairs: internal.len(),
            median_gap_s,
        }];
        if let Some(best) = internal
            .iter()
            .map(|e| e.q_value)
            .min_by(|x, y| x.total_cmp(y))
        {
            signals.push(Signal::StrongestPair { q_value: best });
        }
        signals.extend(signals::activation_cohort(act_day, act_n, size, coverage));
        signals.extend(signals::marker_hashtags(
            c.members
                .iter()
                .map(|&m| (act.posts[m as usize], &act.tag_use[m as usize])),
            size,
            |t| table.tag(t).to_string(),
        ));
        signals.extend(signals::cross_platform(
            c.members.iter().map(|&m| table.account_platform(m)),
        ));
        signals.extend(signals::name_template(
            c.members.iter().map(|&m| table.account_handle(m)),
            size,
            &background_shapes,
            n,
        ));
        let created: Vec<i64> = c
            .members
            .iter()
            .filter_map(|&m| table.account_created(m))
            .collect();
        signals.extend(signals::creation_cohort(&created));
        let member_posts: u32 = c.members.iter().map(|&m| act.posts[m as usize]).sum();
        let member_night: u32 = c.members.iter().map(|&m| act.night[m as usize]).sum();
        signals.extend(signals::night_hours(
            member_posts,
            member_night,
            act.background_night,
        ));
        if let Some(l) = leaders.first() {
            let all = l.led + l.followed;
            if l.led >= 5 && f64::from(l.led) >= 0.8 * f64::from(all) {
                signals.push(Signal::Leader {
                    account: l.account.clone(),
                    led: l.led,
                    co_actions: all,
                });
            }
        }
        if fast.members >= 3 {
            signals.push(Signal::FastCore {
                members_fast: fast.members,
                members: size,
                window_s: fast_window_s,
            });
        }
        let one_sided = internal.iter().filter(|e| e.activity_ratio >= 10.0).count();
        if one_sided * 5 >= internal.len() && one_sided >= 3 {
            signals.push(Signal::OneSided {
                edges: one_sided,
                of: internal.len(),
            });
        }
        let repeaters: Vec<u32> = c
            .members
            .iter()
            .map(|&m| repeating[m as usize])
            .filter(|&k| k > 0)
            .collect();
        if !repeaters.is_empty() {
            signals.push(Signal::SelfAmplification {
                members_repeating: repeaters.len(),
                members: size,
                max_shares: repeaters.iter().copied().max().unwrap_or(0),
            });
        }

        let timeline = std::mem::take(&mut act.timelines[c.id as usize])
            .into_iter()
            .map(|(h, k)| (h * HOUR, k))
            .collect();
        let evidence = evidence(ingested, &internal);
        let mut targets = Vec::new();
        if let Some(w) = watchlist {
            targets = w.targets(
                ingested
                    .marks
                    .iter()
                    .filter(|&&(ev, _)| cluster_of[table.account(ev) as usize] == c.id)
                    .map(|&(_, m)| m),
            );
            signals.extend(signals::watchlist_target(&targets));
        }
        let mut members: Vec<String> = c
            .members
            .iter()
            .map(|&m| table.account_name(m).to_string())
            .collect();
        members.sort();
        let amplifiers: Vec<AmplifierFinding> = cohorts
            .amplifiers
            .iter()
            .filter(|a| a.cluster == c.id)
            .map(|a| AmplifierFinding {
                account_id: a.account,
                account: table.account_name(a.account).to_string(),
                kind: a.kind,
                traces: a.traces.clone(),
                days: a.days.iter().map(|&d| Day(d)).collect(),
                hours: a.hours,
                in_windows: a.in_windows,
                expected: a.expected,
                p_value: a.p_value,
                q_value: a.q_value,
            })
            .collect();
        if !amplifiers.is_empty() {
            let mut traces: Vec<String> =
                amplifiers.iter().flat_map(|a| a.traces.clone()).collect();
            traces.sort();
            traces.dedup();
            let mut days: Vec<Day> = amplifiers.iter().flat_map(|a| a.days.clone()).collect();
            days.sort();
            days.dedup();
            signals.push(Signal::Amplifiers {
                accounts: amplifiers.len(),
                traces,
                days,
            });
        }
        out.push(ClusterFinding {
            id: c.id,
            size,
            score,
            members,
            layers,
            edges: internal.len(),
            density,
            co_actions,
            first,
            last,
            median_gap_s,
            lag_s,
            leaders,
            fast,
            top_traces,
            indicators,
            activation,
            signals,
            targets,
            timeline,
            evidence,
            campaign_traces: cohorts
                .traces
                .iter()
                .filter(|t| t.cluster == c.id)
                .map(|t| CampaignTrace {
                    trace: t.trace.clone(),
                    own: t.own,
                    windows: t.windows.clone(),
                })
                .collect(),
            amplifier_count: amplifiers.len(),
            amplifiers,
        });
    }
    Findings {
        clusters: out,
        accounts,
        self_shares,
        timing: timing(&ingested.hits),
    }
}

/// The members that most often acted first in their co-actions inside the cluster (three or
/// more co-actions, most of them first), by the share led, at most ten.
fn leaders(table: &EventTable, internal: &[&Edge]) -> Vec<Leader> {
    let mut led: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for e in internal {
        let (a_first, b_first) = (e.a_first, e.co_actions - e.a_first);
        let x = led.entry(e.a).or_default();
        *x = (x.0 + a_first, x.1 + b_first);
        let y = led.entry(e.b).or_default();
        *y = (y.0 + b_first, y.1 + a_first);
    }
    let mut out: Vec<(u32, u32, u32)> = led
        .into_iter()
        .filter(|&(_, (l, f))| l + f >= 3 && l > f)
        .map(|(m, (l, f))| (m, l, f))
        .collect();
    // By the share led (compared as fractions), then by co-actions, then by name.
    out.sort_by(|x, y| {
        (u64::from(y.1) * u64::from(x.1 + x.2))
            .cmp(&(u64::from(x.1) * u64::from(y.1 + y.2)))
            .then((y.1 + y.2).cmp(&(x.1 + x.2)))
            .then_with(|| table.account_name(x.0).cmp(table.account_name(y.0)))
    });
    out.truncate(10);
    out.into_iter()
        .map(|(m, led, followed)| Leader {
            account: table.account_name(m).to_string(),
            led,
            followed,
        })
        .collect()
}

/// The internal edges with at least two co-actions within the fast window.
fn fast_core(internal: &[&Edge], window_s: f64) -> FastCore {
    let fast: Vec<&&Edge> = internal.iter().filter(|e| e.fast >= 2).collect();
    let mut members: Vec<u32> = fast.iter().flat_map(|e| [e.a, e.b]).collect();
    members.sort_unstable();
    members.dedup();
    FastCore {
        window_s,
        edges: fast.len(),
        members: members.len(),
        co_actions: fast.iter().map(|e| u64::from(e.fast)).sum(),
    }
}

/// Accounts that re-shared one post 3 or more times within an hour (on `repost:` traces),
/// from the hits sorted by trace.
fn self_shares(
    hits: &[lockstep_sweep::Hit],
    traces: &lockstep_trace::TraceTable,
) -> Vec<SelfShare> {
    let mut out = Vec::new();
    let mut mine: Vec<(u32, i64)> = Vec::new();
    for run in hits.chunk_by(|x, y| x.trace == y.trace) {
        if run.len() < 3 || traces.layer(run[0].trace) != LayerKind::Repost {
            continue;
        }
        mine.clear();
        mine.extend(run.iter().map(|h| (h.account, h.time)));
        mine.sort_unstable();
        for acc in mine.chunk_by(|x, y| x.0 == y.0) {
            if acc.len() < 3 {
                continue;
            }
            // The densest hour: the most shares with at most an hour from first to last.
            let (mut best, mut lo) = ((0usize, 0usize), 0usize);
            for hi in 0..acc.len() {
                while acc[hi].1 - acc[lo].1 > HOUR {
                    lo += 1;
                }
                if hi + 1 - lo > best.1 + 1 - best.0 {
                    best = (lo, hi);
                }
            }
            let shares = (best.1 + 1 - best.0) as u32;
            if shares >= 3 {
                out.push(SelfShare {
                    account: acc[0].0,
                    trace: run[0].trace,
                    shares,
                    first: acc[best.0].1,
                    last: acc[best.1].1,
                });
            }
        }
    }
    out.sort_unstable_by_key(|s| (s.account, s.trace));
    out
}

/// Gaps between consecutive hits of different accounts on one trace (hits sorted by trace,
/// then time), on a log-scale histogram: their median and 90th percentile.
fn timing(hits: &[lockstep_sweep::Hit]) -> Timing {
    // Buckets of a quarter of a binary order of magnitude from 1 ms.
    let bucket = |ms: i64| ((ms.max(1) as f64).log2() * 4.0) as usize;
    let mut hist = vec![0u64; 200];
    let mut n = 0u64;
    for run in hits.chunk_by(|x, y| x.trace == y.trace) {
        for w in run.windows(2) {
            if w[0].account != w[1].account {
                hist[bucket(w[1].time - w[0].time).min(199)] += 1;
                n += 1;
            }
        }
    }
    let quantile = |q: f64| {
        let want = (q * n as f64).ceil() as u64;
        let mut seen = 0;
        for (b, &k) in hist.iter().enumerate() {
            seen += k;
            if seen >= want.max(1) {
                return 2f64.powf(b as f64 / 4.0) / 1000.0;
            }
        }
        0.0
    };
    Timing {
        gaps: n,
        median_gap_s: if n > 0 { quantile(0.5) } else { 0.0 },
        p90_gap_s: if n > 0 { quantile(0.9) } else { 0.0 },
    }
}

/// Evidence posts: the sample pairs of posts of the strongest edges, strongest first, each
/// post once, up to six posts.
fn evidence(ingested: &Ingested, internal: &[&Edge]) -> Vec<EvidencePost> {
    const POSTS: usize = 6;
    // A total order (pairs are unique); only the strongest few are sorted.
    let by_strength = |x: &&&Edge, y: &&&Edge| {
        x.q_value
            .total_cmp(&y.q_value)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    };
    let mut strongest: Vec<&&Edge> = internal.iter().collect();
    let take = POSTS * 2;
    if strongest.len() > take {
        strongest.select_nth_unstable_by(take, by_strength);
        strongest.truncate(take);
    }
    strongest.sort_by(by_strength);
    let mut posts: Vec<u32> = Vec::new();
    let post_of = ingested.table.posts();
    'edges: for e in strongest {
        for &(ea, eb) in &e.samples {
            for ev in [ea, eb] {
                // Rows of one post are one post.
                if !posts
                    .iter()
                    .any(|&p| post_of[p as usize] == post_of[ev as usize])
                {
                    posts.push(ev);
                }
            }
            if posts.len() >= POSTS {
                break 'edges;
            }
        }
    }
    posts.truncate(POSTS);
    posts.into_iter().map(|ev| post(ingested, ev)).collect()
}

fn post(ingested: &Ingested, ev: u32) -> EvidencePost {
    let t = &ingested.table;
    let (file, line) = t.source(ev);
    EvidencePost {
        event: ev,
        id: t.id(ev).to_string(),
        account: t.account_name(t.account(ev)).to_string(),
        time: t.time(ev),
        platform: t.platform(ev).to_string(),
        kind: t.kind(ev),
        text: t.text(ev).map(|s| s.chars().take(280).collect()),
        link: t.link(ev),
        source: Source {
            file: ingested
                .inputs
                .get(file as usize)
                .map(|f| f.path.clone())
                .unwrap_or_default(),
            line,
        },
    }
}
