//! Writes the case folder: accounts.csv, clusters.json, edges.csv, graph.gexf, graph.graphml,
//! quarantine.ndjson (written while reading) and manifest.json, each atomically.

use crate::explain::{explain, ClusterReport};
use crate::{Analysis, EventTable, Params};
use anyhow::{Context, Result};
use lockstep_core::format_time;
use lockstep_output::{fixed, write_atomic, AtomicFile, GraphEdge, GraphNode};
use lockstep_trace::LayerKind;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Wall time and throughput of one pipeline stage (reported, never written to the case, so
/// outputs stay byte-identical).
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub name: String,
    pub seconds: f64,
    pub items: u64,
    /// Peak resident memory of the process so far (MiB), where the OS reports it.
    pub peak_mib: Option<f64>,
}

impl Stage {
    pub fn new(name: &str, start: Instant, items: u64) -> Stage {
        Stage {
            name: name.into(),
            seconds: start.elapsed().as_secs_f64(),
            items,
            peak_mib: peak_rss_mib(),
        }
    }
    pub fn per_second(&self) -> f64 {
        self.items as f64 / self.seconds.max(1e-9)
    }
}

/// Peak resident memory of this process so far, from /proc (Linux), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The figures a run reports at the end (also the manifest's `counts`).
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub files: usize,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub accounts: usize,
    pub hits: u64,
    pub traces: u64,
    pub crowded_hits: u64,
    pub co_action_records: u64,
    /// (pair, trace) records the sweep kept for testing; pairs that co-acted only once are
    /// counted in `pairs_tested` without one.
    pub pair_traces: u64,
    pub pairs_tested: u64,
    pub edges_kept: u64,
    pub clusters: usize,
    pub flagged_accounts: usize,
    #[serde(skip)]
    pub stages: Vec<Stage>,
    #[serde(skip)]
    pub top_clusters: Vec<(u32, usize, String, String)>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    lockstep_version: &'a str,
    parameters: &'a Params,
    inputs: &'a [lockstep_read::InputFile],
    counts: &'a CaseSummary,
    /// What the work bound skipped: the most crowded traces and their crowded hits.
    crowded_traces: Vec<(String, u64)>,
    significance: BTreeMap<&'a str, u64>,
    outputs: BTreeMap<String, String>,
}

/// edges.csv, complete but not yet in place, with the name order the graph files reuse.
pub struct EdgesCsv<'a> {
    /// Account ids in name order.
    by_name: Vec<u32>,
    /// (source, target, edge) with the source first by name, sorted by their names.
    edges: Vec<(u32, u32, &'a lockstep_graph::Edge)>,
    /// Layer-set names, once per distinct set, so graph edges can borrow them.
    layer_names: BTreeMap<u32, String>,
    file: lockstep_output::Finished,
}

/// Writes edges.csv (every kept edge, by account names) under a temporary name. It needs
/// only the edges, so it can run while the clusters are found.
pub fn write_edges_csv<'a>(
    table: &'a EventTable,
    edges: &'a [lockstep_graph::Edge],
    out: &Path,
) -> Result<EdgesCsv<'a>> {
    let name = |id: u32| table.accounts[id as usize].as_str();
    // Names are ranked once so that sorting millions of edges compares integers, not strings.
    let n = table.accounts.len();
    let mut by_name: Vec<u32> = (0..n as u32).collect();
    by_name.par_sort_unstable_by(|&x, &y| name(x).cmp(name(y)).then(x.cmp(&y)));
    let mut rank = vec![0u32; n];
    for (r, &id) in by_name.iter().enumerate() {
        rank[id as usize] = r as u32;
    }
    // (source, target, edge) with the source first by name.
    let mut edges: Vec<(u32, u32, &lockstep_graph::Edge)> = edges
        .iter()
        .map(|e| {
            if rank[e.a as usize] <= rank[e.b as usize] {
                (e.a, e.b, e)
            } else {
                (e.b, e.a, e)
            }
        })
        .collect();
    edges.par_sort_unstable_by_key(|&(s, t, _)| (rank[s as usize], rank[t as usize]));
    let layer_names: BTreeMap<u32, String> = edges
        .iter()
        .map(|&(_, _, e)| (e.layers, LayerKind::names_in(e.layers).join(";")))
        .collect();
    let mut f = AtomicFile::create(out.join("edges.csv"))?;
    f.write_all(
        b"source,target,weight,co_actions,layers,first,last,median_gap_s,expected,p_value,q_value,sample_posts\n",
    )?;
    lockstep_output::write_par(&mut f, &edges, |_, &(s, t, e), buf| {
        // Written field by field (a csv::Writer per row allocated 8 KB each time);
        // `csv_field` quotes exactly as the csv crate does.
        let mut samples = String::new();
        for (k, &(x, y)) in e.samples.iter().enumerate() {
            // Samples are (post of e.a, post of e.b); the row names the pair by name order.
            let (x, y) = if s == e.a { (x, y) } else { (y, x) };
            if k > 0 {
                samples.push(' ');
            }
            samples.push_str(&table.ev_id[x as usize]);
            samples.push('~');
            samples.push_str(&table.ev_id[y as usize]);
        }
        // Names, layers and samples may need quoting; numbers and times never do.
        use lockstep_core::write_time;
        use lockstep_output::{csv_field, write_fixed, write_sci3};
        csv_field(buf, name(s));
        buf.push(b',');
        csv_field(buf, name(t));
        buf.push(b',');
        write_fixed(buf, e.weight, 6);
        write!(buf, ",{},", e.co_actions)?;
        csv_field(buf, layer_names[&e.layers].as_str());
        buf.push(b',');
        write_time(buf, e.first);
        buf.push(b',');
        write_time(buf, e.last);
        buf.push(b',');
        write_fixed(buf, e.median_gap_ms as f64 / 1000.0, 3);
        buf.push(b',');
        write_fixed(buf, e.expected, 6);
        buf.push(b',');
        write_sci3(buf, e.p_value);
        buf.push(b',');
        write_sci3(buf, e.q_value);
        buf.push(b',');
        csv_field(buf, &samples);
        buf.push(b'\n');
        Ok(())
    })?;
    Ok(EdgesCsv {
        by_name,
        edges,
        layer_names,
        file: f.finish()?,
    })
}

