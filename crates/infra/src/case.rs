//! The case folder: sources.csv, attempts.csv, clusters.json, summary.json, stix.json,
//! misp-event.json, blocklist.txt, crowdsec-decisions.json, report.html and, last,
//! manifest.json — each written atomically, each a function of the analysis alone (no
//! clock, no file names except where a file is named on purpose: the manifest and the
//! quarantine).

use crate::analysis::{is_attempt, Analysis, Layer};
use crate::behaviour::Rule;
use crate::classify::{Class, Classes};
use crate::ingest::{ip_of, Obs, METHODS};
use crate::params::{ActorLevel, Params};
use crate::InfraError;
use lockstep_core::write_time;
use lockstep_output::{csv_field, write_atomic, AtomicFile};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// How an actor is written: an address, or a prefix in CIDR form.
pub fn actor_name(key: u128, level: ActorLevel) -> String {
    if key & crate::analysis::ASN_TAG == crate::analysis::ASN_TAG {
        return format!("AS{}", key as u64);
    }
    let ip = ip_of(key);
    match level {
        ActorLevel::Address | ActorLevel::Asn => ip.to_string(),
        ActorLevel::Prefix => format!("{ip}/{}", if ip.is_ipv4() { 24 } else { 48 }),
    }
}

/// The /24 (IPv4) or /48 (IPv6) of an address, as text.
pub fn prefix_name(key: u128) -> String {
    actor_name(
        crate::analysis::prefix_key(key, ActorLevel::Prefix),
        ActorLevel::Prefix,
    )
}

fn time(ms: i64) -> String {
    lockstep_core::format_time(ms)
}

fn fixed(x: f64, d: usize) -> String {
    lockstep_output::fixed(x, d)
}

/// Per-actor rollup.
#[derive(Default, Clone)]
struct ActorStats {
    requests: u64,
    attempts: u64,
    classes: Classes,
    first: i64,
    last: i64,
    rules: BTreeMap<String, u64>,
    addresses: u64,
}

/// What a class is, for STIX, MISP and the report: name, ATT&CK technique, CAPEC.
pub fn class_info(c: Class) -> (&'static str, &'static str, u32) {
    match c {
        Class::Sqli => ("SQL injection", "T1190", 66),
        Class::Xss => ("Cross-site scripting", "T1190", 63),
        Class::Lfi => ("Path traversal / local file inclusion", "T1190", 126),
        Class::Rfi => ("Remote file inclusion", "T1190", 193),
        Class::Rce => ("Remote command execution", "T1059", 88),
        Class::Php => ("PHP code injection", "T1190", 242),
        Class::Java => (
            "Java injection (Log4Shell-style lookups, OGNL/EL, deserialization)",
            "T1190",
            242,
        ),
        Class::Scanner => ("Vulnerability scanning and attack tools", "T1595.002", 169),
        Class::Credential => ("Brute force and credential stuffing", "T1110", 112),
        Class::Protocol => ("Protocol anomalies", "T1595", 272),
        Class::Flood => ("Request flood", "T1499.002", 125),
    }
}

fn rule_of(a: &Analysis, o: &Obs) -> String {
    let d = (o.detail != u32::MAX).then(|| &a.ing.details[o.detail as usize]);
    d.and_then(|d| d.rule.clone())
        .or_else(|| Rule::name(o.behaviour).map(str::to_string))
        .unwrap_or_default()
}

