//! From co-actions to a coordination network: per-pair [`Edge`]s with their evidence, a
//! significance test that separates coordination from crowding, and Leiden [`Cluster`]s.
//!
//! ## The null model
//! Keep every trace, its timing and its crowd fixed, and let chance decide *who* authored each
//! hit, in proportion to how active each account is. Account `b` wrote a share
//! `f_b = hits_b / hits` of all hits; account `a`'s hits saw `M_a` other hits in their windows
//! (its exposure). Then the number of `a`'s hits that meet `b` by chance is about Poisson with
//! mean `f_b · M_a`. The edge's expected count is the mean of the two directions, and its
//! p-value is `P(Poisson(E) ≥ co_actions)`. Benjamini–Hochberg over all observed pairs turns
//! p-values into q-values; an edge is kept when `q ≤ fdr` and it has at least
//! `min_co_actions`. Hyperactive accounts (large `f`) and crowd-followers (large `M`) need far
//! more co-actions to be significant, which is the point.

use lockstep_sweep::{Exposure, PairStore, PairTrace, WEIGHT_SCALE};
use rayon::prelude::*;
use single_clustering::community_search::leiden::{leiden, LeidenConfig, ObjectiveKind};
use single_clustering::network::CSRNetwork;
use statrs::function::gamma::ln_gamma;

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
    /// The trace with most co-actions.
    pub top_trace: u32,
    pub expected: f64,
    pub p_value: f64,
    pub q_value: f64,
}

/// Sorts per-trace records by pair and returns each pair's range.
fn pair_groups(pair_traces: &mut [PairTrace]) -> Vec<(usize, usize)> {
    // By pair first (one integer compare), then each (small) group by (first, trace): the
    // same total order as sorting by (pair, first, trace), for less work.
    let key = |p: &PairTrace| (p.pair, p.first, p.trace);
    let sorted = pair_traces.is_sorted_by_key(key);
    if !sorted {
        pair_traces.par_sort_unstable_by_key(|p| p.pair);
    }
    let mut bounds = Vec::new();
    let mut s = 0;
    for i in 1..=pair_traces.len() {
        if i == pair_traces.len() || pair_traces[i].pair != pair_traces[s].pair {
            if !sorted && i - s > 1 {
                pair_traces[s..i].sort_unstable_by_key(|p| (p.first, p.trace));
            }
            bounds.push((s, i));
            s = i;
        }
    }
    bounds
}

/// One pair's edge from its per-trace records (sorted by first time).
fn make_edge(g: &[PairTrace], layer_bit: &(impl Fn(u32) -> u32 + Sync)) -> Edge {
    let (a, b) = g[0].accounts();
    let co = distinct_co_actions(g);
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
    let top = g
        .iter()
        .max_by_key(|p| (p.co_actions, std::cmp::Reverse(p.trace)))
        .map_or(0, |p| p.trace);
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
        top_trace: top,
        expected: 0.0,
        p_value: 1.0,
        q_value: 1.0,
    }
}

/// Aggregates per-trace co-actions into one edge per pair. `layer_bit` maps a trace to its
/// layer's bit.
pub fn build_edges(
    pair_traces: &mut [PairTrace],
    layer_bit: impl Fn(u32) -> u32 + Sync,
) -> Vec<Edge> {
    let bounds = pair_groups(pair_traces);
    let pts: &[PairTrace] = pair_traces;
    bounds
        .par_iter()
        .map(|&(s, e)| make_edge(&pts[s..e], &layer_bit))
        .collect()
}

/// The expected chance co-actions of a pair under the null model (see the crate docs).
fn expected(exposure: &Exposure, a: u32, b: u32) -> f64 {
    let total = exposure.total_hits.max(1) as f64;
    let share = |x: u32| f64::from(exposure.hits[x as usize]) / total;
    let crowd = |x: u32| exposure.crowd[x as usize] as f64;
    0.5 * (share(b) * crowd(a) + share(a) * crowd(b))
}

