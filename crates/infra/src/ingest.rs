//! Reading the logs: files, folders and standard input, parsed and classified in parallel a
//! block at a time, into compact [`Obs`]ervations (what the rest needs of every line) plus
//! [`Detail`]s for the lines that are attempts or logins. Bad lines go to the quarantine;
//! counts reconcile per file.

use crate::classify::{Classes, Classifier, Login};
use crate::InfraError;
use lockstep_core::Quarantined;
use lockstep_weblog::{Config, Line, LineFormat, Record, Time};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One accepted line that names a source.
#[derive(Debug, Clone, Copy)]
pub struct Obs {
    /// Unix ms (or, with `NO_YEAR`, ms into a year still to be fixed).
    pub time: i64,
    /// The address as IPv6 (IPv4 mapped).
    pub ip: u128,
    /// Hash of `host + path` (no query): the target.
    pub target: u64,
    /// Hash of the tool fingerprint (user agent, header order, TLS); 0 when none.
    pub tool: u64,
    /// Hash of the user name (auth logs, basic auth); 0 when none.
    pub user: u64,
    /// Payload shape of a content attempt; 0 when none.
    pub payload: u64,
    /// Hash of the raw line: the tie-breaker that makes every order a content order.
    pub order: u64,
    pub line: u64,
    /// Index into [`Ingest::details`], or `u32::MAX`.
    pub detail: u32,
    pub input: u16,
    pub status: u16,
    pub classes: Classes,
    pub login: Option<Login>,
    pub flags: u8,
    /// Which behaviour rule marked it ([`crate::behaviour::Rule`] as u8; 0: none).
    pub behaviour: u8,
    /// Index into [`METHODS`] (`u8::MAX`: another method, see the detail).
    pub method: u8,
}

pub const NO_YEAR: u8 = 1;
pub const AUTH: u8 = 2;
pub const NOT_FOUND: u8 = 4;

pub const METHODS: [&str; 8] = [
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "SSH",
];

/// What attempts.csv and the evidence need of an attempt or login.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    pub method: String,
    pub target: String,
    pub rule: Option<String>,
    pub evidence: String,
    pub user: Option<String>,
}

/// What was read from one input (manifest `inputs`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: String,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
}

/// Everything read.
#[derive(Default)]
pub struct Ingest {
    pub obs: Vec<Obs>,
    pub details: Vec<Detail>,
    pub inputs: Vec<InputFile>,
    /// Names behind the hashes (targets, tools, users).
    pub names: FxHashMap<u64, Box<str>>,
    pub quarantined: u64,
}

/// Longest target kept in a detail (attempts.csv).
const TARGET_CHARS: usize = 512;

/// Expands files and folders (recursively, hidden entries skipped) into a sorted list;
/// `-` is standard input.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InfraError> {
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InfraError> {
        let rd = std::fs::read_dir(dir).map_err(|e| InfraError::io(dir, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| InfraError::io(dir, e))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = entry.path();
            let meta = std::fs::metadata(&p).map_err(|e| InfraError::io(&p, e))?;
            if meta.is_dir() {
                walk(&p, out)?;
            } else if meta.is_file() {
                out.push(p);
            }
        }
        Ok(())
    }
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| InfraError::io(p, e))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

pub fn ip_of(key: u128) -> IpAddr {
    IpAddr::V6(std::net::Ipv6Addr::from(key)).to_canonical()
}

fn h(s: &str) -> u64 {
    // Never 0: 0 means "none".
    xxhash_rust::xxh3::xxh3_64(s.as_bytes()) | 1
}

enum Item {
    Obs(Obs, Option<Detail>, Vec<(u64, Box<str>)>, LineFormat),
    Other(LineFormat),
    Blank,
    Bad(u64, String, Vec<u8>),
}

fn method_code(m: &str) -> u8 {
    METHODS
        .iter()
        .position(|x| *x == m)
        .map_or(u8::MAX, |p| p as u8)
}

