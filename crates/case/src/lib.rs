//! The case folder: `accounts.csv`, `clusters.json`, `edges.csv`, `graph.gexf`,
//! `graph.graphml`, `quarantine.ndjson`, `report.html` and, last, `manifest.json`, each written
//! atomically; and [`verify`], which checks a case against its manifest.
//!
//! Writers only format: every figure comes computed from the stages (`lockstep_explain`'s
//! findings, `lockstep_graph`'s edges); the report's data is the same typed findings.

mod manifest;
mod report;
mod stix;
mod verify;

pub use stix::TECHNIQUES as STIX_TECHNIQUES;

pub use lockstep_output::folder::{abandon_staging, is_sealed, FolderError, Staging, VAULT_DIR};

pub use manifest::{
    Counts, Manifest, ManifestError, ManifestInput, SignificanceCounts, Windows, SCHEMA_VERSION,
};
pub use verify::{verify, Mismatch};

/// The JSON Schemas of the case's JSON files, as published in `schemas/`: `clusters.json`,
/// `manifest.json` and the data `report.html` embeds. Generated from the types that write
/// them, so the front end and other readers read a schema, not prose.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    let gen = |s: schemars::Schema| s.to_value();
    vec![
        (
            "clusters.schema.json",
            gen(schemars::schema_for!(
                lockstep_explain::ClustersFile<'static>
            )),
        ),
        (
            "manifest.schema.json",
            gen(schemars::schema_for!(Manifest<serde_json::Value, Counts>)),
        ),
        (
            "report-data.schema.json",
            gen(schemars::schema_for!(
                report::ReportData<'static, serde_json::Value>
            )),
        ),
    ]
}

use lockstep_core::progress::{Stage, StageName};
use lockstep_core::{ErrorKind, Quarantined};
use lockstep_explain::Findings;
use lockstep_graph::{Cluster, Edge, SignificanceReport};
use lockstep_ingest::{EventTable, Ingested};
use lockstep_output::{fixed, write_atomic, AtomicFile, GraphEdge, GraphNode};
use lockstep_sweep::SweepReport;
use lockstep_trace::LayerKind;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A trace that names no account, post or text: what an aggregates-only case may show.
fn shareable_trace(key: &str) -> bool {
    let layer = key.split_once(':').map_or("", |(l, _)| l);
    [LayerKind::Hashtag, LayerKind::HashtagSet, LayerKind::Sound]
        .iter()
        .any(|k| k.name() == layer)
}

/// Writing the case failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: the writer thread stopped unexpectedly")]
    WriterPanicked(&'static str),
    /// The case folder cannot be taken (busy, sealed, not a case, overlapping an input) or
    /// put in place.
    #[error(transparent)]
    Folder(#[from] FolderError),
}

impl CaseError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CaseError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::StorageFull
                    || source.kind() == std::io::ErrorKind::QuotaExceeded =>
            {
                ErrorKind::Resources
            }
            CaseError::Io { .. } => ErrorKind::Io,
            CaseError::WriterPanicked(_) => ErrorKind::Internal,
            CaseError::Folder(e) => e.kind(),
        }
    }
}

/// Attaches the file to an I/O error.
trait At<T> {
    fn at(self, path: &Path) -> Result<T, CaseError>;
}

impl<T, E: Into<std::io::Error>> At<T> for Result<T, E> {
    fn at(self, path: &Path) -> Result<T, CaseError> {
        self.map_err(|e| CaseError::Io {
            path: path.to_path_buf(),
            source: e.into(),
        })
    }
}

/// What a run reports at the end: the manifest's counts, the stage timings and the strongest
/// clusters.
#[derive(Debug, Clone)]
pub struct CaseSummary {
    pub counts: Counts,
    pub stages: Vec<Stage>,
    /// (id, size, score, top trace) of the first clusters.
    pub top_clusters: Vec<(u32, usize, f64, String)>,
    /// What the user should know about the result (why nothing was found, the data's pace).
    pub notes: Vec<String>,
}

/// `quarantine.ndjson`, written while the inputs are read: bad records with their file,
/// record and reason. The first write error is kept and reported when the file is finished.
pub struct QuarantineFile {
    file: AtomicFile,
    path: PathBuf,
    error: Option<std::io::Error>,
    /// Aggregates only: file, record and reason, not the record's content.
    withhold_raw: bool,
}

