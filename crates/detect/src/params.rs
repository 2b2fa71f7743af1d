//! Every tunable of a detection run. The command-line flags are derived from this type and the
//! defaults are defined once, in its `#[arg]` attributes: [`Params::default`] parses an empty
//! command line, so `--help`, the manifest and library users all see the same values.

use clap::Args;
use lockstep_read::ReadLimits;
use lockstep_trace::LayerKind;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Parameters of `lockstep detect`. All of them are recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Args)]
pub struct Params {
    /// Co-action window in seconds: two accounts co-act when they emit the same trace at most
    /// this far apart (inclusive).
    #[arg(long = "window", value_name = "SECONDS", default_value_t = 60.0, value_parser = seconds)]
    pub window_s: f64,
    /// Behavioural layers, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = LayerParser,
        default_values_t = LayerKind::DEFAULT
    )]
    pub layers: Vec<LayerKind>,
    /// The fast sub-network: co-actions at most this many seconds apart are also counted as
    /// fast, per edge and per cluster (CooRTweet's "faster" network).
    #[arg(long = "fast-window", value_name = "SECONDS", default_value_t = 10.0, value_parser = seconds)]
    pub fast_window_s: f64,
    /// Work bound: a hit pairs with at most this many earlier hits in its window, the nearest
    /// in time (hits that had more are reported as crowded).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(2..))]
    pub max_crowd: u32,
    /// Benjamini–Hochberg false-discovery rate for keeping edges, in (0, 1]; `off` keeps every
    /// edge.
    #[arg(long, default_value_t = Fdr(Some(0.01)))]
    pub fdr: Fdr,
    /// An edge needs at least this many co-actions.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_co_actions: u32,
    /// CooRTweet's filter: keep an edge only if one of its accounts takes part in at least
    /// this many co-actions overall (0 = off).
    #[arg(long, default_value_t = 0)]
    pub min_participation: u32,
    /// Smallest cluster reported.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(2..))]
    pub min_cluster_size: usize,
    /// A cluster needs this mean number of significant partners per member inside it; smaller
    /// clusters must be complete. Chance links form sparse trees (mean degree ≈ 2).
    #[arg(long, default_value_t = 4.0, value_parser = non_negative)]
    pub min_mean_degree: f64,
    /// Leiden modularity resolution.
    #[arg(long, default_value_t = 1.0, value_parser = positive)]
    pub resolution: f64,
    /// Seed of Leiden's random node order (fixed: same input ⇒ same clusters).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Near-duplicate text: Jaccard similarity of word-bigram sets at which two texts are one.
    #[arg(long, default_value_t = 0.5, value_parser = unit_interval)]
    pub text_similarity: f64,
    /// Near-duplicate *scripts* co-act within this many seconds (paid influencers post a
    /// script across a day); applies to text families of at least --text-script-words words.
    #[arg(long = "text-window", value_name = "SECONDS", default_value_t = 86_400.0, value_parser = seconds)]
    pub text_window_s: f64,
    /// A near-duplicate text family counts as a script from this many words; shorter ones
    /// keep --window (short phrases are shared organically).
    #[arg(long, default_value_t = 15)]
    pub text_script_words: usize,
    /// Texts with fewer words than this never match (too short to be evidence: "wow").
    #[arg(long, default_value_t = 4)]
    pub text_min_tokens: usize,
    /// Memory budget in MiB for the run: the sweep's pair records spill to temporary files in
    /// TMPDIR once the process nears it, and a run that needs more for what cannot spill
    /// stops (reading, part way) or fails between stages, naming the budget it needs. Without
    /// it nothing is refused and the pair records spill past 3 GiB. Changes speed and memory
    /// use, never results.
    #[arg(long, value_parser = clap::value_parser!(u64).range(MIN_STORE_MIB..))]
    pub memory_mib: Option<u64>,
    /// Amplifiers: accounts outside the clusters, with histories of their own (7 or more
    /// active days), that post a cluster's campaign traces in its campaign windows (hours
    /// when many others adopt them at once) on 2 or more days, far more than their own clock
    /// predicts; reported as `amplifier` of the cluster, apart from its members.
    /// Benjamini–Hochberg rate of the windows and of the amplifiers, in (0, 1]; `off` finds
    /// none.
    #[arg(long, default_value_t = Fdr(Some(0.05)))]
    pub amplifier_fdr: Fdr,
    /// TOML watchlist of entities (candidates, parties): each cluster reports which it
    /// promotes or attacks.
    #[arg(long, value_name = "FILE")]
    pub watchlist: Option<PathBuf>,
    /// Put a `'` before CSV cells a spreadsheet would run as formulas (names beginning with
    /// =, +, -, @, tab or CR). Off by default: the CSVs then hold every name exactly.
    #[arg(long)]
    pub spreadsheet_safe: bool,
    /// For clean rooms (TikTok's VCE, Meta's Content Library): the case holds cluster-level
    /// counts, signals and timelines, and no account names, post ids or texts: no
    /// accounts.csv, edges.csv, graph files or self_amplification.csv; clusters without
    /// members, leaders, evidence posts or traces naming accounts, posts or texts.
    #[arg(long)]
    pub aggregates_only: bool,
    /// The Traffic Light Protocol marking of stix.json: clear, green, amber or red.
    #[arg(long, value_name = "LEVEL", default_value_t = lockstep_stix::Tlp::Amber)]
    pub tlp: lockstep_stix::Tlp,
    /// What one input may make the readers hold or wait for.
    #[command(flatten)]
    #[serde(flatten)]
    pub read: ReadParams,
}

