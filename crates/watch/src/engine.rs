//! The sliding-horizon detector: the batch stages' rules applied incrementally.
//!
//! Events wait in `pending` until their tick; a tick takes the pending events stamped before
//! its boundary in (time, platform, id, account) order, so a tick's work does not depend on
//! how its events were chunked on arrival. Each new hit meets only the hits of its trace's
//! window (the sweep's candidate rule: at most `max_crowd` nearest earlier hits, other
//! accounts), and its candidates are appended to the horizon's record log. Pairs keep a
//! count of live records; exposure (hits and capped crowd per account) is updated as hits
//! arrive and leave. Significance is re-tested only for pairs whose records changed (the
//! batch test, `lockstep_graph::test_edge`), BH ranks the pairs that can pass (p ≤ the rate)
//! with `m` = every pair in the horizon, and clusters are the batch clustering of the
//! significant core. Everything is ordered by event time and content; hash maps are never
//! iterated for results.

use crate::text::{Prepared, TextIndex};
use lockstep_core::{Event, Quarantined};
use lockstep_graph::{Cluster, ClusterParams, Edge};
use lockstep_sweep::{Exposure, PairTrace, Record, WEIGHT_SCALE};
use lockstep_trace::{EventKeys, Layer, LayerKind};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Where an event was read: the source's index and the record's line in it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Origin {
    pub source: u32,
    pub line: u64,
}

/// The detector's fixed parameters (from the command line; part of the state, so a resumed
/// run cannot silently change them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Config {
    pub horizon_ms: i64,
    pub lateness_ms: i64,
    pub tick_ms: i64,
    /// Least stream time between two re-tests (0: every tick).
    pub retest_ms: i64,
    /// Windows per class: [ordinary, script].
    pub windows_ms: [i64; 2],
    /// The fast sub-network's window (co-actions within it are counted apart).
    #[serde(default)]
    pub fast_window_ms: i64,
    pub max_crowd: u32,
    pub min_co_actions: u32,
    /// Pairs with p above this are never ranked (q ≥ p): the cluster rate.
    pub alpha: f64,
    pub layers: Vec<LayerKind>,
    pub text_similarity: f64,
    pub text_min_tokens: usize,
    pub text_script_words: usize,
    pub min_cluster_size: usize,
    pub min_mean_degree: f64,
    pub resolution: f64,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEvent {
    pub event: Event,
    pub origin: Origin,
    /// Hit seqs of this event's traces.
    hits: Vec<u64>,
    account: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HitRec {
    trace: u32,
    time: i64,
    account: u32,
    event: u64,
    /// Capped partners before and after in its window (its exposure share).
    before: u32,
    after: u32,
    live: bool,
}

/// A candidate record ([`Record`], which the sweep keeps free of serde) and its pair's
/// previous record's seq (u64::MAX: none).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Rec {
    trace: u32,
    pair: u64,
    ev_a: u32,
    ev_b: u32,
    t_first: i64,
    t_last: i64,
    weight: u32,
    /// The earlier hit is account `a`'s.
    #[serde(default)]
    a_first: bool,
    prev: u64,
}

impl Rec {
    fn record(&self) -> Record {
        Record {
            pair: self.pair,
            ev_a: self.ev_a,
            ev_b: self.ev_b,
            t_first: self.t_first,
            t_last: self.t_last,
            weight: self.weight,
            a_first: self.a_first,
        }
    }
}

/// An [`Edge`] as the state keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EdgeState {
    a: u32,
    b: u32,
    co_actions: u32,
    weight: f64,
    layers: u32,
    traces: u32,
    first: i64,
    last: i64,
    median_gap_ms: i64,
    samples: Vec<(u32, u32)>,
    #[serde(default)]
    a_first: u32,
    #[serde(default)]
    fast: u32,
    #[serde(default = "one")]
    activity_ratio: f64,
    expected: f64,
    p_value: f64,
    /// The pair's live records when it was tested (the drift rule of `mark_dirty`).
    #[serde(default)]
    live: u32,
}

fn one() -> f64 {
    1.0
}

impl From<&Edge> for EdgeState {
    fn from(e: &Edge) -> EdgeState {
        EdgeState {
            a: e.a,
            b: e.b,
            co_actions: e.co_actions,
            weight: e.weight,
            layers: e.layers,
            traces: e.traces,
            first: e.first,
            last: e.last,
            median_gap_ms: e.median_gap_ms,
            samples: e.samples.clone(),
            a_first: e.a_first,
            fast: e.fast,
            activity_ratio: e.activity_ratio,
            expected: e.expected,
            p_value: e.p_value,
            live: 0,
        }
    }
}

impl EdgeState {
    fn edge(&self) -> Edge {
        Edge {
            a: self.a,
            b: self.b,
            co_actions: self.co_actions,
            weight: self.weight,
            layers: self.layers,
            traces: self.traces,
            first: self.first,
            last: self.last,
            median_gap_ms: self.median_gap_ms,
            samples: self.samples.clone(),
            a_first: self.a_first,
            fast: self.fast,
            activity_ratio: self.activity_ratio,
            expected: self.expected,
            p_value: self.p_value,
            q_value: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct PairAgg {
    live: u32,
    last: u64,
}

/// Ids with reference counts; a freed id is reused (last freed first), so the id space is
/// bounded by the horizon's content, not by the stream's history.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Interner {
    names: Vec<String>,
    ids: FxHashMap<String, u32>,
    refs: Vec<u32>,
    free: Vec<u32>,
}

impl Interner {
    fn get_or_add(&mut self, name: &str) -> (u32, bool) {
        if let Some(&id) = self.ids.get(name) {
            return (id, false);
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.names[id as usize] = name.to_string();
                id
            }
            None => {
                self.names.push(name.to_string());
                self.refs.push(0);
                (self.names.len() - 1) as u32
            }
        };
        self.ids.insert(name.to_string(), id);
        (id, true)
    }
    fn add_ref(&mut self, id: u32) {
        self.refs[id as usize] += 1;
    }
    /// Drops a reference; true when the id was freed.
    fn release(&mut self, id: u32) -> bool {
        let r = &mut self.refs[id as usize];
        *r = r.saturating_sub(1);
        if *r == 0 {
            let name = std::mem::take(&mut self.names[id as usize]);
            self.ids.remove(&name);
            self.free.push(id);
            true
        } else {
            false
        }
    }
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
    pub fn capacity(&self) -> usize {
        self.names.len()
    }
    pub fn live(&self) -> usize {
        self.ids.len()
    }
}

/// What a tick did, for progress and the benchmark (which work was incremental and which
/// recomputed).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TickStats {
    pub events: u64,
    pub hits: u64,
    pub candidates: u64,
    pub evicted_events: u64,
    pub evicted_records: u64,
    pub retested: bool,
    pub pairs_tested: u64,
    pub ranked: u64,
    pub significant: u64,
    pub clustered: bool,
}

