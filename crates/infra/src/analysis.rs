//! The run, in memory: read and classify, put everything in one content order, judge
//! behaviour over time, derive traces, find coordination, and score sources.

use crate::behaviour::{self, is_login_attempt, Rule};
use crate::classify::Class;
use crate::engine::{self, Coordination};
use crate::enrich::{Enricher, Geo};
use crate::ingest::{self, Ingest, Obs, NO_YEAR};
use crate::params::{ActorLevel, Params};
use crate::InfraError;
use lockstep_core::Quarantined;
use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::time::Instant;

/// Trace layers: what two sources can share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// The same attack class on the same target.
    Target = 0,
    /// The same payload shape.
    Payload = 1,
    /// The same tool fingerprint (user agent, header order, TLS fingerprint).
    Tool = 2,
    /// The same user name tried.
    Account = 3,
    /// Login attempts on the same endpoint.
    Login = 4,
}

impl Layer {
    pub const ALL: [Layer; 5] = [
        Layer::Target,
        Layer::Payload,
        Layer::Tool,
        Layer::Account,
        Layer::Login,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Layer::Target => "target",
            Layer::Payload => "payload",
            Layer::Tool => "tool",
            Layer::Account => "account",
            Layer::Login => "login",
        }
    }
    pub fn names_in(bits: u32) -> Vec<&'static str> {
        Layer::ALL
            .iter()
            .filter(|l| bits & (1 << **l as u32) != 0)
            .map(|l| l.name())
            .collect()
    }
}

/// Wall time of one stage (reported, never written into the case).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub seconds: f64,
    pub items: u64,
    pub peak_mib: Option<f64>,
}

pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn stage(name: &'static str, t: Instant, items: u64) -> Stage {
    Stage {
        name,
        seconds: t.elapsed().as_secs_f64(),
        items,
        peak_mib: peak_rss_mib(),
    }
}

pub struct Analysis {
    pub ing: Ingest,
    /// Address id of each observation.
    pub source: Vec<u32>,
    /// Addresses, ascending (ids are positions).
    pub addresses: Vec<u128>,
    /// Actor id of each address.
    pub actor_of: Vec<u32>,
    /// Actor keys (address or prefix), ascending.
    pub actors: Vec<u128>,
    pub geo: Vec<Geo>,
    pub coord: Coordination,
    /// (layer, key hash) of each trace.
    pub traces: Vec<(Layer, u64)>,
    /// Cluster (1-based, 0 none) of each actor.
    pub cluster_of: Vec<u32>,
    /// Strength of each actor's strongest kept edge, in [0, 1].
    pub score: Vec<f64>,
    /// Per input: the first 16 hex digits of its sha256 (evidence refers to inputs by content).
    pub input_ref: Vec<String>,
    pub hits: u64,
    /// Clusters `coord.clusters[..coaction_clusters]` come from the co-action test; the rest
    /// are flood bursts (sources flooding one target in the same minutes).
    pub coaction_clusters: usize,
    /// Actors loud enough for a per-address threshold (kept out of the co-action test).
    pub loud: Vec<bool>,
    pub stages: Vec<Stage>,
    pub enriched: bool,
}

/// Network prefix of an address at the actor level.
pub fn prefix_key(ip: u128, level: ActorLevel) -> u128 {
    match level {
        ActorLevel::Address | ActorLevel::Asn => ip,
        ActorLevel::Prefix => {
            if ip >> 32 == 0xffff {
                ip & !0xff // IPv4-mapped: /24
            } else {
                ip & !((1u128 << 80) - 1) // /48
            }
        }
    }
}

/// Actor keys of autonomous systems: `ASN_TAG | asn` lies in ff00::/8 (multicast), which
/// is never a source address.
pub const ASN_TAG: u128 = 0xffff_ffff_ffff_ffff_u128 << 64;

pub fn is_attempt(o: &Obs) -> bool {
    !o.classes.is_empty()
}

