//! The data `report.html` embeds (shape: report/README.md), made from the same typed findings
//! as `clusters.json`.

use crate::Counts;
use lockstep_core::format_time;
use lockstep_explain::ClusterFinding;
use lockstep_ingest::Ingested;
use lockstep_output::{GraphEdge, GraphNode};
use lockstep_read::InputFile;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The data `report.html` embeds (every object's keys in name order).
#[derive(Serialize, JsonSchema)]
pub(crate) struct ReportData<'a, P> {
    /// lockstep's version.
    version: &'static str,
    generated_from: &'static str,
    summary: Summary<'a, P>,
    clusters: &'a [ClusterFinding],
    /// Posts per hour of all accounts: the background the cluster timelines are drawn on.
    background: Vec<(String, u32)>,
    graph: Graph<'a>,
    outputs: &'a BTreeMap<String, String>,
    /// Made with `--aggregates-only`: no account names, post ids or texts (the page says so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    aggregates_only: bool,
}

#[derive(Serialize, JsonSchema)]
struct Summary<'a, P> {
    inputs: &'a [InputFile],
    platforms: Vec<&'a String>,
    /// The first and last event (RFC 3339), empty when there are none.
    first: String,
    last: String,
    counts: &'a Counts,
    parameters: &'a P,
}

#[derive(Serialize, JsonSchema)]
struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    /// `[source index, target index, weight]`, strongest first.
    edges: Vec<(u32, u32, f64)>,
}

#[derive(Serialize, JsonSchema)]
struct Node<'a> {
    /// The account name.
    id: &'a str,
    /// 0 when in no cluster.
    cluster: u32,
    score: f64,
}

/// The page draws at most the 50,000 strongest edges; a few more are embedded for the count.
const EMBED: usize = 100_000;

pub(crate) fn data<'a, P: Serialize>(
    ing: &'a Ingested,
    parameters: &'a P,
    clusters: &'a [ClusterFinding],
    (nodes, edges): (&'a [GraphNode], &[GraphEdge]),
    counts: &'a Counts,
    outputs: &'a BTreeMap<String, String>,
    aggregates_only: bool,
) -> serde_json::Result<serde_json::Value> {
    let times = ing.table.times();
    let (first, last) = times
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    let mut hours: BTreeMap<i64, u32> = BTreeMap::new();
    for &t in times {
        *hours.entry(t.div_euclid(3_600_000)).or_insert(0) += 1;
    }
    let background: Vec<(String, u32)> = hours
        .into_iter()
        .map(|(h, n)| (format_time(h * 3_600_000), n))
        .collect();
    let mut strongest: Vec<&GraphEdge> = edges.iter().collect();
    let by_strength = |x: &&GraphEdge, y: &&GraphEdge| {
        y.weight
            .total_cmp(&x.weight)
            .then((x.source, x.target).cmp(&(y.source, y.target)))
    };
    if strongest.len() > EMBED {
        strongest.select_nth_unstable_by(EMBED, by_strength);
        strongest.truncate(EMBED);
    }
    strongest.sort_unstable_by(by_strength);
    let round4 = |x: f64| (x * 1e4).round() / 1e4;
    let graph = Graph {
        nodes: nodes
            .iter()
            .map(|n| Node {
                id: &n.id,
                cluster: n.cluster,
                score: round4(n.score),
            })
            .collect(),
        edges: strongest
            .iter()
            .map(|e| (e.source, e.target, round4(e.weight)))
            .collect(),
    };
    let empty = ing.table.is_empty();
    let data = ReportData {
        version: env!("CARGO_PKG_VERSION"),
        generated_from: "manifest.json",
        summary: Summary {
            inputs: &ing.inputs,
            platforms: ing
                .table
                .platforms()
                .iter()
                .filter(|p| !p.is_empty())
                .collect(),
            first: if empty {
                String::new()
            } else {
                format_time(first)
            },
            last: if empty {
                String::new()
            } else {
                format_time(last)
            },
            counts,
            parameters,
        },
        clusters,
        background,
        graph,
        outputs,
        aggregates_only,
    };
    // Through a `Value`, whose maps are sorted: the page's data has its keys in name order at
    // every level, whatever the order of the struct fields.
    serde_json::to_value(&data)
}
