//! The sweep against a brute-force oracle on small random inputs: every pair of hits of two
//! accounts on one trace, enumerated directly.
//!
//! What the sweep promises (crate docs, `PairTrace`): two hits of a trace co-act when they are
//! by different accounts and their times differ by at most the trace's window (inclusive); a
//! hit pairs with at most `max_crowd` earlier hits in its window, the nearest (hits sorted by
//! time, then account, then event), its own account's included in the count. Per (pair,
//! trace): co-actions one-to-one (the smaller of the two sides' distinct events among the
//! candidates) and at most one per clock hour of the later hit (a burst is one coincidence),
//! the first and last time of those candidates, the median gap (the upper middle
//! of their sorted gaps) and the earliest candidate's events. Per account: its hits and the
//! other hits its hits saw in their two-sided windows, each side capped at `max_crowd`. With
//! `min_co_actions: 2`, the pairs with one candidate over all traces are counted, not kept.

use std::collections::BTreeMap;

use lockstep_sweep::{sweep, Hit, PairTrace, SweepParams, SweepReport};
use proptest::prelude::*;

const ACCOUNTS: u32 = 5;
const TRACES: u32 = 3;

/// A small random input: few accounts (so they repeat on a trace), few traces, times in a
/// small range (so windows hold ties and exact-window gaps), a window per trace class.
#[derive(Debug, Clone)]
struct Input {
    hits: Vec<Hit>,
    classes: Vec<u8>,
    windows_ms: [i64; 2],
}

fn input() -> impl Strategy<Value = Input> {
    input_of(TRACES, 0..40, 24)
}

/// Times and windows come in units of 20 minutes, so that a pair's co-actions on a trace
/// fall in one clock hour or in several.
const UNIT_MS: i64 = 1_200_000;

/// Traces below `traces`, times below `times` units.
fn input_of(traces: u32, hits: std::ops::Range<usize>, times: i64) -> impl Strategy<Value = Input> {
    (
        prop::collection::vec((0..traces, 0..times, 0..ACCOUNTS), hits),
        prop::collection::vec(0..2u8, 0..4),
        0..6i64,
        0..12i64,
    )
        .prop_map(|(raw, classes, w0, w1)| Input {
            hits: (0u32..)
                .zip(raw)
                .map(|(event, (trace, time, account))| Hit {
                    trace,
                    time: time * UNIT_MS,
                    account,
                    event,
                })
                .collect(),
            classes,
            windows_ms: [w0 * UNIT_MS, w1 * UNIT_MS],
        })
}

/// What the oracle and the sweep are compared on, per (pair, trace).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    co_actions: u32,
    first: i64,
    last: i64,
    median_gap_ms: u32,
    sample: (u32, u32),
}

type Records = BTreeMap<(u64, u32), Found>;

/// A candidate co-action: (time of the earlier hit, of the later, event of a, event of b).
type Candidate = (i64, i64, u32, u32);

fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a.min(b)) << 32) | u64::from(a.max(b))
}

/// Everything the oracle derives from an input.
#[derive(Debug, Default)]
struct Expected {
    records: Records,
    /// Candidate co-actions per pair over all traces.
    per_pair: BTreeMap<u64, u64>,
    candidates: u64,
    crowded_hits: u64,
    hits: Vec<u32>,
    crowd: Vec<u64>,
}

/// Enumerates every pair of hits on each trace. `cap` limits a hit to the `cap` hits just
/// before it (in time, account, event order) among those in its window.
fn oracle(input: &Input, cap: usize) -> Expected {
    let window = |t: u32| {
        let class = input.classes.get(t as usize).copied().unwrap_or(0);
        input.windows_ms[usize::from(class)]
    };
    let mut sorted = input.hits.clone();
    sorted.sort_by_key(|h| (h.trace, h.time, h.account, h.event));
    let mut exp = Expected {
        hits: vec![0; ACCOUNTS as usize],
        crowd: vec![0; ACCOUNTS as usize],
        ..Default::default()
    };
    let mut cands: BTreeMap<(u64, u32), Vec<Candidate>> = BTreeMap::new();
    for trace in 0..TRACES {
        let g: Vec<Hit> = sorted
            .iter()
            .filter(|h| h.trace == trace)
            .copied()
            .collect();
        let w = window(trace);
        for (i, x) in g.iter().enumerate() {
            let earlier: Vec<usize> = (0..i).filter(|&j| x.time - g[j].time <= w).collect();
            let later = (i + 1..g.len())
                .filter(|&j| g[j].time - x.time <= w)
                .count();
            exp.hits[x.account as usize] += 1;
            exp.crowd[x.account as usize] += (earlier.len().min(cap) + later.min(cap)) as u64;
            exp.crowded_hits += u64::from(earlier.len() > cap);
            for &j in &earlier[earlier.len().saturating_sub(cap)..] {
                let y = g[j];
                if y.account == x.account {
                    continue;
                }
                let (ev_a, ev_b) = if x.account < y.account {
                    (x.event, y.event)
                } else {
                    (y.event, x.event)
                };
                let pair = pair_key(x.account, y.account);
                cands
                    .entry((pair, trace))
                    .or_default()
                    .push((y.time, x.time, ev_a, ev_b));
                *exp.per_pair.entry(pair).or_default() += 1;
                exp.candidates += 1;
            }
        }
    }
    for (key, mut cs) in cands {
        cs.sort_unstable();
        let distinct = |f: fn(&Candidate) -> u32| {
            let mut v: Vec<u32> = cs.iter().map(f).collect();
            v.sort_unstable();
            v.dedup();
            v.len() as u32
        };
        let mut gaps: Vec<i64> = cs.iter().map(|c| c.1 - c.0).collect();
        gaps.sort_unstable();
        let mut hours: Vec<i64> = cs
            .iter()
            .map(|c| c.1.div_euclid(lockstep_sweep::HOUR_MS))
            .collect();
        hours.sort_unstable();
        hours.dedup();
        exp.records.insert(
            key,
            Found {
                co_actions: distinct(|c| c.2)
                    .min(distinct(|c| c.3))
                    .min(hours.len() as u32),
                first: cs.iter().map(|c| c.0).min().unwrap(),
                last: cs.iter().map(|c| c.1).max().unwrap(),
                median_gap_ms: gaps[gaps.len() / 2] as u32,
                sample: (cs[0].2, cs[0].3),
            },
        );
    }
    exp
}