/// Running totals (reported continuously, kept in the state).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub late: u64,
    pub duplicates: u64,
    pub ticks: u64,
    pub retests: u64,
    pub reclusters: u64,
    pub candidates: u64,
    pub pairs_tested: u64,
}

/// The detector. Serializable whole: the checkpoint is this value.
#[derive(Serialize, Deserialize)]
pub struct Engine {
    pub cfg: Config,
    /// The latest event time admitted (the stream's clock in replay).
    pub stream_time: i64,
    /// The boundary of the last tick (hits before it are swept).
    pub swept_until: i64,
    last_retest: i64,
    pending: Vec<(Event, Origin)>,
    events: VecDeque<StoredEvent>,
    events_front: u64,
    /// (platform, id) → event seq, for duplicates.
    posts: FxHashMap<String, u64>,
    pub accounts: Interner,
    pub traces: Interner,
    trace_layer: Vec<u8>,
    trace_class: Vec<u8>,
    hits: VecDeque<HitRec>,
    hits_front: u64,
    windows: FxHashMap<u32, VecDeque<u64>>,
    records: VecDeque<Rec>,
    records_front: u64,
    pairs: FxHashMap<u64, PairAgg>,
    exposure_hits: Vec<u32>,
    exposure_crowd: Vec<u64>,
    total_hits: u64,
    dirty: FxHashSet<u64>,
    /// Pairs that can pass BH (p ≤ alpha, co ≥ min), with their edge as last tested.
    ranked: FxHashMap<u64, EdgeState>,
    /// The ranked pairs by (p, pair), sorted (p ≥ 0, so its bits order like the number);
    /// changes wait in `order_rm` / `order_add` and are merged in at the next re-test, so
    /// the cut is one sequential scan.
    order: Vec<(u64, u64)>,
    order_rm: FxHashSet<(u64, u64)>,
    order_add: FxHashSet<(u64, u64)>,
    /// Scratch for `merge_order`.
    #[serde(skip)]
    order_tail: Vec<(u64, u64)>,
    /// The smallest p touched since the last cut (a change above the cut moves nothing).
    min_changed: u64,
    /// (K, p of the K-th pair) at the last cut.
    cut: (u64, u64),
    /// Every pair is re-tested at the next re-test (exposure drift cleared).
    full_retest: bool,
    /// Ranked pairs by account, and each account's (hits, crowd) when its ranked pairs were
    /// last tested: a pair is re-tested when an account's exposure drifted by a tenth, so no
    /// p-value is far from what the horizon gives now.
    ranked_of: FxHashMap<u32, FxHashSet<u64>>,
    tested_exposure: FxHashMap<u32, (u32, u64)>,
    /// Accounts whose exposure changed since the last re-test.
    touched: FxHashSet<u32>,
    text: TextIndex,
    pub totals: Totals,
    /// The significant core and its clusters as of the last re-cluster.
    #[serde(skip)]
    pub last_edges: Vec<Edge>,
    #[serde(skip)]
    pub last_clusters: Vec<Cluster>,
    core_accounts: Vec<String>,
    core_ids: Vec<u32>,
    core_edges: u64,
    /// `in_core[a]`: account id `a` is in `core_ids` (derived; rebuilt after a resume).
    #[serde(skip)]
    in_core: Vec<bool>,
    #[serde(skip)]
    in_core_built: bool,
    /// Per account id, the last re-test that saw it in the cut (derived, scratch).
    #[serde(skip)]
    seen: Vec<u32>,
    #[serde(skip)]
    seen_epoch: u32,
    #[serde(skip)]
    layers: Vec<Box<dyn Layer>>,
}

/// What `tick` hands back: stats, and clusters when they were recomputed.
pub struct TickOut {
    pub boundary: i64,
    pub stats: TickStats,
    /// `Some` when this tick re-clustered: clusters with members as names, each with its
    /// score, and the edges they are made of.
    pub clusters: Option<Vec<ClusterView>>,
}

/// A cluster of the current horizon, by account names (ids are internal and reused).
#[derive(Debug, Clone)]
pub struct ClusterView {
    /// Sorted names.
    pub members: Vec<String>,
    pub score: f64,
    pub layers: Vec<&'static str>,
    /// Readable traces shared most inside the cluster, with their co-action counts.
    pub top_traces: Vec<(String, u64)>,
    /// Post ids of the strongest internal edges' sample co-actions, earliest first.
    pub evidence: Vec<String>,
    /// Index into the engine's `last_clusters`.
    pub index: usize,
}

const NONE: u64 = u64::MAX;

/// A p-value's bits, which order like the number for p ≥ 0 (−0 taken as 0).
fn pkey(p: f64) -> u64 {
    if p > 0.0 {
        p.to_bits()
    } else {
        0
    }
}

fn pair_key(a: u32, b: u32) -> u64 {
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    (u64::from(a) << 32) | u64::from(b)
}

fn layer_index(l: LayerKind) -> u8 {
    LayerKind::ALL.iter().position(|&k| k == l).unwrap_or(0) as u8
}

impl Engine {
    pub fn new(cfg: Config) -> Engine {
        let text = TextIndex::new(cfg.text_similarity, cfg.text_min_tokens);
        let mut e = Engine {
            cfg,
            stream_time: i64::MIN,
            swept_until: i64::MIN,
            last_retest: i64::MIN,
            pending: Vec::new(),
            events: VecDeque::new(),
            events_front: 0,
            posts: FxHashMap::default(),
            accounts: Interner::default(),
            traces: Interner::default(),
            trace_layer: Vec::new(),
            trace_class: Vec::new(),
            hits: VecDeque::new(),
            hits_front: 0,
            windows: FxHashMap::default(),
            records: VecDeque::new(),
            records_front: 0,
            pairs: FxHashMap::default(),
            exposure_hits: Vec::new(),
            exposure_crowd: Vec::new(),
            total_hits: 0,
            dirty: FxHashSet::default(),
            ranked: FxHashMap::default(),
            order: Vec::new(),
            order_rm: FxHashSet::default(),
            order_add: FxHashSet::default(),
            order_tail: Vec::new(),
            min_changed: u64::MAX,
            cut: (0, 0),
            full_retest: false,
            ranked_of: FxHashMap::default(),
            tested_exposure: FxHashMap::default(),
            touched: FxHashSet::default(),
            text,
            totals: Totals::default(),
            last_edges: Vec::new(),
            last_clusters: Vec::new(),
            core_accounts: Vec::new(),
            core_ids: Vec::new(),
            core_edges: 0,
            in_core: Vec::new(),
            in_core_built: false,
            seen: Vec::new(),
            seen_epoch: 0,
            layers: Vec::new(),
        };
        e.init_layers();
        e
    }

    /// Layers are code, not state: rebuilt after a resume.
    pub fn init_layers(&mut self) {
        self.layers = self
            .cfg
            .layers
            .iter()
            .filter_map(|&k| lockstep_trace::layer(k))
            .collect();
    }

