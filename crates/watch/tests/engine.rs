//! The sliding-horizon engine and the alert rules on small streams built here.

use lockstep_core::{Event, Kind};
use lockstep_watch::alerts::{Thresholds, Tracker};
use lockstep_watch::engine::{ClusterView, Config, Engine, Origin};
use lockstep_watch::Span;

const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const T0: i64 = 1_730_000_000_000 / HOUR * HOUR;

fn config(horizon_ms: i64) -> Config {
    let p = lockstep_detect::Params::default();
    Config {
        horizon_ms,
        lateness_ms: 10 * MIN,
        tick_ms: MIN,
        retest_ms: 0,
        windows_ms: [60_000, 60_000],
        fast_window_ms: (p.fast_window_s * 1000.0).round() as i64,
        max_crowd: p.max_crowd,
        min_co_actions: p.min_co_actions,
        alpha: 0.01,
        layers: p.layers.clone(),
        text_similarity: p.text_similarity,
        text_min_tokens: p.text_min_tokens,
        text_script_words: p.text_script_words,
        min_cluster_size: p.min_cluster_size,
        min_mean_degree: p.min_mean_degree,
        resolution: p.resolution,
        seed: p.seed,
    }
}

fn post(id: String, account: String, t: i64, tags: &[&str], url: Option<String>) -> Event {
    let mut e = Event::new(id, account, t);
    e.platform = "tiktok".into();
    e.kind = Kind::Post;
    e.hashtags = tags.iter().map(|s| s.to_string()).collect();
    if let Some(u) = url {
        e.urls = vec![u];
    }
    e
}

/// `n` coordinated accounts post the same tag set and link within seconds, every two hours;
/// 300 organic accounts post popular tags at random moments in between. Deterministic.
fn stream(hours: i64, n: usize) -> Vec<Event> {
    let mut v = Vec::new();
    let mut x = 12345u64;
    let mut rnd = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    for h in 0..hours {
        if h % 2 == 0 {
            let order = h / 2;
            for k in 0..n {
                let t = T0 + h * HOUR + (k as i64) * 3_000 + rnd(2000) as i64;
                v.push(post(
                    format!("c{h}-{k}"),
                    format!("coord{k:02}"),
                    t,
                    &["cg11", &format!("order{order}")],
                    Some(format!("https://example.ro/o/{order}")),
                ));
            }
        }
        for _ in 0..120 {
            let a = rnd(300);
            let t = T0 + h * HOUR + rnd(HOUR as u64) as i64;
            let tag = ["fyp", "foryou", "romania", "viral"][rnd(4) as usize];
            v.push(post(
                format!("o{h}-{}", rnd(1 << 40)),
                format!("user{a}"),
                t,
                &[tag],
                None,
            ));
        }
    }
    v.sort_by_key(|e| e.time_ms);
    v
}

fn thresholds() -> Thresholds {
    Thresholds {
        min_size: 5,
        min_score: 0.0,
        growth: 1.5,
        quiet_after_ms: 6 * HOUR,
        forget_after_ms: 72 * HOUR,
    }
}

/// Feeds events one by one with ticks after each (as `run` does in replay), and everything
/// pending at the end. Returns the alerts as (kind, cluster, size) and the engine.
/// Alerts as (kind, cluster, size).
type Alerts = Vec<(String, u64, usize)>;

