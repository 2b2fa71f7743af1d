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
//! Output is one [`PairTrace`] per (account pair, trace) and the per-account [`Exposure`].
//! Everything is integer arithmetic or order-independent, so results are identical for any
//! thread count.

use rayon::prelude::*;

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
    /// Two hits co-act when their times differ by at most this (inclusive).
    pub window_ms: i64,
    /// Traces for which the predicate holds use the second, wider window (near-duplicate
    /// texts, whose copy-paste scripts are posted across a day, not within a minute).
    pub wide: Option<(&'a (dyn Fn(u32) -> bool + Sync), i64)>,
    /// A hit pairs with at most this many earlier hits in its window, the nearest in time.
    pub max_crowd: u32,
}

/// Fixed-point scale for co-action weights, so sums do not depend on summation order.
pub const WEIGHT_SCALE: f64 = 1_000_000.0;

/// The co-actions of one account pair on one trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairTrace {
    /// `(a << 32) | b` with `a < b`.
    pub pair: u64,
    pub trace: u32,
    /// Matched events, one-to-one: min(distinct events of a, distinct events of b) taking
    /// part, so an account repeating itself cannot inflate the count.
    pub co_actions: u32,
    /// Σ over co-actions of 1 / (others in the window), fixed point ([`WEIGHT_SCALE`]).
    pub weight: u64,
    pub first: i64,
    pub last: i64,
    /// Median time gap (ms) of this trace's co-actions.
    pub median_gap_ms: u32,
    /// The earliest co-action's events: (event of a, event of b).
    pub sample: (u32, u32),
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
}

/// Sorts `hits` and sweeps them. `n_accounts` bounds the account ids.
pub fn sweep(
    hits: &mut [Hit],
    n_accounts: usize,
    p: SweepParams,
) -> (Vec<PairTrace>, Exposure, SweepReport) {
    hits.par_sort_unstable();
    let groups = group_bounds(hits);
    let hits_ro: &[Hit] = hits;
    let mut exposure = Exposure {
        hits: vec![0; n_accounts],
        crowd: vec![0; n_accounts],
        total_hits: hits.len() as u64,
    };
    let mut report = SweepReport {
        hits: hits.len() as u64,
        traces: groups.len() as u64,
        ..Default::default()
    };
    let mut pairs = Vec::new();
    // Traces are swept in parallel a slice of them at a time, so the per-trace outputs and
    // the flat result are never both whole in memory.
    for chunk in groups.chunks(groups.len() / 8 + 1) {
        let per_group: Vec<GroupOut> = chunk
            .par_iter()
            .with_min_len(64)
            .map(|&(s, e)| {
                let g = &hits_ro[s..e];
                let window_ms = p
                    .wide
                    .filter(|(wide, _)| wide(g[0].trace))
                    .map_or(p.window_ms, |(_, w)| w);
                sweep_trace(g, window_ms, p.max_crowd)
            })
            .collect();
        for (g, &(s, _)) in per_group.into_iter().zip(chunk) {
            for (h, &c) in hits_ro[s..].iter().zip(&g.crowd) {
                exposure.hits[h.account as usize] += 1;
                exposure.crowd[h.account as usize] += u64::from(c);
            }
            if g.crowded > 0 {
                report.crowded_hits += g.crowded;
                report.crowded_traces.push((hits_ro[s].trace, g.crowded));
            }
            report.co_action_records += g.records;
            pairs.extend(g.pairs);
        }
    }
    report
        .crowded_traces
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    report.pair_traces = pairs.len() as u64;
    (pairs, exposure, report)
}

fn group_bounds(hits: &[Hit]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    for i in 1..=hits.len() {
        if i == hits.len() || hits[i].trace != hits[s].trace {
            out.push((s, i));
            s = i;
        }
    }
    out
}

struct GroupOut {
    /// Partners each hit's two-sided window offered (capped per side).
    crowd: Vec<u32>,
    crowded: u64,
    records: u64,
    pairs: Vec<PairTrace>,
}

/// One co-action candidate inside a trace: the later hit `i` and an earlier hit `j`.
struct Record {
    pair: u64,
    ev_a: u32,
    ev_b: u32,
    t_first: i64,
    t_last: i64,
    weight: u32,
}

