//! The co-action sweep: the heart of lockstep.
//!
//! Every event's traces become [`Hit`]s `(trace, time, account, event)`. They are sorted once;
//! each trace is then walked with two pointers, pairing a hit only with the earlier hits of
//! *other* accounts no more than `window` before it. The work is bounded: a hit pairs with at
//! most `max_crowd` of those earlier hits — the nearest in time. A hit whose window held more
//! (a trending hashtag at its peak, a campaign's burst) is *crowded*; the far partners it skipped
//! are reported, and the sweep stays O(hits × max_crowd) instead of O(k²) per popular trace.
//! Nearest-first keeps the evidence that matters: in a burst, whoever acted within seconds of
//! you. Exposure (what the significance test calls chance) counts the same capped partners.
//!
//! Most account pairs that meet at all meet once, by chance, and can never be kept when an edge
//! needs two co-actions. When edges need two or more, a first pass counts every pair's candidate
//! co-actions in a small sketch ([`PairSketch`]: saturating 2-bit counters, never
//! under-counting) and the second pass materializes only pairs seen at least twice; the others
//! are counted ([`SweepReport::single_pairs`]) so the significance test still knows how many
//! pairs were tested.
//!
//! Output is one [`PairTrace`] per (account pair, trace) and the per-account [`Exposure`].
//! Everything is integer arithmetic or order-independent, so results are identical for any
//! thread count.

use rayon::prelude::*;

mod store;
pub use store::PairStore;

/// One trace emitted by one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub trace: u32,
    pub time: i64,
    pub account: u32,
    pub event: u32,
}

#[derive(Clone, Copy)]
pub struct SweepParams<'a> {
    /// Two hits of a trace co-act when their times differ by at most the window (ms,
    /// inclusive) of the trace's class: `windows_ms[classes[trace]]` (class 0 for traces
    /// past the end of `classes`). Class 1 is the wide window of near-duplicate scripts,
    /// posted across a day rather than within a minute.
    pub windows_ms: [i64; 2],
    pub classes: &'a [u8],
    /// A hit pairs with at most this many earlier hits in its window, the nearest in time.
    pub max_crowd: u32,
    /// Edges will need at least this many co-actions. From 2 on, pairs with a single
    /// candidate co-action over all traces are counted ([`SweepReport::single_pairs`]) but
    /// not materialized; the [`Swept`] result carries the value on, so the significance test
    /// cannot be run with a smaller one.
    pub min_co_actions: u32,
    /// Bytes of records the [`PairStore`] holds in memory before it spills to temporary
    /// files; `None` never spills.
    pub store_memory: Option<usize>,
    /// Co-actions at most this far apart also count as fast ([`PairTrace::fast`]).
    pub fast_window_ms: i64,
}

impl SweepParams<'_> {
    /// One window for every trace, nothing skipped, nothing spilled.
    pub fn new(window_ms: i64, max_crowd: u32) -> SweepParams<'static> {
        SweepParams {
            windows_ms: [window_ms, window_ms],
            classes: &[],
            max_crowd,
            min_co_actions: 1,
            store_memory: None,
            fast_window_ms: 10_000,
        }
    }

    fn window_of(&self, trace: u32) -> i64 {
        let class = self.classes.get(trace as usize).copied().unwrap_or(0);
        self.windows_ms[usize::from(class.min(1))]
    }
}

/// What the sweep found: the (pair, trace) records, each account's exposure, counts, and the
/// minimum co-actions the records were gathered for.
pub struct Swept {
    pub pairs: PairStore,
    pub exposure: Exposure,
    pub report: SweepReport,
    /// As given in [`SweepParams::min_co_actions`]: pairs below it may be missing from
    /// `pairs` (counted in `report.single_pairs`).
    pub min_co_actions: u32,
}

/// The sweep's pair store could not write or read its temporary files.
#[derive(Debug, thiserror::Error)]
#[error("the sweep's temporary files (in {}): {source}", dir.display())]
pub struct SpillError {
    pub dir: std::path::PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl SpillError {
    pub fn new(source: std::io::Error) -> SpillError {
        SpillError {
            dir: std::env::temp_dir(),
            source,
        }
    }
}

/// Partitions of the [`PairStore`]: the significance test holds one per thread at a time.
pub const STORE_PARTITIONS: usize = 64;
/// Pairs the sketch's first pass updates together (see [`PairSketch::add_all`]).
const SKETCH_BATCH: usize = 256;
/// Later hits whose candidates the second pass looks up in the sketch together (bounds the
/// lookup buffer for hot traces).
const SKETCH_BLOCK_HITS: usize = 64;
/// Records a sweep job collects for one partition before handing them to the store.
const JOB_FLUSH: usize = 4096;

/// Fixed-point scale for co-action weights, so sums do not depend on summation order.
pub const WEIGHT_SCALE: f64 = 1_000_000.0;

/// The co-actions of one account pair on one trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairTrace {
    /// `(a << 32) | b` with `a < b`.
    pub pair: u64,
    pub trace: u32,
    /// Matched events, one-to-one: min(distinct events of a, distinct events of b) taking
    /// part, so an account repeating itself cannot inflate the count; and at most one per
    /// clock hour ([`HOUR_MS`]): co-actions in one burst of one trace are one coincidence.
    pub co_actions: u32,
    /// Σ over co-actions of 1 / (others in the window), fixed point ([`WEIGHT_SCALE`]).
    pub weight: u64,
    pub first: i64,
    pub last: i64,
    /// Median time gap (ms) of this trace's co-actions.
    pub median_gap_ms: u32,
    /// The earliest co-action's events: (event of a, event of b).
    pub sample: (u32, u32),
    /// Of the co-actions, those in which account `a` acted first (scaled to the one-to-one
    /// count; saturating): who leads and who follows.
    pub a_first: u16,
    /// Of the co-actions, those within the fast window ([`SweepParams::fast_window_ms`]).
    pub fast: u16,
}