fn replay(events: &[Event], cfg: Config) -> (Alerts, Engine, Vec<Vec<ClusterView>>) {
    let mut e = Engine::new(cfg);
    let mut tr = Tracker::new(thresholds());
    let mut out = Vec::new();
    let mut all = Vec::new();
    let on = |t: lockstep_watch::engine::TickOut,
              tr: &mut Tracker,
              out: &mut Vec<_>,
              all: &mut Vec<_>| {
        let drafts = match t.clusters {
            Some(v) => {
                let d = tr.update(t.boundary, &v).1;
                all.push(v);
                d
            }
            None => tr.idle(t.boundary),
        };
        for d in drafts {
            out.push((d.kind.to_string(), d.cluster, d.members.len()));
        }
    };
    for (i, ev) in events.iter().enumerate() {
        let q = e.admit(
            ev.clone(),
            Origin {
                source: 0,
                line: i as u64 + 1,
            },
            "test",
        );
        assert!(q.is_none(), "in-order events are never late");
        while let Some(b) = e.due(e.stream_time) {
            let t = e.tick(b);
            on(t, &mut tr, &mut out, &mut all);
        }
    }
    let end = e.stream_time + MIN;
    while let Some(b) = e.due(end) {
        let t = e.tick(b);
        on(t, &mut tr, &mut out, &mut all);
    }
    (out, e, all)
}

#[test]
fn a_coordinated_group_raises_one_new_alert_and_organic_accounts_none() {
    let events = stream(24, 12);
    let (alerts, e, views) = replay(&events, config(72 * HOUR));
    let news: Vec<_> = alerts.iter().filter(|a| a.0 == "new").collect();
    assert_eq!(news.len(), 1, "alerts: {alerts:?}");
    assert_eq!(news[0].2, 12);
    let last = views.last().expect("clustered");
    assert_eq!(last.len(), 1);
    assert!(last[0].members.iter().all(|m| m.starts_with("coord")));
    assert_eq!(e.totals.read, events.len() as u64);
    assert_eq!(e.totals.read, e.totals.accepted + e.totals.quarantined);
}

#[test]
fn the_same_stream_gives_the_same_alerts() {
    let events = stream(16, 10);
    let a = replay(&events, config(72 * HOUR)).0;
    let b = replay(&events, config(72 * HOUR)).0;
    assert_eq!(a, b);
    assert!(!a.is_empty());
}

#[test]
fn late_arrivals_within_the_lateness_are_placed_and_later_ones_quarantined() {
    let mut e = Engine::new(config(72 * HOUR));
    let o = |l| Origin { source: 0, line: l };
    assert!(e
        .admit(
            post("a".into(), "x".into(), T0 + 30 * MIN, &["t"], None),
            o(1),
            "s"
        )
        .is_none());
    // 5 minutes behind: placed.
    assert!(e
        .admit(
            post("b".into(), "y".into(), T0 + 25 * MIN, &["t"], None),
            o(2),
            "s"
        )
        .is_none());
    // 20 minutes behind: quarantined with the reason.
    let q = e
        .admit(
            post("c".into(), "z".into(), T0 + 10 * MIN, &["t"], None),
            o(3),
            "s",
        )
        .expect("late");
    assert!(q.reason.starts_with("late:"), "{}", q.reason);
    assert_eq!(q.record, 3);
    assert_eq!(
        (
            e.totals.read,
            e.totals.accepted,
            e.totals.quarantined,
            e.totals.late
        ),
        (3, 2, 1, 1)
    );
}

#[test]
fn memory_follows_the_horizon_not_the_stream() {
    // Accounts come and go: each day a new cohort; the horizon is 12 hours.
    let mut events = Vec::new();
    for day in 0..6i64 {
        for k in 0..200 {
            let t = T0 + day * 24 * HOUR + (k as i64) * MIN;
            events.push(post(
                format!("p{day}-{k}"),
                format!("u{day}-{}", k % 50),
                t,
                &["x"],
                None,
            ));
        }
    }
    let mut cfg = config(12 * HOUR);
    cfg.layers = vec![lockstep_trace::LayerKind::HashtagSet];
    let (_, e, _) = replay(&events, cfg);
    let (ev, _, _, _) = e.sizes();
    assert!(ev <= 200, "horizon holds {ev} events");
    // Ids are reused: the account table never holds much more than one cohort.
    assert!(
        e.accounts.capacity() <= 120,
        "{} account slots",
        e.accounts.capacity()
    );
}