impl QuarantineFile {
    pub fn create(out: &Path) -> Result<QuarantineFile, CaseError> {
        let path = out.join("quarantine.ndjson");
        Ok(QuarantineFile {
            file: AtomicFile::create(&path).at(&path)?,
            path,
            error: None,
            withhold_raw: false,
        })
    }

    /// Records file, record and reason but not the record's content (`--aggregates-only`).
    pub fn withholding_raw(mut self) -> QuarantineFile {
        self.withhold_raw = true;
        self
    }

    pub fn record(&mut self, q: &Quarantined) {
        if self.error.is_none() {
            let withheld;
            let q = if self.withhold_raw {
                withheld = Quarantined {
                    raw: String::new(),
                    ..q.clone()
                };
                &withheld
            } else {
                q
            };
            let r = serde_json::to_writer(&mut self.file, q)
                .map_err(std::io::Error::from)
                .and_then(|_| self.file.write_all(b"\n"));
            self.error = r.err();
        }
    }

    /// Puts the file in place; returns its sha256.
    pub fn commit(self) -> Result<String, CaseError> {
        if let Some(e) = self.error {
            return Err(e).at(&self.path);
        }
        self.file.commit().at(&self.path)
    }
}

/// Everything the case is written from.
pub struct CaseInput<'a, P> {
    pub ingested: &'a Ingested,
    pub sweep: &'a SweepReport,
    pub significance: &'a SignificanceReport,
    pub min_participation_dropped: u64,
    pub edges: &'a [Edge],
    pub clusters: &'a [Cluster],
    pub findings: &'a Findings,
    /// The run's parameters, recorded in the manifest and shown in the report.
    pub parameters: &'a P,
    /// Timings of the stages before writing.
    pub stages: Vec<Stage>,
    /// sha256 of `quarantine.ndjson`, already in place.
    pub quarantine_sha256: String,
    pub windows: Windows,
    /// Guard CSV cells against spreadsheet formula injection (see
    /// [`lockstep_output::spreadsheet_safe`]).
    pub spreadsheet_safe: bool,
    /// Only cluster-level findings leave (`findings` already stripped by
    /// [`Findings::aggregates_only`]): no accounts.csv, self_amplification.csv, edges.csv or
    /// graph files, no account in the report or the STIX bundle.
    pub aggregates_only: bool,
    /// The TLP marking of `stix.json`.
    pub tlp: lockstep_stix::Tlp,
}

/// edges.csv, complete but not yet in place, with the name order the graph files reuse.
pub struct EdgesCsv<'a> {
    /// Account ids in name order.
    by_name: Vec<u32>,
    /// (source, target, edge) with the source first by name, sorted by their names.
    edges: Vec<(u32, u32, &'a Edge)>,
    /// Layer-set names, once per distinct set, so graph edges can borrow them.
    layer_names: BTreeMap<u32, String>,
    file: lockstep_output::Finished,
}