impl PairTrace {
    pub fn accounts(&self) -> (u32, u32) {
        ((self.pair >> 32) as u32, self.pair as u32)
    }
}

/// How much each account was exposed to chance co-action.
#[derive(Debug, Clone, Default)]
pub struct Exposure {
    /// Hits per account.
    pub hits: Vec<u32>,
    /// Σ over the account's hits of the other hits in its two-sided window, each side capped
    /// at `max_crowd` (the partners the sweep could examine).
    pub crowd: Vec<u64>,
    pub total_hits: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub hits: u64,
    pub traces: u64,
    pub crowded_hits: u64,
    /// Traces with crowded hits, most crowded first: (trace, crowded hits).
    pub crowded_traces: Vec<(u32, u64)>,
    /// Candidate co-action records examined (the work actually done).
    pub co_action_records: u64,
    pub pair_traces: u64,
    /// Pairs with exactly one candidate co-action overall, not materialized (with
    /// `min_co_actions` ≥ 2); each is a distinct pair with one co-action.
    pub single_pairs: u64,
    /// Pair-trace records the store wrote to temporary files.
    pub spilled_pair_traces: u64,
}

/// Saturating per-pair counters (0, 1, ≥ 2) in a count-min sketch: two 2-bit cells in one
/// cache line per pair. A pair's count is the minimum of its cells, so it is never
/// under-counted; a pair seen once reads as "≥ 2" only if both cells were hit by other pairs
/// (about 3 % at the size chosen), which merely keeps it for the exact count later. Updates
/// are atomic `fetch_or`s, so the result does not depend on thread interleaving.
pub struct PairSketch {
    words: Vec<std::sync::atomic::AtomicU64>,
    lines_mask: u64,
}

impl PairSketch {
    /// A sketch for about `items` updates: 8 cells per update.
    pub fn new(items: u64) -> PairSketch {
        let cells = (items.saturating_mul(8))
            .next_power_of_two()
            .clamp(1 << 16, 1 << 34);
        let words = (cells / 32) as usize;
        let sketch = PairSketch {
            words: (0..words)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            lines_mask: (words / 8) as u64 - 1,
        };
        // The allocation comes zeroed but unmapped: an update's first load would map the
        // shared zero page and its write then fault again to replace it, stopping the other
        // core to flush its TLB (an eighth of the sweep at 10M events). Writing each page
        // once up front maps them for writing directly.
        sketch
            .words
            .par_chunks(512)
            .for_each(|page| page[0].store(0, std::sync::atomic::Ordering::Relaxed));
        sketch
    }

    /// The two (word, bit offset) cells of a pair.
    fn cells(&self, pair: u64) -> [(usize, u32); 2] {
        let h = mix64(pair);
        let line = ((h >> 16) & self.lines_mask) as usize * 8;
        // 256 cells of 2 bits per 64-byte line; two cells from the low 16 bits.
        let c = |x: u64| (line + (x >> 5) as usize % 8, (x as u32 & 31) * 2);
        [c(h & 0xff), c((h >> 8) & 0xff)]
    }

    /// Adds every pair of `pairs`. Each update is a locked read-modify-write that waits for
    /// its cache line; touching all the lines first lets the memory system fetch them in
    /// parallel (the updates were a quarter of the sweep, one cache miss after another).
    pub fn add_all(&self, pairs: &[u64]) {
        self.touch(pairs);
        for &p in pairs {
            self.add(p);
        }
    }

    /// Loads the cache lines of `pairs` (independent loads, so they are fetched together).
    fn touch(&self, pairs: &[u64]) {
        use std::sync::atomic::Ordering::Relaxed;
        for &p in pairs {
            std::hint::black_box(self.words[self.cells(p)[0].0].load(Relaxed));
        }
    }

    pub fn add(&self, pair: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        for (w, off) in self.cells(pair) {
            // A saturated cell stays saturated: a plain load spares the locked update, and
            // pairs that meet again and again (the ones that matter) are mostly saturated.
            if self.words[w].load(Relaxed) & (2 << off) != 0 {
                continue;
            }
            let old = self.words[w].fetch_or(1 << off, Relaxed);
            if old & (1 << off) != 0 && old & (2 << off) == 0 {
                self.words[w].fetch_or(2 << off, Relaxed);
            }
        }
    }

