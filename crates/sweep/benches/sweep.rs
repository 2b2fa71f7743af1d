//! The co-action sweep on synthetic hits of a few shapes: `cargo bench -p lockstep-sweep`.
//! Throughput is in hits.

use divan::counter::ItemsCount;
use divan::Bencher;
use lockstep_core::mix64;
use lockstep_sweep::{sweep, Hit, SweepParams};

fn main() {
    divan::main();
}

const ACCOUNTS: u32 = 50_000;
const WINDOW_MS: i64 = 60_000;

/// `n` hits, hit `i` on trace `trace(i)`, at a pseudo-random time below `span_ms`, by a
/// pseudo-random account.
fn hits(n: u32, span_ms: u64, trace: impl Fn(u32) -> u32) -> Vec<Hit> {
    (0..n)
        .map(|i| {
            let r = mix64(u64::from(i) ^ 0x5eed);
            Hit {
                trace: trace(i),
                time: (r % span_ms) as i64,
                account: ((r >> 32) % u64::from(ACCOUNTS)) as u32,
                event: i,
            }
        })
        .collect()
}

/// 200,000 hits on 50,000 traces of four hits each, within an hour: the common case,
/// mostly accounts acting once per trace (the shortcut).
fn small_traces() -> Vec<Hit> {
    hits(200_000, 3_600_000, |i| i / 4)
}

/// 200,000 hits on 8 traces within an hour: every window holds hundreds of hits, so the
/// `max_crowd` bound decides the work.
fn hot_traces() -> Vec<Hit> {
    hits(200_000, 3_600_000, |i| i % 8)
}

/// Half of each.
fn mixed() -> Vec<Hit> {
    let mut v = hits(100_000, 3_600_000, |i| i / 4);
    v.extend(hits(100_000, 3_600_000, |i| 1_000_000 + i % 8));
    for (i, h) in v.iter_mut().enumerate() {
        h.event = i as u32;
    }
    v
}

fn run(bencher: Bencher, input: fn() -> Vec<Hit>, min_co_actions: u32) {
    let hits = input();
    let p = SweepParams {
        min_co_actions,
        ..SweepParams::new(WINDOW_MS, 30)
    };
    bencher
        .counter(ItemsCount::new(hits.len()))
        .with_inputs(|| hits.clone())
        .bench_local_refs(|h| sweep(h, ACCOUNTS as usize, p).unwrap());
}

#[divan::bench(sample_count = 20)]
fn many_small_traces(bencher: Bencher) {
    run(bencher, small_traces, 1);
}

#[divan::bench(sample_count = 20)]
fn hot_traces_at_max_crowd(bencher: Bencher) {
    run(bencher, hot_traces, 1);
}

#[divan::bench(sample_count = 20)]
fn mixed_with_sketch_pass(bencher: Bencher) {
    run(bencher, mixed, 2);
}

#[divan::bench(sample_count = 20)]
fn hot_traces_with_sketch_pass(bencher: Bencher) {
    run(bencher, hot_traces, 2);
}