pub fn analyse(
    inputs: &[PathBuf],
    p: &Params,
    on_bad: &mut dyn FnMut(Quarantined) -> Result<(), InfraError>,
) -> Result<Analysis, InfraError> {
    let mut stages = Vec::new();
    let t = Instant::now();
    let files = ingest::discover(inputs)?;
    if files.is_empty() {
        return Err(InfraError::Usage("no input files".into()));
    }
    let mut cfg = lockstep_weblog::Config::default();
    cfg.limits.max_line = p.max_line_bytes;
    cfg.limits.read.max_expansion = p.max_expansion;
    for c in &p.trusted_proxies {
        cfg.trusted_proxies
            .push(lockstep_weblog::parse_cidr(c).ok_or_else(|| {
                InfraError::Usage(format!("--trusted-proxy {c:?} is not an address or CIDR"))
            })?);
    }
    let enricher = Enricher::open(&p.mmdb)?;
    let mut ing = ingest::read_all(&files, &cfg, on_bad)?;
    let lines: u64 = ing.inputs.iter().map(|i| i.read).sum();
    stages.push(stage("read+classify", t, lines));

    let t = Instant::now();
    fix_years(&mut ing, p)?;
    // One content order: time, address, then the line's own hash; identical lines by their
    // input's hash and line number (names and the order of inputs never matter).
    let sha_rank = {
        let mut idx: Vec<usize> = (0..ing.inputs.len()).collect();
        idx.sort_by(|&a, &b| {
            ing.inputs[a]
                .sha256
                .cmp(&ing.inputs[b].sha256)
                .then(a.cmp(&b))
        });
        let mut r = vec![0u32; idx.len()];
        for (k, &i) in idx.iter().enumerate() {
            r[i] = k as u32;
        }
        r
    };
    {
        use rayon::prelude::*;
        ing.obs.par_sort_unstable_by_key(|o| {
            (o.time, o.ip, o.order, sha_rank[o.input as usize], o.line)
        });
    }
    let mut addresses: Vec<u128> = ing.obs.iter().map(|o| o.ip).collect();
    addresses.sort_unstable();
    addresses.dedup();
    let index: FxHashMap<u128, u32> = addresses
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, i as u32))
        .collect();
    let source: Vec<u32> = ing.obs.iter().map(|o| index[&o.ip]).collect();
    drop(index);
    let geo: Vec<Geo> = if enricher.is_empty() {
        vec![Geo::default(); addresses.len()]
    } else {
        addresses
            .iter()
            .map(|&a| enricher.lookup(ingest::ip_of(a)))
            .collect()
    };
    let key_of = |k: usize| match (p.actor, geo[k].asn) {
        (ActorLevel::Asn, Some(n)) => ASN_TAG | u128::from(n),
        _ => prefix_key(addresses[k], p.actor),
    };
    let mut actors: Vec<u128> = (0..addresses.len()).map(key_of).collect();
    actors.sort_unstable();
    actors.dedup();
    let actor_of: Vec<u32> = (0..addresses.len())
        .map(|k| actors.binary_search(&key_of(k)).map_or(0, |i| i as u32))
        .collect();
    stages.push(stage("order", t, ing.obs.len() as u64));

    let t = Instant::now();
    behaviour::judge(&mut ing.obs, &source, addresses.len(), p);
    stages.push(stage("behaviour", t, ing.obs.len() as u64));

    let t = Instant::now();
    let mut requests = vec![0u64; actors.len()];
    for (i, _) in ing.obs.iter().enumerate() {
        requests[actor_of[source[i] as usize] as usize] += 1;
    }
    let window_ms = (p.window_s * 1000.0).round() as i64;
    let loud = loud_actors(&ing.obs, &source, &actor_of, actors.len(), p);
    let (mut hits, traces) = build_hits(&ing.obs, &source, &actor_of, window_ms, &loud);
    let n_hits = hits.len() as u64;
    let layer_of: Vec<u32> = traces.iter().map(|(l, _)| 1u32 << *l as u32).collect();
    let coord = engine::coordinate(&mut hits, &requests, |t| layer_of[t as usize], p)
        .map_err(|e| InfraError::Internal(format!("coordination: {e}")))?;
    drop(hits);
    stages.push(stage("coordinate", t, n_hits));

    let t = Instant::now();
    let mut coord = coord;
    let bursts = burst_clusters(&ing.obs, &source, &actor_of, &coord, p);
    let mut cluster_of = vec![0u32; actors.len()];
    for c in coord.clusters.iter().chain(&bursts) {
        for &m in &c.members {
            cluster_of[m as usize] = c.id;
        }
    }
    let mut score = vec![0f64; actors.len()];
    for e in &coord.edges {
        let s = engine::strength(e) / 30.0;
        for x in [e.a, e.b] {
            if cluster_of[x as usize] != 0 && s > score[x as usize] {
                score[x as usize] = s;
            }
        }
    }
    // Burst members: the burst is their evidence (its size against the target's normal).
    for c in &bursts {
        for &m in &c.members {
            score[m as usize] = 1.0;
        }
    }
    let n_coact = coord.clusters.len();
    coord.clusters.extend(bursts);
    // Login attempts of clustered sources are credential attempts, however few each made.
    for (i, o) in ing.obs.iter_mut().enumerate() {
        if is_login_attempt(o)
            && !o.classes.contains(Class::Credential)
            && cluster_of[actor_of[source[i] as usize] as usize] != 0
        {
            o.classes.insert(Class::Credential);
            if o.behaviour == 0 {
                o.behaviour = Rule::CoordinatedLogin as u8;
            }
        }
    }
    let input_ref = ing
        .inputs
        .iter()
        .map(|i| i.sha256.chars().take(16).collect())
        .collect();
    stages.push(stage("score", t, actors.len() as u64));
    Ok(Analysis {
        ing,
        source,
        addresses,
        actor_of,
        actors,
        geo,
        coord,
        traces,
        cluster_of,
        score,
        input_ref,
        hits: n_hits,
        coaction_clusters: n_coact,
        loud,
        stages,
        enriched: !enricher.is_empty(),
    })
}

