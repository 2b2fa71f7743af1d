//! Every tunable of a detection run, with the defaults a user gets without tuning.

use lockstep_trace::LayerKind;
use serde::Serialize;

/// Parameters of `lockstep detect`. All of them are recorded in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// Two accounts co-act when they emit the same trace within this many seconds.
    pub window_s: f64,
    /// Behavioural layers in use.
    #[serde(serialize_with = "layer_names")]
    pub layers: Vec<LayerKind>,
    /// A hit pairs with at most this many earlier hits in its window, the nearest in time (the
    /// bound on work per hit; hits that had more are reported as crowded).
    pub max_crowd: u32,
    /// Benjamini–Hochberg false-discovery rate for keeping edges; `None` keeps all edges.
    pub fdr: Option<f64>,
    /// An edge needs at least this many co-actions.
    pub min_co_actions: u32,
    /// CooRTweet-style filter: an edge is kept only if one of its accounts takes part in at
    /// least this many co-actions overall (0 = off).
    pub min_participation: u32,
    /// Smallest cluster reported.
    pub min_cluster_size: usize,
    /// A cluster needs this mean number of significant partners per member inside it; smaller
    /// clusters must be complete. Chance links form sparse trees (mean degree ≈ 2).
    pub min_mean_degree: f64,
    /// Leiden modularity resolution.
    pub resolution: f64,
    /// Seed of Leiden's random node order (fixed: same input ⇒ same clusters).
    pub seed: u64,
    /// Near-duplicate text: Jaccard similarity of word-bigram sets at which two texts are one.
    pub text_similarity: f64,
    /// Window for near-duplicate *scripts*, in seconds: copy-paste scripts (paid influencers)
    /// are posted across a day, not within a minute. Applies to text families of at least
    /// `text_script_words` words — a long text repeated nearly verbatim is a script, while
    /// short phrases ("partea 2 te rog") are shared organically and keep `window_s`.
    pub text_window_s: f64,
    pub text_script_words: usize,
    /// Texts with fewer tokens than this never match (too short to be evidence: "wow").
    pub text_min_tokens: usize,
    /// Soft memory budget in MiB: the sweep keeps its pair records in memory while the
    /// process stays below this and spills the rest to temporary files (`TMPDIR`); at least
    /// [`MIN_STORE_MIB`] stay in memory. Changes speed and memory, never results.
    pub memory_mib: u64,
    /// A TOML watchlist of entities (candidates, parties): each cluster reports which it
    /// promotes or attacks.
    pub watchlist: Option<std::path::PathBuf>,
}

/// Memory the sweep's pair store may always use, whatever `memory_mib` leaves.
pub const MIN_STORE_MIB: u64 = 256;

fn layer_names<S: serde::Serializer>(layers: &[LayerKind], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(layers.iter().map(|l| l.name()))
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window_s: 60.0,
            layers: LayerKind::DEFAULT.to_vec(),
            max_crowd: 30,
            fdr: Some(0.01),
            min_co_actions: 2,
            min_participation: 0,
            min_cluster_size: 3,
            min_mean_degree: 4.0,
            resolution: 1.0,
            seed: 42,
            text_similarity: 0.5,
            text_min_tokens: 4,
            text_window_s: 86_400.0,
            text_script_words: 15,
            memory_mib: 3072,
            watchlist: None,
        }
    }
}