struct Got {
    records: Records,
    report: SweepReport,
    hits: Vec<u32>,
    crowd: Vec<u64>,
}

fn run(input: &Input, max_crowd: u32, min_co_actions: u32) -> Got {
    let p = SweepParams {
        windows_ms: input.windows_ms,
        classes: &input.classes,
        max_crowd,
        min_co_actions,
        store_memory: None,
        fast_window_ms: 10_000,
    };
    let swept = sweep(&mut input.hits.clone(), ACCOUNTS as usize, p).unwrap();
    let pts: Vec<PairTrace> = swept.pairs.to_sorted_vec().unwrap();
    let mut records = Records::new();
    for pt in &pts {
        let found = Found {
            co_actions: pt.co_actions,
            first: pt.first,
            last: pt.last,
            median_gap_ms: pt.median_gap_ms,
            sample: pt.sample,
        };
        assert!(
            records.insert((pt.pair, pt.trace), found).is_none(),
            "one record per (pair, trace)"
        );
    }
    Got {
        records,
        report: swept.report,
        hits: swept.exposure.hits,
        crowd: swept.exposure.crowd,
    }
}

/// The sweep with `max_crowd` and `min_co_actions: 1` against the oracle.
fn check_all_pairs(input: &Input, max_crowd: u32) -> Result<Expected, TestCaseError> {
    let want = oracle(input, max_crowd as usize);
    let got = run(input, max_crowd, 1);
    prop_assert_eq!(&got.records, &want.records);
    prop_assert_eq!(got.report.co_action_records, want.candidates);
    prop_assert_eq!(got.report.pair_traces, want.records.len() as u64);
    prop_assert_eq!(got.report.crowded_hits, want.crowded_hits);
    prop_assert_eq!(got.report.single_pairs, 0);
    prop_assert_eq!(got.report.hits, input.hits.len() as u64);
    prop_assert_eq!(&got.hits, &want.hits);
    prop_assert_eq!(&got.crowd, &want.crowd);
    Ok(want)
}

/// With `min_co_actions: 2`: exactly the pairs with two or more candidates over all traces
/// are kept, each (pair, trace) record as without the minimum; the others are counted.
fn check_single_pairs_skipped(
    input: &Input,
    max_crowd: u32,
    want: &Expected,
) -> Result<(), TestCaseError> {
    let got = run(input, max_crowd, 2);
    let kept: Records = want
        .records
        .iter()
        .filter(|((pair, _), _)| want.per_pair[pair] >= 2)
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    let singles = want.per_pair.values().filter(|&&n| n == 1).count() as u64;
    prop_assert_eq!(&got.records, &kept);
    prop_assert_eq!(got.report.single_pairs, singles);
    prop_assert_eq!(got.report.co_action_records, want.candidates);
    prop_assert_eq!(&got.crowd, &want.crowd);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// `max_crowd` above the number of hits: every pair of hits in a window co-acts.
    #[test]
    fn sweep_equals_every_pair_in_the_window(input in input()) {
        let want = check_all_pairs(&input, 1000)?;
        prop_assert_eq!(want.crowded_hits, 0);
        check_single_pairs_skipped(&input, 1000, &want)?;
    }

    /// `max_crowd` small enough to bind: each hit pairs with its nearest earlier hits only.
    #[test]
    fn sweep_equals_the_nearest_pairs_when_crowded(input in input(), cap in 1..4u32) {
        let want = check_all_pairs(&input, cap)?;
        check_single_pairs_skipped(&input, cap, &want)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Hot traces of more hits than the sweep looks up in the sketch at a time (64).
    #[test]
    fn sweep_equals_the_oracle_on_hot_traces(
        input in input_of(2, 100..300, 150),
        cap in prop_oneof![1..8u32, Just(1000)],
    ) {
        let want = check_all_pairs(&input, cap)?;
        check_single_pairs_skipped(&input, cap, &want)?;
    }
}

/// The generator produces the cases the properties are about, often: pairs meeting several
/// times on a trace, pairs meeting once overall, crowded hits.
#[test]
fn the_inputs_are_interesting() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut grouped, mut singles, mut crowded) = (0, 0, 0);
    for _ in 0..200 {
        let input = input().new_tree(&mut runner).unwrap().current();
        let want = oracle(&input, 2);
        grouped += usize::from(want.records.values().any(|f| f.co_actions >= 2));
        singles += usize::from(want.per_pair.values().any(|&n| n == 1));
        crowded += usize::from(want.crowded_hits > 0);
    }
    assert!(
        grouped > 50,
        "pairs co-acting twice on a trace in {grouped} inputs"
    );
    assert!(singles > 50, "pairs meeting once in {singles} inputs");
    assert!(crowded > 50, "crowded hits in {crowded} inputs");
}
