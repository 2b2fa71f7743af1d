//! Every tunable of `lockstep infra`, with the defaults a user gets without tuning. The
//! manifest records all of them; `--help` prints the same defaults.

use serde::Serialize;

/// What counts as one actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorLevel {
    /// Each address is an actor.
    Address,
    /// Each IPv4 /24 and IPv6 /48 is an actor (for pools that rotate addresses per request).
    Prefix,
    /// Each autonomous system (from `--mmdb`) is an actor; addresses no database places in
    /// one stay actors of their own.
    Asn,
}

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// Two sources co-act when they emit the same trace within this many seconds.
    pub window_s: f64,
    /// A hit pairs with at most this many earlier hits in its window (the nearest).
    pub max_crowd: u32,
    /// Benjamini–Hochberg false-discovery rate for keeping edges.
    pub fdr: f64,
    /// Clusters are formed from edges with q at most this (the strong core); weaker
    /// significant edges are counted but join no one to a campaign (with millions of true
    /// edges, Benjamini–Hochberg lets weak chance edges through).
    pub core_q: f64,
    /// Sources with this many attempts within one hour are loud enough for a per-address
    /// threshold: reported and blocklisted on their own, kept out of the co-action test
    /// (a scanner that hits every payload at once meets everyone).
    pub loud_per_hour: u32,
    pub min_co_actions: u32,
    pub min_cluster_size: usize,
    pub min_mean_degree: f64,
    pub resolution: f64,
    pub seed: u64,
    pub actor: ActorLevel,
    /// Login attempts (not successes) from one source within an hour that make it a brute
    /// forcer.
    pub brute_force_per_hour: u32,
    /// Distinct user names one source fails with that make it a credential stuffer/sprayer.
    pub spray_users: u32,
    /// Distinct sources failing on one user name within an hour: a distributed attack on it.
    pub distributed_sources: u32,
    /// Requests per minute from one source to one target that are a flood by themselves.
    pub flood_per_minute: u32,
    /// A target's minute is a burst when it has this many times its median minute…
    pub flood_burst_factor: f64,
    /// …and at least this many requests.
    pub flood_burst_min: u32,
    /// In a burst minute, a source with this many requests to the target takes part.
    pub flood_burst_per_source: u32,
    /// Distinct 404 targets from one source within ten minutes: forced browsing.
    pub forced_browsing_404s: u32,
    /// Sources with at least this many attempts go on the blocklist (clustered sources always).
    pub block_min_attempts: u32,
    /// Lifetime of blocklist/CrowdSec decisions, in hours.
    pub block_hours: u32,
    /// Trusted proxies (CIDR) whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<String>,
    /// Year for BSD syslog lines (which carry none); `None`: the year of the latest dated
    /// record in the inputs.
    pub syslog_year: Option<i32>,
    /// MaxMind-format databases for country and ASN.
    pub mmdb: Vec<std::path::PathBuf>,
    /// Soft memory budget (MiB) for the sweep's pair store.
    pub memory_mib: u64,
    /// Longest log line parsed, in bytes; longer ones are quarantined unread.
    pub max_line_bytes: usize,
    /// Largest decompressed-to-compressed ratio of a gzip/zstd input past 64 MiB of content
    /// (a decompression bomb is refused); `0` turns the check off.
    pub max_expansion: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window_s: 300.0,
            max_crowd: 30,
            fdr: 0.01,
            core_q: 1e-4,
            loud_per_hour: 120,
            min_co_actions: 2,
            min_cluster_size: 3,
            min_mean_degree: 4.0,
            resolution: 1.0,
            seed: 42,
            actor: ActorLevel::Address,
            brute_force_per_hour: 10,
            spray_users: 5,
            distributed_sources: 10,
            flood_per_minute: 120,
            flood_burst_factor: 10.0,
            flood_burst_min: 600,
            flood_burst_per_source: 20,
            forced_browsing_404s: 20,
            block_min_attempts: 3,
            block_hours: 24,
            trusted_proxies: Vec::new(),
            syslog_year: None,
            mmdb: Vec::new(),
            memory_mib: 3072,
            max_line_bytes: lockstep_weblog::MAX_LINE,
            max_expansion: lockstep_weblog::Limits::default().read.max_expansion,
        }
    }
}
