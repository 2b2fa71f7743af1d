//! Edges: one per account pair, aggregated over the (pair, trace) records of the sweep, with
//! their evidence.

use lockstep_sweep::{PairTrace, WEIGHT_SCALE};
use rayon::prelude::*;

/// An account pair's co-actions, aggregated over traces, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    pub co_actions: u32,
    /// Crowd-weighted co-actions: Σ 1 / (others in the window).
    pub weight: f64,
    /// Layer bit mask.
    pub layers: u32,
    /// Distinct traces the pair co-acted on.
    pub traces: u32,
    pub first: i64,
    pub last: i64,
    pub median_gap_ms: i64,
    /// Up to three distinct (event of a, event of b), earliest first.
    pub samples: Vec<(u32, u32)>,
    /// Of the co-actions, those in which `a` acted first (`co_actions − a_first`: `b` did).
    pub a_first: u32,
    /// Of the co-actions, those within the fast window (the fast sub-network).
    pub fast: u32,
    /// The busier account's activity over the quieter one's (hits): an edge carried by one
    /// hyperactive side has a large ratio.
    pub activity_ratio: f64,
    pub expected: f64,
    pub p_value: f64,
    pub q_value: f64,
}

/// Sorts per-trace records by pair and returns each pair's range.
pub(crate) fn pair_groups(pair_traces: &mut [PairTrace]) -> Vec<(usize, usize)> {
    // By pair first (one integer compare), then each (small) group by (first, sample,
    // trace): the same total order as sorting by the whole key, for less work. Ties of time
    // go by the sample's events (in canonical order), not by trace ids (in read order).
    let key = |p: &PairTrace| (p.pair, p.first, p.sample, p.trace);
    let sorted = pair_traces.is_sorted_by_key(key);
    if !sorted {
        pair_traces.par_sort_unstable_by_key(|p| p.pair);
    }
    let mut start = 0;
    pair_traces
        .chunk_by_mut(|x, y| x.pair == y.pair)
        .map(|run| {
            if !sorted && run.len() > 1 {
                run.sort_unstable_by_key(|p| (p.first, p.sample, p.trace));
            }
            start += run.len();
            (start - run.len(), start)
        })
        .collect()
}

/// One pair's edge from its per-trace records (sorted by first time).
pub(crate) fn make_edge(
    g: &[PairTrace],
    post: &[u32],
    layer_bit: &(impl Fn(u32) -> u32 + Sync),
) -> Edge {
    let (a, b) = g[0].accounts();
    let (co, a_first, fast) = distinct_counts(g, post);
    // Median over co-actions, each trace contributing its median gap co_actions times (one
    // trace: its own median, without the buffer).
    let median = if let [p] = g {
        p.median_gap_ms
    } else {
        let mut gaps: Vec<(u32, u32)> = g.iter().map(|p| (p.median_gap_ms, p.co_actions)).collect();
        gaps.sort_unstable();
        let mut left = co.div_ceil(2);
        let mut median = 0;
        for (gap, n) in gaps {
            median = gap;
            if n >= left {
                break;
            }
            left -= n;
        }
        median
    };
    Edge {
        a,
        b,
        co_actions: co,
        weight: g.iter().map(|p| p.weight).sum::<u64>() as f64 / WEIGHT_SCALE,
        layers: g.iter().fold(0, |m, p| m | layer_bit(p.trace)),
        traces: g.len() as u32,
        first: g.iter().map(|p| p.first).min().unwrap_or(0),
        last: g.iter().map(|p| p.last).max().unwrap_or(0),
        median_gap_ms: i64::from(median),
        samples: {
            // The same two posts often co-act on several traces (sound, caption, tags): one
            // sample each.
            let mut v: Vec<(u32, u32)> = Vec::with_capacity(3);
            for p in g {
                if v.len() == 3 {
                    break;
                }
                if !v.contains(&p.sample) {
                    v.push(p.sample);
                }
            }
            v
        },
        a_first,
        fast,
        activity_ratio: 1.0,
        expected: 0.0,
        p_value: 1.0,
        q_value: 1.0,
    }
}

/// [`distinct_co_actions`] with, for the same co-actions, how many `a` led and how many were
/// fast.
fn distinct_counts(g: &[PairTrace], post: &[u32]) -> (u32, u32, u32) {
    let of = |e: u32| post.get(e as usize).copied().unwrap_or(e);
    let mut spans: Vec<((u32, u32), u32, u16, u16)> = g
        .iter()
        .map(|p| {
            (
                (of(p.sample.0), of(p.sample.1)),
                p.co_actions,
                p.a_first,
                p.fast,
            )
        })
        .collect();
    spans.sort_unstable();
    let (mut co, mut led, mut fast) = (0, 0, 0);
    for run in spans.chunk_by(|x, y| x.0 == y.0) {
        // The record with the most co-actions stands for the posts (the last, sorted).
        let best = run[run.len() - 1];
        co += best.1;
        led += u32::from(best.2);
        fast += u32::from(best.3);
    }
    (co, led.min(co), fast.min(co))
}

/// Aggregates per-trace co-actions into one edge per pair. `layer_bit` maps a trace to its
/// layer's bit.
pub fn build_edges(
    pair_traces: &mut [PairTrace],
    post: &[u32],
    layer_bit: impl Fn(u32) -> u32 + Sync,
) -> Vec<Edge> {
    let bounds = pair_groups(pair_traces);
    let pts: &[PairTrace] = pair_traces;
    bounds
        .par_iter()
        .map(|&(s, e)| make_edge(&pts[s..e], post, &layer_bit))
        .collect()
}

