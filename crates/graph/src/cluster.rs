//! Clusters: Leiden communities on the kept edges, then the density rule that separates
//! coordinated blocks from the sparse trees chance links form.

use crate::Edge;
use single_clustering::community_search::leiden::{leiden, LeidenConfig, ObjectiveKind};
use single_clustering::network::CSRNetwork;

/// Leiden refused the graph (a bug: the graph is built here from valid edges).
#[derive(Debug, thiserror::Error)]
#[error("clustering failed: {0}")]
pub struct ClusterError(pub String);

#[derive(Debug, Clone, Copy)]
pub struct ClusterParams {
    pub min_size: usize,
    /// A cluster needs at least this mean number of significant partners per member inside
    /// it (clusters of `min_mean_degree` members or fewer must be complete). Coordinated groups
    /// co-act with many of their members; chance links between organic accounts form sparse,
    /// tree-like graphs (mean degree ≈ 2) that modularity still groups.
    pub min_mean_degree: f64,
    /// Modularity resolution (Reichardt–Bornholdt γ).
    pub resolution: f64,
    /// Edges with a larger q-value are not used to form clusters.
    pub max_q: f64,
    pub seed: u64,
}

/// A community of accounts on the kept edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// 1-based, strongest evidence first.
    pub id: u32,
    /// Account ids, ascending.
    pub members: Vec<u32>,
    /// Indices into the edge list of edges inside the cluster.
    pub internal_edges: Vec<usize>,
    /// The strength of the evidence for the whole cluster: `−log10 P(X ≥ C)` for
    /// `X ~ Poisson(E)`, with `C` the co-actions and `E` the chance expectation summed over
    /// the edges inside it. Larger clusters with more co-actions than chance give more
    /// evidence; clusters are ranked by it.
    pub evidence: f64,
}

/// Clusters of the kept edges: Leiden (modularity) on the edges with `q ≤ max_q`, weighted by
/// their strength (−log10 q), then the density rule, communities that fail it split again
/// ([`refine`]). Clusters are made of the significant core only, so a looser `--fdr` (which
/// keeps more edges for the network files) never hides or changes a cluster.
pub fn cluster(edges: &[Edge], p: ClusterParams) -> Result<Vec<Cluster>, ClusterError> {
    cluster_where(edges, p, |e| e.q_value <= p.max_q)
}

fn cluster_where(
    all: &[Edge],
    p: ClusterParams,
    keep: impl Fn(&Edge) -> bool,
) -> Result<Vec<Cluster>, ClusterError> {
    // The edges clusters are made of, with their index in `all`.
    let chosen: Vec<usize> = (0..all.len()).filter(|&i| keep(&all[i])).collect();
    let edges: Vec<&Edge> = chosen.iter().map(|&i| &all[i]).collect();
    if edges.is_empty() {
        return Ok(Vec::new());
    }
    // Nodes in ascending account order, found through a direct index (not a binary search
    // per edge end: millions of them at scale).
    let top = edges.iter().map(|e| e.a.max(e.b)).max().unwrap_or(0) as usize;
    let mut index = vec![u32::MAX; top + 1];
    for e in &edges {
        index[e.a as usize] = 0;
        index[e.b as usize] = 0;
    }
    let mut nodes: Vec<u32> = Vec::new();
    for (x, slot) in index.iter_mut().enumerate() {
        if *slot == 0 {
            *slot = nodes.len() as u32;
            nodes.push(x as u32);
        }
    }
    let list: Vec<(usize, usize, f64)> = edges
        .iter()
        .map(|e| {
            (
                index[e.a as usize] as usize,
                index[e.b as usize] as usize,
                crate::strength(e).max(1e-9),
            )
        })
        .collect();
    // Communities of the whole graph, then each one that fails the density rule searched for
    // dense groups inside it: a looser test adds edges that can merge a dense group into a
    // sparse community, and must not hide it (the FDR must be monotone in what it shows).
    let every: Vec<u32> = (0..nodes.len() as u32).collect();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    refine(&every, &list, p, p.resolution, 0, &mut groups)?;
    let mut label = vec![u32::MAX; nodes.len()];
    for (g, members) in groups.iter().enumerate() {
        for &m in members {
            label[m as usize] = g as u32;
        }
    }
    let mut internal: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (k, &(i, j, _)) in list.iter().enumerate() {
        if label[i] != u32::MAX && label[i] == label[j] {
            internal[label[i] as usize].push(chosen[k]);
        }
    }
    let mut out: Vec<Cluster> = groups
        .into_iter()
        .zip(internal)
        .map(|(g, internal_edges)| {
            let mut members: Vec<u32> = g.iter().map(|&i| nodes[i as usize]).collect();
            members.sort_unstable();
            let co: u64 = internal_edges
                .iter()
                .map(|&k| u64::from(all[k].co_actions))
                .sum();
            let expected: f64 = internal_edges.iter().map(|&k| all[k].expected).sum();
            Cluster {
                id: 0,
                members,
                internal_edges,
                evidence: crate::poisson_evidence(expected, co),
            }
        })
        .collect();
    // Node order inside `members` is ascending already; order clusters canonically.
    // Strongest evidence first; ties (both infinite, say) by size, then by members.
    out.sort_by(|x, y| {
        y.evidence
            .total_cmp(&x.evidence)
            .then(y.members.len().cmp(&x.members.len()))
            .then(x.members[0].cmp(&y.members[0]))
    });
    for (i, c) in out.iter_mut().enumerate() {
        c.id = i as u32 + 1;
    }
    Ok(out)
}

