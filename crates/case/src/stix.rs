//! `stix.json`: the case's clusters as a STIX 2.1 bundle, the way the FIMI community shares
//! them (OpenCTI and MISP import it). Per cluster: a campaign (what was done, when), an
//! intrusion set (the network of accounts doing it) the campaign is attributed to, the DISARM
//! techniques both use, the member accounts as `user-account` observables in an observed-data
//! object and a sighting of the intrusion set, and indicators for the shared links and
//! hashtags. A report holds every object; everything carries the case's TLP marking.
//!
//! With `aggregates_only` no account, post or text leaves: no observables, no sightings, and
//! indicators for hashtags only.

use lockstep_explain::{ClusterFinding, Findings, Signal};
use lockstep_graph::Cluster;
use lockstep_ingest::EventTable;
use lockstep_stix::{pattern_string, Bundle, ExternalRef, Tlp};
use std::collections::BTreeMap;

/// A DISARM Red Framework technique lockstep recognises, and why it is tagged.
struct Technique {
    id: &'static str,
    /// DISARM's own name (importers match on it with the id).
    name: &'static str,
    /// When lockstep tags a cluster with it.
    when: &'static str,
}

const FLOOD: Technique = Technique {
    id: "T0049",
    name: "Flood Information Space",
    when: "its accounts act on the same traces within seconds to minutes far more often than their activity and the crowds on those traces explain (every cluster)",
};
const COMMENTS: Technique = Technique {
    id: "T0116.001",
    name: "Post Inauthentic Social Media Comment",
    when: "members co-comment or co-reply on the same posts",
};
const HASHTAG: Technique = Technique {
    id: "T0049.002",
    name: "Flood Existing Hashtag",
    when: "members co-post the same hashtags",
};
const CREATE_HASHTAG: Technique = Technique {
    id: "T0015",
    name: "Create Hashtags and Search Artefacts",
    when: "a marker hashtag is in nearly all of many members' posts",
};
const COPYPASTA: Technique = Technique {
    id: "T0084.001",
    name: "Use Copypasta",
    when: "members co-post near-duplicate texts",
};
const AUTOMATED: Technique = Technique {
    id: "T0146.007",
    name: "Automated Account Asset",
    when: "part of the cluster co-acts within seconds again and again (the fast core)",
};
const CROSS_PLATFORM: Technique = Technique {
    id: "T0119.002",
    name: "Post across Platform",
    when: "the members are accounts on several platforms, linked by behaviour",
};
const NEW_ACCOUNTS: Technique = Technique {
    id: "T0150.001",
    name: "Newly Created Asset",
    when: "many members were created in the same week",
};
const ALGORITHM: Technique = Technique {
    id: "T0121",
    name: "Manipulate Platform Algorithm",
    when: "members re-share one post again and again themselves",
};

const CO_OPT: Technique = Technique {
    id: "T0100.003",
    name: "Co-Opt Influencers",
    when: "accounts outside the cluster with histories of their own post its campaign traces in its campaign windows, again and again (amplifiers)",
};

/// Every technique the export can tag, for the documentation test.
pub const TECHNIQUES: [(&str, &str); 10] = [
    (FLOOD.id, FLOOD.name),
    (COMMENTS.id, COMMENTS.name),
    (HASHTAG.id, HASHTAG.name),
    (CREATE_HASHTAG.id, CREATE_HASHTAG.name),
    (COPYPASTA.id, COPYPASTA.name),
    (AUTOMATED.id, AUTOMATED.name),
    (CROSS_PLATFORM.id, CROSS_PLATFORM.name),
    (NEW_ACCOUNTS.id, NEW_ACCOUNTS.name),
    (ALGORITHM.id, ALGORITHM.name),
    (CO_OPT.id, CO_OPT.name),
];

fn techniques(c: &ClusterFinding) -> Vec<&'static Technique> {
    let mut t = vec![&FLOOD];
    let has = |l: &str| c.layers.get(l).is_some_and(|&n| n > 0);
    if has("reply") {
        t.push(&COMMENTS);
    }
    if has("hashtag") || has("hashtags") {
        t.push(&HASHTAG);
    }
    if has("text") {
        t.push(&COPYPASTA);
    }
    if c.amplifier_count > 0 {
        t.push(&CO_OPT);
    }
    for s in &c.signals {
        match s {
            Signal::MarkerHashtag { .. } => t.push(&CREATE_HASHTAG),
            Signal::FastCore { .. } => t.push(&AUTOMATED),
            Signal::CrossPlatform { .. } => t.push(&CROSS_PLATFORM),
            Signal::CreationCohort { .. } => t.push(&NEW_ACCOUNTS),
            Signal::SelfAmplification { .. } => t.push(&ALGORITHM),
            _ => {}
        }
    }
    t.sort_by_key(|t| t.id);
    t.dedup_by_key(|t| t.id);
    t
}

/// STIX's account-type vocabulary where it names the platform (`twitter` for X); otherwise
/// the platform's own name (the vocabulary is open and has no TikTok, Telegram, YouTube…).
fn account_type(platform: &str) -> &str {
    match platform {
        "x" | "twitter" => "twitter",
        "" => "unknown",
        p => p,
    }
}

