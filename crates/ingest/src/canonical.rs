//! After reading: duplicate records out, every id in an order given by the records' content.
//!
//! Results must be a function of the records, not of the order or names of the files they
//! came in. Reading assigns ids in input order; here events are put in a canonical order
//! (time, platform, post id, account, content), accounts are numbered by name, hashtags and
//! platforms by name, so every later tie (the sweep's nearest-first bound, samples, Leiden's
//! node order, text families) is broken by content.
//!
//! Records are identified by platform and post id. A repeat of an identical record (the same
//! file given twice, `x.csv` next to `x.csv.gz`, API pages fetched twice) is counted and
//! dropped. The same id with different content is quarantined, every version, with the places
//! it was found. Formats that spread one post over several rows, one per shared object
//! (CooRTweet's CSV layouts), are the exception: their rows of one post agree on account and
//! time and differ in what they share; they are kept as parts of one post ([`EventTable::posts`]).
//!
//! "Identical" means identical in everything lockstep uses: account, time, kind, text (when
//! kept), hashtags, every trace key (links, mentions, sound, media, parent, hashtag set) and
//! the watchlist marks.

use crate::table::EventTable;
use lockstep_core::Quarantined;
use lockstep_sweep::Hit;
use lockstep_trace::TraceTable;
use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

/// What happened to the records.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Per input file: identical repeats dropped, conflicting records quarantined.
    pub duplicates: Vec<u64>,
    pub conflicts: Vec<u64>,
}

/// The content fingerprint of every event (see the module docs for what it covers), 128 bits
/// so that a chance collision is out of the question.
fn fingerprints(
    table: &EventTable,
    traces: &TraceTable,
    hits: &[Hit],
    hit_at: &[usize],
    marks: &[(u32, u32)],
    mark_at: &[usize],
) -> Vec<u128> {
    (0..table.len() as u32)
        .into_par_iter()
        .map_init(Vec::<u8>::new, |buf, ev| {
            buf.clear();
            let e = ev as usize;
            let mut push = |b: &[u8]| {
                buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
                buf.extend_from_slice(b);
            };
            push(table.account_name(table.account(ev)).as_bytes());
            push(&table.time(ev).to_le_bytes());
            push(table.kind(ev).as_str().as_bytes());
            push(table.text(ev).unwrap_or("").as_bytes());
            let mut tags: Vec<&str> = table.tags_of(ev).iter().map(|&t| table.tag(t)).collect();
            tags.sort_unstable();
            for t in tags {
                push(t.as_bytes());
            }
            push(b"|");
            let mut keys: Vec<&str> = hits[hit_at[e]..hit_at[e + 1]]
                .iter()
                .map(|h| traces.key(h.trace))
                .collect();
            keys.sort_unstable();
            for k in keys {
                push(k.as_bytes());
            }
            push(b"|");
            for &(_, m) in &marks[mark_at[e]..mark_at[e + 1]] {
                push(&m.to_le_bytes());
            }
            xxh3_128(buf)
        })
        .collect()
}

/// `at[e]..at[e + 1]`: the range of items of event `e` in `items`, sorted by event.
fn ranges<T>(items: &[T], n: usize, event: impl Fn(&T) -> u32) -> Vec<usize> {
    let mut at = vec![0usize; n + 1];
    for x in items {
        at[event(x) as usize + 1] += 1;
    }
    for i in 0..n {
        at[i + 1] += at[i];
    }
    at
}

