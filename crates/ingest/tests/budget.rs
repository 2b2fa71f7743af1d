//! A run's memory budget stops reading part way, with the budget it would need named.

use lockstep_core::memory::Governor;
use lockstep_core::progress::Silent;
use lockstep_ingest::{ingest, IngestError, IngestParams};
use lockstep_trace::LayerKind;
use std::io::Write;

#[test]
fn reading_stops_part_way_once_the_budget_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("posts.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let lines = 200_000;
    for i in 0..lines {
        writeln!(
            f,
            r#"{{"id":"{i}","account":"a{}","time":"2024-11-11T10:{:02}:{:02}Z","platform":"tiktok","text":"post {i} #tag{}"}}"#,
            i % 5000,
            (i / 60) % 60,
            i % 60,
            i % 97
        )
        .unwrap();
    }
    drop(f);
    let layers = LayerKind::DEFAULT.to_vec();
    let run = |memory: Option<&Governor>| {
        let ip = IngestParams {
            memory,
            layers: &layers,
            annotate: None,
            limits: Default::default(),
        };
        ingest(std::slice::from_ref(&path), &ip, &Silent, &mut |_| {})
    };
    // Without a budget, or within one, everything is read.
    let (all, _) = run(None).unwrap();
    assert_eq!(all.inputs[0].accepted, lines);
    let roomy = Governor::start(1 << 20);
    assert_eq!(run(Some(&roomy)).unwrap().0.inputs[0].accepted, lines);

    // A budget already spent: reading stops at once, and says what it would take.
    if lockstep_core::memory::resident_kib().is_none() {
        return; // not Linux: no resident memory to watch
    }
    let spent = Governor::start(1);
    assert!(spent.check());
    match run(Some(&spent)) {
        Err(IngestError::MemoryBudget {
            budget_mib,
            used_mib,
            percent,
            needed_mib,
        }) => {
            assert_eq!(budget_mib, 1);
            assert!(percent < 100.0, "{percent}");
            assert!(
                needed_mib > used_mib && used_mib > 1,
                "{needed_mib} {used_mib}"
            );
            let e = run(Some(&spent)).err().unwrap().to_string();
            assert!(
                e.contains("--memory-mib 1 cannot be met")
                    && e.contains(&format!("--memory-mib {} or more", needed_mib * 2)),
                "{e}"
            );
        }
        Err(e) => panic!("{e}"),
        Ok((i, _)) => panic!("read {} records past the budget", i.inputs[0].accepted),
    }
}