fn fix_years(ing: &mut Ingest, p: &Params) -> Result<(), InfraError> {
    if !ing.obs.iter().any(|o| o.flags & NO_YEAR != 0) {
        return Ok(());
    }
    let latest = ing
        .obs
        .iter()
        .filter(|o| o.flags & NO_YEAR == 0)
        .map(|o| o.time)
        .max();
    let year = match (p.syslog_year, latest) {
        (Some(y), _) => y,
        (None, Some(ms)) => lockstep_weblog::time::year_of(ms),
        (None, None) => {
            return Err(InfraError::Usage(
                "syslog lines carry no year and no other input dates them: pass --syslog-year"
                    .into(),
            ))
        }
    };
    let limit = latest.map(|l| l + 86_400_000);
    for o in ing.obs.iter_mut().filter(|o| o.flags & NO_YEAR != 0) {
        let t = lockstep_weblog::Time::NoYear(o.time);
        let mut ms = t.in_year(year).or_else(|| t.in_year(year - 1)).unwrap_or(0);
        // A December line in a log dated January belongs to the year before.
        if p.syslog_year.is_none() && limit.is_some_and(|l| ms > l) {
            ms = t.in_year(year - 1).unwrap_or(ms);
        }
        o.time = ms;
        o.flags &= !NO_YEAR;
    }
    Ok(())
}

/// Hits of attempts and failed logins on their traces. A source's hits on one trace closer
/// than the window to its previous kept hit there are one chance, not several: two failed
/// logins seconds apart meet the same neighbours twice, which the Poisson null would read as
/// two independent coincidences. Only the first of such a run is kept.
/// Actors with at least `loud_per_hour` attempts within some hour.
fn loud_actors(obs: &[Obs], source: &[u32], actor_of: &[u32], n: usize, p: &Params) -> Vec<bool> {
    let mut times: Vec<Vec<i64>> = vec![Vec::new(); n];
    for (i, o) in obs.iter().enumerate() {
        if is_attempt(o) {
            times[actor_of[source[i] as usize] as usize].push(o.time);
        }
    }
    let need = p.loud_per_hour.max(1) as usize;
    times
        .iter()
        .map(|t| t.len() >= need && t.windows(need).any(|w| w[need - 1] - w[0] < 3_600_000))
        .collect()
}