/// A pattern matching a post that carries every one of `tags` as a whole hashtag,
/// case-insensitively (a hashtag set's key is its tags, sorted, space-separated).
fn hashtags_pcre(tags: &str) -> String {
    let one = |tag: &str| {
        let mut escaped = String::with_capacity(tag.len());
        for ch in tag.chars() {
            if !ch.is_alphanumeric() && ch != '_' {
                escaped.push('\\');
            }
            escaped.push(ch);
        }
        format!(r"(?<![\p{{L}}\p{{N}}_])#{escaped}(?![\p{{L}}\p{{N}}_])")
    };
    let tags: Vec<&str> = tags.split(' ').filter(|t| !t.is_empty()).collect();
    match tags[..] {
        [tag] => format!("(?i){}", one(tag)),
        _ => {
            let all: String = tags.iter().map(|t| format!("(?=.*{})", one(t))).collect();
            format!("(?is)^{all}")
        }
    }
}

/// The bundle as JSON text. Deterministic: ids come from content, times from the data.
pub fn bundle(
    table: &EventTable,
    clusters: &[Cluster],
    findings: &Findings,
    tlp: Tlp,
    aggregates_only: bool,
) -> String {
    let last = findings.clusters.iter().map(|c| c.last).max().unwrap_or(0);
    let mut b = Bundle::new("lockstep", last).with_marking(tlp);
    let mut patterns: BTreeMap<&str, String> = BTreeMap::new();
    let by_id: BTreeMap<u32, &Cluster> = clusters.iter().map(|c| (c.id, c)).collect();
    for c in &findings.clusters {
        let members = by_id.get(&c.id).map_or(&[][..], |x| &x.members[..]);
        // Stable across reruns that renumber clusters: keyed by who is in it (or, without
        // names, by its shape).
        let key = if aggregates_only {
            format!("cluster {} {} {}", c.first, c.last, c.size)
        } else {
            members
                .iter()
                .map(|&m| table.account_name(m))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut platforms: BTreeMap<&str, usize> = BTreeMap::new();
        for &m in members {
            *platforms.entry(table.account_platform(m)).or_default() += 1;
        }
        let on: Vec<String> = platforms
            .iter()
            .map(|(p, n)| format!("{n} on {p}"))
            .collect();
        let signals: Vec<String> = c
            .signals
            .iter()
            .filter(|s| !(aggregates_only && matches!(s, Signal::Leader { .. })))
            .map(|s| s.to_string())
            .collect();
        let campaign = b.campaign(
            &key,
            &format!("lockstep cluster {}", c.id),
            &format!(
                "{} accounts acting in concert, {} co-actions, evidence score {:.1} (−log10 of the chance of these co-actions from activity and crowds alone). {}.",
                c.size,
                c.co_actions,
                c.score,
                signals.join("; ")
            ),
            c.first,
            c.last,
        );
        let actor = b.intrusion_set(
            &key,
            &format!("Account network of lockstep cluster {}", c.id),
            &format!("{} coordinated accounts ({}).", c.size, on.join(", ")),
            c.first,
            c.last,
        );
        b.relationship("attributed-to", &campaign, &actor);
        for t in techniques(c) {
            let ap = patterns.entry(t.id).or_insert_with(|| {
                b.attack_pattern(
                    t.name,
                    &format!(
                        "DISARM {} {}. lockstep tags a cluster with it when {}.",
                        t.id, t.name, t.when
                    ),
                    &[ExternalRef::disarm(t.id)],
                )
            });
            let ap = ap.clone();
            b.relationship("uses", &campaign, &ap);
            b.relationship("uses", &actor, &ap);
        }
        if !aggregates_only && !members.is_empty() {
            let accounts: Vec<String> = members
                .iter()
                .map(|&m| {
                    b.user_account(
                        account_type(table.account_platform(m)),
                        table.account_handle(m),
                    )
                })
                .collect();
            let observed = b.observed_data(&key, c.first, c.last, c.co_actions, &accounts);
            b.sighting(&actor, &[observed], c.first, c.last, c.co_actions);
        }
        for t in &c.indicators {
            let Some((layer, value)) = t.trace.split_once(':') else {
                continue;
            };
            let (pattern, kind) = match layer {
                "url" if !aggregates_only => {
                    (format!("[url:value = {}]", pattern_string(value)), "stix")
                }
                "hashtag" | "hashtags" => (hashtags_pcre(value), "pcre"),
                _ => continue,
            };
            let ind = b.indicator(
                &pattern,
                kind,
                &format!("{layer} {value}"),
                &format!(
                    "Shared by {} members of lockstep cluster {} in {} posts.",
                    t.accounts, c.id, t.events
                ),
                c.first,
            );
            b.relationship("indicates", &ind, &campaign);
        }
    }
    let n = findings.clusters.len();
    b.report(
        "lockstep case",
        &format!("lockstep case: {n} coordinated cluster{}", if n == 1 { "" } else { "s" }),
        if aggregates_only {
            "Clusters of coordinated accounts found by lockstep (aggregates only: no account names, post ids or texts)."
        } else {
            "Clusters of coordinated accounts found by lockstep, with their member accounts."
        },
        last,
    );
    b.to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtag_patterns_escape_and_anchor() {
        assert_eq!(
            hashtags_pcre("a.b"),
            r"(?i)(?<![\p{L}\p{N}_])#a\.b(?![\p{L}\p{N}_])"
        );
        assert_eq!(
            hashtags_pcre("x y"),
            r"(?is)^(?=.*(?<![\p{L}\p{N}_])#x(?![\p{L}\p{N}_]))(?=.*(?<![\p{L}\p{N}_])#y(?![\p{L}\p{N}_]))"
        );
        assert_eq!(pattern_string(r"a'b\c"), r"'a\'b\\c'");
    }
}