    /// True when the pair may have been added twice or more (always true if it was).
    pub fn at_least_two(&self, pair: u64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.cells(pair)
            .iter()
            .all(|&(w, off)| self.words[w].load(Relaxed) & (2 << off) != 0)
    }
}

pub(crate) use lockstep_core::mix64;

fn pair_key(a: u32, b: u32) -> u64 {
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    (u64::from(a) << 32) | u64::from(b)
}

/// Calls `f` with every candidate co-action (later hit `i`, earlier hit `j`) of one trace:
/// other accounts, within the window, at most `cap` nearest earlier hits.
fn for_each_candidate(g: &[Hit], window_ms: i64, cap: usize, f: impl FnMut(usize, usize)) {
    candidates_in(g, window_ms, cap, 0..g.len(), &mut 0, f);
}

/// [`for_each_candidate`] for the later hits `is` only; `lo` carries the window's start from
/// one range to the next.
fn candidates_in(
    g: &[Hit],
    window_ms: i64,
    cap: usize,
    is: std::ops::Range<usize>,
    lo: &mut usize,
    mut f: impl FnMut(usize, usize),
) {
    for i in is {
        while g[i].time - g[*lo].time > window_ms {
            *lo += 1;
        }
        let lo = *lo;
        for j in lo.max(i.saturating_sub(cap))..i {
            if g[j].account != g[i].account {
                f(i, j);
            }
        }
    }
}

/// Sorts `hits` and sweeps them. `n_accounts` bounds the account ids. Fails only if the
/// store cannot write its temporary files.
pub fn sweep(hits: &mut [Hit], n_accounts: usize, p: SweepParams) -> Result<Swept, SpillError> {
    sweep_io(hits, n_accounts, p).map_err(SpillError::new)
}

fn sweep_io(hits: &mut [Hit], n_accounts: usize, p: SweepParams) -> std::io::Result<Swept> {
    use std::sync::atomic::{AtomicU32, AtomicU64};
    hits.par_sort_unstable();
    let groups = group_bounds(hits);
    let hits_ro: &[Hit] = hits;
    let window_of = |g: &[Hit]| p.window_of(g[0].trace);
    let cap = p.max_crowd as usize;
    // Jobs of about equal work (hits), many more than threads so a hot trace does not leave
    // a core idle; each job hands its records to the store as it goes.
    let target = (hits.len() / 512).max(4096);
    let mut jobs: Vec<&[(usize, usize)]> = Vec::new();
    let (mut start, mut acc) = (0usize, 0usize);
    for (k, &(s, e)) in groups.iter().enumerate() {
        acc += e - s;
        if acc >= target || k + 1 == groups.len() {
            jobs.push(&groups[start..=k]);
            start = k + 1;
            acc = 0;
        }
    }
    // Candidate co-actions: an upper bound on the records the store will receive.
    let bound: u64 = groups
        .par_iter()
        .map(|&(s, e)| {
            let g = &hits_ro[s..e];
            let w = window_of(g);
            let mut lo = 0usize;
            let mut n = 0u64;
            for i in 0..g.len() {
                while g[i].time - g[lo].time > w {
                    lo += 1;
                }
                n += (i - lo).min(cap) as u64;
            }
            n
        })
        .sum();
    // First pass: count each pair's candidate co-actions (saturating at 2).
    let sketch = (p.min_co_actions >= 2).then(|| {
        let sketch = PairSketch::new(bound);
        jobs.par_iter().for_each(|job| {
            let mut batch = Vec::with_capacity(SKETCH_BATCH);
            for &(s, e) in *job {
                let g = &hits_ro[s..e];
                for_each_candidate(g, window_of(g), cap, |i, j| {
                    batch.push(pair_key(g[i].account, g[j].account));
                    if batch.len() == SKETCH_BATCH {
                        sketch.add_all(&batch);
                        batch.clear();
                    }
                });
            }
            sketch.add_all(&batch);
        });
        sketch
    });

    // Second pass. Exposure sums are integers, so atomic adds in any order give one result.
    let exp_hits: Vec<AtomicU32> = (0..n_accounts).map(|_| AtomicU32::new(0)).collect();
    let exp_crowd: Vec<AtomicU64> = (0..n_accounts).map(|_| AtomicU64::new(0)).collect();
    let mut report = SweepReport {
        hits: hits.len() as u64,
        traces: groups.len() as u64,
        ..Default::default()
    };
    let store = PairStore::new(STORE_PARTITIONS, p.store_memory);
    store.reserve(bound.try_into().unwrap_or(usize::MAX));
    let outs: Vec<std::io::Result<JobOut>> = jobs
        .par_iter()
        .map(|job| {
            let mut out = JobOut::default();
            // Left over only if an earlier sweep failed mid-job.
            SCRATCH.with_borrow_mut(|sc| {
                sc.parts.resize_with(store.partitions(), Vec::new);
                sc.parts.iter_mut().for_each(Vec::clear);
            });
            for &(s, e) in *job {
                let g = &hits_ro[s..e];
                let ctx = TraceCtx {
                    window_ms: window_of(g),
                    fast_ms: p.fast_window_ms,
                    cap,
                    sketch: sketch.as_ref(),
                    exp_hits: &exp_hits,
                    exp_crowd: &exp_crowd,
                    store: &store,
                };
                sweep_trace(g, &ctx, &mut out)?;
            }
            // Everything a job found is in the store when it ends.
            SCRATCH.with_borrow_mut(|sc| {
                for (i, part) in sc.parts.iter_mut().enumerate() {
                    store.append_to(i, part)?;
                }
                Ok::<_, std::io::Error>(())
            })?;
            Ok(out)
        })
        .collect();
    for o in outs {
        let o = o?;
        report.crowded_hits += o.crowded;
        report.co_action_records += o.records;
        report.single_pairs += o.single_pairs;
        report.crowded_traces.extend(o.crowded_traces);
    }
    report
        .crowded_traces
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    report.pair_traces = store.len();
    report.spilled_pair_traces = store.spilled();
    let exposure = Exposure {
        hits: exp_hits.into_iter().map(AtomicU32::into_inner).collect(),
        crowd: exp_crowd.into_iter().map(AtomicU64::into_inner).collect(),
        total_hits: hits.len() as u64,
    };
    Ok(Swept {
        pairs: store,
        exposure,
        report,
        min_co_actions: p.min_co_actions,
    })
}

