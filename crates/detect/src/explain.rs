//! Scores and explains clusters: what the members did together, when, and which signals
//! (synchrony, activation cohort, marker hashtags, name templates, creation cohort, hours)
//! stand out. Signals explain a cluster; they are never the sole evidence against an account.

use crate::Analysis;
use lockstep_core::format_time;
use lockstep_output::fixed;
use lockstep_trace::LayerKind;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct TraceCount {
    pub trace: String,
    /// Members who emitted it.
    pub accounts: u32,
    pub events: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidencePost {
    pub id: String,
    pub account: String,
    pub time: String,
    pub platform: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    pub id: u32,
    pub size: usize,
    pub score: String,
    pub members: Vec<String>,
    /// Internal edges per layer.
    pub layers: BTreeMap<String, u32>,
    pub edges: usize,
    pub density: String,
    pub co_actions: u64,
    pub first: String,
    pub last: String,
    pub median_gap_s: String,
    pub top_traces: Vec<TraceCount>,
    /// Day most members switched on (first of 3 active days in 4), and the share who did.
    pub activation_date: String,
    pub activation_share: String,
    pub signals: Vec<String>,
    /// With `--watchlist`: the entities the members' posts reference, most referenced first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<crate::watchlist::Target>,
    /// Posts per hour of the members, `[hour, count]` for non-empty hours.
    pub timeline: Vec<(String, u32)>,
    pub evidence: Vec<EvidencePost>,
}

/// Per-account figures for accounts.csv.
#[derive(Clone)]
pub struct AccountRow {
    pub score: f64,
    pub edges: u32,
    pub co_actions: u64,
    pub layers: u32,
    pub best_q: f64,
}

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

pub fn explain(a: &Analysis) -> (Vec<ClusterReport>, BTreeMap<u32, AccountRow>) {
    let n = a.table.accounts.len();
    let mut cluster_of = vec![0u32; n];
    for c in &a.clusters {
        for &m in &c.members {
            cluster_of[m as usize] = c.id;
        }
    }
    // Account rows from kept edges (indexed by account while millions of edges are summed).
    let mut by_account: Vec<Option<AccountRow>> = vec![None; n];
    for e in &a.edges {
        let s = lockstep_graph::strength(e);
        for x in [e.a, e.b] {
            let r = by_account[x as usize].get_or_insert(AccountRow {
                score: 0.0,
                edges: 0,
                co_actions: 0,
                layers: 0,
                best_q: 1.0,
            });
            r.edges += 1;
            r.co_actions += u64::from(e.co_actions);
            r.layers |= e.layers;
            r.score = r.score.max(s / 30.0);
            r.best_q = r.best_q.min(e.q_value);
        }
    }
    let rows: BTreeMap<u32, AccountRow> = by_account
        .into_iter()
        .enumerate()
        .filter_map(|(x, r)| Some((x as u32, r?)))
        .collect();

    // Per-account activity, for cohort/marker/hour signals (only for clustered accounts).
    let mut tag_use: BTreeMap<(u32, u32), u32> = BTreeMap::new();
    // Posts per hour of each cluster's members, in one pass over the events.
    let mut timelines: Vec<BTreeMap<i64, u32>> = vec![BTreeMap::new(); a.clusters.len() + 1];
    let mut active_days: BTreeMap<(u32, i64), u32> = BTreeMap::new();
    let mut posts = vec![0u32; n];
    let mut night = vec![0u32; n];
    for ev in 0..a.table.len() {
        let acc = a.table.ev_account[ev] as usize;
        if cluster_of[acc] == 0 {
            continue;
        }
        let t = a.table.ev_time[ev];
        *active_days
            .entry((acc as u32, t.div_euclid(DAY)))
            .or_insert(0) += 1;
        *timelines[cluster_of[acc] as usize]
            .entry(t.div_euclid(HOUR))
            .or_insert(0) += 1;
        posts[acc] += 1;
        for &tag in a.table.tags_of(ev) {
            *tag_use.entry((acc as u32, tag)).or_insert(0) += 1;
        }
        let hour = t.rem_euclid(DAY) / HOUR;
        if (1..5).contains(&hour) {
            night[acc] += 1;
        }
    }
    let bg_night = {
        let total = a.table.len().max(1) as f64;
        a.table
            .ev_time
            .iter()
            .filter(|&&t| (1..5).contains(&(t.rem_euclid(DAY) / HOUR)))
            .count() as f64
            / total
    };

    // Trace usage by members: per cluster, trace -> (accounts, events); per account, hashtag
    // -> events (for markers).
    let mut trace_use: Vec<FxHashMap<u32, (u32, u32)>> =
        vec![FxHashMap::default(); a.clusters.len() + 1];
    let mut s = 0;
    let mut group: Vec<(u32, u32)> = Vec::new();
    while s < a.hits.len() {
        let mut e = s + 1;
        while e < a.hits.len() && a.hits[e].trace == a.hits[s].trace {
            e += 1;
        }
        let trace = a.hits[s].trace;
        let mut last_acc = u32::MAX;
        group.clear();
        group.extend(
            a.hits[s..e]
                .iter()
                .filter(|h| cluster_of[h.account as usize] != 0)
                .map(|h| (h.account, h.event)),
        );
        group.sort_unstable();
        for &(acc, _) in &group {
            let c = cluster_of[acc as usize] as usize;
            let entry = trace_use[c].entry(trace).or_insert((0, 0));
            entry.1 += 1;
            if acc != last_acc {
                entry.0 += 1;
                last_acc = acc;
            }
        }
        s = e;
    }

    let mut background_shapes: BTreeMap<String, usize> = BTreeMap::new();
    for name in &a.table.accounts {
        *background_shapes.entry(shape(name)).or_insert(0) += 1;
    }
    let data_first_day = a
        .table
        .ev_time
        .iter()
        .min()
        .map_or(0, |t| t.div_euclid(DAY));
    let mut reports = Vec::new();
    for c in &a.clusters {
        let size = c.members.len();
        let internal: Vec<&lockstep_graph::Edge> =
            c.internal_edges.iter().map(|&i| &a.edges[i]).collect();
        // Edges per layer: counted per layer bit, named once (millions of edges at scale).
        let mut per_bit = [0u32; 32];
        for e in &internal {
            for (b, n) in per_bit.iter_mut().enumerate() {
                *n += (e.layers >> b) & 1;
            }
        }
        let mut layers: BTreeMap<String, u32> = BTreeMap::new();
        for (b, &k) in per_bit.iter().enumerate() {
            if k > 0 {
                for name in LayerKind::names_in(1 << b) {
                    *layers.entry(name.to_string()).or_insert(0) += k;
                }
            }
        }
        let mut gaps: Vec<i64> = internal.iter().map(|e| e.median_gap_ms).collect();
        gaps.sort_unstable();
        let median_gap_s = gaps.get(gaps.len() / 2).copied().unwrap_or(0) as f64 / 1000.0;
        let first = internal.iter().map(|e| e.first).min().unwrap_or(0);
        let last = internal.iter().map(|e| e.last).max().unwrap_or(0);
        let co_actions: u64 = internal.iter().map(|e| u64::from(e.co_actions)).sum();
        let density = if size > 1 {
            2.0 * internal.len() as f64 / (size * (size - 1)) as f64
        } else {
            0.0
        };
        let score = c
            .members
            .iter()
            .map(|m| rows.get(m).map_or(0.0, |r| r.score))
            .sum::<f64>()
            / size as f64;

        let mut top: Vec<(u32, (u32, u32))> = trace_use[c.id as usize]
            .iter()
            .filter(|(_, v)| v.0 >= 2)
            .map(|(&k, &v)| (k, v))
            .collect();
        top.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        let top_traces: Vec<TraceCount> = top
            .iter()
            .take(10)
            .map(|(t, (accs, evs))| TraceCount {
                trace: a.traces.key(*t).to_string(),
                accounts: *accs,
                events: *evs,
            })
            .collect();

        // Activation cohort: the most common switch-on day (see `switch_on`).
        let mut days: BTreeMap<i64, u32> = BTreeMap::new();
        for &m in &c.members {
            let mine: Vec<i64> = active_days
                .range((m, i64::MIN)..=(m, i64::MAX))
                .map(|(&(_, d), _)| d)
                .collect();
            if let Some(d) = switch_on(&mine) {
                *days.entry(d).or_insert(0) += 1;
            }
        }
        let (act_day, act_n) = days
            .iter()
            .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
            .map(|(d, n)| (*d, *n))
            .unwrap_or((0, 0));
        let act_share = f64::from(act_n) / size as f64;

        let mut signals = Vec::new();
        signals.push(format!(
            "{} members co-acted {} times across {} pairs; median gap {} s",
            size,
            co_actions,
            internal.len(),
            fixed(median_gap_s, 1)
        ));
        if let Some(best) = internal
            .iter()
            .map(|e| e.q_value)
            .min_by(|x, y| x.total_cmp(y))
        {
            signals.push(format!("strongest pair q = {best:.1e} against chance co-action given crowd sizes and activity"));
        }
        // Only meaningful when the data reaches back before that day.
        if act_share >= 0.3 && size >= 5 && act_day > data_first_day + 1 {
            signals.push(format!(
                "activation cohort: {:.0}% of members switched on (active on 3 of 4 days from then) on {}",
                act_share * 100.0,
                day_str(act_day)
            ));
        }
        // Marker hashtags: a tag in ≥ 90% of a member's posts (of 3 or more), for at least a
        // fifth of the members.
        let mut markers: BTreeMap<u32, u32> = BTreeMap::new();
        for &m in &c.members {
            let p = posts[m as usize];
            if p < 3 {
                continue;
            }
            for (&(_, tag), &k) in tag_use.range((m, 0)..=(m, u32::MAX)) {
                if f64::from(k) >= 0.9 * f64::from(p) {
                    *markers.entry(tag).or_insert(0) += 1;
                }
            }
        }
        let mut markers: Vec<(u32, u32)> = markers
            .into_iter()
            .filter(|&(_, k)| k >= 3 && f64::from(k) >= 0.2 * size as f64)
            .collect();
        markers.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (tag, k) in markers.into_iter().take(3) {
            signals.push(format!(
                "marker hashtag #{}: in ≥90% of the posts of {} of {} members",
                a.table.tags[tag as usize], k, size
            ));
        }
        // Name template: a name shape far more common among members than among all accounts.
        if let Some((shape, k)) = name_template(
            c.members
                .iter()
                .map(|&m| a.table.accounts[m as usize].as_str()),
        ) {
            let member_share = k as f64 / size as f64;
            let bg = background_shapes.get(&shape).copied().unwrap_or(0) as f64 / n.max(1) as f64;
            if k >= 5 && member_share >= 0.15 && member_share >= 3.0 * bg {
                signals.push(format!(
                    "name template {shape}: {k} of {size} members ({:.0}% vs {:.1}% of all accounts)",
                    member_share * 100.0,
                    bg * 100.0
                ));
            }
        }
        let created: Vec<i64> = c
            .members
            .iter()
            .filter_map(|&m| a.table.account_created[m as usize])
            .collect();
        if created.len() >= 3 {
            let mut weeks: BTreeMap<i64, u32> = BTreeMap::new();
            for t in &created {
                *weeks.entry(t.div_euclid(7 * DAY)).or_insert(0) += 1;
            }
            let (w, k) = weeks
                .iter()
                .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
                .map(|(w, k)| (*w, *k))
                .unwrap_or((0, 0));
            if f64::from(k) >= 0.5 * created.len() as f64 {
                signals.push(format!(
                    "creation cohort: {} of {} members created in the week of {}",
                    k,
                    created.len(),
                    day_str(w * 7)
                ));
            }
        }
        let member_posts: u32 = c.members.iter().map(|&m| posts[m as usize]).sum();
        let member_night: u32 = c.members.iter().map(|&m| night[m as usize]).sum();
        if member_posts > 0 {
            let share = f64::from(member_night) / f64::from(member_posts);
            if share > 2.0 * bg_night && share > 0.1 {
                signals.push(format!(
                    "non-human hours: {:.0}% of posts 01:00–05:00 UTC vs {:.0}% overall",
                    share * 100.0,
                    bg_night * 100.0
                ));
            }
        }

        // Timeline and evidence.
        let timeline = std::mem::take(&mut timelines[c.id as usize])
            .into_iter()
            .map(|(h, k)| (format_time(h * HOUR), k))
            .collect();
        // The three strongest edges (a total order: pairs are unique), without sorting them all.
        let mut strongest: Vec<&&lockstep_graph::Edge> = internal.iter().collect();
        let by_strength = |x: &&&lockstep_graph::Edge, y: &&&lockstep_graph::Edge| {
            x.q_value
                .total_cmp(&y.q_value)
                .then((x.a, x.b).cmp(&(y.a, y.b)))
        };
        if strongest.len() > 3 {
            strongest.select_nth_unstable_by(3, by_strength);
            strongest.truncate(3);
        }
        strongest.sort_by(by_strength);
        let mut evidence = Vec::new();
        for e in strongest.iter().take(3) {
            if let Some(&(ea, eb)) = e.samples.first() {
                evidence.push(post(a, ea));
                evidence.push(post(a, eb));
            }
        }
        let mut targets: Vec<crate::watchlist::Target> = Vec::new();
        if let Some(w) = &a.watchlist {
            targets = w
                .names
                .iter()
                .map(|n| crate::watchlist::Target {
                    entity: n.clone(),
                    ..Default::default()
                })
                .collect();
            for &(ev, ent, attack) in &a.targets {
                if cluster_of[a.table.ev_account[ev as usize] as usize] == c.id {
                    let t = &mut targets[ent as usize];
                    t.posts += 1;
                    if attack {
                        t.attacks += 1;
                    } else {
                        t.promotes += 1;
                    }
                }
            }
            targets.retain(|t| t.posts > 0);
            targets.sort_by(|x, y| y.posts.cmp(&x.posts).then(x.entity.cmp(&y.entity)));
            if let Some(t) = targets.first() {
                let verb = if t.attacks > t.promotes {
                    "attacks"
                } else {
                    "promotes"
                };
                signals.push(format!(
                    "{verb} {}: {} posts ({} promoting, {} attacking)",
                    t.entity, t.posts, t.promotes, t.attacks
                ));
            }
        }
        let mut member_names: Vec<String> = c
            .members
            .iter()
            .map(|&m| a.table.accounts[m as usize].clone())
            .collect();
        member_names.sort();
        reports.push(ClusterReport {
            id: c.id,
            size,
            score: fixed(score, 4),
            members: member_names,
            layers,
            edges: internal.len(),
            density: fixed(density, 4),
            co_actions,
            first: format_time(first),
            last: format_time(last),
            median_gap_s: fixed(median_gap_s, 1),
            top_traces,
            activation_date: day_str(act_day),
            activation_share: fixed(act_share, 3),
            signals,
            targets,
            timeline,
            evidence,
        });
    }
    (reports, rows)
}

/// The day an account switched on: the first day from which it was active on at least 3 of 4
/// consecutive days. Sleeper accounts with rare posts before a campaign's start switch on with
/// it; `days` are the account's active days, sorted.
fn switch_on(days: &[i64]) -> Option<i64> {
    days.iter()
        .enumerate()
        .find(|&(i, &d)| days[i..].iter().take_while(|&&x| x <= d + 3).count() >= 3)
        .map(|(_, &d)| d)
}

fn day_str(day: i64) -> String {
    format_time(day * DAY)[..10].to_string()
}

fn post(a: &Analysis, ev: u32) -> EvidencePost {
    let t = &a.table;
    EvidencePost {
        id: t.ev_id[ev as usize].to_string(),
        account: t.accounts[t.ev_account[ev as usize] as usize].clone(),
        time: format_time(t.ev_time[ev as usize]),
        platform: t.platform(ev).to_string(),
        kind: t.ev_kind[ev as usize].as_str().to_string(),
        text: t.text(ev).map(|s| s.chars().take(280).collect()),
        link: t.link(ev),
    }
}

/// A name's shape: letters → `a`, digits → `9`, runs collapsed, other characters kept
/// (`romania_mandra_1234` → `a_a_9`).
fn shape(name: &str) -> String {
    let mut s = String::new();
    for ch in name.chars() {
        let c = if ch.is_ascii_digit() {
            '9'
        } else if ch.is_alphabetic() {
            'a'
        } else {
            ch
        };
        if !(s.ends_with(c) && (c == '9' || c == 'a')) {
            s.push(c);
        }
    }
    s
}

/// The most common shape of the names, with its count. Plain words (`a`), words with digits
/// (`a9`) and bare numbers are how people name themselves; they are not templates.
pub fn name_template<'a>(names: impl Iterator<Item = &'a str>) -> Option<(String, usize)> {
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    for n in names {
        *shapes.entry(shape(n)).or_insert(0) += 1;
    }
    shapes
        .into_iter()
        .filter(|(s, _)| s != "a" && s != "a9" && s != "9")
        .max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_on_skips_sparse_days() {
        // Rare posts on days 1 and 9, then daily from day 14.
        assert_eq!(switch_on(&[1, 9, 14, 15, 16, 17]), Some(14));
        assert_eq!(switch_on(&[3, 5, 6]), Some(3), "3 of 4 days: 3, 5, 6");
        assert_eq!(switch_on(&[1, 5, 9]), None);
        assert_eq!(switch_on(&[]), None);
    }

    #[test]
    fn name_templates_need_a_shared_shape() {
        let names = [
            "romania_mandra_1234",
            "romania_mandra_77",
            "patriot_ro_5",
            "ana",
        ];
        assert_eq!(
            name_template(names.into_iter()),
            Some(("a_a_9".to_string(), 3))
        );
        assert_eq!(name_template(["ana", "ion92", "maria"].into_iter()), None);
    }
}