/// The readers' bounds on hostile input ([`lockstep_read::ReadLimits`], whose defaults these
/// flags take: they are defined there, once).
#[derive(Debug, Clone, PartialEq, Serialize, Args)]
pub struct ReadParams {
    /// Longest record in bytes (a JSON line; a CSV record with the line breaks of its quoted
    /// fields): a longer one is quarantined without being held whole.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::default().max_record_bytes, value_parser = at_least_one)]
    pub max_record_bytes: usize,
    /// Most lines a CSV record may span: a quoted field still open after this many is taken
    /// for a stray quote (its line is quarantined and reading resumes after it).
    #[arg(long, value_name = "LINES", default_value_t = ReadLimits::default().max_record_lines, value_parser = at_least_one)]
    pub max_record_lines: usize,
    /// Largest file of pretty-printed JSON documents in bytes (read into memory whole; a
    /// larger one is an error: write it as JSON lines). Telegram exports are streamed.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::default().max_document_bytes, value_parser = at_least_one)]
    pub max_document_bytes: usize,
    /// Deepest nesting of JSON arrays around records (and of Telegram chats in chats);
    /// deeper is quarantined.
    #[arg(long, value_name = "LEVELS", default_value_t = ReadLimits::default().max_json_depth, value_parser = at_least_one)]
    pub max_json_depth: usize,
    /// Largest ratio of decompressed to compressed size a gzip or zstd input may reach past
    /// 64 MiB of content before it is refused as a decompression bomb (0 = off).
    #[arg(long, value_name = "RATIO", default_value_t = ReadLimits::default().max_expansion)]
    pub max_expansion: u64,
    /// How long to wait for a named pipe (FIFO) given as input to get a writer and data.
    #[arg(long = "fifo-wait", value_name = "SECONDS", default_value_t = ReadLimits::default().fifo_wait.as_secs_f64(), value_parser = seconds)]
    pub fifo_wait_s: f64,
}

impl ReadParams {
    /// The limits the readers are given.
    pub fn limits(&self) -> ReadLimits {
        ReadLimits {
            max_record_bytes: self.max_record_bytes,
            max_record_lines: self.max_record_lines,
            max_document_bytes: self.max_document_bytes,
            max_json_depth: self.max_json_depth,
            max_expansion: self.max_expansion,
            expansion_floor: ReadLimits::default().expansion_floor,
            fifo_wait: std::time::Duration::try_from_secs_f64(self.fifo_wait_s)
                .unwrap_or(std::time::Duration::MAX),
        }
    }
}

/// Memory the sweep's pair store may always use, whatever `memory_mib` leaves.
pub const MIN_STORE_MIB: u64 = lockstep_core::memory::SWEEP_MIN_MIB;

/// What the pair store may fill, less the peak so far, without `--memory-mib`.
pub const DEFAULT_STORE_MIB: u64 = 3072;