/// Removes duplicates and puts the table, hits and marks in canonical order. `multi_row[f]`
/// says whether input `f`'s format spreads a post over rows; `path[f]` names input `f` for the
/// quarantine reason.
pub(crate) fn canonicalize(
    table: &mut EventTable,
    traces: &TraceTable,
    hits: &mut Vec<Hit>,
    marks: &mut Vec<(u32, u32)>,
    multi_row: &[bool],
    path: &[String],
    quarantined: &mut dyn FnMut(&Quarantined),
) -> Outcome {
    let n = table.len();
    let files = multi_row.len();
    let mut out = Outcome {
        duplicates: vec![0; files],
        conflicts: vec![0; files],
    };
    // Hits and marks come in event order from reading.
    debug_assert!(hits.is_sorted_by_key(|h| h.event));
    let hit_at = ranges(hits, n, |h| h.event);
    let mark_at = ranges(marks, n, |m| m.0);
    let fp = fingerprints(table, traces, hits, &hit_at, marks, &mark_at);

    // Groups of events with one (platform, post id), found by sorting their hashes and then
    // comparing the strings of equal hashes.
    let id_key = |ev: u32| -> (&str, &str) { (table.platform(ev), table.id(ev)) };
    let mut by_id: Vec<(u64, u32)> = (0..n as u32)
        .into_par_iter()
        .map(|ev| {
            let (p, id) = id_key(ev);
            (
                xxh3_64(p.as_bytes()) ^ xxh3_64(id.as_bytes()).rotate_left(1),
                ev,
            )
        })
        .collect();
    by_id.par_sort_unstable();
    let mut keep = vec![true; n];
    let mut post_of: Vec<u32> = (0..n as u32).collect();
    for run in by_id.chunk_by(|x, y| x.0 == y.0) {
        if run.len() == 1 {
            continue;
        }
        let mut evs: Vec<u32> = run.iter().map(|x| x.1).collect();
        // Equal hashes of different ids are rare; split them by the strings themselves.
        evs.sort_unstable_by(|&a, &b| id_key(a).cmp(&id_key(b)).then(a.cmp(&b)));
        for group in evs.chunk_by(|&a, &b| id_key(a) == id_key(b)) {
            if group.len() > 1 {
                resolve(
                    group,
                    table,
                    &fp,
                    multi_row,
                    path,
                    &mut keep,
                    &mut post_of,
                    &mut out,
                    quarantined,
                );
            }
        }
    }

    // Freed before the columns are rebuilt: the peak of this stage is what counts.
    drop(by_id);
    // The canonical order of the events kept: by content, never by where they were read
    // (the file and line decide only between events identical in all else, which can differ
    // only by a 128-bit fingerprint collision).
    let mut order: Vec<u32> = (0..n as u32).filter(|&e| keep[e as usize]).collect();
    let acct = |ev: u32| table.account_name(table.account(ev));
    order.par_sort_unstable_by(|&a, &b| {
        table
            .time(a)
            .cmp(&table.time(b))
            .then_with(|| id_key(a).cmp(&id_key(b)))
            .then_with(|| acct(a).cmp(acct(b)))
            .then_with(|| fp[a as usize].cmp(&fp[b as usize]))
            .then_with(|| table.source(a).cmp(&table.source(b)))
    });
    drop(fp);
    let mut new_of = vec![u32::MAX; n];
    for (new, &old) in order.iter().enumerate() {
        new_of[old as usize] = new as u32;
    }
    let account_of = table.reorder(&order, &post_of, &new_of);
    hits.retain(|h| keep[h.event as usize]);
    hits.par_iter_mut().for_each(|h| {
        h.event = new_of[h.event as usize];
        h.account = account_of[h.account as usize];
    });
    marks.retain(|m| keep[m.0 as usize]);
    for m in marks.iter_mut() {
        m.0 = new_of[m.0 as usize];
    }
    marks.sort_unstable();
    out
}

/// Decides a group of events with one (platform, post id): identical repeats are dropped (the
/// first read stays), rows of one post in a multi-row format are kept as one post, anything
/// else is a conflict and every version is quarantined.
#[allow(clippy::too_many_arguments)]
fn resolve(
    group: &[u32],
    table: &EventTable,
    fp: &[u128],
    multi_row: &[bool],
    path: &[String],
    keep: &mut [bool],
    post_of: &mut [u32],
    out: &mut Outcome,
    quarantined: &mut dyn FnMut(&Quarantined),
) {
    let first = group[0];
    let same = |a: u32, b: u32| fp[a as usize] == fp[b as usize];
    let rows_of_one_post = group.iter().all(|&e| {
        multi_row[table.source(e).0 as usize]
            && table.account(e) == table.account(first)
            && table.time(e) == table.time(first)
    });
    if group.iter().all(|&e| same(e, first)) || rows_of_one_post {
        let mut seen: Vec<u32> = Vec::new();
        for &e in group {
            if seen.iter().any(|&s| same(s, e)) {
                keep[e as usize] = false;
                out.duplicates[table.source(e).0 as usize] += 1;
            } else {
                seen.push(e);
                post_of[e as usize] = first;
            }
        }
        return;
    }
    let place = |e: u32| {
        let (f, line) = table.source(e);
        format!("{}:{line}", path[f as usize])
    };
    let places: Vec<String> = group.iter().take(6).map(|&e| place(e)).collect();
    let more = group.len().saturating_sub(6);
    for &e in group {
        keep[e as usize] = false;
        let (f, line) = table.source(e);
        out.conflicts[f as usize] += 1;
        let others: Vec<&str> = places
            .iter()
            .filter(|p| **p != place(e))
            .map(String::as_str)
            .collect();
        let raw = serde_json::json!({
            "platform": table.platform(e),
            "id": table.id(e),
            "account": table.account_name(table.account(e)),
            "time": lockstep_core::format_time(table.time(e)),
        });
        quarantined(&Quarantined {
            file: path[f as usize].clone(),
            record: u64::from(line),
            reason: format!(
                "post id {:?} appears with different content: also at {}{}",
                table.id(e),
                others.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
            raw: raw.to_string(),
        });
    }
}

/// The coarsest clock all of `times` fit, in ms: an hour, a minute, a second, else 1.
pub(crate) fn resolution_ms(times: impl Iterator<Item = i64>) -> u64 {
    let mut r = 3_600_000i64;
    for t in times {
        while r > 1 && t.rem_euclid(r) != 0 {
            r = match r {
                3_600_000 => 60_000,
                60_000 => 1000,
                _ => 1,
            };
        }
        if r == 1 {
            break;
        }
    }
    r as u64
}