/// Writes edges.csv (every kept edge, by account names) under a temporary name. It needs
/// only the edges, so it can run while the clusters are found.
pub fn write_edges_csv<'a>(
    table: &'a EventTable,
    edges: &'a [Edge],
    out: &Path,
    spreadsheet_safe: bool,
) -> Result<EdgesCsv<'a>, CaseError> {
    let path = out.join("edges.csv");
    let cell = |s: &'a str| {
        if spreadsheet_safe {
            lockstep_output::spreadsheet_safe(s)
        } else {
            s.into()
        }
    };
    let name = |id: u32| table.account_name(id);
    // Names are ranked once so that sorting millions of edges compares integers, not strings.
    let n = table.n_accounts();
    let mut by_name: Vec<u32> = (0..n as u32).collect();
    by_name.par_sort_unstable_by(|&x, &y| name(x).cmp(name(y)).then(x.cmp(&y)));
    let mut rank = vec![0u32; n];
    for (r, &id) in by_name.iter().enumerate() {
        rank[id as usize] = r as u32;
    }
    // (source, target, edge) with the source first by name.
    let mut edges: Vec<(u32, u32, &Edge)> = edges
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
    let mut f = AtomicFile::create(&path).at(&path)?;
    f.write_all(
        b"source,target,weight,co_actions,layers,first,last,median_gap_s,expected,p_value,q_value,sample_posts,source_first,target_first,fast_co_actions,activity_ratio\n",
    )
    .at(&path)?;
    lockstep_output::write_par(&mut f, &edges, |_, &(s, t, e), buf| {
        let mut samples = String::new();
        for (k, &(x, y)) in e.samples.iter().enumerate() {
            // Samples are (post of e.a, post of e.b); the row names the pair by name order.
            let (x, y) = if s == e.a { (x, y) } else { (y, x) };
            if k > 0 {
                samples.push(' ');
            }
            samples.push_str(table.id(x));
            samples.push('~');
            samples.push_str(table.id(y));
        }
        // Names, layers and samples may need quoting; numbers and times never do.
        use lockstep_core::write_time;
        use lockstep_output::{csv_field, write_fixed, write_sci3};
        csv_field(buf, &cell(name(s)));
        buf.push(b',');
        csv_field(buf, &cell(name(t)));
        buf.push(b',');
        write_fixed(buf, e.weight, 6);
        buf.push(b',');
        lockstep_output::write_int(buf, e.co_actions);
        buf.push(b',');
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
        csv_field(
            buf,
            &if spreadsheet_safe {
                lockstep_output::spreadsheet_safe(&samples).into_owned()
            } else {
                samples
            },
        );
        // Who acted first, from the source's side; the fast sub-network; one-sidedness.
        let (s_first, t_first) = if s == e.a {
            (e.a_first, e.co_actions - e.a_first)
        } else {
            (e.co_actions - e.a_first, e.a_first)
        };
        buf.push(b',');
        lockstep_output::write_int(buf, s_first);
        buf.push(b',');
        lockstep_output::write_int(buf, t_first);
        buf.push(b',');
        lockstep_output::write_int(buf, e.fast);
        buf.push(b',');
        write_fixed(buf, e.activity_ratio, 2);
        buf.push(b'\n');
        Ok(())
    })
    .at(&path)?;
    Ok(EdgesCsv {
        by_name,
        edges,
        layer_names,
        file: f.finish().at(&path)?,
    })
}

