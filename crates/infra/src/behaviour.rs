//! Judgements that need time, not one request: brute force and credential stuffing (per
//! source, per user name), request floods (per source, and bursts on one target), forced
//! browsing (a source collecting 404s). Run on observations sorted by time; each marks the
//! requests it concerns with a class and the rule that did it.

use crate::classify::{Class, Login};
use crate::ingest::{Obs, AUTH, NOT_FOUND};
use crate::params::Params;
use rustc_hash::{FxHashMap, FxHashSet};

/// Behaviour rules (stored in [`Obs::behaviour`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Rule {
    BruteForce = 1,
    Spraying = 2,
    DistributedOnUser = 3,
    FloodRate = 4,
    FloodBurst = 5,
    ForcedBrowsing = 6,
    /// A login attempt of a source the coordination found in a cluster.
    CoordinatedLogin = 7,
}

impl Rule {
    pub fn name(code: u8) -> Option<&'static str> {
        Some(match code {
            1 => "credential-brute-force",
            2 => "credential-spraying",
            3 => "credential-distributed-on-user",
            4 => "flood-rate",
            5 => "flood-burst",
            6 => "scanner-forced-browsing",
            7 => "credential-coordinated",
            _ => return None,
        })
    }
}

fn mark(o: &mut Obs, c: Class, r: Rule) {
    if !o.classes.contains(c) {
        o.classes.insert(c);
        if o.behaviour == 0 {
            o.behaviour = r as u8;
        }
    }
}

/// A login that did not succeed.
pub fn is_login_attempt(o: &Obs) -> bool {
    matches!(o.login, Some(Login::Failure | Login::Unknown))
}

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

/// `obs` sorted by time; `actor[i]` the source id of `obs[i]`.
pub fn judge(obs: &mut [Obs], source: &[u32], n_sources: usize, p: &Params) {
    credential(obs, source, n_sources, p);
    flood(obs, source, p);
    forced_browsing(obs, source, n_sources, p);
}