/// Benjamini–Hochberg q-values (step-up) for `p`, with `m ≥ p.len()` tests in all; pairs
/// tested but not listed count in `m`, which only makes the procedure stricter.
fn bh_qvalues(p: &[f64], m: usize) -> Vec<f64> {
    // Sorted by (p, index) with the values in the keys: an index sort that looked p up on
    // every comparison waited on memory. `total_key` orders like `f64::total_cmp`.
    let total_key = |x: f64| {
        let b = x.to_bits() as i64;
        b ^ (((b >> 63) as u64) >> 1) as i64
    };
    let mut order: Vec<(i64, u32)> = p
        .iter()
        .enumerate()
        .map(|(i, &x)| (total_key(x), i as u32))
        .collect();
    order.par_sort_unstable();
    let mut q = vec![1.0; p.len()];
    let mut running = 1.0f64;
    for (rank, &(_, i)) in order.iter().enumerate().rev() {
        running = running.min(p[i as usize] * m as f64 / (rank + 1) as f64);
        q[i as usize] = running.min(1.0);
    }
    q
}

/// Aggregates, tests and filters the per-trace records one store partition at a time (all
/// records of a pair share a partition), building full [`Edge`]s only for pairs whose p-value
/// could pass: most observed pairs never need one. Equivalent to [`build_edges`] then
/// [`test_edges`], except that pairs below `min_co_actions` count in BH's `m` but are not
/// ranked (stricter, never looser). `single_pairs` are pairs the sweep saw co-act once and did
/// not store: they count as tested (in `m`) and below `min_co_actions`.
pub fn significant_edges(
    store: PairStore,
    single_pairs: u64,
    layer_bit: impl Fn(u32) -> u32 + Sync,
    exposure: &Exposure,
    p: SignificanceParams,
) -> std::io::Result<(Vec<Edge>, SignificanceReport)> {
    assert!(
        single_pairs == 0 || p.min_co_actions >= 2,
        "pairs with one co-action were skipped but could be kept"
    );
    struct PartOut {
        pairs: usize,
        /// p-values of the pairs with at least `min_co_actions`, in pair order.
        pvals: Vec<f64>,
        /// Edges whose p-value alone does not rule them out, with their index in `pvals`.
        edges: Vec<(Edge, usize)>,
    }
    let parts: Vec<std::io::Result<PartOut>> = (0..store.partitions())
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(pts, buf), i| {
                store.take_into(i, pts, buf)?;
                let pts: &mut Vec<PairTrace> = pts;
                let bounds = pair_groups(pts);
                let mut out = PartOut {
                    pairs: bounds.len(),
                    pvals: Vec::new(),
                    edges: Vec::new(),
                };
                for &(s, e) in &bounds {
                    let g = &pts[s..e];
                    let co = distinct_co_actions(g);
                    if co < p.min_co_actions {
                        continue;
                    }
                    let (a, b) = g[0].accounts();
                    let ex = expected(exposure, a, b);
                    let pv = poisson_tail(ex, co);
                    // q ≥ p, so a p-value above the FDR can never pass.
                    if p.fdr.is_none_or(|alpha| pv <= alpha) {
                        let mut edge = make_edge(g, &layer_bit);
                        edge.expected = ex;
                        edge.p_value = pv;
                        out.edges.push((edge, out.pvals.len()));
                    }
                    out.pvals.push(pv);
                }
                Ok(out)
            },
        )
        .collect();
    let mut tested = single_pairs as usize;
    let mut pvals = Vec::new();
    let mut edges = Vec::new();
    for part in parts {
        let part = part?;
        tested += part.pairs;
        let offset = pvals.len();
        pvals.extend(part.pvals);
        edges.extend(part.edges.into_iter().map(|(e, i)| (e, i + offset)));
    }
    let q = bh_qvalues(&pvals, tested);
    let mut report = SignificanceReport {
        tested: tested as u64,
        below_min_co_actions: (tested - pvals.len()) as u64,
        ..Default::default()
    };
    let mut edges: Vec<Edge> = edges
        .into_iter()
        .filter_map(|(mut e, i)| {
            e.q_value = q[i];
            p.fdr.is_none_or(|alpha| q[i] <= alpha).then_some(e)
        })
        .collect();
    edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    report.kept = edges.len() as u64;
    report.not_significant = pvals.len() as u64 - report.kept;
    Ok((edges, report))
}