fn build_hits(
    obs: &[Obs],
    source: &[u32],
    actor_of: &[u32],
    window_ms: i64,
    loud: &[bool],
) -> (Vec<engine::SweepHit>, Vec<(Layer, u64)>) {
    let mut last: FxHashMap<(u32, u32), i64> = FxHashMap::default();
    let mut ids: FxHashMap<(Layer, u64), u32> = FxHashMap::default();
    let mut traces: Vec<(Layer, u64)> = Vec::new();
    let mut hits = Vec::new();
    let mut intern = |l: Layer, k: u64, traces: &mut Vec<(Layer, u64)>| -> u32 {
        *ids.entry((l, k)).or_insert_with(|| {
            traces.push((l, k));
            traces.len() as u32 - 1
        })
    };
    for (i, o) in obs.iter().enumerate() {
        let attempt = is_attempt(o);
        let login = is_login_attempt(o);
        if !attempt && !login {
            continue;
        }
        let actor = actor_of[source[i] as usize];
        if loud[actor as usize] {
            continue;
        }
        let mut push = |trace: u32| {
            let prev = last.insert((actor, trace), o.time);
            if prev.is_none_or(|t| o.time - t > window_ms) {
                hits.push(engine::SweepHit {
                    trace,
                    time: o.time,
                    account: actor,
                    event: i as u32,
                });
            } else if let Some(t) = prev {
                // Keep the run's start as the reference, so a long run thins to one per window.
                last.insert((actor, trace), t);
            }
        };
        if let Some(c) = o.classes.iter().find(|c| *c != Class::Credential) {
            let k = xxhash_rust::xxh3::xxh3_64_with_seed(&o.target.to_le_bytes(), c as u64);
            push(intern(Layer::Target, k, &mut traces));
        }
        if o.payload != 0 {
            push(intern(Layer::Payload, o.payload, &mut traces));
        }
        if o.tool != 0 {
            push(intern(Layer::Tool, o.tool, &mut traces));
        }
        if login {
            push(intern(Layer::Login, o.target, &mut traces));
            if o.user != 0 {
                push(intern(Layer::Account, o.user, &mut traces));
            }
        }
    }
    (hits, traces)
}

/// Floods are found by their bursts, not by pairs: flood sources are busy, so under the
/// activity null their meetings are expected, yet a burst of one target at many times its
/// usual rate is itself the coordination. Each episode (burst minutes at most two minutes
/// apart on one target) whose flooding actors are in no co-action cluster becomes a cluster.
fn burst_clusters(
    obs: &[Obs],
    source: &[u32],
    actor_of: &[u32],
    coord: &Coordination,
    p: &Params,
) -> Vec<engine::Cluster> {
    let mut clustered = std::collections::HashSet::new();
    for c in &coord.clusters {
        clustered.extend(c.members.iter().copied());
    }
    // target → (last minute, actors) of the open episode; closed episodes collected.
    let mut open: FxHashMap<u64, (i64, Vec<u32>)> = FxHashMap::default();
    let mut episodes: Vec<(u64, i64, Vec<u32>)> = Vec::new();
    for (i, o) in obs.iter().enumerate() {
        if o.behaviour != Rule::FloodBurst as u8 && o.behaviour != Rule::FloodRate as u8 {
            continue;
        }
        let minute = o.time.div_euclid(60_000);
        let actor = actor_of[source[i] as usize];
        let e = open.entry(o.target).or_insert((minute, Vec::new()));
        if minute - e.0 > 2 {
            let done = std::mem::take(&mut e.1);
            episodes.push((o.target, e.0, done));
        }
        e.0 = minute;
        e.1.push(actor);
    }
    let mut rest: Vec<(u64, (i64, Vec<u32>))> = open.into_iter().collect();
    rest.sort_unstable_by_key(|(t, (m, _))| (*m, *t));
    episodes.extend(rest.into_iter().map(|(t, (m, v))| (t, m, v)));
    episodes.sort_by_key(|(t, m, _)| (*m, *t));
    let mut out = Vec::new();
    let mut next_id = coord.clusters.len() as u32 + 1;
    for (_, _, mut members) in episodes {
        members.sort_unstable();
        members.dedup();
        members.retain(|m| !clustered.contains(m));
        if members.len() >= p.min_cluster_size.max(2) {
            clustered.extend(members.iter().copied());
            out.push(engine::Cluster {
                id: next_id,
                members,
                internal_edges: Vec::new(),
                // A burst, not co-actions: no pairwise evidence to weigh.
                evidence: 0.0,
            });
            next_id += 1;
        }
    }
    out
}