/// Writes the case folder; `edges_csv` gives edges.csv as [`write_edges_csv`] wrote it
/// (waiting for it if it is still being written).
pub fn write_case<'a>(
    a: &'a Analysis,
    edges_csv: impl FnOnce() -> Result<EdgesCsv<'a>>,
    params: &Params,
    out: &Path,
    _quiet: bool,
) -> Result<CaseSummary> {
    let t = Instant::now();
    let (reports, rows) = explain(a);
    let explained = Stage::new("explain", t, a.clusters.len() as u64);
    let t = Instant::now();
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    let name = |id: u32| a.table.accounts[id as usize].as_str();

    // accounts.csv: flagged accounts (members of reported clusters), by cluster then name.
    let mut flagged: Vec<(u32, &str, u32)> = a
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().map(move |&m| (c.id, name(m), m)))
        .collect();
    flagged.sort();
    let mut w = csv::Writer::from_writer(AtomicFile::create(out.join("accounts.csv"))?);
    w.write_record([
        "account",
        "cluster",
        "score",
        "edges",
        "co_actions",
        "layers",
        "reasons",
    ])?;
    for (cid, acc, id) in &flagged {
        let r = &rows[id];
        let layers = LayerKind::names_in(r.layers).join(";");
        let reasons = format!(
            "co-acted with {} accounts ({} co-actions) on {}; strongest pair q = {:.1e}",
            r.edges, r.co_actions, layers, r.best_q
        );
        w.write_record([
            acc.to_string(),
            cid.to_string(),
            fixed(r.score, 4),
            r.edges.to_string(),
            r.co_actions.to_string(),
            layers,
            reasons,
        ])?;
    }
    let f = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing accounts.csv: {}", e.error()))?;
    outputs.insert("accounts.csv".into(), f.commit()?);

    // clusters.json
    #[derive(Serialize)]
    struct Clusters<'a> {
        clusters: &'a [ClusterReport],
    }
    let json = serde_json::to_vec_pretty(&Clusters { clusters: &reports })?;
    outputs.insert(
        "clusters.json".into(),
        write_atomic(&out.join("clusters.json"), &json)?,
    );

    let mut cluster_of: BTreeMap<u32, u32> = BTreeMap::new();
    for c in &a.clusters {
        for &m in &c.members {
            cluster_of.insert(m, c.id);
        }
    }
    let EdgesCsv {
        by_name,
        edges,
        layer_names,
        file: edges_file,
    } = edges_csv().context("writing edges.csv")?;
    let n = a.table.accounts.len();
    // Graph nodes: every account on a kept edge, by name; `node_of` maps account → node.
    let mut node_of = vec![u32::MAX; n];
    for &(s, t, _) in &edges {
        node_of[s as usize] = 0;
        node_of[t as usize] = 0;
    }
    let mut nodes: Vec<GraphNode> = Vec::new();
    for &id in &by_name {
        if node_of[id as usize] == 0 {
            node_of[id as usize] = nodes.len() as u32;
            nodes.push(GraphNode {
                id: name(id).to_string(),
                cluster: cluster_of.get(&id).copied().unwrap_or(0),
                score: rows.get(&id).map_or(0.0, |r| r.score),
            });
        }
    }
    let graph_edges: Vec<GraphEdge> = edges
        .iter()
        .map(|&(s, t, e)| GraphEdge {
            source: node_of[s as usize],
            target: node_of[t as usize],
            weight: e.weight,
            co_actions: e.co_actions,
            layers: layer_names[&e.layers].as_str(),
            q_value: e.q_value,
        })
        .collect();
    let (gexf_sha, graphml_sha) = rayon::join(
        || lockstep_output::write_gexf(&out.join("graph.gexf"), &nodes, &graph_edges),
        || lockstep_output::write_graphml(&out.join("graph.graphml"), &nodes, &graph_edges),
    );
    outputs.insert(
        "edges.csv".into(),
        edges_file.commit().context("writing edges.csv")?,
    );
    outputs.insert("graph.gexf".into(), gexf_sha.context("writing graph.gexf")?);
    outputs.insert(
        "graph.graphml".into(),
        graphml_sha.context("writing graph.graphml")?,
    );
    outputs.insert(
        "quarantine.ndjson".into(),
        lockstep_output::sha256_file(&out.join("quarantine.ndjson"))
            .context("quarantine.ndjson")?,
    );

    let mut stages = a.stages.clone();
    stages.push(explained);
    stages.push(Stage::new("write", t, flagged.len() as u64));
    let summary = CaseSummary {
        files: a.inputs.len(),
        read: a.inputs.iter().map(|f| f.read).sum(),
        accepted: a.inputs.iter().map(|f| f.accepted).sum(),
        quarantined: a.quarantined,
        accounts: a.table.accounts.len(),
        hits: a.sweep.hits,
        traces: a.sweep.traces,
        crowded_hits: a.sweep.crowded_hits,
        co_action_records: a.sweep.co_action_records,
        pair_traces: a.sweep.pair_traces,
        pairs_tested: a.significance.tested,
        edges_kept: a.edges.len() as u64,
        clusters: a.clusters.len(),
        flagged_accounts: flagged.len(),
        stages,
        top_clusters: reports
            .iter()
            .take(10)
            .map(|r| {
                (
                    r.id,
                    r.size,
                    r.score.clone(),
                    r.top_traces
                        .first()
                        .map(|t| t.trace.clone())
                        .unwrap_or_default(),
                )
            })
            .collect(),
    };
    let report = report_data(
        a,
        params,
        &reports,
        &nodes,
        &graph_edges,
        &summary,
        &outputs,
    );
    let html = lockstep_report::render_html(&serde_json::to_string(&report)?);
    outputs.insert(
        "report.html".into(),
        write_atomic(&out.join("report.html"), html.as_bytes())?,
    );
    let significance = BTreeMap::from([
        ("tested", a.significance.tested),
        ("kept", a.significance.kept),
        ("below_min_co_actions", a.significance.below_min_co_actions),
        ("not_significant", a.significance.not_significant),
        ("dropped_by_min_participation", a.min_participation_dropped),
    ]);
    let manifest = Manifest {
        lockstep_version: env!("CARGO_PKG_VERSION"),
        parameters: params,
        inputs: &a.inputs,
        counts: &summary,
        crowded_traces: a
            .sweep
            .crowded_traces
            .iter()
            .take(20)
            .map(|&(t, n)| (a.traces.key(t).to_string(), n))
            .collect(),
        significance,
        outputs,
    };
    let mut m = AtomicFile::create(out.join("manifest.json"))?;
    serde_json::to_writer_pretty(&mut m, &manifest)?;
    m.write_all(b"\n")?;
    m.commit()?;
    Ok(summary)
}