/// Co-actions of one pair over its traces, counting one pair of posts once: two posts that
/// share a sound *and* a caption *and* a hashtag set are one coincidence, not three. Traces
/// whose co-actions span the same two instants (`first`, `last`) are taken to be the same
/// posts; for them the largest count stands.
fn distinct_co_actions(g: &[PairTrace]) -> u32 {
    // Most pairs meet on one or two traces: no allocation for those.
    match g {
        [p] => return p.co_actions,
        [p, q] if (p.first, p.last) != (q.first, q.last) => return p.co_actions + q.co_actions,
        [p, q] => return p.co_actions.max(q.co_actions),
        _ => {}
    }
    let mut spans: Vec<(i64, i64, u32)> =
        g.iter().map(|p| (p.first, p.last, p.co_actions)).collect();
    spans.sort_unstable();
    let mut total = 0;
    let mut i = 0;
    while i < spans.len() {
        let mut j = i;
        let mut best = 0;
        while j < spans.len() && (spans[j].0, spans[j].1) == (spans[i].0, spans[i].1) {
            best = best.max(spans[j].2);
            j += 1;
        }
        total += best;
        i = j;
    }
    total
}

#[derive(Debug, Clone, Copy)]
pub struct SignificanceParams {
    /// False-discovery rate for Benjamini–Hochberg; `None` keeps every edge (peer parity).
    pub fdr: Option<f64>,
    pub min_co_actions: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignificanceReport {
    pub tested: u64,
    pub kept: u64,
    pub below_min_co_actions: u64,
    pub not_significant: u64,
}

/// Computes each edge's expected co-actions, p-value and q-value, then keeps the edges that
/// pass. Edges come back sorted by (a, b).
pub fn test_edges(
    edges: Vec<Edge>,
    exposure: &Exposure,
    p: SignificanceParams,
) -> (Vec<Edge>, SignificanceReport) {
    let mut edges = edges;
    edges.par_iter_mut().for_each(|e| {
        e.expected = expected(exposure, e.a, e.b);
        e.p_value = poisson_tail(e.expected, e.co_actions);
    });
    let pvals: Vec<f64> = edges.iter().map(|e| e.p_value).collect();
    for (e, q) in edges.iter_mut().zip(bh_qvalues(&pvals, pvals.len())) {
        e.q_value = q;
    }
    let mut report = SignificanceReport {
        tested: edges.len() as u64,
        ..Default::default()
    };
    edges.retain(|e| {
        if e.co_actions < p.min_co_actions {
            report.below_min_co_actions += 1;
            false
        } else if p.fdr.is_some_and(|a| e.q_value > a) {
            report.not_significant += 1;
            false
        } else {
            true
        }
    });
    edges.sort_unstable_by_key(|e| (e.a, e.b));
    report.kept = edges.len() as u64;
    (edges, report)
}

/// `P(X ≥ k)` for `X ~ Poisson(mean)`, accurate far into the tail (where the p-values that
/// matter live): the series `e^-λ λ^k/k! · Σ_j λ^j/((k+1)…(k+j))` when `λ < k`, else the
/// complement of the first `k` terms.
pub fn poisson_tail(mean: f64, k: u32) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    let kf = f64::from(k);
    if mean < kf {
        let log_first = -mean + kf * mean.ln() - ln_gamma(kf + 1.0);
        let (mut term, mut sum, mut j) = (1.0f64, 1.0f64, 1.0f64);
        while term > 1e-17 * sum && j < 10_000.0 {
            term *= mean / (kf + j);
            sum += term;
            j += 1.0;
        }
        (log_first + sum.ln()).exp().clamp(0.0, 1.0)
    } else {
        let (mut term, mut cdf) = ((-mean).exp(), 0.0f64);
        for i in 0..k {
            cdf += term;
            term *= mean / f64::from(i + 1);
        }
        (1.0 - cdf).clamp(0.0, 1.0)
    }
}

