//! The one place that calls lockstep's coordination machinery (`lockstep_sweep::sweep`,
//! `lockstep_graph::significant_edges` and `cluster`), with network sources as actors.
//! Everything infra-specific stays outside, so an API change on main is adapted here only.
//!
//! Actors' activity for the null model is their number of *requests* (every log line they
//! sent), not their hits: chance assigns an attempt to a source in proportion to how busy it
//! is. A noisy scanner, a crawler or a monitor is busy, so its meetings with others are
//! expected; sources that send little but keep meeting on the same targets, payloads and
//! tools are not.

use crate::params::Params;
use lockstep_graph::ClusterParams;
use lockstep_sweep::{Hit, SweepParams};

pub use lockstep_graph::{strength, Cluster, Edge, SignificanceReport};
pub use lockstep_sweep::SweepReport;

/// Result of the coordination stage.
pub struct Coordination {
    pub edges: Vec<Edge>,
    pub clusters: Vec<Cluster>,
    pub sweep: SweepReport,
    pub significance: SignificanceReport,
}

/// `hits` (trace, time, actor, observation), `requests[a]` every request of actor `a`,
/// `layer_bit(trace)`.
pub fn coordinate(
    hits: &mut [Hit],
    requests: &[u64],
    layer_bit: impl Fn(u32) -> u32 + Sync,
    p: &Params,
) -> std::io::Result<Coordination> {
    let min_co = p.min_co_actions.max(2);
    let budget = (p.memory_mib.max(256) as usize) << 20;
    let mut swept = lockstep_sweep::sweep(
        hits,
        requests.len(),
        SweepParams {
            min_co_actions: min_co,
            store_memory: Some(budget),
            ..SweepParams::new((p.window_s * 1000.0).round() as i64, p.max_crowd.max(2))
        },
    )
    .map_err(std::io::Error::other)?;
    // Activity = requests (see the module docs).
    swept.exposure.hits = requests
        .iter()
        .map(|&r| r.min(u64::from(u32::MAX)) as u32)
        .collect();
    swept.exposure.total_hits = requests.iter().sum::<u64>().max(1);
    let sweep = swept.report.clone();
    let tested = lockstep_graph::significant_edges(swept, &[], layer_bit, Some(p.fdr))
        .map_err(std::io::Error::other)?;
    let (edges, significance) = (tested.edges, tested.report);
    // Cluster on the strong core only (see `Params::core_q`).
    let edges: Vec<Edge> = edges
        .into_iter()
        .filter(|e| e.q_value <= p.core_q)
        .collect();
    let clusters = lockstep_graph::cluster(
        &edges,
        ClusterParams {
            min_size: p.min_cluster_size.max(2),
            min_mean_degree: p.min_mean_degree,
            resolution: p.resolution,
            seed: p.seed,
            max_q: 1.0,
        },
    )
    .map_err(std::io::Error::other)?;
    let clusters = core_members(clusters, &edges, p);
    Ok(Coordination {
        edges,
        clusters,
        sweep,
        significance,
    })
}

pub use lockstep_sweep::Hit as SweepHit;

/// Keeps each cluster's k-core (k = `min_mean_degree`, at most size − 1): a member must
/// co-act significantly with several others, not hang on one or two edges into a dense
/// campaign (with millions of true edges, Benjamini–Hochberg lets weak ones through).
/// Clusters that shrink below `min_cluster_size` go; ids are renumbered largest first.
fn core_members(clusters: Vec<Cluster>, edges: &[Edge], p: &Params) -> Vec<Cluster> {
    let mut out = Vec::new();
    for c in clusters {
        let k = (p.min_mean_degree.ceil().max(1.0) as usize)
            .min(c.members.len().saturating_sub(1))
            .max(1);
        let mut members: Vec<u32> = c.members.clone();
        let mut internal: Vec<usize> = c.internal_edges.clone();
        loop {
            let mut degree: std::collections::HashMap<u32, usize> =
                members.iter().map(|&m| (m, 0)).collect();
            for &e in &internal {
                for x in [edges[e].a, edges[e].b] {
                    if let Some(d) = degree.get_mut(&x) {
                        *d += 1;
                    }
                }
            }
            let before = members.len();
            members.retain(|m| degree[m] >= k);
            if members.len() == before {
                break;
            }
            internal.retain(|&e| {
                members.binary_search(&edges[e].a).is_ok()
                    && members.binary_search(&edges[e].b).is_ok()
            });
        }
        if members.len() >= p.min_cluster_size.max(2) {
            let co: u64 = internal
                .iter()
                .map(|&e| u64::from(edges[e].co_actions))
                .sum();
            let expected: f64 = internal.iter().map(|&e| edges[e].expected).sum();
            out.push(Cluster {
                id: 0,
                members,
                internal_edges: internal,
                evidence: lockstep_graph::poisson_evidence(expected, co),
            });
        }
    }
    out.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.members.cmp(&b.members))
    });
    for (i, c) in out.iter_mut().enumerate() {
        c.id = i as u32 + 1;
    }
    out
}