fn sweep_trace(g: &[Hit], window_ms: i64, max_crowd: u32) -> GroupOut {
    let n = g.len();
    let cap = max_crowd as usize;
    // Partners each hit can examine (capped), and the full window size (for the weight).
    let mut crowd = vec![0u32; n];
    let mut full = vec![0u32; n];
    let mut crowded = 0u64;
    // Exact upper bound on the records, so a hot trace's buffer is allocated once, not grown
    // (and copied) a dozen times.
    let mut partners = 0usize;
    let (mut lo, mut hi) = (0usize, 0usize);
    for i in 0..n {
        while g[i].time - g[lo].time > window_ms {
            lo += 1;
        }
        while hi + 1 < n && g[hi + 1].time - g[i].time <= window_ms {
            hi += 1;
        }
        crowd[i] = ((i - lo).min(cap) + (hi - i).min(cap)) as u32;
        partners += (i - lo).min(cap);
        crowded += u64::from(i - lo > cap);
        full[i] = (hi - lo) as u32;
    }

    let mut recs: Vec<Record> = Vec::with_capacity(partners);
    let mut lo = 0usize;
    for i in 0..n {
        while g[i].time - g[lo].time > window_ms {
            lo += 1;
        }
        let w = (WEIGHT_SCALE / f64::from(full[i].max(1))).round() as u32;
        for j in lo.max(i.saturating_sub(cap))..i {
            let (hi_, hj) = (g[i], g[j]);
            if hj.account == hi_.account {
                continue;
            }
            let (a, b, ev_a, ev_b) = if hi_.account < hj.account {
                (hi_.account, hj.account, hi_.event, hj.event)
            } else {
                (hj.account, hi_.account, hj.event, hi_.event)
            };
            recs.push(Record {
                pair: (u64::from(a) << 32) | u64::from(b),
                ev_a,
                ev_b,
                t_first: hj.time,
                t_last: hi_.time,
                weight: w,
            });
        }
    }
    let records = recs.len() as u64;
    recs.sort_unstable_by_key(|r| (r.pair, r.t_first, r.t_last, r.ev_a, r.ev_b));
    let trace = g.first().map_or(0, |h| h.trace);
    let mut pairs = Vec::new();
    let mut s = 0;
    while s < recs.len() {
        let mut e = s + 1;
        while e < recs.len() && recs[e].pair == recs[s].pair {
            e += 1;
        }
        pairs.push(fold_pair(trace, &recs[s..e]));
        s = e;
    }
    GroupOut {
        crowd,
        crowded,
        records,
        pairs,
    }
}

fn fold_pair(trace: u32, rs: &[Record]) -> PairTrace {
    let distinct = |f: fn(&Record) -> u32| {
        let mut v: Vec<u32> = rs.iter().map(f).collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let co = distinct(|r| r.ev_a).min(distinct(|r| r.ev_b)) as u32;
    let mut gaps: Vec<i64> = rs.iter().map(|r| r.t_last - r.t_first).collect();
    gaps.sort_unstable();
    // Mean weight of the candidate records, scaled to the one-to-one count.
    let w_sum: u64 = rs.iter().map(|r| u64::from(r.weight)).sum();
    PairTrace {
        pair: rs[0].pair,
        trace,
        co_actions: co,
        weight: w_sum * u64::from(co) / rs.len() as u64,
        first: rs.iter().map(|r| r.t_first).min().unwrap_or(0),
        last: rs.iter().map(|r| r.t_last).max().unwrap_or(0),
        median_gap_ms: gaps[gaps.len() / 2].clamp(0, i64::from(u32::MAX)) as u32,
        sample: (rs[0].ev_a, rs[0].ev_b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(trace: u32, secs: i64, account: u32, event: u32) -> Hit {
        Hit {
            trace,
            time: secs * 1000,
            account,
            event,
        }
    }

    fn params(window_s: i64) -> SweepParams<'static> {
        SweepParams {
            window_ms: window_s * 1000,
            wide: None,
            max_crowd: 1000,
        }
    }

    #[test]
    fn wide_traces_use_the_wide_window() {
        // Trace 1 is "wide" (a day); trace 0 is not: the same 1-hour gap links only on trace 1.
        let wide = |t: u32| t == 1;
        let p = SweepParams {
            window_ms: 60_000,
            wide: Some((&wide, 86_400_000)),
            max_crowd: 100,
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
        let (pairs, exp, rep) = sweep(
            &mut hits,
            50,
            SweepParams {
                window_ms: 60_000,
                wide: None,
                max_crowd: 10,
            },
        );
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

    #[test]
    fn result_does_not_depend_on_input_order_or_threads() {
        let mut hits: Vec<Hit> = (0..2000u32)
            .map(|i| h(i % 17, i64::from(i * 7919 % 3600), i % 97, i))
            .collect();
        let mut rev = hits.clone();
        rev.reverse();
        let (a, ea, _) = sweep(&mut hits, 97, params(30));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (b, eb, _) = pool.install(|| sweep(&mut rev, 97, params(30)));
        assert_eq!(a, b);
        assert_eq!(ea.crowd, eb.crowd);
        assert!(!a.is_empty());
    }
}
