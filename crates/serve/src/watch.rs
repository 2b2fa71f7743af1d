//! Live watches behind a small adapter, so the server does not depend on how `watch` is
//! built. [`WatchBackend`] starts one and hands back its events; [`ProcessWatch`], the
//! default, runs `lockstep watch` as a child process and reads its standard output.
//!
//! The protocol [`ProcessWatch`] reads is `lockstep watch`'s own alert stream (`--alerts -`:
//! one JSON object per line of stdout, the contract in `crates/watch/README.md`; other lines
//! are ignored):
//!
//! ```json
//! {"kind": "grew", "cluster": 7, "size": 41, "new_members": ["…"], "case": "cases/snapshot-…", …}
//! ```
//!
//! `kind` is `new`, `grew`, `merged` or `quiet`; `case` (when the watch wrote a snapshot case
//! at that tick, `--case-every`) names a case folder relative to the watch's folder or
//! absolute inside it; the server opens it as a read-only case and links the alert to it.
//! The whole object is kept as the alert's detail.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

/// What a watch was asked to do.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WatchSpec {
    /// Inputs (server-side paths inside the admin's roots).
    #[schema(value_type = Vec<String>)]
    pub inputs: Vec<PathBuf>,
    /// Extra `lockstep watch` arguments (checked: only `--flag` or `--flag=value` forms).
    #[serde(default)]
    pub args: Vec<String>,
}

/// What a running watch reports.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    Alert {
        title: String,
        detail: Value,
        snapshot: Option<PathBuf>,
    },
    /// The watch ended by itself (`Err`: why it failed).
    Exited(Result<(), String>),
}

/// A running watch; dropping it does not stop it, [`RunningWatch::stop`] does.
pub trait RunningWatch: Send {
    fn stop(&mut self);
}

/// Starts watches. `out` is the watch's own folder (state, snapshots), under `--data`.
pub trait WatchBackend: Send + Sync + 'static {
    fn start(
        &self,
        spec: &WatchSpec,
        out: &Path,
        events: mpsc::Sender<WatchEvent>,
    ) -> Result<Box<dyn RunningWatch>, String>;
}

/// `EXE watch INPUT... --state state --cases cases --alerts - --quiet ARGS...` as a child
/// process in the watch's folder (so its state and snapshot cases stay inside it).
pub struct ProcessWatch {
    pub exe: PathBuf,
}

impl ProcessWatch {
    /// The command line: the one place to change when `lockstep watch`'s flags differ.
    pub fn command_line(spec: &WatchSpec, out: &Path) -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec!["watch".into()];
        a.extend(spec.inputs.iter().map(|p| p.clone().into_os_string()));
        for (flag, value) in [
            ("--state", out.join("state")),
            ("--cases", out.join("cases")),
        ] {
            a.push(flag.into());
            a.push(value.into_os_string());
        }
        a.extend(["--alerts".into(), "-".into(), "--quiet".into()]);
        a.extend(spec.args.iter().map(Into::into));
        a
    }
}

struct Child {
    kill: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningWatch for Child {
    fn stop(&mut self) {
        if let Some(k) = self.kill.take() {
            let _ = k.send(());
        }
    }
}

impl WatchBackend for ProcessWatch {
    fn start(
        &self,
        spec: &WatchSpec,
        out: &Path,
        events: mpsc::Sender<WatchEvent>,
    ) -> Result<Box<dyn RunningWatch>, String> {
        let mut child = tokio::process::Command::new(&self.exe)
            .args(Self::command_line(spec, out))
            .current_dir(out)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.exe.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (kill_tx, kill_rx) = tokio::sync::oneshot::channel();
        let out = out.to_path_buf();
        // The last lines of stderr say why a watch failed.
        let tail = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let tail_w = tail.clone();
        let stderr_reader = tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let mut t = tail_w.lock().unwrap_or_else(|e| e.into_inner());
                t.push(l.chars().take(500).collect());
                if t.len() > 5 {
                    t.remove(0);
                }
            }
        });
        let ev = events.clone();
        let reader = tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.len() > 1 << 20 {
                    continue;
                }
                if let Some(e) = parse_line(&line, &out) {
                    if ev.send(e).await.is_err() {
                        break;
                    }
                }
            }
        });
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => Some(s),
                _ = kill_rx => {
                    let _ = child.kill().await;
                    None
                }
            };
            let _ = reader.await;
            // The exit can be seen before the last lines of stderr are read: they say why.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stderr_reader).await;
            let result = match status {
                None => Ok(()),
                Some(Ok(s)) if s.success() => Ok(()),
                Some(Ok(s)) => {
                    let t = tail.lock().unwrap_or_else(|e| e.into_inner()).join("\n");
                    Err(format!(
                        "watch exited with {s}{}{t}",
                        if t.is_empty() { "" } else { ": " }
                    ))
                }
                Some(Err(e)) => Err(format!("watch: {e}")),
            };
            let _ = events.send(WatchEvent::Exited(result)).await;
        });
        Ok(Box::new(Child {
            kill: Some(kill_tx),
        }))
    }
}

/// One stdout line as an event (`None`: not an alert).
pub fn parse_line(line: &str, out: &Path) -> Option<WatchEvent> {
    let v: Value = serde_json::from_str(line.trim()).ok()?;
    let obj = v.as_object()?;
    let kind = obj.get("kind")?.as_str()?;
    let cluster = obj.get("cluster").and_then(Value::as_u64);
    let size = obj.get("size").and_then(Value::as_u64).unwrap_or(0);
    let id = cluster.map_or_else(|| "?".to_string(), |c| c.to_string());
    let title = match kind {
        "new" => format!("new cluster {id}: {size} accounts"),
        "grew" => {
            let added = obj
                .get("new_members")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            format!("cluster {id} grew to {size} accounts (+{added})")
        }
        "merged" => format!("cluster {id} absorbed other alerted clusters: {size} accounts"),
        "quiet" => format!("cluster {id} went quiet"),
        _ => return None,
    };
    let snapshot = obj.get("case").and_then(Value::as_str).map(|p| out.join(p));
    Some(WatchEvent::Alert {
        title,
        detail: v.clone(),
        snapshot,
    })
}
