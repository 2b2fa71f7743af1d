//! Significance: each pair's co-actions against the null model, and Benjamini–Hochberg over
//! every pair tested (see the crate docs for the model).

use crate::edge::{distinct_co_actions, make_edge, pair_groups};
use crate::Edge;
#[cfg(test)]
use lockstep_sweep::PairStore;
use lockstep_sweep::{Exposure, PairTrace, SpillError, Swept};
use rayon::prelude::*;
use statrs::function::gamma::ln_gamma;

/// The expected chance co-actions of a pair under the null model (see the crate docs).
fn expected(exposure: &Exposure, a: u32, b: u32) -> f64 {
    let total = exposure.total_hits.max(1) as f64;
    let share = |x: u32| f64::from(exposure.hits[x as usize]) / total;
    let crowd = |x: u32| exposure.crowd[x as usize] as f64;
    0.5 * (share(b) * crowd(a) + share(a) * crowd(b))
}

/// Benjamini–Hochberg q-values (step-up) for `p`, with `m ≥ p.len()` tests in all; pairs
/// tested but not listed count in `m`, which only makes the procedure stricter.
pub fn bh_qvalues(p: &[f64], m: usize) -> Vec<f64> {
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

/// One pair's edge from its (pair, trace) records with its expected co-actions and p-value
/// (q left at 1): the batch test for drivers that keep their own aggregates (`lockstep
/// watch`), who rank p-values with [`bh_qvalues`].
pub fn test_edge(
    g: &mut [PairTrace],
    exposure: &Exposure,
    post: &[u32],
    layer_bit: &(impl Fn(u32) -> u32 + Sync),
) -> Edge {
    g.sort_unstable_by_key(|p| (p.first, p.sample, p.trace));
    let mut edge = make_edge(g, post, layer_bit);
    let (a, b) = g[0].accounts();
    edge.expected = expected(exposure, a, b);
    edge.p_value = poisson_tail(edge.expected, edge.co_actions);
    let hits = |x: u32| f64::from(exposure.hits[x as usize].max(1));
    edge.activity_ratio = hits(a).max(hits(b)) / hits(a).min(hits(b));
    edge.q_value = 1.0;
    edge
}

/// The kept edges, sorted by pair, and what the test did.
pub struct Tested {
    pub edges: Vec<Edge>,
    pub report: SignificanceReport,
}

/// The test could not read the sweep's spilled records back.
#[derive(Debug, thiserror::Error)]
#[error("significance test: {0}")]
pub struct SignificanceError(#[from] pub SpillError);

/// Aggregates, tests and filters the sweep's per-trace records one store partition at a time
/// (all records of a pair share a partition), building full [`Edge`]s only for pairs whose
/// p-value could pass: most observed pairs never need one. Equivalent to
/// [`crate::build_edges`] then [`test_edges`], except that pairs below the sweep's
/// `min_co_actions` count in BH's `m` but are not ranked (stricter, never looser). Pairs the
/// sweep saw co-act once and did not store count as tested (in `m`) and below the minimum.
/// `post[event]` is the event's post (events past its end are their own posts); `fdr` is the
/// false-discovery rate, `None` keeping every edge (peer parity).
pub fn significant_edges(
    swept: Swept,
    post: &[u32],
    layer_bit: impl Fn(u32) -> u32 + Sync,
    fdr: Option<f64>,
) -> Result<Tested, SignificanceError> {
    let Swept {
        pairs: store,
        exposure,
        report: sweep_report,
        min_co_actions,
    } = swept;
    // The sweep left out pairs below the minimum it was given; the test uses the same one,
    // so those pairs are exactly the ones that could never be kept.
    let single_pairs = sweep_report.single_pairs;
    let exposure = &exposure;
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
                    let co = distinct_co_actions(g, post);
                    if co < min_co_actions {
                        continue;
                    }
                    let (a, b) = g[0].accounts();
                    let ex = expected(exposure, a, b);
                    let pv = poisson_tail(ex, co);
                    // q ≥ p, so a p-value above the FDR can never pass.
                    if fdr.is_none_or(|alpha| pv <= alpha) {
                        let mut edge = make_edge(g, post, &layer_bit);
                        edge.expected = ex;
                        edge.p_value = pv;
                        let hits = |x: u32| f64::from(exposure.hits[x as usize].max(1));
                        edge.activity_ratio = hits(a).max(hits(b)) / hits(a).min(hits(b));
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
        let part = part.map_err(|e| SignificanceError(SpillError::new(e)))?;
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
            fdr.is_none_or(|alpha| q[i] <= alpha).then_some(e)
        })
        .collect();
    edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    report.kept = edges.len() as u64;
    report.not_significant = pvals.len() as u64 - report.kept;
    Ok(Tested { edges, report })
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
    fdr: Option<f64>,
    min_co_actions: u32,
) -> (Vec<Edge>, SignificanceReport) {
    let mut edges = edges;
    edges.par_iter_mut().for_each(|e| {
        e.expected = expected(exposure, e.a, e.b);
        e.p_value = poisson_tail(e.expected, e.co_actions);
        let hits = |x: u32| f64::from(exposure.hits[x as usize].max(1));
        e.activity_ratio = hits(e.a).max(hits(e.b)) / hits(e.a).min(hits(e.b));
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
        if e.co_actions < min_co_actions {
            report.below_min_co_actions += 1;
            false
        } else if fdr.is_some_and(|a| e.q_value > a) {
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
/// matter live): the series `e^-λ λ^k/k! · Σ_j λ^j/((k+1)…(k+j))` in log space when `λ < k`,
/// else the regularized incomplete gamma function.
pub fn poisson_tail(mean: f64, k: u32) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    let kf = f64::from(k);
    if mean < kf {
        poisson_ln_tail(mean, kf).exp().clamp(0.0, 1.0)
    } else {
        // P(X ≥ k) is the regularized lower incomplete gamma P(k, λ): summing the first k
        // terms from e^-λ loses every digit once e^-λ underflows (λ ≳ 708).
        statrs::function::gamma::gamma_lr(kf, mean).clamp(0.0, 1.0)
    }
}

/// `ln P(X ≥ k)` by the series, for `0 < λ < k`: finite however small the tail.
fn poisson_ln_tail(mean: f64, kf: f64) -> f64 {
    let log_first = -mean + kf * mean.ln() - ln_gamma(kf + 1.0);
    let (mut term, mut sum, mut j) = (1.0f64, 1.0f64, 1.0f64);
    while term > 1e-17 * sum && j < 10_000.0 {
        term *= mean / (kf + j);
        sum += term;
        j += 1.0;
    }
    log_first + sum.ln()
}

/// `−log10 P(X ≥ k)` for `X ~ Poisson(mean)`, without underflow: the strength of evidence
/// for `k` observed against `mean` expected (0 when nothing is surprising).
pub fn poisson_evidence(mean: f64, k: u64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if mean <= 0.0 {
        return f64::INFINITY;
    }
    let kf = k as f64;
    if mean < kf {
        (-poisson_ln_tail(mean, kf) / std::f64::consts::LN_10).max(0.0)
    } else {
        -statrs::function::gamma::gamma_lr(kf, mean)
            .clamp(f64::MIN_POSITIVE, 1.0)
            .log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_the_log_tail_far_past_underflow() {
        assert!((poisson_evidence(2.0, 5) + poisson_tail(2.0, 5).log10()).abs() < 1e-9);
        assert!((poisson_evidence(50.0, 40) + poisson_tail(50.0, 40).log10()).abs() < 1e-9);
        // 10,000 co-actions against 10 expected: a tail of about 1e-26,000.
        let e = poisson_evidence(10.0, 10_000);
        assert!(e > 25_000.0 && e < 30_000.0, "{e}");
        assert_eq!(poisson_evidence(3.0, 0), 0.0);
    }

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
            a_first: 0,
            fast: 0,
            activity_ratio: 1.0,
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
        let (kept, rep) = test_edges(vec![edge(0, 1, 3), edge(2, 3, 3)], &exposure, Some(0.01), 2);
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
        let (kept, rep) = test_edges(vec![edge(0, 1, 1), edge(2, 3, 2)], &exposure, None, 2);
        assert_eq!(kept.len(), 1);
        assert_eq!(rep.below_min_co_actions, 1);
    }
}

#[cfg(test)]
mod one_pass_tests {
    use super::*;
    use proptest::prelude::*;

    /// Random per-trace records for 40 accounts: 3,000 of them, trace `i` for record `i`.
    /// Drawn values are offset by the index, so shrinking heads for a regular spread of pairs.
    fn records() -> impl Strategy<Value = Vec<PairTrace>> {
        prop::collection::vec((0..40u32, 0..39u32, 0..3u32), 3000).prop_map(|raw| {
            (0u32..)
                .zip(raw)
                .map(|(i, (a, d, co))| {
                    let a = (a + i) % 40;
                    let b = (a + 1 + (d + i * 7) % 39) % 40;
                    let (a, b) = (a.min(b), a.max(b));
                    let first = i64::from(i % 97) * 1000;
                    PairTrace {
                        pair: (u64::from(a) << 32) | u64::from(b),
                        trace: i,
                        co_actions: 1 + co,
                        weight: 1000,
                        first,
                        last: first + 5,
                        median_gap_ms: 5,
                        sample: (i, i + 1),
                        a_first: 0,
                        fast: 0,
                    }
                })
                .collect()
        })
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn one_pass_equals_build_then_test(pts in records()) {
        // Quiet and busy accounts, so that some pairs are significant and some are not.
        let hits: Vec<u32> = (0..40).map(|i| 30 + 20 * (i % 10)).collect();
        let crowd: Vec<u64> = hits.iter().map(|&h| 3 * u64::from(h)).collect();
        let exposure = Exposure {
            hits,
            crowd,
            total_hits: 12_000,
        };
        let (want, want_rep) = test_edges(
            crate::build_edges(&mut pts.clone(), &[], |t| 1 << (t % 8)),
            &exposure,
            Some(0.05),
            1,
        );
        // Several partitions, so pairs are aggregated across partition boundaries correctly.
        let swept = Swept {
            pairs: PairStore::from_vec(pts, 7),
            exposure: exposure.clone(),
            report: Default::default(),
            min_co_actions: 1,
        };
        let got = significant_edges(swept, &[], |t| 1 << (t % 8), Some(0.05)).unwrap();
        let (got, got_rep) = (got.edges, got.report);
        prop_assert!(
            !want.is_empty() && want.len() < want_rep.tested as usize,
            "the test must keep some and drop some"
        );
        prop_assert_eq!(got, want);
        prop_assert_eq!(got_rep, want_rep);
    }
    }
}