/// Strength of an edge for scoring: -log10(q), capped at 30 (q underflows for huge counts).
pub fn strength(e: &Edge) -> f64 {
    if e.q_value <= 0.0 {
        30.0
    } else {
        (-e.q_value.log10()).clamp(0.0, 30.0)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ClusterParams {
    pub min_size: usize,
    /// A cluster needs at least this mean number of significant partners per member inside
    /// it (clusters of `min_mean_degree` members or fewer must be complete). Coordinated groups
    /// co-act with many of their members; chance links between organic accounts form sparse,
    /// tree-like graphs (mean degree ≈ 2) that modularity still groups.
    pub min_mean_degree: f64,
    /// Modularity resolution (Reichardt–Bornholdt γ).
    pub resolution: f64,
    pub seed: u64,
}

/// A community of accounts on the kept edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// 1-based, largest cluster first.
    pub id: u32,
    /// Account ids, ascending.
    pub members: Vec<u32>,
    /// Indices into the edge list of edges inside the cluster.
    pub internal_edges: Vec<usize>,
}

/// Leiden (modularity) on the kept edges, weighted by crowd-weighted co-actions. Clusters
/// smaller than `min_size` are dropped.
pub fn cluster(edges: &[Edge], p: ClusterParams) -> Result<Vec<Cluster>, String> {
    if edges.is_empty() {
        return Ok(Vec::new());
    }
    // Nodes in ascending account order, found through a direct index (not a binary search
    // per edge end: millions of them at scale).
    let top = edges.iter().map(|e| e.a.max(e.b)).max().unwrap_or(0) as usize;
    let mut index = vec![u32::MAX; top + 1];
    for e in edges {
        index[e.a as usize] = 0;
        index[e.b as usize] = 0;
    }
    let mut nodes: Vec<u32> = Vec::new();
    for (x, slot) in index.iter_mut().enumerate() {
        if *slot == 0 {
            *slot = nodes.len() as u32;
            nodes.push(x as u32);
        }
    }
    let list: Vec<(usize, usize, f64)> = edges
        .iter()
        .map(|e| {
            (
                index[e.a as usize] as usize,
                index[e.b as usize] as usize,
                e.weight.max(1e-9),
            )
        })
        .collect();
    let graph = CSRNetwork::from_edges(nodes.len(), &list).map_err(|e| e.to_string())?;
    let config = LeidenConfig {
        objective: ObjectiveKind::Rb {
            resolution: p.resolution,
        },
        seed: Some(p.seed),
        n_iterations: 4,
        ..Default::default()
    };
    let labels = leiden(&graph, &config)
        .map_err(|e| e.to_string())?
        .labels()
        .to_vec();
    let n_labels = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_labels];
    for (i, &l) in labels.iter().enumerate() {
        members[l].push(nodes[i]);
    }
    let mut internal: Vec<Vec<usize>> = vec![Vec::new(); n_labels];
    for (k, &(i, j, _)) in list.iter().enumerate() {
        if labels[i] == labels[j] {
            internal[labels[i]].push(k);
        }
    }
    let mut out: Vec<Cluster> = members
        .into_iter()
        .zip(internal)
        .filter(|(m, e)| {
            let n = m.len() as f64;
            m.len() >= p.min_size.max(2)
                && 2.0 * e.len() as f64 >= p.min_mean_degree.min(n - 1.0) * n
        })
        .map(|(members, internal_edges)| Cluster {
            id: 0,
            members,
            internal_edges,
        })
        .collect();
    // Node order inside `members` is ascending already; order clusters canonically.
    out.sort_by(|x, y| {
        y.members
            .len()
            .cmp(&x.members.len())
            .then(x.members[0].cmp(&y.members[0]))
    });
    for (i, c) in out.iter_mut().enumerate() {
        c.id = i as u32 + 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_qvalues_match_the_definition() {
        // q of the k-th smallest p = min over l ≥ k of p_(l)·m / l, capped at 1; ties, zeros
        // and untested pairs in m included.
        let p: Vec<f64> = (0..300u64)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => 0.01,
                _ => (i * 7919 % 1000) as f64 / 1000.0,
            })
            .collect();
        let m = 450;
        let mut sorted = p.clone();
        sorted.sort_by(f64::total_cmp);
        let naive = |x: f64| {
            let k = sorted.iter().position(|&y| y == x).unwrap();
            (k..sorted.len())
                .map(|l| sorted[l] * m as f64 / (l + 1) as f64)
                .fold(1.0f64, f64::min)
        };
        let q = bh_qvalues(&p, m);
        for (i, &x) in p.iter().enumerate() {
            assert!(
                (q[i] - naive(x)).abs() < 1e-12,
                "p {x}: q {} vs {}",
                q[i],
                naive(x)
            );
        }
    }

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
        let edges = build_edges(&mut pts, |t| 1 << t);
        assert_eq!(edges.len(), 2);
        let e = &edges[0];
        assert_eq!((e.a, e.b, e.co_actions, e.traces), (0, 1, 4, 3));
        assert_eq!(e.layers, 0b1110);
        assert_eq!((e.first, e.last), (10, 60));
        assert_eq!(e.weight, 2.0);
        // Gaps 10 (×1), 20 (×1), 30 (×2): median of four co-actions is the 2nd = 20.
        assert_eq!(e.median_gap_ms, 20);
        assert_eq!(e.samples, vec![(1, 101), (2, 102), (3, 103)]);
        assert_eq!(e.top_trace, 3);
    }

    #[test]
    fn one_pair_of_posts_on_several_traces_is_one_sample() {
        let mut same = pt(0, 1, 1, 1, 10);
        let mut pts = vec![same, {
            same.trace = 2;
            same
        }];
        pts.push(pt(0, 1, 3, 1, 50));
        let e = &build_edges(&mut pts, |t| 1 << t)[0];
        assert_eq!(e.samples, vec![(1, 101), (3, 103)]);
        // Same instants on traces 1 and 2: one co-action, plus the one on trace 3.
        assert_eq!(e.co_actions, 2);
    }

    #[test]
    fn poisson_tail_matches_closed_form() {
        // P(X ≥ 1) = 1 - e^-λ; P(X ≥ 2) = 1 - e^-λ(1 + λ).
        let l: f64 = 0.3;
        assert!((poisson_tail(l, 1) - (1.0 - (-l).exp())).abs() < 1e-12);
        assert!((poisson_tail(l, 2) - (1.0 - (-l).exp() * (1.0 + l))).abs() < 1e-12);
        assert_eq!(poisson_tail(l, 0), 1.0);
        assert!(poisson_tail(1e-3, 10) < 1e-30);
        // Against statrs's Poisson survival function across both branches.
        use statrs::distribution::{DiscreteCDF, Poisson};
        for (l, k) in [
            (0.01, 1),
            (0.5, 3),
            (2.0, 2),
            (7.5, 4),
            (30.0, 45),
            (100.0, 90),
        ] {
            let want = Poisson::new(l).unwrap().sf(u64::from(k) - 1);
            let got = poisson_tail(l, k);
            assert!(
                (got - want).abs() <= 1e-9 * want.max(1e-300) + 1e-15,
                "λ={l} k={k}: {got} vs {want}"
            );
        }
    }

    fn edge(a: u32, b: u32, co: u32) -> Edge {
        Edge {
            a,
            b,
            co_actions: co,
            weight: f64::from(co),
            layers: 1,
            traces: co,
            first: 0,
            last: 0,
            median_gap_ms: 0,
            samples: vec![],
            top_trace: 0,
            expected: 0.0,
            p_value: 1.0,
            q_value: 1.0,
        }
    }

    #[test]
    fn crowd_followers_need_more_co_actions_than_quiet_accounts() {
        // Accounts 0,1 are quiet; 2,3 are hyperactive crowd followers. Both pairs co-act 3 times.
        let exposure = Exposure {
            hits: vec![5, 5, 5000, 5000],
            crowd: vec![10, 10, 500_000, 500_000],
            total_hits: 100_000,
        };
        let (kept, rep) = test_edges(
            vec![edge(0, 1, 3), edge(2, 3, 3)],
            &exposure,
            SignificanceParams {
                fdr: Some(0.01),
                min_co_actions: 2,
            },
        );
        assert_eq!(rep.tested, 2);
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].a, kept[0].b), (0, 1));
        assert!(kept[0].q_value < 1e-6);
        assert_eq!(rep.not_significant, 1);
    }

    #[test]
    fn min_co_actions_and_fdr_off() {
        let exposure = Exposure {
            hits: vec![1; 4],
            crowd: vec![1; 4],
            total_hits: 4,
        };
        let (kept, rep) = test_edges(
            vec![edge(0, 1, 1), edge(2, 3, 2)],
            &exposure,
            SignificanceParams {
                fdr: None,
                min_co_actions: 2,
            },
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(rep.below_min_co_actions, 1);
    }

    #[test]
    fn leiden_separates_two_cliques_and_drops_small_clusters() {
        let mut edges = Vec::new();
        for base in [0u32, 10] {
            for i in 0..5 {
                for j in i + 1..5 {
                    edges.push(edge(base + i, base + j, 5));
                }
            }
        }
        edges.push(edge(4, 10, 1)); // a weak bridge
        edges.push(edge(20, 21, 9)); // a pair
                                     // A chain of five (four edges): grouped by modularity, dropped as a cluster.
        for i in 30..34 {
            edges.push(edge(i, i + 1, 3));
        }
        let cs = cluster(
            &edges,
            ClusterParams {
                min_size: 3,
                min_mean_degree: 2.0,
                resolution: 1.0,
                seed: 7,
            },
        )
        .unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].members, vec![0, 1, 2, 3, 4]);
        assert_eq!(cs[1].members, vec![10, 11, 12, 13, 14]);
        assert_eq!(cs[0].id, 1);
        assert_eq!(cs[0].internal_edges.len(), 10);
    }
}