    pub fn horizon_events(&self) -> impl Iterator<Item = &StoredEvent> {
        self.events.iter()
    }

    pub fn horizon_len(&self) -> usize {
        self.events.len()
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Sizes for progress and memory reports.
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        (
            self.events.len(),
            self.hits.len(),
            self.records.len(),
            self.pairs.len(),
        )
    }

    /// Re-tests every pair at the next re-test with the exposure as it is then, and
    /// re-clusters: the end of a replay (and a snapshot) see no drifted p-value.
    pub fn settle(&mut self) -> TickOut {
        self.full_retest = true;
        self.cut = (u64::MAX, 0);
        self.set_core_ids(Vec::new());
        let mut stats = TickStats::default();
        let clusters = self.retest(&mut stats);
        TickOut {
            boundary: self.swept_until,
            stats,
            clusters,
        }
    }

    /// The next tick boundary after the last one.
    fn next_boundary(&self) -> i64 {
        if self.swept_until == i64::MIN {
            // The first tick: the boundary after the first event's tick slot.
            let t = self.stream_time;
            t.div_euclid(self.cfg.tick_ms) * self.cfg.tick_ms + self.cfg.tick_ms
        } else {
            self.swept_until + self.cfg.tick_ms
        }
    }

    /// Takes one event read from a source. Events more than the lateness behind the stream,
    /// or before the last swept tick minus the lateness, are quarantined with the reason.
    pub fn admit(
        &mut self,
        event: Event,
        origin: Origin,
        source_name: &str,
    ) -> Option<Quarantined> {
        self.totals.read += 1;
        let floor = if self.stream_time == i64::MIN {
            i64::MIN
        } else {
            self.stream_time - self.cfg.lateness_ms
        };
        if event.time_ms < floor {
            self.totals.late += 1;
            self.totals.quarantined += 1;
            return Some(Quarantined {
                file: source_name.to_string(),
                record: origin.line,
                reason: format!(
                    "late: stamped {} ms before the stream's clock ({}), more than --lateness ({} ms)",
                    self.stream_time - event.time_ms,
                    lockstep_core::format_time(self.stream_time),
                    self.cfg.lateness_ms
                ),
                raw: format!("{} {}", event.id, event.account),
            });
        }
        self.totals.accepted += 1;
        if self.swept_until == i64::MIN {
            // The clock starts at the first event's tick slot.
            self.swept_until = event.time_ms.div_euclid(self.cfg.tick_ms) * self.cfg.tick_ms;
        }
        self.stream_time = self.stream_time.max(event.time_ms);
        self.pending.push((event, origin));
        None
    }

    /// Counts a record a reader quarantined (read = accepted + quarantined).
    pub fn count_quarantined(&mut self) {
        self.totals.read += 1;
        self.totals.quarantined += 1;
    }

    /// The boundary of the next tick that is due at clock `now` (stream time in replay,
    /// wall clock live), if any.
    pub fn due(&self, now: i64) -> Option<i64> {
        if self.stream_time == i64::MIN {
            return None;
        }
        let b = self.next_boundary();
        (now >= b).then_some(b)
    }

    /// Runs the tick ending at `boundary`.
    pub fn tick(&mut self, boundary: i64) -> TickOut {
        let mut stats = TickStats::default();
        self.totals.ticks += 1;
        // The tick's events in an order given by content alone.
        let mut batch: Vec<(Event, Origin)> = Vec::new();
        let mut keep = Vec::with_capacity(self.pending.len());
        for p in self.pending.drain(..) {
            if p.0.time_ms < boundary {
                batch.push(p);
            } else {
                keep.push(p);
            }
        }
        self.pending = keep;
        batch.sort_by(|a, b| {
            (a.0.time_ms, &a.0.platform, &a.0.id, &a.0.account).cmp(&(
                b.0.time_ms,
                &b.0.platform,
                &b.0.id,
                &b.0.account,
            ))
        });
        // Shingles and band keys depend on the text alone: prepared on every core.
        let min_tokens = self.text.min_tokens();
        let with_text = self.cfg.layers.contains(&LayerKind::Text);
        let prepared: Vec<Option<Prepared>> = batch
            .par_iter()
            .with_min_len(256)
            .map(|(ev, _)| {
                ev.text
                    .as_deref()
                    .filter(|_| with_text)
                    .and_then(|t| TextIndex::prepare(min_tokens, t))
            })
            .collect();
        for ((ev, origin), text) in batch.into_iter().zip(prepared) {
            self.add_event(ev, origin, text, &mut stats);
        }
        self.swept_until = boundary;
        self.evict(boundary - self.cfg.horizon_ms, &mut stats);
        let mut clusters = None;
        let due = self.last_retest == i64::MIN || boundary - self.last_retest >= self.cfg.retest_ms;
        // Exposure that moved can drift a ranked pair's p-value, and evicted records change
        // BH's m or un-rank pairs: a re-test is due then too.
        let changed = !(self.dirty.is_empty() && self.touched.is_empty())
            || stats.evicted_records > 0
            || self.min_changed != u64::MAX;
        if due && changed {
            self.last_retest = boundary;
            clusters = self.retest(&mut stats);
        }
        self.totals.candidates += stats.candidates;
        TickOut {
            boundary,
            stats,
            clusters,
        }
    }

    fn add_event(
        &mut self,
        ev: Event,
        origin: Origin,
        text: Option<Prepared>,
        stats: &mut TickStats,
    ) {
        let post_key = format!("{}\u{0}{}", ev.platform, ev.id);
        if self.posts.contains_key(&post_key) {
            self.totals.duplicates += 1;
            return;
        }
        let seq = self.events_front + self.events.len() as u64;
        self.posts.insert(post_key, seq);
        stats.events += 1;
        let (account, new) = self.accounts.get_or_add(&ev.account);
        if new {
            let a = account as usize;
            if self.exposure_hits.len() <= a {
                self.exposure_hits.resize(a + 1, 0);
                self.exposure_crowd.resize(a + 1, 0);
            }
            self.exposure_hits[a] = 0;
            self.exposure_crowd[a] = 0;
        }
        self.accounts.add_ref(account);
        let keys = EventKeys::of(&ev, &self.layers);
        let mut trace_ids = Vec::new();
        for k in keys.traces() {
            trace_ids.push(self.intern_trace(k.full(), k.layer, 0));
        }
        let time = ev.time_ms;
        self.events.push_back(StoredEvent {
            event: ev,
            origin,
            hits: Vec::new(),
            account,
        });
        for t in trace_ids {
            self.add_hit(seq, t, time, account, stats);
        }
        if let Some(text) = text {
            let joined = self.text.add(seq, text, self.cfg.text_script_words);
            if let Some(j) = joined {
                // A family founded now gives its founder its hit too (at its own time).
                if let Some((root_seq, class)) = j.founded {
                    let root_id = self.event(root_seq).map(|e| e.event.id.clone());
                    if let Some(root_id) = root_id {
                        let t =
                            self.intern_trace(&format!("text:{root_id}"), LayerKind::Text, class);
                        self.text.set_family(root_seq, j.family_key, t, &mut |id| {
                            self.traces.add_ref(id)
                        });
                        let (rt, ra) = {
                            let e = self.event(root_seq).expect("root is in the horizon");
                            (e.event.time_ms, e.account)
                        };
                        self.add_hit(root_seq, t, rt, ra, stats);
                    }
                }
                if let Some(t) = self.text.family_trace(j.family_key) {
                    self.text
                        .set_family(seq, j.family_key, t, &mut |id| self.traces.add_ref(id));
                    self.add_hit(seq, t, time, account, stats);
                }
            }
        }
    }