/// The data `report.html` embeds (see report/README.md for its shape).
fn report_data(
    a: &Analysis,
    params: &Params,
    reports: &[ClusterReport],
    nodes: &[GraphNode],
    edges: &[GraphEdge],
    summary: &CaseSummary,
    outputs: &BTreeMap<String, String>,
) -> serde_json::Value {
    use serde_json::json;
    let (first, last) = a
        .table
        .ev_time
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    let mut hours: BTreeMap<i64, u32> = BTreeMap::new();
    for &t in &a.table.ev_time {
        *hours.entry(t.div_euclid(3_600_000)).or_insert(0) += 1;
    }
    let background: Vec<(String, u32)> = hours
        .into_iter()
        .map(|(h, n)| (format_time(h * 3_600_000), n))
        .collect();
    // The page draws at most the 50,000 strongest edges; embed a few more for the count.
    const EMBED: usize = 100_000;
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
    let graph_edges: Vec<(u32, u32, f64)> = strongest
        .iter()
        .map(|e| (e.source, e.target, (e.weight * 1e4).round() / 1e4))
        .collect();
    let platforms: Vec<&String> = a.table.platforms.iter().filter(|p| !p.is_empty()).collect();
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "generated_from": "manifest.json",
        "summary": {
            "inputs": a.inputs,
            "platforms": platforms,
            "first": if a.table.is_empty() { String::new() } else { format_time(first) },
            "last": if a.table.is_empty() { String::new() } else { format_time(last) },
            "counts": summary,
            "parameters": params,
        },
        "clusters": reports,
        "background": background,
        "graph": {
            "nodes": nodes.iter().map(|n| json!({"id": n.id, "cluster": n.cluster, "score": (n.score * 1e4).round() / 1e4})).collect::<Vec<_>>(),
            "edges": graph_edges,
        },
        "outputs": outputs,
    })
}