/// Writes the case folder; `edges_csv` gives edges.csv as [`write_edges_csv`] wrote it
/// (waiting for it if it is still being written). `manifest.json` comes last.
pub fn write_case<'a, P: Serialize>(
    input: CaseInput<'a, P>,
    edges_csv: impl FnOnce() -> Result<EdgesCsv<'a>, CaseError>,
    out: &Path,
) -> Result<CaseSummary, CaseError> {
    let t = Instant::now();
    let ing = input.ingested;
    let table = &ing.table;
    let findings = input.findings;
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    let name = |id: u32| table.account_name(id);
    let cell = |s: &str| {
        if input.spreadsheet_safe {
            lockstep_output::spreadsheet_safe(s).into_owned()
        } else {
            s.to_string()
        }
    };

    let aggregates_only = input.aggregates_only;
    // accounts.csv: flagged accounts — members of reported clusters, then their amplifiers —
    // by cluster, role, then name.
    let mut flagged: Vec<(u32, u8, &str, u32)> = input
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().map(move |&m| (c.id, 0u8, name(m), m)))
        .collect();
    let amplifiers: BTreeMap<u32, &lockstep_explain::AmplifierFinding> = findings
        .clusters
        .iter()
        .flat_map(|c| c.amplifiers.iter().map(|a| (a.account_id, a)))
        .collect();
    flagged.extend(findings.clusters.iter().flat_map(|c| {
        c.amplifiers
            .iter()
            .map(move |a| (c.id, 1u8, name(a.account_id), a.account_id))
    }));
    flagged.sort();
    let amplifier_count: usize = findings.clusters.iter().map(|c| c.amplifier_count).sum();
    if !aggregates_only {
        let path = out.join("accounts.csv");
        let file = AtomicFile::create(&path).at(&path)?;
        let mut w = csv::Writer::from_writer(file);
        let csv_err = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record([
            "account",
            "cluster",
            "role",
            "score",
            "edges",
            "co_actions",
            "layers",
            "reasons",
        ])
        .map_err(csv_err)
        .at(&path)?;
        for (cid, role, acc, id) in &flagged {
            let record = if *role == 0 {
                let r = findings
                    .account(*id)
                    .expect("a cluster member is on a kept edge");
                let layers = LayerKind::names_in(r.layers).join(";");
                let reasons = format!(
                    "co-acted with {} accounts ({} co-actions) on {}; strongest pair q = {:.1e}",
                    r.edges, r.co_actions, layers, r.best_q
                );
                [
                    cell(acc),
                    cid.to_string(),
                    "member".to_string(),
                    fixed(r.score, 4),
                    r.edges.to_string(),
                    r.co_actions.to_string(),
                    layers,
                    reasons,
                ]
            } else {
                // An amplifier's score is its q-value's −log10, capped at 30, over 30 (as a
                // member's is its strongest edge's); its edges are those it has, if any.
                let a = amplifiers[id];
                let r = findings.account(*id);
                let score = (-a.q_value.max(1e-300).log10()).clamp(0.0, 30.0) / 30.0;
                [
                    cell(acc),
                    cid.to_string(),
                    "amplifier".to_string(),
                    fixed(score, 4),
                    r.map_or(0, |r| r.edges).to_string(),
                    r.map_or(0, |r| r.co_actions).to_string(),
                    r.map_or(String::new(), |r| LayerKind::names_in(r.layers).join(";")),
                    format!("amplifier of cluster {cid}: {a}"),
                ]
            };
            w.write_record(record).map_err(csv_err).at(&path)?;
        }
        let f = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.error().to_string()))
            .at(&path)?;
        outputs.insert("accounts.csv".into(), f.commit().at(&path)?);

        // self_amplification.csv: accounts re-sharing one post again and again.
        let path = out.join("self_amplification.csv");
        let mut w = csv::Writer::from_writer(AtomicFile::create(&path).at(&path)?);
        w.write_record(["account", "cluster", "post", "shares", "first", "last"])
            .map_err(csv_err)
            .at(&path)?;
        let cluster_of_account = |a: u32| {
            input
                .clusters
                .iter()
                .find(|c| c.members.binary_search(&a).is_ok())
                .map_or(String::new(), |c| c.id.to_string())
        };
        let mut rows: Vec<(&str, &lockstep_explain::SelfShare)> = findings
            .self_shares
            .iter()
            .map(|s| (name(s.account), s))
            .collect();
        rows.sort_by(|x, y| {
            x.0.cmp(y.0)
                .then_with(|| ing.traces.key(x.1.trace).cmp(ing.traces.key(y.1.trace)))
        });
        for (acc, s) in rows {
            let key = ing.traces.key(s.trace);
            w.write_record([
                cell(acc),
                cluster_of_account(s.account),
                cell(key.strip_prefix("repost:").unwrap_or(key)),
                s.shares.to_string(),
                lockstep_core::format_time(s.first),
                lockstep_core::format_time(s.last),
            ])
            .map_err(csv_err)
            .at(&path)?;
        }
        let f = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.error().to_string()))
            .at(&path)?;
        outputs.insert("self_amplification.csv".into(), f.commit().at(&path)?);
    }

    let path = out.join("clusters.json");
    let json = serde_json::to_vec_pretty(&lockstep_explain::ClustersFile {
        aggregates_only,
        clusters: &findings.clusters,
    })
    .map_err(std::io::Error::from)
    .at(&path)?;
    outputs.insert(
        "clusters.json".into(),
        write_atomic(&path, &json).at(&path)?,
    );

    let mut cluster_of: BTreeMap<u32, u32> = BTreeMap::new();
    for c in input.clusters {
        for &m in &c.members {
            cluster_of.insert(m, c.id);
        }
    }
    let path = out.join("stix.json");
    let bundle = stix::bundle(table, input.clusters, findings, input.tlp, aggregates_only);
    outputs.insert(
        "stix.json".into(),
        write_atomic(&path, bundle.as_bytes()).at(&path)?,
    );

    let n = table.n_accounts();
    let mut nodes: Vec<GraphNode> = Vec::new();
    let mut graph_edges: Vec<GraphEdge> = Vec::new();
    let (by_name, edges, layer_names, edges_file) = if aggregates_only {
        (Vec::new(), Vec::new(), BTreeMap::new(), None)
    } else {
        let e = edges_csv()?;
        (e.by_name, e.edges, e.layer_names, Some(e.file))
    };
    if let Some(edges_file) = edges_file {
        // Graph nodes: every account on a kept edge, by name; `node_of` maps account → node.
        let mut node_of = vec![u32::MAX; n];
        for &(s, t, _) in &edges {
            node_of[s as usize] = 0;
            node_of[t as usize] = 0;
        }
        for &id in &by_name {
            if node_of[id as usize] == 0 {
                node_of[id as usize] = nodes.len() as u32;
                nodes.push(GraphNode {
                    id: name(id).to_string(),
                    cluster: cluster_of.get(&id).copied().unwrap_or(0),
                    score: findings.account(id).map_or(0.0, |r| r.score),
                });
            }
        }
        graph_edges = edges
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
        let (gexf_path, graphml_path) = (out.join("graph.gexf"), out.join("graph.graphml"));
        let (gexf_sha, graphml_sha) = rayon::join(
            || lockstep_output::write_gexf(&gexf_path, &nodes, &graph_edges),
            || lockstep_output::write_graphml(&graphml_path, &nodes, &graph_edges),
        );
        let path = out.join("edges.csv");
        outputs.insert("edges.csv".into(), edges_file.commit().at(&path)?);
        outputs.insert("graph.gexf".into(), gexf_sha.at(&gexf_path)?);
        outputs.insert("graph.graphml".into(), graphml_sha.at(&graphml_path)?);
    }
    outputs.insert("quarantine.ndjson".into(), input.quarantine_sha256.clone());

    let mut stages = input.stages;
    let counts = Counts {
        files: ing.inputs.len(),
        read: ing.inputs.iter().map(|f| f.read).sum(),
        accepted: ing.inputs.iter().map(|f| f.accepted).sum(),
        quarantined: ing.quarantined,
        accounts: n,
        hits: input.sweep.hits,
        traces: input.sweep.traces,
        crowded_hits: input.sweep.crowded_hits,
        co_action_records: input.sweep.co_action_records,
        pair_traces: input.sweep.pair_traces,
        pairs_tested: input.significance.tested,
        edges_kept: input.edges.len() as u64,
        clusters: input.clusters.len(),
        flagged_accounts: input
            .clusters
            .iter()
            .map(|c| c.members.len())
            .sum::<usize>()
            + amplifier_count,
        amplifiers: amplifier_count,
    };
    let data = report::data(
        ing,
        input.parameters,
        &findings.clusters,
        (&nodes, &graph_edges),
        &counts,
        &outputs,
        aggregates_only,
    );
    let path = out.join("report.html");
    let data = data
        .and_then(|d| serde_json::to_string(&d))
        .map_err(std::io::Error::from)
        .at(&path)?;
    let html = lockstep_report::render_html(&data);
    outputs.insert(
        "report.html".into(),
        write_atomic(&path, html.as_bytes()).at(&path)?,
    );
    let significance = SignificanceCounts {
        tested: input.significance.tested,
        kept: input.significance.kept,
        below_min_co_actions: input.significance.below_min_co_actions,
        not_significant: input.significance.not_significant,
        dropped_by_min_participation: input.min_participation_dropped,
    };
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        lockstep_version: env!("CARGO_PKG_VERSION").to_string(),
        parameters: input.parameters,
        command: None,
        inputs: ing.inputs.iter().map(ManifestInput::from).collect(),
        counts: counts.clone(),
        crowded_traces: input
            .sweep
            .crowded_traces
            .iter()
            .map(|&(t, n)| (ing.traces.key(t), n))
            .filter(|(k, _)| !aggregates_only || shareable_trace(k))
            .take(20)
            .map(|(k, n)| (k.to_string(), n))
            .collect(),
        significance,
        windows: Some(input.windows.clone()),
        outputs,
    };
    let path = out.join("manifest.json");
    let mut m = AtomicFile::create(&path).at(&path)?;
    serde_json::to_writer_pretty(&mut m, &manifest)
        .map_err(std::io::Error::from)
        .at(&path)?;
    m.write_all(b"\n").at(&path)?;
    m.commit().at(&path)?;
    stages.push(Stage::new(StageName::Write, t, flagged.len() as u64));
    Ok(CaseSummary {
        counts,
        stages,
        top_clusters: findings
            .clusters
            .iter()
            .take(10)
            .map(|c| {
                (
                    c.id,
                    c.size,
                    c.score,
                    c.top_traces
                        .first()
                        .map(|t| t.label.clone())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        notes: Vec::new(),
    })
}
