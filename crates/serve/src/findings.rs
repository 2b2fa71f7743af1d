//! A case's findings as the server reads them: `clusters.json` parsed once and kept (a
//! bounded cache), with an index from cluster id and from account to its cluster. Read
//! only: the case folder is never written here.

use crate::error::ApiError;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use utoipa::ToSchema;

/// A line of the cluster list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterSummary {
    pub id: i64,
    pub size: i64,
    pub score: f64,
    /// Layer → co-actions.
    #[schema(value_type = Object)]
    pub layers: Value,
    pub first: Option<String>,
    pub last: Option<String>,
    pub top_trace: Option<String>,
}

pub struct CaseFindings {
    pub summaries: Vec<ClusterSummary>,
    /// The cluster objects of `clusters.json`, serialized once: a card copies the text
    /// instead of cloning and re-serializing a tree of thousands of values per request.
    pub clusters: Vec<Box<serde_json::value::RawValue>>,
    by_id: HashMap<i64, usize>,
    account_cluster: HashMap<String, i64>,
}

impl CaseFindings {
    pub fn parse(bytes: &[u8]) -> Result<CaseFindings, String> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("clusters.json: {e}"))?;
        let clusters = match v.get("clusters") {
            Some(Value::Array(a)) => a.clone(),
            _ => return Err("clusters.json has no clusters list".into()),
        };
        let mut summaries = Vec::with_capacity(clusters.len());
        let mut by_id = HashMap::new();
        let mut account_cluster = HashMap::new();
        for (i, c) in clusters.iter().enumerate() {
            let Some(id) = c.get("id").and_then(Value::as_i64) else {
                return Err(format!("clusters.json: cluster {i} has no id"));
            };
            let members: Vec<&str> = c
                .get("members")
                .and_then(Value::as_array)
                .map(|m| m.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for m in &members {
                account_cluster.insert((*m).to_string(), id);
            }
            by_id.insert(id, i);
            summaries.push(ClusterSummary {
                id,
                size: c
                    .get("size")
                    .and_then(Value::as_i64)
                    .unwrap_or(members.len() as i64),
                score: c.get("score").and_then(Value::as_f64).unwrap_or(0.0),
                layers: c.get("layers").cloned().unwrap_or(Value::Null),
                first: c.get("first").and_then(Value::as_str).map(str::to_string),
                last: c.get("last").and_then(Value::as_str).map(str::to_string),
                top_trace: c
                    .get("top_traces")
                    .and_then(|t| t.get(0))
                    .and_then(|t| t.get("trace"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
        let clusters = clusters
            .iter()
            .map(serde_json::value::to_raw_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("clusters.json: {e}"))?;
        Ok(CaseFindings {
            summaries,
            clusters,
            by_id,
            account_cluster,
        })
    }

    pub fn cluster(&self, id: i64) -> Option<&serde_json::value::RawValue> {
        self.by_id.get(&id).map(|&i| &*self.clusters[i])
    }

    pub fn has_cluster(&self, id: i64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The cluster an account was flagged in.
    pub fn cluster_of(&self, account: &str) -> Option<i64> {
        self.account_cluster.get(account).copied()
    }
}

/// Parsed findings of recently read cases, refreshed when `clusters.json` changes.
/// Case id → (`clusters.json`'s modification time, its findings).
type Cached = HashMap<String, (Option<SystemTime>, Arc<CaseFindings>)>;

#[derive(Default)]
pub struct FindingsCache {
    map: Mutex<Cached>,
}

const CACHE_CAP: usize = 32;

impl FindingsCache {
    pub async fn get(&self, case_id: &str, dir: &Path) -> Result<Arc<CaseFindings>, ApiError> {
        let path = dir.join("clusters.json");
        let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if let Some((t, f)) = self.lock().get(case_id) {
            if *t == mtime {
                return Ok(f.clone());
            }
        }
        let parsed = tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| format!("clusters.json: {e}"))?;
            CaseFindings::parse(&bytes)
        })
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "no_findings",
                format!("the case has no readable findings ({e})"),
            )
        })?;
        let f = Arc::new(parsed);
        let mut map = self.lock();
        if map.len() >= CACHE_CAP {
            if let Some(k) = map.keys().next().cloned() {
                map.remove(&k);
            }
        }
        map.insert(case_id.to_string(), (mtime, f.clone()));
        Ok(f)
    }

    pub fn forget(&self, case_id: &str) {
        self.lock().remove(case_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}