impl Default for Params {
    /// The defaults of the flags: an empty command line.
    fn default() -> Self {
        use clap::{FromArgMatches, Parser};
        #[derive(Parser)]
        struct Empty {
            #[command(flatten)]
            params: Params,
        }
        let m = <Empty as clap::CommandFactory>::command()
            .no_binary_name(true)
            .get_matches_from(std::iter::empty::<String>());
        Empty::from_arg_matches(&m)
            .expect("the defaults of the flags parse")
            .params
    }
}

/// A false-discovery rate in (0, 1], or none (`off`: every edge is kept).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fdr(pub Option<f64>);

impl FromStr for Fdr {
    type Err = String;
    fn from_str(s: &str) -> Result<Fdr, String> {
        match s.trim() {
            "off" | "none" => Ok(Fdr(None)),
            t => match t.parse::<f64>() {
                Ok(v) if v > 0.0 && v <= 1.0 => Ok(Fdr(Some(v))),
                _ => Err(format!("must be in (0, 1] or `off`, got {s:?}")),
            },
        }
    }
}

impl fmt::Display for Fdr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v}"),
            None => f.write_str("off"),
        }
    }
}

impl Serialize for Fdr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Parses a layer by name or alias; `--help` lists the names from [`LayerKind`] itself.
#[derive(Clone)]
struct LayerParser;

impl clap::builder::TypedValueParser for LayerParser {
    type Value = LayerKind;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<LayerKind, clap::Error> {
        let text = value.to_string_lossy();
        LayerKind::parse(&text).ok_or_else(|| {
            let known: Vec<&str> = LayerKind::ALL.iter().map(|l| l.name()).collect();
            let mut e = clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd);
            if let Some(arg) = arg {
                e.insert(
                    clap::error::ContextKind::InvalidArg,
                    clap::error::ContextValue::String(arg.to_string()),
                );
            }
            e.insert(
                clap::error::ContextKind::InvalidValue,
                clap::error::ContextValue::String(text.into_owned()),
            );
            e.insert(
                clap::error::ContextKind::ValidValue,
                clap::error::ContextValue::Strings(known.iter().map(|s| s.to_string()).collect()),
            );
            e
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            LayerKind::ALL
                .iter()
                .map(|l| clap::builder::PossibleValue::new(l.name())),
        ))
    }
}

fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("not a number: {s:?}"))
}

fn seconds(s: &str) -> Result<f64, String> {
    number(s).and_then(|v| {
        if v >= 0.0 {
            Ok(v)
        } else {
            Err("must be a non-negative number of seconds".into())
        }
    })
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!("must be a whole number ≥ 1, got {s:?}")),
    }
}

fn non_negative(s: &str) -> Result<f64, String> {
    number(s).and_then(|v| {
        if v >= 0.0 {
            Ok(v)
        } else {
            Err("must be ≥ 0".into())
        }
    })
}

fn positive(s: &str) -> Result<f64, String> {
    number(s).and_then(|v| {
        if v > 0.0 {
            Ok(v)
        } else {
            Err("must be > 0".into())
        }
    })
}

fn unit_interval(s: &str) -> Result<f64, String> {
    number(s).and_then(|v| {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err("must be in [0, 1]".into())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_flags_defaults() {
        let p = Params::default();
        assert_eq!(p.window_s, 60.0);
        assert_eq!(p.layers, LayerKind::DEFAULT.to_vec());
        assert_eq!(p.fdr, Fdr(Some(0.01)));
        assert_eq!(p.max_crowd, 30);
        assert_eq!(p.memory_mib, None);
        assert_eq!(p.watchlist, None);
        assert_eq!(p.read.limits(), ReadLimits::default());
    }

    #[test]
    fn fdr_parses_and_prints() {
        assert_eq!("off".parse::<Fdr>(), Ok(Fdr(None)));
        assert_eq!("0.05".parse::<Fdr>(), Ok(Fdr(Some(0.05))));
        assert!("2".parse::<Fdr>().is_err());
        assert!("0".parse::<Fdr>().is_err());
        assert_eq!(Fdr(Some(0.01)).to_string(), "0.01");
        assert_eq!(serde_json::to_string(&Fdr(None)).unwrap(), "null");
    }
}