fn parse_one(n: u64, line: &[u8], cfg: &Config, c: &mut Classifier, input: u16) -> Item {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Item::Blank;
    }
    let order = xxhash_rust::xxh3::xxh3_64(line);
    let (rec, fmt) = match lockstep_weblog::parse_line(line, cfg) {
        Ok(r) => r,
        Err(reason) => return Item::Bad(n, reason, line[..line.len().min(1200)].to_vec()),
    };
    let mut names = Vec::new();
    match rec {
        Record::Other => Item::Other(fmt),
        Record::Http(hq) => {
            let Some(src) = hq.source else {
                return Item::Bad(
                    n,
                    "request without a client address".into(),
                    line[..line.len().min(1200)].to_vec(),
                );
            };
            let v = c.http(&hq);
            let path = hq.target.split('?').next().unwrap_or("");
            let path: String = path.chars().take(TARGET_CHARS).collect();
            let tkey = match &hq.host {
                Some(host) => format!("{}{}", host.to_ascii_lowercase(), path),
                None => path.clone(),
            };
            let target = h(&tkey);
            names.push((target, tkey.into_boxed_str()));
            let tool = match (&hq.user_agent, &hq.header_order, &hq.tls) {
                (None, None, None) => 0,
                (ua, ho, tls) => {
                    let fp = format!(
                        "{}|{}|{}",
                        ua.as_deref().unwrap_or("-"),
                        ho.as_deref().unwrap_or("-"),
                        tls.as_deref().unwrap_or("-")
                    );
                    let k = h(&fp);
                    names.push((k, fp.into_boxed_str()));
                    k
                }
            };
            let user = match &hq.user {
                Some(u) => {
                    let k = h(u);
                    names.push((k, u.to_string().into_boxed_str()));
                    k
                }
                None => 0,
            };
            let keep = !v.classes.is_empty() || v.login.is_some();
            let detail = keep.then(|| Detail {
                method: hq.method.to_string(),
                target: hq.target.chars().take(TARGET_CHARS).collect(),
                rule: v.rule.clone(),
                evidence: v.evidence.clone(),
                user: hq.user.as_ref().map(|u| u.to_string()),
            });
            let obs = Obs {
                time: hq.time,
                ip: ip_key(src),
                target,
                tool,
                user,
                payload: v.payload,
                order,
                line: n,
                detail: u32::MAX,
                input,
                status: hq.status,
                classes: v.classes,
                login: v.login,
                flags: if hq.status == 404 { NOT_FOUND } else { 0 },
                behaviour: 0,
                method: method_code(&hq.method),
            };
            Item::Obs(obs, detail, names, fmt)
        }
        Record::Auth(a) => {
            let v = c.auth(&a);
            let (time, flags) = match a.time {
                Time::Utc(ms) => (ms, AUTH),
                Time::NoYear(ms) => (ms, AUTH | NO_YEAR),
            };
            let tkey = format!("ssh:{}", a.service);
            let target = h(&tkey);
            names.push((target, tkey.into_boxed_str()));
            let user = match &a.user {
                Some(u) => {
                    let k = h(u);
                    names.push((k, u.to_string().into_boxed_str()));
                    k
                }
                None => 0,
            };
            let tool = match &a.method {
                Some(m) => {
                    let fp = format!("{}:{m}", a.service);
                    let k = h(&fp);
                    names.push((k, fp.into_boxed_str()));
                    k
                }
                None => 0,
            };
            let keep = !v.classes.is_empty() || v.login.is_some() || a.user.is_some();
            let detail = keep.then(|| Detail {
                method: "SSH".into(),
                target: format!("{} {}", a.service, a.outcome.name()),
                rule: v.rule.clone(),
                evidence: v.evidence.clone(),
                user: a.user.as_ref().map(|u| u.to_string()),
            });
            let obs = Obs {
                time,
                ip: ip_key(a.source),
                target,
                tool,
                user,
                payload: v.payload,
                order,
                line: n,
                detail: u32::MAX,
                input,
                status: 0,
                classes: v.classes,
                login: v.login,
                flags,
                behaviour: 0,
                method: 7,
            };
            Item::Obs(obs, detail, names, fmt)
        }
    }
}