fn credential(obs: &mut [Obs], source: &[u32], n_sources: usize, p: &Params) {
    let mut by_source: Vec<Vec<u32>> = vec![Vec::new(); n_sources];
    let mut by_user: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (i, o) in obs.iter().enumerate() {
        if is_login_attempt(o) {
            by_source[source[i] as usize].push(i as u32);
            if o.user != 0 {
                by_user.entry(o.user).or_default().push(i as u32);
            }
        }
    }
    for list in &by_source {
        if list.is_empty() {
            continue;
        }
        // Most attempts within any hour.
        let (mut lo, mut best) = (0usize, 0usize);
        for hi in 0..list.len() {
            while obs[list[hi] as usize].time - obs[list[lo] as usize].time >= HOUR {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        let users: FxHashSet<u64> = list
            .iter()
            .map(|&i| obs[i as usize].user)
            .filter(|&u| u != 0)
            .collect();
        let rule = if best as u32 >= p.brute_force_per_hour.max(1) {
            Some(Rule::BruteForce)
        } else if users.len() as u32 >= p.spray_users.max(1) {
            Some(Rule::Spraying)
        } else {
            None
        };
        if let Some(r) = rule {
            for &i in list {
                mark(&mut obs[i as usize], Class::Credential, r);
            }
        }
    }
    // One user name from many sources within an hour.
    let mut users: Vec<(&u64, &Vec<u32>)> = by_user.iter().collect();
    users.sort_unstable_by_key(|(u, _)| **u);
    let mut marks = Vec::new();
    for (_, list) in users {
        let mut counts: FxHashMap<u32, u32> = FxHashMap::default();
        let mut lo = 0usize;
        for hi in 0..list.len() {
            *counts.entry(source[list[hi] as usize]).or_default() += 1;
            while obs[list[hi] as usize].time - obs[list[lo] as usize].time >= HOUR {
                let s = source[list[lo] as usize];
                if let Some(c) = counts.get_mut(&s) {
                    *c -= 1;
                    if *c == 0 {
                        counts.remove(&s);
                    }
                }
                lo += 1;
            }
            if counts.len() as u32 >= p.distributed_sources.max(2) {
                marks.extend_from_slice(&list[lo..=hi]);
            }
        }
    }
    for i in marks {
        mark(
            &mut obs[i as usize],
            Class::Credential,
            Rule::DistributedOnUser,
        );
    }
}

fn flood(obs: &mut [Obs], source: &[u32], p: &Params) {
    // Minutes as ranges of the time-sorted observations.
    let mut minutes: Vec<(usize, usize)> = Vec::new();
    let mut s = 0;
    for i in 1..=obs.len() {
        if i == obs.len() || obs[i].time.div_euclid(MINUTE) != obs[s].time.div_euclid(MINUTE) {
            minutes.push((s, i));
            s = i;
        }
    }
    // Each target's requests per minute, for its median.
    let mut per_target: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut counts: FxHashMap<u64, u32> = FxHashMap::default();
    for &(a, b) in &minutes {
        counts.clear();
        for o in &obs[a..b] {
            if o.flags & AUTH == 0 {
                *counts.entry(o.target).or_default() += 1;
            }
        }
        for (&t, &n) in &counts {
            per_target.entry(t).or_default().push(n);
        }
    }
    let median: FxHashMap<u64, u32> = per_target
        .into_iter()
        .map(|(t, mut v)| {
            let m = v.len() / 2;
            let (_, med, _) = v.select_nth_unstable(m);
            (t, *med)
        })
        .collect();
    let mut pair: FxHashMap<(u32, u64), u32> = FxHashMap::default();
    for &(a, b) in &minutes {
        counts.clear();
        pair.clear();
        for (k, o) in obs[a..b].iter().enumerate() {
            if o.flags & AUTH == 0 {
                *counts.entry(o.target).or_default() += 1;
                *pair.entry((source[a + k], o.target)).or_default() += 1;
            }
        }
        for k in a..b {
            let o = &obs[k];
            if o.flags & AUTH != 0 {
                continue;
            }
            let n = pair[&(source[k], o.target)];
            let total = counts[&o.target];
            let med = median.get(&o.target).copied().unwrap_or(0);
            let burst = f64::from(total)
                >= (p.flood_burst_factor * f64::from(med)).max(f64::from(p.flood_burst_min));
            if n >= p.flood_per_minute.max(1) {
                mark(&mut obs[k], Class::Flood, Rule::FloodRate);
            } else if burst && n >= p.flood_burst_per_source.max(1) {
                mark(&mut obs[k], Class::Flood, Rule::FloodBurst);
            }
        }
    }
}

fn forced_browsing(obs: &mut [Obs], source: &[u32], n_sources: usize, p: &Params) {
    let mut by_source: Vec<Vec<u32>> = vec![Vec::new(); n_sources];
    for (i, o) in obs.iter().enumerate() {
        if o.flags & NOT_FOUND != 0 {
            by_source[source[i] as usize].push(i as u32);
        }
    }
    const WINDOW: i64 = 10 * MINUTE;
    let need = p.forced_browsing_404s.max(2) as usize;
    for list in &by_source {
        if list.len() < need {
            continue;
        }
        let mut counts: FxHashMap<u64, u32> = FxHashMap::default();
        let mut lo = 0usize;
        let mut hit = Vec::new();
        for hi in 0..list.len() {
            *counts.entry(obs[list[hi] as usize].target).or_default() += 1;
            while obs[list[hi] as usize].time - obs[list[lo] as usize].time >= WINDOW {
                let t = obs[list[lo] as usize].target;
                if let Some(c) = counts.get_mut(&t) {
                    *c -= 1;
                    if *c == 0 {
                        counts.remove(&t);
                    }
                }
                lo += 1;
            }
            if counts.len() >= need {
                hit.extend_from_slice(&list[lo..=hi]);
            }
        }
        for i in hit {
            mark(&mut obs[i as usize], Class::Scanner, Rule::ForcedBrowsing);
        }
    }
}