/// The (start, end) of each trace's run of hits.
fn group_bounds(hits: &[Hit]) -> Vec<(usize, usize)> {
    let mut start = 0;
    hits.chunk_by(|x, y| x.trace == y.trace)
        .map(|run| {
            start += run.len();
            (start - run.len(), start)
        })
        .collect()
}

/// What one parallel job of the second pass produced.
#[derive(Default)]
struct JobOut {
    crowded: u64,
    records: u64,
    single_pairs: u64,
    crowded_traces: Vec<(u32, u64)>,
}

struct TraceCtx<'a> {
    window_ms: i64,
    fast_ms: i64,
    cap: usize,
    sketch: Option<&'a PairSketch>,
    exp_hits: &'a [std::sync::atomic::AtomicU32],
    exp_crowd: &'a [std::sync::atomic::AtomicU64],
    store: &'a PairStore,
}

/// One co-action candidate inside a trace: the later hit `i` and an earlier hit `j`.
/// Public for drivers that generate candidates themselves (`lockstep watch`) and fold them
/// with [`fold_records`], so the counting rules stay defined here once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// `(a << 32) | b` with `a < b`.
    pub pair: u64,
    /// The event of account `a`, of account `b`.
    pub ev_a: u32,
    pub ev_b: u32,
    /// The earlier hit's time, the later hit's.
    pub t_first: i64,
    pub t_last: i64,
    /// 1 / (others in the later hit's window), fixed point ([`WEIGHT_SCALE`]).
    pub weight: u32,
    /// The earlier hit is account `a`'s (the pair's lower id).
    pub a_first: bool,
}

/// The (pair, trace) record of one pair's candidate records on one trace (any order): the
/// sweep's own fold (one-to-one, one per clock hour); `fast_ms` is the fast sub-network's
/// window.
pub fn fold_records(trace: u32, rs: &mut [Record], fast_ms: i64) -> PairTrace {
    rs.sort_unstable_by_key(|r| (r.t_first, r.t_last, r.ev_a, r.ev_b));
    fold_pair(trace, rs, fast_ms, &mut FoldScratch::default())
}

/// Per-thread buffers, reused from trace to trace: allocating them afresh for every hot
/// trace cost more (in page faults) than the sweep itself.
#[derive(Default)]
struct Scratch {
    /// Each hit's co-action weight: 1 / (others in its window), fixed point.
    weights: Vec<u32>,
    recs: Vec<Record>,
    /// The sketch's verdict for each candidate of the trace, in candidate order.
    keep: Vec<bool>,
    pairs: Vec<u64>,
    /// `seen[account] == stamp` when the account has a hit in the current trace, `twice`
    /// when it has more than one.
    seen: Vec<u32>,
    twice: Vec<u32>,
    stamp: u32,
    /// Per hit of the current trace: its account has other hits there too.
    repeated: Vec<bool>,
    fold: FoldScratch,
    /// Records waiting for the store, one buffer per partition; reused from job to job (fresh
    /// buffers for every job were most of the sweep's page faults), empty between jobs.
    parts: Vec<Vec<PairTrace>>,
}

#[derive(Default)]
struct FoldScratch {
    events: Vec<u32>,
    gaps: Vec<i64>,
    hours: Vec<i64>,
}

/// The unit of a burst: co-actions of one pair on one trace within one clock hour count once.
pub const HOUR_MS: i64 = 3_600_000;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Scratch {
    /// Marks in `repeated` the hits of `g` whose account has another hit in `g`; returns
    /// whether there are any. A pair can meet twice on a trace only through such a hit: every
    /// other candidate is a whole (pair, trace) record by itself, with no grouping.
    fn mark_repeated(&mut self, g: &[Hit], n_accounts: usize) -> bool {
        if self.seen.len() < n_accounts {
            self.seen.resize(n_accounts, 0);
            self.twice.resize(n_accounts, 0);
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.twice.fill(0);
            self.stamp = 1;
        }
        let stamp = self.stamp;
        let mut any = false;
        for h in g {
            let a = h.account as usize;
            if std::mem::replace(&mut self.seen[a], stamp) == stamp {
                self.twice[a] = stamp;
                any = true;
            }
        }
        self.repeated.clear();
        if any {
            let twice = &self.twice;
            self.repeated
                .extend(g.iter().map(|h| twice[h.account as usize] == stamp));
        }
        any
    }
}