    fn event(&self, seq: u64) -> Option<&StoredEvent> {
        seq.checked_sub(self.events_front)
            .and_then(|i| self.events.get(i as usize))
    }

    fn intern_trace(&mut self, full: &str, layer: LayerKind, class: u8) -> u32 {
        let (id, new) = self.traces.get_or_add(full);
        let i = id as usize;
        if self.trace_layer.len() <= i {
            self.trace_layer.resize(i + 1, 0);
            self.trace_class.resize(i + 1, 0);
        }
        if new {
            self.trace_layer[i] = layer_index(layer);
            self.trace_class[i] = class;
        }
        id
    }

    fn hit(&self, seq: u64) -> &HitRec {
        &self.hits[(seq - self.hits_front) as usize]
    }

    fn hit_mut(&mut self, seq: u64) -> &mut HitRec {
        &mut self.hits[(seq - self.hits_front) as usize]
    }

    /// One hit: its candidates against the trace's window (earlier hits, and later ones for
    /// a hit placed late), its exposure, and its neighbours' exposure.
    fn add_hit(&mut self, event: u64, trace: u32, time: i64, account: u32, stats: &mut TickStats) {
        stats.hits += 1;
        self.traces.add_ref(trace);
        let hseq = self.hits_front + self.hits.len() as u64;
        self.hits.push_back(HitRec {
            trace,
            time,
            account,
            event,
            before: 0,
            after: 0,
            live: true,
        });
        if let Some(e) = event
            .checked_sub(self.events_front)
            .and_then(|i| self.events.get_mut(i as usize))
        {
            e.hits.push(hseq);
        }
        let w = self.cfg.windows_ms[usize::from(self.trace_class[trace as usize].min(1))];
        let cap = self.cfg.max_crowd as usize;
        // Hits older than any that could still pair leave the window.
        let keep_from = self.swept_until.saturating_sub(self.cfg.lateness_ms + w);
        let mut win = self.windows.remove(&trace).unwrap_or_default();
        while let Some(&f) = win.front() {
            if self.hit(f).time < keep_from.min(time - w) {
                win.pop_front();
            } else {
                break;
            }
        }
        // Position: after every hit at the same or an earlier time.
        let pos = win.partition_point(|&s| self.hit(s).time <= time);
        let lo = win.partition_point(|&s| self.hit(s).time < time - w);
        let hi = win.partition_point(|&s| self.hit(s).time <= time + w);
        let others = ((pos - lo) + (hi - pos)).max(1) as f64;
        let weight = (WEIGHT_SCALE / others).round() as u32;
        let before = (pos - lo).min(cap) as u32;
        let after = (hi - pos).min(cap) as u32;
        let mut new_recs: Vec<(u64, u64)> = Vec::new(); // (later hit, earlier hit)
        for &j in win.range(lo.max(pos.saturating_sub(cap))..pos) {
            new_recs.push((hseq, j));
        }
        for &k in win.range(pos..hi.min(pos + cap)) {
            new_recs.push((k, hseq));
        }
        // Exposure: the neighbours whose capped counts grow by this hit.
        let mut crowd_add = u64::from(before + after);
        let earlier: Vec<u64> = win
            .range(lo.max(pos.saturating_sub(cap))..pos)
            .copied()
            .collect();
        for j in earlier {
            let h = self.hit_mut(j);
            if (h.after as usize) < cap {
                h.after += 1;
                let a = h.account as usize;
                self.exposure_crowd[a] += 1;
            }
        }
        let later: Vec<u64> = win.range(pos..hi.min(pos + cap)).copied().collect();
        for k in later {
            let h = self.hit_mut(k);
            if (h.before as usize) < cap {
                h.before += 1;
                let a = h.account as usize;
                self.exposure_crowd[a] += 1;
            }
        }
        {
            let h = self.hit_mut(hseq);
            h.before = before;
            h.after = after;
        }
        let a = account as usize;
        self.touched.insert(account);
        self.exposure_hits[a] += 1;
        self.exposure_crowd[a] += std::mem::take(&mut crowd_add);
        self.total_hits += 1;
        win.insert(pos, hseq);
        self.windows.insert(trace, win);
        for (later, earlier) in new_recs {
            let (hl, he) = (self.hit(later).clone(), self.hit(earlier).clone());
            if hl.account == he.account {
                continue;
            }
            let pair = pair_key(hl.account, he.account);
            let (ev_a, ev_b) = if hl.account < he.account {
                (hl.event as u32, he.event as u32)
            } else {
                (he.event as u32, hl.event as u32)
            };
            let r = Record {
                pair,
                ev_a,
                ev_b,
                t_first: he.time,
                t_last: hl.time,
                weight,
                a_first: he.account < hl.account,
            };
            self.push_record(trace, r);
            stats.candidates += 1;
        }
    }

    fn push_record(&mut self, trace: u32, r: Record) {
        let seq = self.records_front + self.records.len() as u64;
        let agg = self.pairs.entry(r.pair).or_insert(PairAgg {
            live: 0,
            last: NONE,
        });
        let prev = agg.last;
        agg.live += 1;
        agg.last = seq;
        let live = agg.live;
        self.mark_dirty(r.pair, live, true);
        let (a, b) = ((r.pair >> 32) as u32, r.pair as u32);
        self.accounts.add_ref(a);
        self.accounts.add_ref(b);
        self.traces.add_ref(trace);
        self.records.push_back(Rec {
            trace,
            pair: r.pair,
            ev_a: r.ev_a,
            ev_b: r.ev_b,
            t_first: r.t_first,
            t_last: r.t_last,
            weight: r.weight,
            a_first: r.a_first,
            prev,
        });
    }