/// Reads every input; quarantined lines go to `on_bad` as they are found.
pub fn read_all(
    paths: &[PathBuf],
    cfg: &Config,
    on_bad: &mut dyn FnMut(Quarantined) -> Result<(), InfraError>,
) -> Result<Ingest, InfraError> {
    let mut ing = Ingest::default();
    if paths.len() > usize::from(u16::MAX) {
        return Err(InfraError::Usage(format!(
            "at most {} input files",
            u16::MAX
        )));
    }
    for (k, path) in paths.iter().enumerate() {
        let name = if path.as_os_str() == "-" {
            "-".to_string()
        } else {
            path.display().to_string()
        };
        let mut counts = lockstep_weblog::Counts::default();
        let (tx, rx) = std::sync::mpsc::sync_channel::<lockstep_weblog::LineBlock>(3);
        let digest = std::thread::scope(|s| -> Result<lockstep_weblog::Digest, InfraError> {
            let reader = s.spawn(move || {
                lockstep_weblog::read_blocks::<InfraError>(path, &cfg.limits, &mut |b| {
                    tx.send(b)
                        .map_err(|_| InfraError::Internal("parser stopped".into()))
                })
            });
            for block in rx.iter() {
                let lines: Vec<Line<'_>> = block.lines().collect();
                let parsed: Vec<Vec<Item>> = lines
                    .par_chunks(1024)
                    .map_init(Classifier::default, |c, chunk| {
                        // Each name once per chunk: the merge that follows runs on one thread.
                        let mut seen = rustc_hash::FxHashSet::default();
                        chunk
                            .iter()
                            .map(|l| match *l {
                                Line::Text(n, t) => {
                                    let mut item = parse_one(n, t, cfg, c, k as u16);
                                    if let Item::Obs(_, _, names, _) = &mut item {
                                        names.retain(|(h, _)| seen.insert(*h));
                                    }
                                    item
                                }
                                Line::TooLong {
                                    number,
                                    bytes,
                                    head,
                                } => Item::Bad(
                                    number,
                                    lockstep_weblog::too_long_reason(bytes, cfg.limits.max_line),
                                    head.to_vec(),
                                ),
                            })
                            .collect()
                    })
                    .collect();
                for item in parsed.into_iter().flatten() {
                    match item {
                        Item::Blank => {}
                        Item::Other(f) => {
                            counts.read += 1;
                            counts.accepted += 1;
                            *counts.formats.entry(f).or_default() += 1;
                        }
                        Item::Obs(mut o, d, names, f) => {
                            counts.read += 1;
                            counts.accepted += 1;
                            *counts.formats.entry(f).or_default() += 1;
                            if let Some(d) = d {
                                o.detail = ing.details.len() as u32;
                                ing.details.push(d);
                            }
                            for (hash, s) in names {
                                ing.names.entry(hash).or_insert(s);
                            }
                            ing.obs.push(o);
                        }
                        Item::Bad(n, reason, raw) => {
                            counts.read += 1;
                            counts.quarantined += 1;
                            on_bad(lockstep_weblog::quarantined(&name, n, reason, &raw))?;
                        }
                    }
                }
            }
            reader
                .join()
                .map_err(|_| InfraError::Internal("reader thread panicked".into()))?
        })?;
        ing.quarantined += counts.quarantined;
        ing.inputs.push(InputFile {
            path: name,
            sha256: digest.sha256,
            bytes: digest.bytes,
            format: counts.format_name(),
            read: counts.read,
            accepted: counts.accepted,
            quarantined: counts.quarantined,
        });
    }
    Ok(ing)
}
