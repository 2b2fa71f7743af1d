//! NATS JetStream source against a real `nats-server` (started by `scripts/test-watch.sh`,
//! which sets LOCKSTEP_TEST_NATS=HOST:PORT). Without it the test says it was skipped.

#![cfg(feature = "nats")]

use clap::Parser;
use std::time::Duration;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: lockstep_watch::WatchArgs,
}

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_730_000_000_000 / HOUR * HOUR;

/// lockstep NDJSON lines: `n` coordinated accounts (offset `first`) post one tag set and
/// link within seconds every two hours for `hours` hours, from hour `h0`; organic posts
/// around them.
fn lines(h0: i64, hours: i64, first: usize, n: usize) -> Vec<String> {
    let mut v: Vec<(i64, String)> = Vec::new();
    let mut x = 99u64 + h0 as u64;
    let mut rnd = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    for h in h0..h0 + hours {
        if h % 2 == 0 {
            for k in first..first + n {
                let t = T0 + h * HOUR + (k as i64 % 20) * 3_000;
                v.push((
                    t,
                    serde_json::json!({"id": format!("c{h}-{k}"), "account": format!("coord{k:02}"),
                        "time": t / 1000, "platform": "tiktok", "hashtags": ["cg11", format!("o{}", h / 2)],
                        "urls": [format!("https://example.ro/o/{}", h / 2)]})
                    .to_string(),
                ));
            }
        }
        for _ in 0..60 {
            let t = T0 + h * HOUR + rnd(HOUR as u64) as i64;
            let a = rnd(200);
            let tag = ["fyp", "viral", "romania"][rnd(3) as usize];
            v.push((
                t,
                serde_json::json!({"id": format!("o{h}-{}", rnd(1 << 40)), "account": format!("user{a}"),
                    "time": t / 1000, "platform": "tiktok", "hashtags": [tag]})
                .to_string(),
            ));
        }
    }
    v.sort();
    v.into_iter().map(|x| x.1).collect()
}

async fn publish(js: &async_nats::jetstream::Context, lines: &[String]) -> u64 {
    let mut last = 0;
    for l in lines {
        let ack = js
            .publish("events.test", l.clone().into())
            .await
            .expect("publish")
            .await
            .expect("publish acknowledged");
        last = ack.sequence;
    }
    last
}

fn alerts(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("an alert is JSON"))
        .collect()
}

#[test]
fn jetstream_is_consumed_durably_and_acknowledged_after_checkpoints() {
    let Ok(host) = std::env::var("LOCKSTEP_TEST_NATS") else {
        eprintln!(
            "SKIPPED: set LOCKSTEP_TEST_NATS=HOST:PORT (scripts/test-watch.sh starts nats-server)"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let js = rt.block_on(async {
        let c = async_nats::connect(host.as_str()).await.expect("connect");
        let js = async_nats::jetstream::new(c);
        let _ = js.delete_stream("LSTEST").await;
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "LSTEST".into(),
            subjects: vec!["events.>".into()],
            ..Default::default()
        })
        .await
        .expect("stream");
        js
    });
    let first = lines(0, 20, 0, 10);
    let last1 = rt.block_on(publish(&js, &first));
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let alerts_file = dir.path().join("alerts.ndjson");
    let url = format!("nats://{host}/LSTEST/events.test");
    let args = Cli::parse_from([
        "watch",
        url.as_str(),
        "--replay",
        "--quiet",
        "--state",
        state.to_str().unwrap(),
        "--alerts",
        alerts_file.to_str().unwrap(),
        "--cases",
        dir.path().join("cases").to_str().unwrap(),
    ])
    .args;
    let s = lockstep_watch::run(&args, &lockstep_watch::Signals::none()).expect("watch run");
    assert_eq!(s.totals.read, first.len() as u64);
    assert_eq!(s.totals.read, s.totals.accepted + s.totals.quarantined);
    let a1 = alerts(&alerts_file);
    assert!(
        a1.iter().any(|a| a["kind"] == "new" && a["size"] == 10),
        "alerts: {a1:?}"
    );
    // Every message is acknowledged once its effect was checkpointed.
    let floor = rt.block_on(async {
        let st = js.get_stream("LSTEST").await.unwrap();
        let mut c: async_nats::jetstream::consumer::PullConsumer =
            st.get_consumer("lockstep-watch-LSTEST").await.unwrap();
        for _ in 0..50 {
            let info = c.info().await.unwrap();
            if info.ack_floor.stream_sequence == last1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.info().await.unwrap().ack_floor.stream_sequence
    });
    assert_eq!(floor, last1, "ack floor");
    // More of the stream, with new accounts joining: the resumed run reads only the new
    // messages (nothing twice) and tells about the newcomers.
    // (Ten orders: in data this sparse, the null model expects several chance co-actions
    // among the group, as batch detect does.)
    let more = lines(20, 40, 0, 20);
    rt.block_on(publish(&js, &more));
    let s2 = lockstep_watch::run(&args, &lockstep_watch::Signals::none()).expect("resumed run");
    assert!(s2.resumed);
    assert_eq!(
        s2.totals.read,
        (first.len() + more.len()) as u64,
        "nothing read twice"
    );
    let a2 = alerts(&alerts_file);
    assert_eq!(&a2[..a1.len()], &a1[..], "earlier alerts kept as they were");
    // The newcomers are told about (in a cluster of their own or as growth).
    let told: Vec<String> = a2[a1.len()..]
        .iter()
        .filter(|a| a["kind"] == "new" || a["kind"] == "grew")
        .flat_map(|a| a["new_members"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect();
    for k in 10..20 {
        assert!(
            told.contains(&format!("coord{k}")),
            "coord{k} not told: {:?}",
            &a2[a1.len()..]
        );
    }
}