    /// Everything stamped before `start` leaves the horizon.
    fn evict(&mut self, start: i64, stats: &mut TickStats) {
        while let Some(front) = self.events.front() {
            if front.event.time_ms >= start {
                break;
            }
            let e = self.events.pop_front().expect("front exists");
            let seq = self.events_front;
            self.events_front += 1;
            stats.evicted_events += 1;
            self.posts
                .remove(&format!("{}\u{0}{}", e.event.platform, e.event.id));
            for h in e.hits {
                self.evict_hit(h);
            }
            self.text.evict(seq, &mut |id| {
                self.traces.release(id);
            });
            self.release_account(e.account);
        }
        // Hits leave from the front of their log once evicted (late hits may sit behind).
        while self.hits.front().is_some_and(|h| !h.live) {
            self.hits.pop_front();
            self.hits_front += 1;
        }
        // A record goes once its earlier hit has left; the log is in arrival order, so the
        // front is trimmed while it is out (records behind an in-horizon one wait for it; at
        // test time records before the horizon are not counted).
        while let Some(front) = self.records.front() {
            if front.t_first >= start {
                break;
            }
            let rec = self.records.pop_front().expect("front exists");
            self.records_front += 1;
            stats.evicted_records += 1;
            if let Some(agg) = self.pairs.get_mut(&rec.pair) {
                agg.live -= 1;
                if agg.live == 0 {
                    self.pairs.remove(&rec.pair);
                    self.rank(rec.pair, None);
                    self.dirty.remove(&rec.pair);
                } else {
                    let live = agg.live;
                    self.mark_dirty(rec.pair, live, false);
                }
            }
            let (a, b) = ((rec.pair >> 32) as u32, rec.pair as u32);
            self.release_account(a);
            self.release_account(b);
            self.traces.release(rec.trace);
        }
    }

    /// A pair's records changed (`live` now; `grew`: a record came, else one left). A ranked
    /// pair that gained records is re-tested once they drifted by more than a tenth from when
    /// it was tested: each co-action of a pair with hundreds would otherwise re-fold its whole
    /// history, every tick. Losing records is re-tested at once (records are not co-actions:
    /// one evicted record can take a pair below the co-action floor). Pairs not ranked (where
    /// new clusters come from) are tested once they reach the floor.
    fn mark_dirty(&mut self, pair: u64, live: u32, grew: bool) {
        match self.ranked.get(&pair) {
            Some(e) if grew => {
                let floor = self.cfg.min_co_actions.max(1) * 2;
                if e.live >= floor && live >= floor && live.abs_diff(e.live) * 10 <= e.live {
                    return;
                }
            }
            Some(_) => {}
            // Below the co-action floor and not ranked: its test could only say "not ranked".
            None if live < self.cfg.min_co_actions => return,
            None => {}
        }
        self.dirty.insert(pair);
    }

    /// The core's accounts (sorted) and their flags.
    fn set_core_ids(&mut self, ids: Vec<u32>) {
        for &a in &self.core_ids {
            if let Some(f) = self.in_core.get_mut(a as usize) {
                *f = false;
            }
        }
        for &a in &ids {
            let i = a as usize;
            if self.in_core.len() <= i {
                self.in_core.resize(i + 1, false);
            }
            self.in_core[i] = true;
        }
        self.core_ids = ids;
        self.in_core_built = true;
    }

    /// Sets (or clears) a pair's ranked edge, keeping the p-ordered index in step. Most calls
    /// re-rank a ranked pair or clear one that was not ranked: neither touches `ranked_of`.
    fn rank(&mut self, pair: u64, edge: Option<EdgeState>) {
        let old = match edge {
            Some(e) => {
                let k = (pkey(e.p_value), pair);
                self.min_changed = self.min_changed.min(k.0);
                let old = self.ranked.insert(pair, e);
                if old.is_none() {
                    for x in [(pair >> 32) as u32, pair as u32] {
                        self.ranked_of.entry(x).or_default().insert(pair);
                    }
                }
                match &old {
                    // Re-ranked at the same p: nothing moves.
                    Some(o) if pkey(o.p_value) == k.0 => return,
                    _ => {}
                }
                if !self.order_rm.remove(&k) {
                    self.order_add.insert(k);
                }
                old
            }
            None => {
                let old = self.ranked.remove(&pair);
                if old.is_some() {
                    for x in [(pair >> 32) as u32, pair as u32] {
                        if let Some(set) = self.ranked_of.get_mut(&x) {
                            set.remove(&pair);
                            if set.is_empty() {
                                self.ranked_of.remove(&x);
                            }
                        }
                    }
                }
                old
            }
        };
        if let Some(old) = old {
            let k = (pkey(old.p_value), pair);
            self.min_changed = self.min_changed.min(k.0);
            if !self.order_add.remove(&k) {
                self.order_rm.insert(k);
            }
        }
    }