/// Whether a group of `n` members with `e` edges inside passes the density rule.
fn dense(n: usize, e: usize, p: &ClusterParams) -> bool {
    let nf = n as f64;
    n >= p.min_size.max(2) && 2.0 * e as f64 >= p.min_mean_degree.min(nf - 1.0) * nf
}

/// How deep a failing community is split again (each level doubles the resolution).
const MAX_DEPTH: u32 = 4;

/// Leiden on the subgraph `sub` of `members` (its edges in local indices: position in
/// `members`) at `resolution`; communities that pass the density rule go to `out`, the others
/// are split again at twice the resolution, and where Leiden splits no further the dense
/// groups inside them are taken ([`dense_groups`]). Work is linear in the edges per level.
fn refine(
    members: &[u32],
    sub: &[(usize, usize, f64)],
    p: ClusterParams,
    resolution: f64,
    depth: u32,
    out: &mut Vec<Vec<u32>>,
) -> Result<(), ClusterError> {
    if members.len() < p.min_size.max(2) {
        return Ok(());
    }
    let graph =
        CSRNetwork::from_edges(members.len(), sub).map_err(|e| ClusterError(e.to_string()))?;
    let config = LeidenConfig {
        objective: ObjectiveKind::Rb { resolution },
        seed: Some(p.seed),
        n_iterations: 4,
        ..Default::default()
    };
    let labels = leiden(&graph, &config)
        .map_err(|e| ClusterError(e.to_string()))?
        .labels()
        .to_vec();
    let n_labels = labels.iter().copied().max().map_or(0, |m| m + 1);
    // Each part's members (in `members` order) and its edges in the part's own indices.
    let mut parts: Vec<Vec<u32>> = vec![Vec::new(); n_labels];
    let mut pos = vec![0usize; members.len()];
    for (i, &l) in labels.iter().enumerate() {
        pos[i] = parts[l].len();
        parts[l].push(members[i]);
    }
    let mut part_edges: Vec<Vec<(usize, usize, f64)>> = vec![Vec::new(); n_labels];
    for &(i, j, w) in sub {
        if labels[i] == labels[j] {
            part_edges[labels[i]].push((pos[i], pos[j], w));
        }
    }
    let split = parts.iter().filter(|x| !x.is_empty()).count() > 1;
    for (part, edges) in parts.into_iter().zip(part_edges) {
        if part.is_empty() {
            continue;
        }
        if dense(part.len(), edges.len(), &p) {
            out.push(part);
        } else if part.len() >= p.min_size.max(2) {
            if split && depth < MAX_DEPTH {
                refine(&part, &edges, p, resolution * 2.0, depth + 1, out)?;
            } else {
                dense_groups(&part, &edges, &p, out);
            }
        }
    }
    Ok(())
}

