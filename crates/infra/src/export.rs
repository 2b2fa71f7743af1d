//! Threat-intelligence exports (a STIX 2.1 bundle through `lockstep_stix`, a MISP event) and
//! the data the report embeds.

use crate::analysis::Analysis;
use crate::case::{class_info, ClusterReport, Outcome};
use crate::classify::{Class, Classes};
use crate::params::{ActorLevel, Params};
use lockstep_stix::{Bundle, ExternalRef};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// (attempts, classes, first, last) per actor.
pub type ActorRoll = (u64, Classes, i64, i64);

fn span(a: &Analysis) -> (i64, i64) {
    let t: Vec<i64> = a
        .ing
        .obs
        .iter()
        .filter(|o| !o.classes.is_empty())
        .map(|o| o.time)
        .collect();
    (
        t.iter().copied().min().unwrap_or(0),
        t.iter().copied().max().unwrap_or(0),
    )
}

/// The STIX bundle: an attack-pattern per class seen (ATT&CK and CAPEC references), a
/// campaign and an observed-data per cluster, an indicator per blocklisted address, and the
/// relationships between them.
pub fn stix_bundle(
    a: &Analysis,
    p: &Params,
    clusters: &[ClusterReport],
    roll: &[ActorRoll],
    blocked: &[(usize, String)],
) -> String {
    let (first, last) = span(a);
    let mut b = Bundle::new("lockstep infra", last);
    let mut seen = Classes::default();
    for r in roll {
        seen.0 |= r.1 .0;
    }
    let mut patterns: BTreeMap<Class, String> = BTreeMap::new();
    for c in seen.iter() {
        let (name, technique, capec) = class_info(c);
        let id = b.attack_pattern(
            name,
            &format!("Requests lockstep infra classified as `{}`.", c.name()),
            &[ExternalRef::attack(technique), ExternalRef::capec(capec)],
        );
        patterns.insert(c, id);
    }
    let valid_until = |ms: i64| Some(ms + i64::from(p.block_hours.max(1)) * 3_600_000);
    let mut campaign_of: BTreeMap<u32, String> = BTreeMap::new();
    for c in clusters {
        let (f, l) = (
            lockstep_core::parse_time_ms(&c.first).unwrap_or(first),
            lockstep_core::parse_time_ms(&c.last).unwrap_or(last),
        );
        let desc = format!(
            "{} sources acting in concert ({} attempts; classes {}; top target {}; {} prefixes, {} ASNs, {} countries).",
            c.sources,
            c.attempts,
            c.classes.keys().copied().collect::<Vec<_>>().join(", "),
            c.targets.first().map(|t| t.0.as_str()).unwrap_or("-"),
            c.prefix_count,
            c.asn_count,
            c.country_count
        );
        let key = format!(
            "cluster:{}:{}",
            c.first,
            c.members.first().cloned().unwrap_or_default()
        );
        let camp = b.campaign(
            &key,
            &format!("lockstep infra cluster {}", c.id),
            &desc,
            f,
            l,
        );
        for cl in c.classes.keys() {
            if let Some(ap) = Class::parse(cl).and_then(|x| patterns.get(&x)) {
                b.relationship("uses", &camp, ap);
            }
        }
        // Observed data: the member addresses (at most 1000 referenced).
        let mut refs = Vec::new();
        for m in c.members.iter().take(1000) {
            let ip = m.split('/').next().unwrap_or(m);
            if let Ok(ip) = ip.parse() {
                refs.push(b.ip_address(ip));
            }
        }
        if !refs.is_empty() {
            b.observed_data(&key, f, l, c.attempts.max(1), &refs);
        }
        campaign_of.insert(c.id, camp);
    }
    for (x, name) in blocked {
        let x = *x;
        let Ok(ip) = name
            .split('/')
            .next()
            .unwrap_or(name)
            .parse::<std::net::IpAddr>()
        else {
            continue;
        };
        let (attempts, classes, f, _l) = roll[x];
        let ind = b.ip_indicator(
            ip,
            &format!("lockstep infra source {name}"),
            &format!("{attempts} attempts ({})", classes.names()),
            f,
            valid_until(f),
        );
        for c in classes.iter() {
            if let Some(ap) = patterns.get(&c) {
                b.relationship("indicates", &ind, ap);
            }
        }
        if let Some(camp) = campaign_of.get(&a.cluster_of[x]) {
            b.relationship("indicates", &ind, camp);
        }
    }
    b.to_json()
}