    /// Merges the waiting changes into the sorted order: both sides sorted, one walk over
    /// the order from the first key either touches (the prefix before it stays in place).
    fn merge_order(&mut self) {
        if self.order_add.is_empty() && self.order_rm.is_empty() {
            return;
        }
        let mut rm: Vec<(u64, u64)> = self.order_rm.drain().collect();
        rm.sort_unstable();
        let mut add: Vec<(u64, u64)> = self.order_add.drain().collect();
        add.sort_unstable();
        let first = match (add.first(), rm.first()) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) | (None, Some(&x)) => x,
            (None, None) => return,
        };
        let from = self.order.partition_point(|k| *k < first);
        let mut tail = std::mem::take(&mut self.order_tail);
        tail.clear();
        tail.extend_from_slice(&self.order[from..]);
        self.order.truncate(from);
        // The changes in key order (a key is never in both sets); the runs of unchanged keys
        // between them are copied whole.
        let (mut i, mut j, mut cur) = (0, 0, 0);
        loop {
            let (key, is_rm) = match (rm.get(i), add.get(j)) {
                (Some(&r), Some(&a)) if r < a => (r, true),
                (_, Some(&a)) => (a, false),
                (Some(&r), None) => (r, true),
                (None, None) => break,
            };
            let at = cur + tail[cur..].partition_point(|k| *k < key);
            self.order.extend_from_slice(&tail[cur..at]);
            cur = at;
            if is_rm {
                i += 1;
                if tail.get(cur) == Some(&key) {
                    cur += 1;
                }
            } else {
                j += 1;
                self.order.push(key);
            }
        }
        self.order.extend_from_slice(&tail[cur..]);
        self.order_tail = tail;
    }

    fn release_account(&mut self, a: u32) {
        self.accounts.release(a);
    }

    fn evict_hit(&mut self, hseq: u64) {
        let Some(i) = hseq.checked_sub(self.hits_front) else {
            return;
        };
        let Some(h) = self.hits.get_mut(i as usize) else {
            return;
        };
        if !h.live {
            return;
        }
        h.live = false;
        let (trace, account, crowd) = (h.trace, h.account, u64::from(h.before + h.after));
        let a = account as usize;
        self.touched.insert(account);
        self.exposure_hits[a] -= 1;
        self.exposure_crowd[a] -= crowd.min(self.exposure_crowd[a]);
        self.total_hits -= 1;
        if let Some(win) = self.windows.get_mut(&trace) {
            if win.front() == Some(&hseq) {
                win.pop_front();
            } else {
                win.retain(|&s| s != hseq);
            }
            if win.is_empty() {
                self.windows.remove(&trace);
            }
        }
        self.traces.release(trace);
    }

    /// The (pair, trace) records of a pair over the horizon, as the sweep would fold them.
    fn pair_traces(&self, pair: u64, start: i64) -> Vec<PairTrace> {
        let Some(agg) = self.pairs.get(&pair) else {
            return Vec::new();
        };
        let mut by_trace: Vec<(u32, Record)> = Vec::new();
        let mut s = agg.last;
        while s != NONE && s >= self.records_front {
            let rec = &self.records[(s - self.records_front) as usize];
            if rec.t_first >= start {
                by_trace.push((rec.trace, rec.record()));
            }
            s = rec.prev;
        }
        by_trace.sort_unstable_by_key(|(t, r)| (*t, r.t_first, r.t_last, r.ev_a, r.ev_b));
        let mut out = Vec::new();
        let mut i = 0;
        while i < by_trace.len() {
            let t = by_trace[i].0;
            let mut j = i;
            while j < by_trace.len() && by_trace[j].0 == t {
                j += 1;
            }
            let mut rs: Vec<Record> = by_trace[i..j].iter().map(|x| x.1).collect();
            out.push(lockstep_sweep::fold_records(
                t,
                &mut rs,
                self.cfg.fast_window_ms,
            ));
            i = j;
        }
        out
    }

    /// Re-tests the pairs whose records changed, ranks the pairs that can pass, and
    /// re-clusters when the significant core changed.
    fn retest(&mut self, stats: &mut TickStats) -> Option<Vec<ClusterView>> {
        stats.retested = true;
        self.totals.retests += 1;
        let start = self.swept_until - self.cfg.horizon_ms;
        // Pairs of accounts whose exposure drifted by more than a tenth since their pairs
        // were tested are re-tested too.
        let mut touched: Vec<u32> = self.touched.drain().collect();
        touched.sort_unstable();
        for a in touched {
            let Some(set) = self.ranked_of.get(&a) else {
                self.tested_exposure.remove(&a);
                continue;
            };
            let now = (
                self.exposure_hits.get(a as usize).copied().unwrap_or(0),
                self.exposure_crowd.get(a as usize).copied().unwrap_or(0),
            );
            let then = *self.tested_exposure.entry(a).or_insert(now);
            let drift = |x: u64, y: u64| x.abs_diff(y) * 10 > y.max(1);
            if drift(u64::from(now.0), u64::from(then.0)) || drift(now.1, then.1) {
                self.dirty.extend(set.iter().copied());
                self.tested_exposure.insert(a, now);
            }
        }
        let mut dirty: Vec<u64> = if std::mem::take(&mut self.full_retest) {
            self.dirty.clear();
            self.pairs.keys().copied().collect()
        } else {
            self.dirty.drain().collect()
        };
        dirty.sort_unstable();
        // Lent to the test as the sweep's type, without a copy.
        let exposure = Exposure {
            hits: std::mem::take(&mut self.exposure_hits),
            crowd: std::mem::take(&mut self.exposure_crowd),
            total_hits: self.total_hits,
        };
        let layer_of = &self.trace_layer;
        let layer_bit = |t: u32| {
            LayerKind::ALL[usize::from(layer_of.get(t as usize).copied().unwrap_or(0))].bit()
        };
        // Each pair's test reads the horizon only: on every core, collected in pair order.
        let this = &*self;
        let tested: Vec<(u64, Option<EdgeState>, bool)> = dirty
            .par_iter()
            .with_min_len(64)
            .map(|&pair| {
                let agg_live = this.pairs.get(&pair).map_or(0, |a| a.live);
                if agg_live < this.cfg.min_co_actions {
                    return (pair, None, false);
                }
                let mut g = this.pair_traces(pair, start);
                if g.is_empty() {
                    return (pair, None, false);
                }
                let edge = lockstep_graph::test_edge(&mut g, &exposure, &[], &layer_bit);
                if edge.co_actions >= this.cfg.min_co_actions && edge.p_value <= this.cfg.alpha {
                    let mut st = EdgeState::from(&edge);
                    st.live = agg_live;
                    (pair, Some(st), true)
                } else {
                    (pair, None, true)
                }
            })
            .collect();
        for (pair, e, was_tested) in tested {
            stats.pairs_tested += u64::from(was_tested);
            self.rank(pair, e);
        }
        self.exposure_hits = exposure.hits;
        self.exposure_crowd = exposure.crowd;
        self.totals.pairs_tested += stats.pairs_tested;
        // BH over the ranked pairs (kept in p order), with every pair in the horizon counted
        // in m: pairs not ranked have p > alpha and cannot pass (q ≥ p). The cut K is the
        // largest rank whose p ≤ K·α/m: scanned from the top, it is the first that passes.
        self.merge_order();
        let m = self.pairs.len().max(self.ranked.len()) as f64;
        let mut k_cut = 0usize;
        for k in (0..self.order.len()).rev() {
            if f64::from_bits(self.order[k].0) <= (k + 1) as f64 * self.cfg.alpha / m {
                k_cut = k + 1;
                break;
            }
        }
        stats.ranked = self.ranked.len() as u64;
        stats.significant = k_cut as u64;
        let tau = if k_cut > 0 {
            self.order[k_cut - 1].0
        } else {
            0
        };
        let touched = std::mem::replace(&mut self.min_changed, u64::MAX);
        let same_core = k_cut as u64 == self.cut.0 && touched > tau.max(self.cut.1);
        self.cut = (k_cut as u64, tau);
        if same_core {
            return None;
        }
        // Re-cluster only when the core's accounts changed enough to move a community:
        // newcomers that could form or grow a cluster, a tenth gone, or a tenth of the edges.
        // The cut's accounts, each once (an epoch mark per account id: no sort per re-test).
        if !self.in_core_built {
            let ids = std::mem::take(&mut self.core_ids);
            self.set_core_ids(ids);
        }
        self.seen_epoch = self.seen_epoch.wrapping_add(1);
        if self.seen_epoch == 0 {
            self.seen.iter_mut().for_each(|x| *x = 0);
            self.seen_epoch = 1;
        }
        let epoch = self.seen_epoch;
        let mut ids: Vec<u32> = Vec::new();
        for &(_, pair) in &self.order[..k_cut] {
            for x in [(pair >> 32) as u32, pair as u32] {
                let i = x as usize;
                if self.seen.len() <= i {
                    self.seen.resize(i + 1, 0);
                }
                if self.seen[i] != epoch {
                    self.seen[i] = epoch;
                    ids.push(x);
                }
            }
        }
        let n = k_cut as u64;
        let newcomers = ids
            .iter()
            .filter(|&&a| !self.in_core.get(a as usize).copied().unwrap_or(false))
            .count();
        // Accounts of the last core not in this cut.
        let gone = self.core_ids.len() - (ids.len() - newcomers);
        let changed = newcomers
            >= self
                .cfg
                .min_cluster_size
                .max(self.core_ids.len() / 50)
                .max(1)
            || gone * 10 > self.core_ids.len()
            || n.abs_diff(self.core_edges) * 10 > self.core_edges.max(1)
            || (self.core_ids.is_empty() && !ids.is_empty());
        if !changed {
            return None;
        }
        // The core's edges with their q-values (BH's step-up on the prefix).
        let prefix: Vec<(f64, u64)> = self.order[..k_cut]
            .iter()
            .map(|&(pk, pair)| (f64::from_bits(pk), pair))
            .collect();
        let mut core: Vec<Edge> = Vec::with_capacity(k_cut);
        let mut running = 1.0f64;
        let mut qs = vec![0.0; k_cut];
        for (k, &(p, _)) in prefix.iter().enumerate().rev() {
            running = running.min(p * m / (k + 1) as f64);
            qs[k] = running.min(1.0);
        }
        for (&(_, pair), &q) in prefix.iter().zip(&qs) {
            if let Some(st) = self.ranked.get(&pair) {
                let mut e = st.edge();
                e.q_value = q;
                core.push(e);
            }
        }
        ids.sort_unstable();
        let accounts: Vec<String> = ids
            .iter()
            .map(|&a| self.accounts.name(a).to_string())
            .collect();
        let mut accounts = accounts;
        accounts.sort_unstable();
        self.set_core_ids(ids);
        self.core_accounts = accounts;
        self.core_edges = n;
        stats.clustered = true;
        self.totals.reclusters += 1;
        // Nodes in name order, so communities do not depend on which ids were reused.
        let to_internal: Vec<u32> = self
            .core_accounts
            .iter()
            .map(|n| self.accounts.get(n).unwrap_or(0))
            .collect();
        // Internal id → node: an offset, not a name's hash per edge end.
        let mut index = vec![0u32; self.accounts.capacity()];
        for (i, &a) in to_internal.iter().enumerate() {
            index[a as usize] = i as u32;
        }
        for e in &mut core {
            let (a, b) = (index[e.a as usize], index[e.b as usize]);
            let (a, b) = if a < b { (a, b) } else { (b, a) };
            e.a = a;
            e.b = b;
        }
        core.sort_unstable_by_key(|e| (e.a, e.b));
        let params = ClusterParams {
            min_size: self.cfg.min_cluster_size,
            min_mean_degree: self.cfg.min_mean_degree,
            resolution: self.cfg.resolution,
            seed: self.cfg.seed,
            max_q: self.cfg.alpha,
        };
        let clusters = lockstep_graph::cluster(&core, params).unwrap_or_default();
        // Back to internal ids for explanation.
        for e in &mut core {
            e.a = to_internal[e.a as usize];
            e.b = to_internal[e.b as usize];
        }
        let mut views = Vec::new();
        let mut internal = Vec::new();
        for (ci, c) in clusters.into_iter().enumerate() {
            let members: Vec<String> = c
                .members
                .iter()
                .map(|&m| self.core_accounts[m as usize].clone())
                .collect();
            let ic = Cluster {
                id: c.id,
                members: c.members.iter().map(|&m| to_internal[m as usize]).collect(),
                internal_edges: c.internal_edges,
                evidence: c.evidence,
            };
            views.push(self.view(&core, &ic, members, ci));
            internal.push(ic);
        }
        self.last_edges = core;
        self.last_clusters = internal;
        Some(views)
    }

    /// A cluster's summary from its internal edges: score as the case gives it (members'
    /// strongest edge, −log10 q capped at 30, over 30; the mean), layers, traces, evidence.
    fn view(&self, edges: &[Edge], c: &Cluster, members: Vec<String>, index: usize) -> ClusterView {
        let mut best: FxHashMap<u32, f64> = FxHashMap::default();
        let mut layers = 0u32;
        let mut strongest: Vec<&Edge> = Vec::new();
        for &i in &c.internal_edges {
            let e = &edges[i];
            let s = (-e.q_value.max(1e-300).log10()).min(30.0) / 30.0;
            for x in [e.a, e.b] {
                let v = best.entry(x).or_insert(0.0);
                *v = v.max(s);
            }
            layers |= e.layers;
            strongest.push(e);
        }
        let score = if c.members.is_empty() {
            0.0
        } else {
            let mut sum = 0.0;
            for m in &c.members {
                sum += best.get(m).copied().unwrap_or(0.0);
            }
            sum / c.members.len() as f64
        };
        strongest.sort_by(|x, y| {
            x.q_value
                .total_cmp(&y.q_value)
                .then(y.co_actions.cmp(&x.co_actions))
                .then((x.a, x.b).cmp(&(y.a, y.b)))
        });
        let mut evidence = Vec::new();
        let mut samples: Vec<(i64, String)> = Vec::new();
        for e in strongest.iter().take(5) {
            for &(ea, eb) in e.samples.iter().take(2) {
                for ev in [ea, eb] {
                    if let Some(s) = self.event_by_u32(ev) {
                        samples.push((s.event.time_ms, s.event.id.clone()));
                    }
                }
            }
        }
        samples.sort();
        samples.dedup();
        for (_, id) in samples.into_iter().take(10) {
            if !evidence.contains(&id) {
                evidence.push(id);
            }
        }
        // Traces shared inside the cluster: the strongest edges' records, by trace.
        let mut by_trace: FxHashMap<u32, u64> = FxHashMap::default();
        let start = self.swept_until - self.cfg.horizon_ms;
        for e in strongest.iter().take(50) {
            for pt in self.pair_traces(pair_key(e.a, e.b), start) {
                *by_trace.entry(pt.trace).or_insert(0) += u64::from(pt.co_actions);
            }
        }
        let mut top: Vec<(String, u64)> = by_trace
            .into_iter()
            .map(|(t, n)| (self.traces.name(t).to_string(), n))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(5);
        ClusterView {
            members,
            score,
            layers: LayerKind::names_in(layers),
            top_traces: top,
            evidence,
            index,
        }
    }

    /// The event whose seq truncates to `ev` (records carry 32-bit event numbers).
    fn event_by_u32(&self, ev: u32) -> Option<&StoredEvent> {
        let front = self.events_front;
        let base = front & !0xffff_ffff;
        let mut seq = base | u64::from(ev);
        if seq < front {
            seq += 1 << 32;
        }
        self.event(seq)
    }
}