/// Dense groups inside a community that fails the density rule, densest first: for k from
/// `min_mean_degree` down to `min_size − 1`, the k-core of the members not yet taken
/// (members with fewer than k partners among the rest peeled off, repeatedly); each of its
/// connected components that passes the rule is a group. A complete group smaller than the
/// mean degree asked for (a 4-clique when 4 partners are asked) survives as the 3-core.
/// `edges` are in local indices (positions in `members`).
fn dense_groups(
    members: &[u32],
    edges: &[(usize, usize, f64)],
    p: &ClusterParams,
    out: &mut Vec<Vec<u32>>,
) {
    let n = members.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(i, j, _) in edges {
        adj[i].push(j);
        adj[j].push(i);
    }
    let mut taken = vec![false; n];
    let top = p.min_mean_degree.ceil().max(1.0) as usize;
    let bottom = p.min_size.max(2) - 1;
    for k in (bottom..=top.max(bottom)).rev() {
        // The k-core of the members not taken.
        let mut removed = taken.clone();
        let mut degree: Vec<usize> = (0..n)
            .map(|i| adj[i].iter().filter(|&&j| !taken[j]).count())
            .collect();
        let mut queue: Vec<usize> = (0..n).filter(|&i| !removed[i] && degree[i] < k).collect();
        while let Some(i) = queue.pop() {
            if removed[i] {
                continue;
            }
            removed[i] = true;
            for &j in &adj[i] {
                if !removed[j] {
                    degree[j] -= 1;
                    if degree[j] < k {
                        queue.push(j);
                    }
                }
            }
        }
        // Its connected components, each tested.
        let mut seen = removed.clone();
        for start in 0..n {
            if seen[start] {
                continue;
            }
            let (mut comp, mut stack) = (Vec::new(), vec![start]);
            seen[start] = true;
            while let Some(i) = stack.pop() {
                comp.push(i);
                for &j in &adj[i] {
                    if !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            let inside = comp.iter().map(|&i| degree[i]).sum::<usize>() / 2;
            if dense(comp.len(), inside, p) {
                comp.sort_unstable();
                for &i in &comp {
                    taken[i] = true;
                }
                out.push(comp.into_iter().map(|i| members[i]).collect());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(a: u32, b: u32, co: u32) -> Edge {
        Edge {
            a,
            b,
            co_actions: co,
            weight: f64::from(co),
            layers: 1,
            traces: co,
            first: 0,
            last: 0,
            median_gap_ms: 0,
            samples: vec![],
            a_first: 0,
            fast: 0,
            activity_ratio: 1.0,
            expected: 0.0,
            p_value: 1.0,
            q_value: 1.0,
        }
    }

    #[test]
    fn leiden_separates_two_cliques_and_drops_small_clusters() {
        let mut edges = Vec::new();
        for base in [0u32, 10] {
            for i in 0..5 {
                for j in i + 1..5 {
                    edges.push(edge(base + i, base + j, 5));
                }
            }
        }
        edges.push(edge(4, 10, 1)); // a weak bridge
        edges.push(edge(20, 21, 9)); // a pair
                                     // A chain of five (four edges): grouped by modularity, dropped as a cluster.
        for i in 30..34 {
            edges.push(edge(i, i + 1, 3));
        }
        let cs = cluster(
            &edges,
            ClusterParams {
                min_size: 3,
                min_mean_degree: 2.0,
                resolution: 1.0,
                seed: 7,
                max_q: 1.0,
            },
        )
        .unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].members, vec![0, 1, 2, 3, 4]);
        assert_eq!(cs[1].members, vec![10, 11, 12, 13, 14]);
        assert_eq!(cs[0].id, 1);
        assert_eq!(cs[0].internal_edges.len(), 10);
    }
}