/// Co-actions of one pair over its traces, counting one pair of posts once: two posts that
/// share a sound *and* a caption *and* a hashtag set are one coincidence, not three. Records
/// whose earliest co-action is the same pair of posts (`post[event]`: rows of one post share
/// a post) are taken to be the same posts; for them the largest count stands. Distinct posts
/// at the same instant are distinct co-actions.
pub(crate) fn distinct_co_actions(g: &[PairTrace], post: &[u32]) -> u32 {
    let key = |p: &PairTrace| {
        let of = |e: u32| post.get(e as usize).copied().unwrap_or(e);
        (of(p.sample.0), of(p.sample.1))
    };
    // Most pairs meet on one or two traces: no allocation for those.
    match g {
        [p] => return p.co_actions,
        [p, q] if key(p) != key(q) => return p.co_actions + q.co_actions,
        [p, q] => return p.co_actions.max(q.co_actions),
        _ => {}
    }
    let mut spans: Vec<((u32, u32), u32)> = g.iter().map(|p| (key(p), p.co_actions)).collect();
    spans.sort_unstable();
    spans
        .chunk_by(|x, y| x.0 == y.0)
        .map(|run| run.iter().map(|x| x.1).max().unwrap_or(0))
        .sum()
}

/// Strength of an edge for scoring: -log10(q), capped at 30 (q underflows for huge counts).
pub fn strength(e: &Edge) -> f64 {
    if e.q_value <= 0.0 {
        30.0
    } else {
        (-e.q_value.log10()).clamp(0.0, 30.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(a: u32, b: u32, trace: u32, co: u32, first: i64) -> PairTrace {
        PairTrace {
            pair: (u64::from(a) << 32) | u64::from(b),
            trace,
            co_actions: co,
            weight: u64::from(co) * 500_000,
            first,
            last: first + 10,
            median_gap_ms: 10 * trace,
            sample: (trace, trace + 100),
            a_first: 0,
            fast: 0,
        }
    }

    #[test]
    fn edges_aggregate_traces_with_evidence() {
        let mut pts = vec![
            pt(0, 1, 3, 2, 50),
            pt(0, 1, 1, 1, 10),
            pt(1, 2, 1, 1, 5),
            pt(0, 1, 2, 1, 30),
        ];
        let edges = build_edges(&mut pts, &[], |t| 1 << t);
        assert_eq!(edges.len(), 2);
        let e = &edges[0];
        assert_eq!((e.a, e.b, e.co_actions, e.traces), (0, 1, 4, 3));
        assert_eq!(e.layers, 0b1110);
        assert_eq!((e.first, e.last), (10, 60));
        assert_eq!(e.weight, 2.0);
        // Gaps 10 (×1), 20 (×1), 30 (×2): median of four co-actions is the 2nd = 20.
        assert_eq!(e.median_gap_ms, 20);
        assert_eq!(e.samples, vec![(1, 101), (2, 102), (3, 103)]);
    }

    #[test]
    fn one_pair_of_posts_on_several_traces_is_one_sample() {
        let mut same = pt(0, 1, 1, 1, 10);
        let mut pts = vec![same, {
            same.trace = 2;
            same
        }];
        pts.push(pt(0, 1, 3, 1, 50));
        let e = &build_edges(&mut pts, &[], |t| 1 << t)[0];
        assert_eq!(e.samples, vec![(1, 101), (3, 103)]);
        // Same instants on traces 1 and 2: one co-action, plus the one on trace 3.
        assert_eq!(e.co_actions, 2);
    }
}

#[cfg(test)]
mod dependency_tests {
    use super::*;

    fn pt(trace: u32, first: i64, sample: (u32, u32)) -> PairTrace {
        PairTrace {
            pair: 1,
            trace,
            co_actions: 1,
            weight: 1,
            first,
            last: first + 5,
            median_gap_ms: 5,
            sample,
            a_first: 1,
            fast: 1,
        }
    }

    #[test]
    fn one_pair_of_posts_on_several_traces_is_one_co_action() {
        // The same two posts matched on sound, text and hashtag set, and another pair of posts.
        let mut same = vec![
            pt(1, 10, (0, 1)),
            pt(2, 10, (0, 1)),
            pt(3, 10, (0, 1)),
            pt(4, 99, (2, 3)),
        ];
        let e = &build_edges(&mut same, &[], |t| 1 << t)[0];
        assert_eq!((e.co_actions, e.traces, e.layers), (2, 4, 0b11110));
    }

    #[test]
    fn distinct_posts_at_the_same_instant_are_distinct_co_actions() {
        // Minute-stamped archives: three different co-retweets in one minute share their
        // times but not their posts.
        let mut three = vec![
            pt(1, 60_000, (0, 1)),
            pt(2, 60_000, (2, 3)),
            pt(3, 60_000, (4, 5)),
        ];
        let e = &build_edges(&mut three, &[], |t| 1 << t)[0];
        assert_eq!(e.co_actions, 3);
    }

    #[test]
    fn rows_of_one_post_are_one_post() {
        // Events 0 and 2 are rows of one post (as are 1 and 3): matched on two traces, once.
        let post = [0, 1, 0, 1];
        let mut rows = vec![pt(1, 10, (0, 1)), pt(2, 10, (2, 3))];
        assert_eq!(
            build_edges(&mut rows.clone(), &post, |t| 1 << t)[0].co_actions,
            1
        );
        assert_eq!(build_edges(&mut rows, &[], |t| 1 << t)[0].co_actions, 2);
    }
}