impl Engine {
    /// The batch explain stage on the clusters `which` (indices into `last_clusters`): a
    /// small `Ingested` of their members' events in the horizon is built and explained, so
    /// the alert's signals, traces and evidence are the case's own.
    pub fn explain(&self, which: &[usize]) -> Vec<lockstep_explain::ClusterFinding> {
        use lockstep_ingest::{EventTable, Ingested};
        use lockstep_trace::TraceTable;
        let mut member_of: FxHashMap<u32, ()> = FxHashMap::default();
        for &w in which {
            if let Some(c) = self.last_clusters.get(w) {
                for &m in &c.members {
                    member_of.insert(m, ());
                }
            }
        }
        let mut table = EventTable::default();
        let mut traces = TraceTable::default();
        let mut hits = Vec::new();
        let mut mini_of: FxHashMap<u32, u32> = FxHashMap::default();
        let mut ev_of: FxHashMap<u64, u32> = FxHashMap::default();
        for (i, s) in self.events.iter().enumerate() {
            if !member_of.contains_key(&s.account) {
                continue;
            }
            let keys = EventKeys::of(&s.event, &self.layers);
            let (ev, acc) = table.push(
                &s.event,
                (s.origin.source, s.origin.line),
                lockstep_ingest::account_key_hash(&s.event.platform, &s.event.account),
                keys.hashtags(),
                true,
            );
            mini_of.insert(s.account, acc);
            ev_of.insert(self.events_front + i as u64, ev);
            for &h in &s.hits {
                let Some(hr) = h
                    .checked_sub(self.hits_front)
                    .and_then(|k| self.hits.get(k as usize))
                else {
                    continue;
                };
                let name = self.traces.name(hr.trace);
                let layer = LayerKind::ALL[usize::from(self.trace_layer[hr.trace as usize])];
                let key = name.split_once(':').map_or(name, |x| x.1);
                let t = traces.intern(layer, key);
                hits.push(lockstep_sweep::Hit {
                    trace: t,
                    time: hr.time,
                    account: acc,
                    event: ev,
                });
            }
        }
        hits.sort_unstable();
        let mut edges = Vec::new();
        let mut clusters = Vec::new();
        for (k, &w) in which.iter().enumerate() {
            let Some(c) = self.last_clusters.get(w) else {
                continue;
            };
            let mut internal = Vec::new();
            for &i in &c.internal_edges {
                let mut e = self.last_edges[i].clone();
                let (Some(&a), Some(&b)) = (mini_of.get(&e.a), mini_of.get(&e.b)) else {
                    continue;
                };
                e.samples = e
                    .samples
                    .iter()
                    .filter_map(|&(x, y)| {
                        let sx = self.seq_of_u32(x)?;
                        let sy = self.seq_of_u32(y)?;
                        let (mx, my) = (*ev_of.get(&sx)?, *ev_of.get(&sy)?);
                        Some(if a < b { (mx, my) } else { (my, mx) })
                    })
                    .collect();
                let (a, b) = if a < b { (a, b) } else { (b, a) };
                e.a = a;
                e.b = b;
                internal.push(edges.len());
                edges.push(e);
            }
            let mut members: Vec<u32> = c
                .members
                .iter()
                .filter_map(|m| mini_of.get(m).copied())
                .collect();
            members.sort_unstable();
            let co: u64 = internal
                .iter()
                .map(|&i| u64::from(edges[i].co_actions))
                .sum();
            let expected: f64 = internal.iter().map(|&i| edges[i].expected).sum();
            clusters.push(Cluster {
                id: (k + 1) as u32,
                members,
                internal_edges: internal,
                evidence: lockstep_graph::poisson_evidence(expected, co),
            });
        }
        let ingested = Ingested {
            table,
            traces,
            hits,
            inputs: Vec::new(),
            quarantined: 0,
            marks: Vec::new(),
            skipped: Vec::new(),
            text_families: Vec::new(),
        };
        let fast_s = self.cfg.fast_window_ms as f64 / 1000.0;
        // Amplifiers need the organic history around a cluster, which an alert's explanation
        // does not hold: they are found in the snapshot cases (batch detect), not here.
        let none = lockstep_cohort::Cohorts::default();
        lockstep_explain::explain(&ingested, &edges, &clusters, None, fast_s, &none).clusters
    }