fn target_of(a: &Analysis, o: &Obs) -> String {
    match (o.detail != u32::MAX).then(|| &a.ing.details[o.detail as usize]) {
        Some(d) => d.target.clone(),
        None => a
            .ing
            .names
            .get(&o.target)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

fn method_of(a: &Analysis, o: &Obs) -> String {
    match (o.detail != u32::MAX).then(|| &a.ing.details[o.detail as usize]) {
        Some(d) => d.method.clone(),
        None => METHODS
            .get(o.method as usize)
            .copied()
            .unwrap_or("OTHER")
            .to_string(),
    }
}

fn evidence_ref(a: &Analysis, o: &Obs) -> String {
    format!("{}:{}", a.input_ref[o.input as usize], o.line)
}

/// A cluster as clusters.json and the report show it.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    pub id: u32,
    /// `co-action` (significant pairwise co-actions, Leiden) or `burst` (a flood episode).
    pub basis: &'static str,
    pub sources: usize,
    pub score: String,
    pub attempts: u64,
    pub requests: u64,
    pub first: String,
    pub last: String,
    pub edges: usize,
    pub density: String,
    pub layers: BTreeMap<&'static str, usize>,
    pub classes: BTreeMap<&'static str, u64>,
    pub targets: Vec<(String, u64)>,
    pub payload_families: Vec<(String, u64)>,
    pub tools: Vec<(String, u64)>,
    pub prefixes: Vec<(String, u64)>,
    pub asns: Vec<(String, u64)>,
    pub countries: Vec<(String, u64)>,
    pub prefix_count: usize,
    pub asn_count: usize,
    pub country_count: usize,
    pub timeline: Vec<(String, u64)>,
    pub members: Vec<String>,
    pub evidence: Vec<serde_json::Value>,
}

fn top(m: BTreeMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

fn hour(ms: i64) -> String {
    let h = ms.div_euclid(3_600_000) * 3_600_000;
    time(h)
}

/// Explains every cluster.
/// Per-cluster tallies while explaining: classes, (targets, rules, tools, prefixes, ASNs,
/// countries, hours), attempts, requests, first, last, evidence observations.
type Tally = (
    BTreeMap<&'static str, u64>,
    [BTreeMap<String, u64>; 7],
    u64,
    u64,
    i64,
    i64,
    Vec<usize>,
);

pub fn explain(a: &Analysis, p: &Params) -> Vec<ClusterReport> {
    let n = a.coord.clusters.len();
    let mut per: Vec<Tally> = (0..n)
        .map(|_| {
            (
                BTreeMap::new(),
                Default::default(),
                0,
                0,
                i64::MAX,
                i64::MIN,
                Vec::new(),
            )
        })
        .collect();
    for (i, o) in a.ing.obs.iter().enumerate() {
        let addr = a.source[i] as usize;
        let actor = a.actor_of[addr] as usize;
        let c = a.cluster_of[actor];
        if c == 0 {
            continue;
        }
        let e = &mut per[c as usize - 1];
        e.3 += 1;
        if !is_attempt(o) {
            continue;
        }
        e.2 += 1;
        e.4 = e.4.min(o.time);
        e.5 = e.5.max(o.time);
        for cl in o.classes.iter() {
            *e.0.entry(cl.name()).or_default() += 1;
        }
        *e.1[0]
            .entry(
                a.ing
                    .names
                    .get(&o.target)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            )
            .or_default() += 1;
        let r = rule_of(a, o);
        if !r.is_empty() {
            *e.1[1].entry(r).or_default() += 1;
        }
        if o.tool != 0 {
            *e.1[2]
                .entry(
                    a.ing
                        .names
                        .get(&o.tool)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                )
                .or_default() += 1;
        }
        *e.1[6].entry(hour(o.time)).or_default() += 1;
        if e.6.len() < 12 {
            e.6.push(i);
        }
    }
    // Members' prefixes, ASNs and countries (per address).
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (addr, &actor) in a.actor_of.iter().enumerate() {
        let c = a.cluster_of[actor as usize];
        if c != 0 {
            members[c as usize - 1].push(addr as u32);
        }
    }
    let mut out = Vec::with_capacity(n);
    for (k, cl) in a.coord.clusters.iter().enumerate() {
        let (classes, mut maps, attempts, requests, first, last, ev) = std::mem::take(&mut per[k]);
        for &addr in &members[k] {
            let key = a.addresses[addr as usize];
            *maps[3].entry(prefix_name(key)).or_default() += 1;
            let g = &a.geo[addr as usize];
            if let Some(asn) = g.asn {
                let label = match &g.as_org {
                    Some(o) => format!("AS{asn} {o}"),
                    None => format!("AS{asn}"),
                };
                *maps[4].entry(label).or_default() += 1;
            }
            if let Some(cc) = &g.country {
                *maps[5].entry(cc.clone()).or_default() += 1;
            }
        }
        let mut layers: BTreeMap<&'static str, usize> = BTreeMap::new();
        for &ei in &cl.internal_edges {
            for l in Layer::names_in(a.coord.edges[ei].layers) {
                *layers.entry(l).or_default() += 1;
            }
        }
        let size = cl.members.len();
        let possible = (size * size.saturating_sub(1) / 2).max(1);
        let score =
            cl.members.iter().map(|&m| a.score[m as usize]).sum::<f64>() / size.max(1) as f64;
        let mut timeline: Vec<(String, u64)> = std::mem::take(&mut maps[6]).into_iter().collect();
        timeline.sort();
        let evidence = ev
            .iter()
            .map(|&i| {
                let o = &a.ing.obs[i];
                json!({
                    "time": time(o.time),
                    "source": actor_name(a.addresses[a.source[i] as usize], ActorLevel::Address),
                    "class": o.classes.names(),
                    "method": method_of(a, o),
                    "target": target_of(a, o),
                    "rule": rule_of(a, o),
                    "evidence": evidence_ref(a, o),
                })
            })
            .collect();
        let (pc, ac, cc) = (maps[3].len(), maps[4].len(), maps[5].len());
        out.push(ClusterReport {
            id: cl.id,
            basis: if k < a.coaction_clusters {
                "co-action"
            } else {
                "burst"
            },
            sources: size,
            score: fixed(score, 4),
            attempts,
            requests,
            first: if attempts > 0 {
                time(first)
            } else {
                String::new()
            },
            last: if attempts > 0 {
                time(last)
            } else {
                String::new()
            },
            edges: cl.internal_edges.len(),
            density: fixed(cl.internal_edges.len() as f64 / possible as f64, 4),
            layers,
            classes,
            targets: top(std::mem::take(&mut maps[0]), 10),
            payload_families: top(std::mem::take(&mut maps[1]), 10),
            tools: top(std::mem::take(&mut maps[2]), 5),
            prefixes: top(std::mem::take(&mut maps[3]), 10),
            asns: top(std::mem::take(&mut maps[4]), 10),
            countries: top(std::mem::take(&mut maps[5]), 20),
            prefix_count: pc,
            asn_count: ac,
            country_count: cc,
            timeline,
            members: cl
                .members
                .iter()
                .map(|&m| actor_name(a.actors[m as usize], p.actor))
                .collect(),
            evidence,
        });
    }
    out
}

/// What a run reports (also the manifest's `counts`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Outcome {
    pub files: usize,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub requests: u64,
    pub sources: usize,
    pub attempts: u64,
    pub attack_sources: usize,
    pub countries: usize,
    pub hits: u64,
    pub pairs_tested: u64,
    pub edges_kept: u64,
    pub clusters: usize,
    pub coordinated_sources: usize,
    pub blocklisted: usize,
    #[serde(skip)]
    pub stages: Vec<crate::analysis::Stage>,
    #[serde(skip)]
    pub top_clusters: Vec<(u32, usize, u64, String)>,
}

/// The case's `manifest.json`, written by [`write_case`] and read by `infra eval` (and, as
/// any case's, by `lockstep verify`: `inputs` and `outputs` have the shapes it reads). `P` is
/// the parameters: [`Params`] when written, any JSON when read.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest<P = serde_json::Value> {
    pub lockstep_version: String,
    pub command: String,
    pub parameters: P,
    /// Rules in the classifier's rule set.
    pub rules: usize,
    pub inputs: Vec<crate::ingest::InputFile>,
    pub counts: Outcome,
    pub coordination: Coordination,
    /// Output file name → sha256 (hex), every file of the case but the manifest itself.
    pub outputs: BTreeMap<String, String>,
}