#[cfg(test)]
mod dependency_tests {
    use super::*;

    fn pt(trace: u32, first: i64) -> PairTrace {
        PairTrace {
            pair: 1,
            trace,
            co_actions: 1,
            weight: 1,
            first,
            last: first + 5,
            median_gap_ms: 5,
            sample: (0, 1),
        }
    }

    #[test]
    fn one_pair_of_posts_on_several_traces_is_one_co_action() {
        // The same two posts matched on sound, text and hashtag set, and another pair of posts.
        let mut same = vec![pt(1, 10), pt(2, 10), pt(3, 10), pt(4, 99)];
        let e = &build_edges(&mut same, |t| 1 << t)[0];
        assert_eq!((e.co_actions, e.traces, e.layers), (2, 4, 0b11110));
    }
}

#[cfg(test)]
mod one_pass_tests {
    use super::*;

    #[test]
    fn one_pass_equals_build_then_test() {
        // Pseudo-random per-trace records for 40 accounts.
        let mut pts = Vec::new();
        let mut x = 12345u64;
        for i in 0..3000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = (x >> 33) as u32 % 40;
            let b = (x >> 45) as u32 % 40;
            if a == b {
                continue;
            }
            let (a, b) = (a.min(b), a.max(b));
            let first = i64::from(i % 97) * 1000;
            pts.push(PairTrace {
                pair: (u64::from(a) << 32) | u64::from(b),
                trace: i,
                co_actions: 1 + (x >> 60) as u32 % 3,
                weight: 1000,
                first,
                last: first + 5,
                median_gap_ms: 5,
                sample: (i, i + 1),
            });
        }
        // Quiet and busy accounts, so that some pairs are significant and some are not.
        let hits: Vec<u32> = (0..40).map(|i| 30 + 20 * (i % 10)).collect();
        let crowd: Vec<u64> = hits.iter().map(|&h| 3 * u64::from(h)).collect();
        let exposure = Exposure {
            hits,
            crowd,
            total_hits: 12_000,
        };
        let p = SignificanceParams {
            fdr: Some(0.05),
            min_co_actions: 1,
        };
        let (want, want_rep) = test_edges(
            build_edges(&mut pts.clone(), |t| 1 << (t % 8)),
            &exposure,
            p,
        );
        // Several partitions, so pairs are aggregated across partition boundaries correctly.
        let store = PairStore::from_vec(pts, 7);
        let (got, got_rep) = significant_edges(store, 0, |t| 1 << (t % 8), &exposure, p).unwrap();
        assert!(
            !want.is_empty() && want.len() < want_rep.tested as usize,
            "the test must keep some and drop some"
        );
        assert_eq!(got, want);
        assert_eq!(got_rep, want_rep);
    }
}