#[test]
fn a_cluster_keeps_its_id_and_alerts_again_only_when_it_grew() {
    let view = |members: Vec<String>| ClusterView {
        members,
        score: 0.5,
        layers: vec![],
        top_traces: vec![],
        evidence: vec![],
        index: 0,
    };
    let names = |r: std::ops::Range<usize>| {
        let mut v: Vec<String> = r.map(|i| format!("a{i:03}")).collect();
        v.sort();
        v
    };
    let mut t = Tracker::new(thresholds());
    let (ids, d) = t.update(HOUR, &[view(names(0..10))]);
    assert_eq!((d.len(), d[0].kind), (1, "new"));
    let id = ids[0];
    // The same cluster with a few more: same id, no alert.
    let (ids, d) = t.update(2 * HOUR, &[view(names(0..12))]);
    assert_eq!(ids[0], id);
    assert!(d.is_empty(), "{d:?}");
    // Split in two pieces: one story, no alert.
    let (ids, d) = t.update(3 * HOUR, &[view(names(0..7)), view(names(7..12))]);
    assert_eq!(ids, vec![id, id]);
    assert!(d.is_empty(), "{d:?}");
    // Half again as many accounts as told: grew.
    let (ids, d) = t.update(4 * HOUR, &[view(names(0..16))]);
    assert_eq!(ids[0], id);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind, "grew");
    assert_eq!(d[0].new_members.len(), 6);
    // Gone for longer than quiet_after: quiet, once.
    assert!(t.update(5 * HOUR, &[]).1.is_empty());
    let q = t.idle(12 * HOUR);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].kind, "quiet");
    assert!(t.idle(13 * HOUR).is_empty());
}

#[test]
fn spans_parse() {
    assert_eq!("72h".parse::<Span>().unwrap().0, 72 * HOUR);
    assert_eq!("10m".parse::<Span>().unwrap().0, 10 * MIN);
    assert_eq!("90".parse::<Span>().unwrap().0, 90_000);
    assert_eq!("1.5s".parse::<Span>().unwrap().0, 1500);
    assert!("-1s".parse::<Span>().is_err());
    assert!("3 parsecs".parse::<Span>().is_err());
    assert_eq!(Span(72 * HOUR).to_string(), "3d");
}

#[test]
fn a_pair_that_keeps_co_acting_is_re_tested_as_its_evidence_drifts_not_at_every_co_action() {
    // 10 accounts, an order every two hours for four days: each pair co-acts 48 times. The
    // background posts once each on a trace of its own (the null model's exposure, no pairs).
    let (n, orders) = (10usize, 48i64);
    let mut events = Vec::new();
    for o in 0..orders {
        for k in 0..n {
            events.push(post(
                format!("c{o}-{k}"),
                format!("coord{k:02}"),
                T0 + o * 2 * HOUR + (k as i64) * 3_000,
                &["cg11", &format!("order{o}")],
                Some(format!("https://example.ro/o/{o}")),
            ));
        }
        for i in 0..200 {
            events.push(post(
                format!("b{o}-{i}"),
                format!("user{}", i % 50),
                T0 + o * 2 * HOUR + 60_000 + i * 30_000,
                &[&format!("own{o}x{i}")],
                None,
            ));
        }
    }
    events.sort_by_key(|e| e.time_ms);
    let (alerts, e, views) = replay(&events, config(120 * HOUR));
    let pairs = (n * (n - 1) / 2) as u64;
    // Re-tested at every co-action, that is every pair at every order past the first. The
    // drift rules re-fold a pair when its records or its accounts' exposure moved by a tenth:
    // every order at first, then more and more rarely.
    let every = pairs * (orders as u64 - 1);
    assert!(
        e.totals.pairs_tested * 4 < every * 3,
        "{} tests; {every} at every co-action",
        e.totals.pairs_tested
    );
    assert!(e.totals.pairs_tested >= pairs, "every pair is tested");
    // And the group is still found whole, once.
    assert_eq!(
        alerts.iter().filter(|a| a.0 == "new").count(),
        1,
        "{alerts:?}"
    );
    let last = views.last().expect("clustered");
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].members.len(), n);
}