    fn seq_of_u32(&self, ev: u32) -> Option<u64> {
        let front = self.events_front;
        let base = front & !0xffff_ffff;
        let mut seq = base | u64::from(ev);
        if seq < front {
            seq += 1 << 32;
        }
        self.event(seq).map(|_| seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn engine() -> Engine {
        Engine::new(Config {
            horizon_ms: 3_600_000,
            lateness_ms: 0,
            tick_ms: 60_000,
            retest_ms: 0,
            windows_ms: [60_000, 60_000],
            fast_window_ms: 10_000,
            max_crowd: 8,
            min_co_actions: 2,
            alpha: 0.01,
            layers: Vec::new(),
            text_similarity: 0.8,
            text_min_tokens: 4,
            text_script_words: 12,
            min_cluster_size: 3,
            min_mean_degree: 2.0,
            resolution: 1.0,
            seed: 1,
        })
    }

    fn edge(p: f64) -> EdgeState {
        EdgeState {
            a: 0,
            b: 0,
            co_actions: 3,
            weight: 1.0,
            layers: 1,
            traces: 1,
            first: 0,
            last: 0,
            median_gap_ms: 0,
            samples: Vec::new(),
            a_first: 0,
            fast: 0,
            activity_ratio: 1.0,
            expected: 0.1,
            p_value: p,
            live: 0,
        }
    }

    /// Ranks, re-ranks (at a new p and at the same p) and clears pairs in rounds, merging
    /// after each: the order is always the ranked pairs sorted by (p, pair), and `ranked_of`
    /// lists exactly each account's ranked pairs.
    #[test]
    fn the_order_follows_every_kind_of_change() {
        let mut e = engine();
        let mut truth: BTreeMap<u64, u64> = BTreeMap::new(); // pair -> p key
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            for _ in 0..(1 + next() % 40) {
                let (a, b) = ((next() % 12) as u32, (next() % 12) as u32);
                if a == b {
                    continue;
                }
                let pair = pair_key(a, b);
                match next() % 4 {
                    0 => {
                        e.rank(pair, None);
                        truth.remove(&pair);
                    }
                    1 if truth.contains_key(&pair) => {
                        // The same p again.
                        let p = f64::from_bits(truth[&pair]);
                        e.rank(pair, Some(edge(p)));
                    }
                    _ => {
                        let p = (next() % 50) as f64 / 1000.0;
                        e.rank(pair, Some(edge(p)));
                        truth.insert(pair, pkey(p));
                    }
                }
            }
            if round % 3 != 2 {
                e.merge_order();
                let mut want: Vec<(u64, u64)> = truth.iter().map(|(&q, &p)| (p, q)).collect();
                want.sort_unstable();
                assert_eq!(e.order, want, "round {round}");
                assert!(e.order_add.is_empty() && e.order_rm.is_empty());
            }
            for acc in 0..12u32 {
                let mut want: Vec<u64> = truth
                    .keys()
                    .copied()
                    .filter(|&q| (q >> 32) as u32 == acc || q as u32 == acc)
                    .collect();
                let mut got: Vec<u64> = e
                    .ranked_of
                    .get(&acc)
                    .map(|s| s.iter().copied().collect())
                    .unwrap_or_default();
                want.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, want, "round {round}, account {acc}");
            }
        }
    }
}