/// Hands `pt` to its partition's buffer, passing the buffer to the store when full.
fn emit(ctx: &TraceCtx, parts: &mut [Vec<PairTrace>], pt: PairTrace) -> std::io::Result<()> {
    let part = ctx.store.partition_of(pt.pair);
    parts[part].push(pt);
    if parts[part].len() >= JOB_FLUSH {
        ctx.store.append_to(part, &mut parts[part])?;
    }
    Ok(())
}

fn sweep_trace(g: &[Hit], ctx: &TraceCtx, out: &mut JobOut) -> std::io::Result<()> {
    use std::sync::atomic::Ordering::Relaxed;
    let n = g.len();
    let (cap, window_ms) = (ctx.cap, ctx.window_ms);
    if n == 1 {
        ctx.exp_hits[g[0].account as usize].fetch_add(1, Relaxed);
        return Ok(());
    }
    SCRATCH.with_borrow_mut(|sc| {
        // The full window size of each hit (for the weight); exposure counts the partners each
        // hit's two-sided window offered, capped per side.
        sc.weights.clear();
        let mut crowded = 0u64;
        let (mut lo, mut hi) = (0usize, 0usize);
        for i in 0..n {
            while g[i].time - g[lo].time > window_ms {
                lo += 1;
            }
            while hi + 1 < n && g[hi + 1].time - g[i].time <= window_ms {
                hi += 1;
            }
            let a = g[i].account as usize;
            ctx.exp_hits[a].fetch_add(1, Relaxed);
            ctx.exp_crowd[a].fetch_add(((i - lo).min(cap) + (hi - i).min(cap)) as u64, Relaxed);
            crowded += u64::from(i - lo > cap);
            let others = ((hi - lo) as u32).max(1);
            sc.weights
                .push((WEIGHT_SCALE / f64::from(others)).round() as u32);
        }
        if crowded > 0 {
            out.crowded += crowded;
            out.crowded_traces.push((g[0].trace, crowded));
        }
        let any_repeated = sc.mark_repeated(g, ctx.exp_hits.len());
        let parts = &mut sc.parts;

        let trace = g[0].trace;
        let recs = &mut sc.recs;
        recs.clear();
        let (weights, keep, pairs) = (&sc.weights, &mut sc.keep, &mut sc.pairs);
        let repeated = &sc.repeated;
        let mut failed = None;
        // A block of later hits at a time: ask the sketch about the block's candidates first,
        // a batch of cache lines at a time, so the lookups overlap instead of each waiting for
        // memory inside the loop that builds records.
        let (mut lo_ask, mut lo_build) = (0usize, 0usize);
        let mut i0 = 0;
        while i0 < n {
            let block = i0..(i0 + SKETCH_BLOCK_HITS).min(n);
            keep.clear();
            if let Some(sketch) = ctx.sketch {
                pairs.clear();
                candidates_in(g, window_ms, cap, block.clone(), &mut lo_ask, |i, j| {
                    pairs.push(pair_key(g[i].account, g[j].account))
                });
                for chunk in pairs.chunks(SKETCH_BATCH) {
                    sketch.touch(chunk);
                    keep.extend(chunk.iter().map(|&p| sketch.at_least_two(p)));
                }
            }
            let mut c = 0;
            i0 = block.end;
            candidates_in(g, window_ms, cap, block, &mut lo_build, |i, j| {
                let (hi_, hj) = (g[i], g[j]);
                let pair = pair_key(hi_.account, hj.account);
                out.records += 1;
                c += 1;
                if ctx.sketch.is_some() && !keep[c - 1] {
                    out.single_pairs += 1;
                    return;
                }
                let (ev_a, ev_b) = if hi_.account < hj.account {
                    (hi_.event, hj.event)
                } else {
                    (hj.event, hi_.event)
                };
                if !any_repeated || !(repeated[i] || repeated[j]) {
                    // The pair's only record on this trace: what `fold_pair` makes of it.
                    let pt = PairTrace {
                        pair,
                        trace,
                        co_actions: 1,
                        weight: u64::from(weights[i]),
                        first: hj.time,
                        last: hi_.time,
                        median_gap_ms: gap_ms(hi_.time - hj.time),
                        sample: (ev_a, ev_b),
                        a_first: u16::from(hj.account < hi_.account),
                        fast: u16::from(hi_.time - hj.time <= ctx.fast_ms),
                    };
                    if let Err(e) = emit(ctx, parts, pt) {
                        failed.get_or_insert(e);
                    }
                } else {
                    recs.push(Record {
                        pair,
                        ev_a,
                        ev_b,
                        t_first: hj.time,
                        t_last: hi_.time,
                        weight: weights[i],
                        a_first: hj.account < hi_.account,
                    });
                }
            });
        }
        if let Some(e) = failed {
            return Err(e);
        }
        // By pair (one integer compare), then each pair's few records by the rest of the
        // key: the order of a sort by the whole key, for less work.
        recs.sort_unstable_by_key(|r| r.pair);
        for run in recs.chunk_by_mut(|x, y| x.pair == y.pair) {
            if run.len() > 1 {
                run.sort_unstable_by_key(|r| (r.t_first, r.t_last, r.ev_a, r.ev_b));
            }
            emit(ctx, parts, fold_pair(trace, run, ctx.fast_ms, &mut sc.fold))?;
        }
        Ok(())
    })
}