impl Manifest {
    pub fn read(case: &Path) -> Result<Manifest, InfraError> {
        let path = case.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|e| InfraError::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            InfraError::Input(format!(
                "{}: not an infra case manifest: {e}",
                path.display()
            ))
        })
    }
}

/// The coordination stage's counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Coordination {
    pub hits: u64,
    pub traces: u64,
    pub crowded_hits: u64,
    pub pair_traces: u64,
    pub pairs_tested: u64,
    pub below_min_co_actions: u64,
    pub not_significant: u64,
    pub edges_kept: u64,
}

/// Writes the case folder (quarantine.ndjson was written while reading).
pub fn write_case(
    a: &Analysis,
    p: &Params,
    out: &Path,
    mut outputs: BTreeMap<String, String>,
) -> Result<Outcome, InfraError> {
    let io = |e: std::io::Error| InfraError::io(out, e);
    let na = a.actors.len();
    let mut st = vec![
        ActorStats {
            first: i64::MAX,
            last: i64::MIN,
            ..Default::default()
        };
        na
    ];
    for &actor in &a.actor_of {
        st[actor as usize].addresses += 1;
    }
    let mut attempts_total = 0u64;
    let mut by_class: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut by_target: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_hour: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_country: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_asn: BTreeMap<String, u64> = BTreeMap::new();
    let mut countries_of_attackers: BTreeMap<String, u64> = BTreeMap::new();
    let mut attack_addr = vec![false; a.addresses.len()];
    // attempts.csv, in the analysis' content order.
    let mut f = AtomicFile::create(out.join("attempts.csv")).map_err(io)?;
    f.write_all(b"time,source,class,method,target,status,rule,evidence\n")
        .map_err(io)?;
    let mut buf = Vec::with_capacity(1 << 16);
    for (i, o) in a.ing.obs.iter().enumerate() {
        let addr = a.source[i] as usize;
        let s = &mut st[a.actor_of[addr] as usize];
        s.requests += 1;
        if !is_attempt(o) {
            continue;
        }
        attempts_total += 1;
        attack_addr[addr] = true;
        s.attempts += 1;
        s.classes.0 |= o.classes.0;
        s.first = s.first.min(o.time);
        s.last = s.last.max(o.time);
        let rule = rule_of(a, o);
        if !rule.is_empty() {
            *s.rules.entry(rule.clone()).or_default() += 1;
        }
        for c in o.classes.iter() {
            *by_class.entry(c.name()).or_default() += 1;
        }
        *by_target
            .entry(
                a.ing
                    .names
                    .get(&o.target)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            )
            .or_default() += 1;
        *by_hour.entry(hour(o.time)).or_default() += 1;
        let g = &a.geo[addr];
        *by_country
            .entry(g.country.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
        *by_asn
            .entry(g.asn.map_or("unknown".into(), |n| format!("AS{n}")))
            .or_default() += 1;
        buf.clear();
        write_time(&mut buf, o.time);
        buf.push(b',');
        csv_field(
            &mut buf,
            &actor_name(a.addresses[addr], ActorLevel::Address),
        );
        buf.push(b',');
        csv_field(&mut buf, &o.classes.names());
        buf.push(b',');
        csv_field(&mut buf, &method_of(a, o));
        buf.push(b',');
        csv_field(&mut buf, &target_of(a, o));
        let _ = write!(buf, ",{},", o.status);
        csv_field(&mut buf, &rule);
        buf.push(b',');
        csv_field(&mut buf, &evidence_ref(a, o));
        buf.push(b'\n');
        f.write_all(&buf).map_err(io)?;
    }
    outputs.insert("attempts.csv".into(), f.commit().map_err(io)?);
    for (addr, &att) in attack_addr.iter().enumerate() {
        if att {
            if let Some(c) = &a.geo[addr].country {
                *countries_of_attackers.entry(c.clone()).or_default() += 1;
            }
        }
    }

    // sources.csv: actors with attempts; clustered first (by cluster), then by attempts.
    let mut first_addr = vec![usize::MAX; na];
    for (addr, &actor) in a.actor_of.iter().enumerate() {
        if first_addr[actor as usize] == usize::MAX {
            first_addr[actor as usize] = addr;
        }
    }
    let blocked: Vec<bool> = (0..na)
        .map(|x| {
            st[x].attempts > 0
                && (a.cluster_of[x] != 0
                    || st[x].attempts >= u64::from(p.block_min_attempts.max(1)))
        })
        .collect();
    let mut rows: Vec<usize> = (0..na).filter(|&x| st[x].attempts > 0).collect();
    rows.sort_by_key(|&x| {
        (
            a.cluster_of[x] == 0,
            a.cluster_of[x],
            std::cmp::Reverse(st[x].attempts),
            a.actors[x],
        )
    });
    let mut f = AtomicFile::create(out.join("sources.csv")).map_err(io)?;
    f.write_all(b"source,cluster,score,requests,attempts,classes,first,last,asn,country,reasons\n")
        .map_err(io)?;
    for &x in &rows {
        let s = &st[x];
        let g = &a.geo[first_addr[x]];
        let mut reasons: Vec<String> = top(s.rules.clone(), 3)
            .into_iter()
            .map(|(r, n)| format!("{r} x{n}"))
            .collect();
        if a.cluster_of[x] != 0 {
            let c = &a.coord.clusters[a.cluster_of[x] as usize - 1];
            reasons.push(format!(
                "acts with {} other sources (cluster {})",
                c.members.len() - 1,
                c.id
            ));
        }
        if a.loud[x] {
            reasons.push(format!(
                "loud: at least {} attempts within an hour",
                p.loud_per_hour
            ));
        }
        if p.actor == ActorLevel::Prefix && s.addresses > 1 {
            reasons.push(format!("{} addresses", s.addresses));
        }
        buf.clear();
        csv_field(&mut buf, &actor_name(a.actors[x], p.actor));
        buf.push(b',');
        if a.cluster_of[x] != 0 {
            let _ = write!(buf, "{}", a.cluster_of[x]);
        }
        let _ = write!(
            buf,
            ",{},{},{},",
            fixed(a.score[x], 4),
            s.requests,
            s.attempts
        );
        csv_field(&mut buf, &s.classes.names());
        buf.push(b',');
        write_time(&mut buf, s.first);
        buf.push(b',');
        write_time(&mut buf, s.last);
        buf.push(b',');
        if let Some(n) = g.asn {
            let _ = write!(buf, "{n}");
        }
        buf.push(b',');
        csv_field(&mut buf, g.country.as_deref().unwrap_or(""));
        buf.push(b',');
        csv_field(&mut buf, &reasons.join("; "));
        buf.push(b'\n');
        f.write_all(&buf).map_err(io)?;
    }
    outputs.insert("sources.csv".into(), f.commit().map_err(io)?);

    // clusters.json
    let reports = explain(a, p);
    let cj = serde_json::to_string_pretty(&json!({ "clusters": reports }))
        .map_err(|e| InfraError::Internal(e.to_string()))?
        + "\n";
    outputs.insert(
        "clusters.json".into(),
        write_atomic(&out.join("clusters.json"), cj.as_bytes()).map_err(io)?,
    );

    // summary.json
    let (first, last) = (
        a.ing
            .obs
            .iter()
            .filter(|o| is_attempt(o))
            .map(|o| o.time)
            .min(),
        a.ing
            .obs
            .iter()
            .filter(|o| is_attempt(o))
            .map(|o| o.time)
            .max(),
    );
    let coordinated: usize = a.coord.clusters.iter().map(|c| c.members.len()).sum();
    let summary = json!({
        "attempts": attempts_total,
        "attack_sources": rows.len(),
        "countries": countries_of_attackers.len(),
        "first": first.map(time),
        "last": last.map(time),
        "requests": a.ing.obs.len(),
        "clusters": a.coord.clusters.len(),
        "coordinated_sources": coordinated,
        "by_class": by_class,
        "by_target": top(by_target, 50),
        "by_hour": by_hour,
        "by_country": top(by_country, 300),
        "by_asn": top(by_asn, 100),
        "sources_by_country": top(countries_of_attackers.clone(), 300),
        "headline": format!(
            "{} attempts from {} sources{} between {} and {}",
            attempts_total,
            rows.len(),
            if a.enriched { format!(" in {} countries", countries_of_attackers.len()) } else { String::new() },
            first.map(time).unwrap_or_default(),
            last.map(time).unwrap_or_default()
        ),
    });
    let sj = serde_json::to_string_pretty(&summary)
        .map_err(|e| InfraError::Internal(e.to_string()))?
        + "\n";
    outputs.insert(
        "summary.json".into(),
        write_atomic(&out.join("summary.json"), sj.as_bytes()).map_err(io)?,
    );

    // Blocklist and CrowdSec decisions.
    let mut block_rows: Vec<usize> = (0..na).filter(|&x| blocked[x]).collect();
    block_rows.sort_by_key(|&x| a.actors[x]);
    let mut bl = String::from(
        "# lockstep infra blocklist: sources with attempts in a coordinated cluster or at least ",
    );
    bl.push_str(&format!("{} attempts\n", p.block_min_attempts));
    // What a firewall can take: addresses (an autonomous-system actor's own addresses) or
    // prefixes.
    let mut entries: Vec<(usize, String)> = Vec::new();
    for &x in &block_rows {
        if a.actors[x] & crate::analysis::ASN_TAG == crate::analysis::ASN_TAG {
            for (addr, &actor) in a.actor_of.iter().enumerate() {
                if actor as usize == x {
                    entries.push((x, actor_name(a.addresses[addr], ActorLevel::Address)));
                }
            }
        } else {
            entries.push((x, actor_name(a.actors[x], p.actor)));
        }
    }
    let mut decisions = Vec::new();
    for (x, name) in &entries {
        let (x, name) = (*x, name.clone());
        bl.push_str(&name);
        bl.push('\n');
        let reason = match a.cluster_of[x] {
            0 => format!(
                "lockstep infra: {} attempts ({})",
                st[x].attempts,
                st[x].classes.names()
            ),
            c => format!(
                "lockstep infra: cluster {c}, {} attempts ({})",
                st[x].attempts,
                st[x].classes.names()
            ),
        };
        decisions.push(json!({
            "duration": format!("{}h", p.block_hours.max(1)),
            "origin": "lockstep",
            "reason": reason,
            "scenario": "lockstep/infra",
            "scope": if name.contains('/') { "range" } else { "ip" },
            "type": "ban",
            "value": name,
        }));
    }
    outputs.insert(
        "blocklist.txt".into(),
        write_atomic(&out.join("blocklist.txt"), bl.as_bytes()).map_err(io)?,
    );
    let dj = serde_json::to_string_pretty(&decisions)
        .map_err(|e| InfraError::Internal(e.to_string()))?
        + "\n";
    outputs.insert(
        "crowdsec-decisions.json".into(),
        write_atomic(&out.join("crowdsec-decisions.json"), dj.as_bytes()).map_err(io)?,
    );

    // STIX and MISP.
    let stix = crate::export::stix_bundle(
        a,
        p,
        &reports,
        &st.iter()
            .map(|s| (s.attempts, s.classes, s.first, s.last))
            .collect::<Vec<_>>(),
        &entries,
    );
    outputs.insert(
        "stix.json".into(),
        write_atomic(&out.join("stix.json"), stix.as_bytes()).map_err(io)?,
    );
    let misp = crate::export::misp_event(
        a,
        &reports,
        &st.iter()
            .map(|s| (s.attempts, s.classes, s.first, s.last))
            .collect::<Vec<_>>(),
        &entries,
        attempts_total,
    );
    outputs.insert(
        "misp-event.json".into(),
        write_atomic(&out.join("misp-event.json"), misp.as_bytes()).map_err(io)?,
    );

    let outcome = Outcome {
        files: a.ing.inputs.len(),
        read: a.ing.inputs.iter().map(|i| i.read).sum(),
        accepted: a.ing.inputs.iter().map(|i| i.accepted).sum(),
        quarantined: a.ing.quarantined,
        requests: a.ing.obs.len() as u64,
        sources: a.addresses.len(),
        attempts: attempts_total,
        attack_sources: rows.len(),
        countries: countries_of_attackers.len(),
        hits: a.hits,
        pairs_tested: a.coord.significance.tested,
        edges_kept: a.coord.significance.kept,
        clusters: a.coord.clusters.len(),
        coordinated_sources: coordinated,
        blocklisted: entries.len(),
        stages: Vec::new(),
        top_clusters: reports
            .iter()
            .take(10)
            .map(|r| {
                (
                    r.id,
                    r.sources,
                    r.attempts,
                    r.classes.keys().copied().collect::<Vec<_>>().join(";"),
                )
            })
            .collect(),
    };

    // report.html
    let data = crate::export::report_data(a, p, &reports, &summary, &outcome, &outputs);
    let html = lockstep_report::render_html(&data.to_string());
    outputs.insert(
        "report.html".into(),
        write_atomic(&out.join("report.html"), html.as_bytes()).map_err(io)?,
    );

    // manifest.json, last.
    let manifest = Manifest {
        lockstep_version: env!("CARGO_PKG_VERSION").into(),
        command: "infra".into(),
        parameters: p,
        rules: crate::classify::RuleSet::get().len(),
        inputs: a.ing.inputs.clone(),
        counts: outcome.clone(),
        coordination: Coordination {
            hits: a.coord.sweep.hits,
            traces: a.coord.sweep.traces,
            crowded_hits: a.coord.sweep.crowded_hits,
            pair_traces: a.coord.sweep.pair_traces,
            pairs_tested: a.coord.significance.tested,
            below_min_co_actions: a.coord.significance.below_min_co_actions,
            not_significant: a.coord.significance.not_significant,
            edges_kept: a.coord.significance.kept,
        },
        outputs,
    };
    let mut m = AtomicFile::create(out.join("manifest.json")).map_err(io)?;
    serde_json::to_writer_pretty(&mut m, &manifest)
        .map_err(|e| InfraError::Internal(e.to_string()))?;
    m.write_all(b"\n").map_err(io)?;
    m.commit().map_err(io)?;
    Ok(outcome)
}
