//! `lockstep infra eval-rules`: per-class recall and benign false-positive rate of the
//! classifier on labelled corpora (built by `crates/infra/eval/build_corpus.py` from the CRS
//! regression tests, PayloadsAllTheThings and generated benign traffic).

use crate::classify::{Class, Classifier};
use lockstep_weblog::Http;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// Counts for one (corpus, expected class).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Tally {
    pub rows: u64,
    /// Attacks: flagged with (one of) the expected class(es). Benign: flagged at all.
    pub hits: u64,
    /// Attacks flagged, but as another class.
    pub other_class: u64,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct RulesReport {
    /// corpus → expected → tally
    pub tallies: BTreeMap<String, BTreeMap<String, Tally>>,
    /// Benign rows flagged (source, classes, rule, target), the first `examples` per corpus.
    pub false_positives: Vec<String>,
    /// Attacks missed (source, classes flagged, target | user agent), the first `examples`
    /// per (corpus, class).
    pub misses: Vec<String>,
}

/// Reads TSV rows `source, expected, pl, method, target, user_agent, referer`; with
/// `max_pl`, CRS rows above that paranoia level are skipped. Keeps up to `examples` misses
/// and false positives per group.
pub fn eval_rules(
    paths: &[&Path],
    max_pl: Option<u8>,
    examples: usize,
) -> std::io::Result<RulesReport> {
    let mut rep = RulesReport::default();
    let mut c = Classifier::default();
    for p in paths {
        let corpus = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read(p)?;
        let mut miss_count: BTreeMap<String, usize> = BTreeMap::new();
        let mut fp_count = 0;
        for line in text.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 7 {
                continue;
            }
            if let (Some(max), Ok(pl)) = (max_pl, f[2].parse::<u8>()) {
                if pl > max {
                    continue;
                }
            }
            let h = Http {
                method: Cow::Borrowed(f[3]),
                target: Cow::Borrowed(f[4]),
                protocol: Cow::Borrowed("HTTP/1.1"),
                status: 200,
                user_agent: (!f[5].is_empty()).then_some(Cow::Borrowed(f[5])),
                referer: (!f[6].is_empty() && f[6] != "-").then_some(Cow::Borrowed(f[6])),
                ..Http::default()
            };
            let v = c.http(&h);
            let expected = f[1];
            let t = rep
                .tallies
                .entry(corpus.clone())
                .or_default()
                .entry(expected.to_string())
                .or_default();
            t.rows += 1;
            if expected == "benign" {
                if !v.classes.is_empty() {
                    t.hits += 1;
                    fp_count += 1;
                    if fp_count <= examples {
                        rep.false_positives.push(format!(
                            "{corpus} {} {} {:?} {}",
                            f[0],
                            v.classes.names(),
                            v.rule,
                            f[4]
                        ));
                    }
                }
            } else {
                let want: Vec<Class> = expected.split('|').filter_map(Class::parse).collect();
                if want.iter().any(|w| v.classes.contains(*w)) {
                    t.hits += 1;
                } else {
                    if !v.classes.is_empty() {
                        t.other_class += 1;
                    }
                    let n = miss_count.entry(expected.to_string()).or_default();
                    *n += 1;
                    if *n <= examples {
                        rep.misses.push(format!(
                            "{corpus} {expected} {} [{}] {} | {}",
                            f[0],
                            v.classes.names(),
                            f[4],
                            f[5]
                        ));
                    }
                }
            }
        }
    }
    Ok(rep)
}

impl RulesReport {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<26} {:<20} {:>7} {:>7} {:>8} {:>9}",
            "corpus", "expected", "rows", "hits", "rate", "other"
        );
        for (corpus, m) in &self.tallies {
            for (e, t) in m {
                let rate = t.hits as f64 / t.rows.max(1) as f64;
                let label = if e == "benign" { "FP rate" } else { "recall" };
                let _ = writeln!(
                    s,
                    "{corpus:<26} {e:<20} {:>7} {:>7} {:>7.4} {label} {:>5}",
                    t.rows, t.hits, rate, t.other_class
                );
            }
        }
        for x in &self.false_positives {
            let _ = writeln!(s, "false positive: {x}");
        }
        for x in &self.misses {
            let _ = writeln!(s, "missed: {x}");
        }
        s
    }
}