fn gap_ms(gap: i64) -> u32 {
    gap.clamp(0, i64::from(u32::MAX)) as u32
}

/// One (pair, trace) record from the pair's candidate records on the trace, sorted;
/// `fast_ms` is the fast sub-network's window.
fn fold_pair(trace: u32, rs: &[Record], fast_ms: i64, sc: &mut FoldScratch) -> PairTrace {
    let first = &rs[0];
    if rs.len() == 1 {
        return PairTrace {
            pair: first.pair,
            trace,
            co_actions: 1,
            weight: u64::from(first.weight),
            first: first.t_first,
            last: first.t_last,
            median_gap_ms: gap_ms(first.t_last - first.t_first),
            sample: (first.ev_a, first.ev_b),
            a_first: u16::from(first.a_first),
            fast: u16::from(first.t_last - first.t_first <= fast_ms),
        };
    }
    let mut distinct = |f: fn(&Record) -> u32| {
        sc.events.clear();
        sc.events.extend(rs.iter().map(f));
        sc.events.sort_unstable();
        sc.events.dedup();
        sc.events.len()
    };
    // A burst is one coincidence: co-actions of the pair on one trace within one clock hour
    // (a debate night's hashtag, a match, a flood under one video) are not independent
    // events, so they count once, like one pair of posts seen on several traces.
    sc.hours.clear();
    sc.hours
        .extend(rs.iter().map(|r| r.t_last.div_euclid(HOUR_MS)));
    sc.hours.sort_unstable();
    sc.hours.dedup();
    let co = distinct(|r| r.ev_a)
        .min(distinct(|r| r.ev_b))
        .min(sc.hours.len()) as u32;
    sc.gaps.clear();
    sc.gaps.extend(rs.iter().map(|r| r.t_last - r.t_first));
    sc.gaps.sort_unstable();
    // Mean weight of the candidate records, and the shares led by `a` and within the fast
    // window, scaled to the one-to-one count.
    let w_sum: u64 = rs.iter().map(|r| u64::from(r.weight)).sum();
    let scaled =
        |k: usize| (k as u64 * u64::from(co) / rs.len() as u64).min(u64::from(u16::MAX)) as u16;
    PairTrace {
        pair: first.pair,
        trace,
        co_actions: co,
        weight: w_sum * u64::from(co) / rs.len() as u64,
        first: rs.iter().map(|r| r.t_first).min().unwrap_or(0),
        last: rs.iter().map(|r| r.t_last).max().unwrap_or(0),
        median_gap_ms: gap_ms(sc.gaps[sc.gaps.len() / 2]),
        sample: (first.ev_a, first.ev_b),
        a_first: scaled(rs.iter().filter(|r| r.a_first).count()),
        fast: scaled(
            rs.iter()
                .filter(|r| r.t_last - r.t_first <= fast_ms)
                .count(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The sweep with its store read back, sorted.
    fn sweep(
        hits: &mut [Hit],
        n: usize,
        p: SweepParams,
    ) -> (Vec<PairTrace>, Exposure, SweepReport) {
        let s = super::sweep(hits, n, p).unwrap();
        (s.pairs.to_sorted_vec().unwrap(), s.exposure, s.report)
    }

    fn h(trace: u32, secs: i64, account: u32, event: u32) -> Hit {
        Hit {
            trace,
            time: secs * 1000,
            account,
            event,
        }
    }

    /// Random hits, `n` of them (event `i` is hit `i`): trace below `traces`, second below
    /// `secs`, account below `accounts(trace)`. Each drawn value is offset by the hit's index,
    /// so shrinking heads for a regular spread over traces, times and accounts rather than
    /// one hit repeated: the tests' checks that their input is non-trivial keep holding.
    fn random_hits(
        n: std::ops::Range<usize>,
        traces: u32,
        secs: u32,
        accounts: fn(u32) -> u32,
    ) -> impl Strategy<Value = Vec<Hit>> {
        prop::collection::vec((0..traces, 0..secs, any::<u32>()), n).prop_map(move |raw| {
            (0u32..)
                .zip(raw)
                .map(|(i, (t, s, a))| {
                    let t = (t + i) % traces;
                    let secs = (u64::from(s) + u64::from(i) * 7919) % u64::from(secs);
                    let a = (u64::from(a) + u64::from(i) * 31) % u64::from(accounts(t));
                    h(t, secs as i64, a as u32, i)
                })
                .collect()
        })
    }

    fn params(window_s: i64) -> SweepParams<'static> {
        SweepParams::new(window_s * 1000, 1000)
    }

    #[test]
    fn wide_traces_use_the_wide_window() {
        // Trace 1 is "wide" (a day); trace 0 is not: the same 1-hour gap links only on trace 1.
        let p = SweepParams {
            windows_ms: [60_000, 86_400_000],
            classes: &[0, 1],
            ..SweepParams::new(60_000, 100)
        };
        let mut hits = vec![
            h(0, 0, 0, 0),
            h(0, 3600, 1, 1),
            h(1, 0, 0, 2),
            h(1, 3600, 1, 3),
        ];
        let (pairs, _, _) = sweep(&mut hits, 2, p);
        assert_eq!(pairs.iter().map(|x| x.trace).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn window_is_inclusive_and_self_pairs_are_skipped() {
        let mut hits = vec![h(0, 0, 0, 0), h(0, 60, 1, 1), h(0, 61, 2, 2), h(0, 1, 0, 3)];
        let (pairs, exp, rep) = sweep(&mut hits, 3, params(60));
        let got: Vec<(u32, u32)> = pairs.iter().map(|p| p.accounts()).collect();
        // 0@0–1@60 (Δ=60, inclusive), 0@1–1@60, 0@1–2@61 (Δ=60), 1@60–2@61; never 0–0.
        assert_eq!(got, vec![(0, 1), (0, 2), (1, 2)]);
        // Account 0 has two events matching one of account 1: one-to-one count is 1.
        assert_eq!(pairs[0].co_actions, 1);
        assert_eq!(pairs[0].first, 0);
        assert_eq!(pairs[0].last, 60_000);
        assert_eq!(exp.hits, vec![2, 1, 1]);
        assert_eq!(rep.crowded_hits, 0);
        assert_eq!(rep.hits, 4);
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn shortcut_records_equal_grouped_records(
        // Traces below 150 draw from few accounts (repeats), the rest from many; over four
        // hours with a 30-minute window, so pairs meet twice in different hours (within one
        // hour they count once).
        mut hits in random_hits(7_500..8_500, 300, 4 * 3600, |t| if t < 150 { 40 } else { 100_000 })
    ) {
        // Traces where every account acts once take a shortcut (each candidate is its own
        // record); traces with repeat accounts mix shortcut and grouped records. Both must
        // equal grouping every candidate of the trace, the plain way.
        let p = SweepParams {
            max_crowd: 7,
            ..params(1800)
        };
        let (got, _, _) = sweep(&mut hits.clone(), 100_000, p);
        hits.sort_unstable();
        let mut want = Vec::new();
        for (s, e) in group_bounds(&hits) {
            let g = &hits[s..e];
            let weight = |i: usize| {
                let others = g
                    .iter()
                    .filter(|x| (x.time - g[i].time).abs() <= p.windows_ms[0])
                    .count()
                    - 1;
                (WEIGHT_SCALE / others.max(1) as f64).round() as u32
            };
            let mut recs = Vec::new();
            for_each_candidate(g, p.windows_ms[0], p.max_crowd as usize, |i, j| {
                let (a, b) = (g[i], g[j]);
                let (ev_a, ev_b) = if a.account < b.account {
                    (a.event, b.event)
                } else {
                    (b.event, a.event)
                };
                recs.push(Record {
                    pair: pair_key(a.account, b.account),
                    ev_a,
                    ev_b,
                    t_first: b.time,
                    t_last: a.time,
                    weight: weight(i),
                    a_first: b.account < a.account,
                });
            });
            recs.sort_unstable_by_key(|r| (r.pair, r.t_first, r.t_last, r.ev_a, r.ev_b));
            for run in recs.chunk_by(|x, y| x.pair == y.pair) {
                want.push(fold_pair(g[0].trace, run, p.fast_window_ms, &mut FoldScratch::default()));
            }
        }
        want.sort_unstable_by_key(|p| (p.pair, p.first, p.trace));
        let grouped = want.iter().filter(|p| p.co_actions > 1).count();
        prop_assert!(
            grouped > 50,
            "the test needs pairs meeting twice on a trace: {}", grouped
        );
        prop_assert!(want.len() > 5_000, "{} records", want.len());
        prop_assert_eq!(got, want);
    }
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn spilling_changes_nothing_but_where_records_wait(
        // Far more records than the 64 KiB budget holds (1,365).
        hits in random_hits(4_000..4_001, 40, 900, |_| 3000)
    ) {
        let (in_memory, ..) = sweep(&mut hits.clone(), 3000, params(60));
        let p = SweepParams {
            store_memory: Some(64 << 10),
            ..params(60)
        };
        let swept = super::sweep(&mut hits.clone(), 3000, p).unwrap();
        let (store, rep) = (swept.pairs, swept.report);
        prop_assert!(
            rep.spilled_pair_traces * 2 > rep.pair_traces,
            "{} of {} spilled",
            rep.spilled_pair_traces,
            rep.pair_traces
        );
        prop_assert_eq!(store.to_sorted_vec().unwrap(), in_memory);
    }
    }

    #[test]
    fn the_sketch_never_undercounts() {
        let sk = PairSketch::new(10_000);
        for pair in 0..10_000u64 {
            sk.add(pair * 7919);
        }
        for pair in 0..2_000u64 {
            sk.add(pair * 7919);
        }
        assert!((0..2_000u64).all(|p| sk.at_least_two(p * 7919)));
        let false_twos = (2_000..10_000u64)
            .filter(|p| sk.at_least_two(p * 7919))
            .count();
        assert!(false_twos < 8_000 / 10, "{false_twos} singles read as ≥ 2");
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(5))]
    #[test]
    fn skipping_single_pairs_keeps_every_other_pair_exactly(
        mut hits in random_hits(20_000..20_001, 50, 3600, |_| 2000)
    ) {
        // Random hits of 2,000 accounts (chance pairs, mostly single) plus a group of five
        // accounts acting together on 40 traces.
        for t in 0..40u32 {
            for a in 0..5u32 {
                let ev = 20_000 + t * 5 + a;
                hits.push(h(t, 100 * i64::from(t) + i64::from(a), 2000 + a, ev));
            }
        }
        let (all, ea, ra) = sweep(&mut hits.clone(), 2005, params(30));
        let p = SweepParams {
            min_co_actions: 2,
            ..params(30)
        };
        let (kept, ek, rk) = sweep(&mut hits, 2005, p);
        let mut per_pair = std::collections::HashMap::new();
        for pt in &all {
            *per_pair.entry(pt.pair).or_insert(0u32) += pt.co_actions;
        }
        let kept_pairs: std::collections::HashSet<u64> = kept.iter().map(|pt| pt.pair).collect();
        let dropped: Vec<u64> = per_pair
            .keys()
            .filter(|p| !kept_pairs.contains(p))
            .copied()
            .collect();
        prop_assert!(dropped.len() > 100, "{} dropped", dropped.len());
        prop_assert!(
            dropped.iter().all(|p| per_pair[p] == 1),
            "only pairs with one co-action may be dropped"
        );
        prop_assert_eq!(rk.single_pairs, dropped.len() as u64);
        // Every pair that is kept is kept exactly as without the sketch.
        let expect: Vec<PairTrace> = all
            .iter()
            .filter(|pt| kept_pairs.contains(&pt.pair))
            .copied()
            .collect();
        prop_assert_eq!(kept, expect);
        prop_assert!(per_pair.values().filter(|&&c| c >= 2).count() > 100);
        prop_assert_eq!(ra.co_action_records, rk.co_action_records);
        prop_assert_eq!(ea.crowd, ek.crowd);
    }
    }

    #[test]
    fn traces_do_not_mix() {
        let mut hits = vec![h(0, 0, 0, 0), h(1, 0, 1, 1)];
        let (pairs, _, rep) = sweep(&mut hits, 2, params(60));
        assert!(pairs.is_empty());
        assert_eq!(rep.traces, 2);
    }

    #[test]
    fn crowded_windows_pair_with_the_nearest_only() {
        // 50 accounts on one trace, one second apart: with max_crowd 10 each pairs with the
        // 10 nearest earlier hits, never with the far ones.
        let mut hits: Vec<Hit> = (0..50).map(|a| h(7, i64::from(a), a, a)).collect();
        let (pairs, exp, rep) = sweep(&mut hits, 50, SweepParams::new(60_000, 10));
        assert_eq!(rep.co_action_records, 45 + 40 * 10);
        assert!(pairs.iter().all(|p| p.accounts().1 - p.accounts().0 <= 10));
        assert!(pairs.iter().any(|p| p.accounts() == (39, 49)));
        assert_eq!(
            rep.crowded_hits, 39,
            "hits 11..=49 had more than 10 earlier partners"
        );
        assert_eq!(rep.crowded_traces, vec![(7, 39)]);
        // Exposure is capped the same way: hit 0 could see 10 later partners, hit 25 ten each side.
        assert_eq!(exp.crowd[0], 10);
        assert_eq!(exp.crowd[25], 20);
    }

    #[test]
    fn weight_falls_with_crowd_size() {
        let mut small = vec![h(0, 0, 0, 0), h(0, 1, 1, 1)];
        let mut big: Vec<Hit> = (0..10).map(|a| h(0, a as i64, a, a)).collect();
        let (ps, _, _) = sweep(&mut small, 2, params(60));
        let (pb, _, _) = sweep(&mut big, 10, params(60));
        let pair01 = pb.iter().find(|p| p.accounts() == (0, 1)).unwrap();
        assert!(
            ps[0].weight > 5 * pair01.weight,
            "{} vs {}",
            ps[0].weight,
            pair01.weight
        );
    }

    /// Random hits and the same hits in another order.
    fn hits_and_shuffled() -> impl Strategy<Value = (Vec<Hit>, Vec<Hit>)> {
        random_hits(2_000..2_001, 17, 3600, |_| 97)
            .prop_flat_map(|hits| (Just(hits.clone()), Just(hits).prop_shuffle()))
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn result_does_not_depend_on_input_order_or_threads(
        (mut hits, mut shuffled) in hits_and_shuffled()
    ) {
        let (a, ea, _) = sweep(&mut hits, 97, params(30));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (b, eb, _) = pool.install(|| sweep(&mut shuffled, 97, params(30)));
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(ea.crowd, eb.crowd);
        prop_assert!(!a.is_empty());
    }
    }
}