/// A MISP event (the JSON MISP imports): one `ip-src` attribute per blocklisted address,
/// tagged with TLP and the ATT&CK techniques, commented with its cluster.
pub fn misp_event(
    a: &Analysis,
    clusters: &[ClusterReport],
    roll: &[ActorRoll],
    blocked: &[(usize, String)],
    attempts: u64,
) -> String {
    let (first, last) = span(a);
    let date = lockstep_core::format_time(first)
        .chars()
        .take(10)
        .collect::<String>();
    let event_uuid = lockstep_stix::uuid5(
        &[0x6c; 16],
        format!("misp:{first}:{last}:{attempts}").as_bytes(),
    );
    let mut attrs = Vec::new();
    for (x, value) in blocked {
        let x = *x;
        let value = value.clone();
        let (n, classes, f, _) = roll[x];
        let cluster = a.cluster_of[x];
        attrs.push(json!({
            "uuid": lockstep_stix::uuid5(&[0x6d; 16], value.as_bytes()),
            "type": "ip-src",
            "category": "Network activity",
            "to_ids": true,
            "value": value,
            "first_seen": lockstep_stix::timestamp(f),
            "comment": if cluster != 0 { format!("cluster {cluster}; {n} attempts ({})", classes.names()) } else { format!("{n} attempts ({})", classes.names()) },
        }));
    }
    let mut seen = Classes::default();
    for r in roll {
        seen.0 |= r.1 .0;
    }
    let mut tags = vec![
        json!({"name": "tlp:amber"}),
        json!({"name": "lockstep:infra"}),
    ];
    let mut techniques: Vec<&str> = seen.iter().map(|c| class_info(c).1).collect();
    techniques.sort();
    techniques.dedup();
    for t in techniques {
        tags.push(json!({ "name": format!("mitre-attack:{t}") }));
    }
    let info = format!(
        "lockstep infra: {attempts} attempts, {} sources blocklisted, {} coordinated clusters ({} to {})",
        blocked.len(),
        clusters.len(),
        lockstep_core::format_time(first),
        lockstep_core::format_time(last)
    );
    let ev = json!({
        "Event": {
            "uuid": event_uuid,
            "info": info,
            "date": date,
            "threat_level_id": "2",
            "analysis": "1",
            "distribution": "0",
            "published": false,
            "timestamp": (last / 1000).to_string(),
            "Attribute": attrs,
            "Tag": tags,
        }
    });
    serde_json::to_string_pretty(&ev).unwrap_or_default() + "\n"
}

/// The report data (`kind: "infra"`; shape in report/README.md).
pub fn report_data(
    a: &Analysis,
    p: &Params,
    clusters: &[ClusterReport],
    summary: &Value,
    outcome: &Outcome,
    outputs: &BTreeMap<String, String>,
) -> Value {
    // By content hash: the report does not depend on input names or order.
    let mut sorted: Vec<&crate::ingest::InputFile> = a.ing.inputs.iter().collect();
    sorted.sort_by(|x, y| (&x.sha256, x.read).cmp(&(&y.sha256, y.read)));
    let inputs: Vec<Value> = sorted
        .into_iter()
        .map(|i| json!({"sha256": i.sha256, "bytes": i.bytes, "format": i.format, "read": i.read, "accepted": i.accepted, "quarantined": i.quarantined}))
        .collect();
    let mut by_class_hour: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for o in &a.ing.obs {
        if let Some(c) = o.classes.primary() {
            let h = lockstep_core::format_time(o.time.div_euclid(3_600_000) * 3_600_000);
            *by_class_hour
                .entry(h)
                .or_default()
                .entry(c.name())
                .or_default() += 1;
        }
    }
    json!({
        "kind": "infra",
        "version": env!("CARGO_PKG_VERSION"),
        "generated_from": "manifest.json",
        "summary": summary,
        "counts": outcome,
        "parameters": p,
        "actor": match p.actor { ActorLevel::Address => "address", ActorLevel::Prefix => "prefix", ActorLevel::Asn => "asn" },
        "inputs": inputs,
        "timeline": by_class_hour,
        "clusters": clusters,
        "outputs": outputs,
    })
}
