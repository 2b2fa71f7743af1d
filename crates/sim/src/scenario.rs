//! The scenario: every knob of a simulation, with defaults that reproduce the Romanian case.
//!
//! Every struct is `#[serde(default)]`, so a TOML file names only what it changes; unknown keys
//! are rejected so that a typo does not silently fall back to a default.

use std::fmt;
use std::path::Path;

use crate::error::SimError;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Unix seconds (UTC). Written as RFC 3339; read from an RFC 3339 string, a plain date, a TOML
/// datetime or an integer of unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn parse(s: &str) -> Result<Timestamp, SimError> {
        lockstep_core::parse_time_ms(s)
            .map(|ms| Timestamp(ms.div_euclid(1000)))
            .map_err(|message| SimError::Time {
                text: s.to_string(),
                message,
            })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&lockstep_core::format_time(self.0 * 1000))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 time, a date or unix seconds")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Timestamp, E> {
                Timestamp::parse(s).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v).map(Timestamp).map_err(E::custom)
            }
            // The toml crate hands native datetimes (`start = 2024-10-28T00:00:00Z`) over as a
            // one-entry map holding the datetime's text.
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Timestamp, A::Error> {
                let (_, text): (String, String) = map
                    .next_entry()?
                    .ok_or_else(|| de::Error::custom("empty datetime"))?;
                Timestamp::parse(&text).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A population size: an absolute count (`40`) or a fraction of `accounts` (`0.04`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Size {
    Count(u64),
    Fraction(f64),
}

impl Size {
    /// Smallest cluster a non-zero fraction resolves to, so that tiny test scenarios still
    /// contain every campaign.
    pub const MIN_GROUP: usize = 3;

    pub fn resolve(self, accounts: usize) -> usize {
        match self {
            Size::Count(n) => n as usize,
            Size::Fraction(f) if f <= 0.0 => 0,
            Size::Fraction(f) => ((f * accounts as f64).round() as usize).max(Self::MIN_GROUP),
        }
    }
}

/// A candidate and how often organic accounts talk about them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CandidateKnobs {
    /// Key used elsewhere in the scenario (`georgescu`); known keys get their real name and tags.
    pub name: String,
    /// Relative share of organic political talk.
    pub weight: f64,
}

impl Default for CandidateKnobs {
    fn default() -> Self {
        CandidateKnobs {
            name: "candidate".into(),
            weight: 1.0,
        }
    }
}

/// Ordinary accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Organic {
    /// Median videos per account per day; per-account rates are lognormal around it.
    pub posts_per_day_median: f64,
    /// Lognormal sigma of per-account rates: the heavy tail (a few accounts post hundreds).
    pub posts_sigma: f64,
    pub posts_per_day_max: f64,
    /// Comments per video an account posts, on average (comments are a minority of actions).
    pub comment_ratio: f64,
    /// How long after a video organic comments arrive: lognormal median (seconds) and sigma.
    pub comment_delay_median_s: f64,
    pub comment_delay_sigma: f64,
    /// Share of comments that go to the most viewed recent videos (virality).
    pub hot_comment_share: f64,
    /// Share of accounts that talk politics at all, and how often those do.
    pub political_share: f64,
    pub political_post_share: f64,
    /// Topical hashtag vocabulary size and Zipf exponent.
    pub tag_vocabulary: usize,
    pub tag_zipf: f64,
    /// Shared sounds and their Zipf exponent; the rest use their own original sound.
    pub sounds: usize,
    pub sound_zipf: f64,
    pub original_sound_share: f64,
    pub mention_share: f64,
    /// Accounts outside Romania (diaspora): their `region_code` is not `RO`.
    pub foreign_share: f64,
    /// Views of an ordinary video: lognormal median and sigma (times the account's reach).
    pub views_median: f64,
    pub views_sigma: f64,
    /// One official account per candidate (big reach, political posts): targets of floods.
    pub official_accounts: bool,
}

impl Default for Organic {
    fn default() -> Self {
        Organic {
            posts_per_day_median: 0.18,
            posts_sigma: 1.3,
            posts_per_day_max: 15.0,
            comment_ratio: 0.5,
            comment_delay_median_s: 7200.0,
            comment_delay_sigma: 1.8,
            hot_comment_share: 0.3,
            political_share: 0.3,
            political_post_share: 0.25,
            tag_vocabulary: 5000,
            tag_zipf: 1.1,
            sounds: 50_000,
            sound_zipf: 0.95,
            original_sound_share: 0.35,
            mention_share: 0.06,
            foreign_share: 0.07,
            views_median: 400.0,
            views_sigma: 1.6,
            official_accounts: true,
        }
    }
}

/// Hard negative: trending events (a debate, a match, a storm).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Trend {
    /// Multiplies the number of participants.
    pub intensity: f64,
    /// Events spread over the period (debates, matches, storms in turn).
    pub events: usize,
    /// Participants per event, drawn log-uniformly between these.
    pub participants_min: Size,
    pub participants_max: Size,
    /// Arrival after the event starts: two exponential stages of this mean (peak near it).
    pub arrival_minutes: f64,
    /// Share of participants who post late (exponential, mean `late_minutes`).
    pub late_share: f64,
    pub late_minutes: f64,
    /// A shared pool of politics fans who join debate events again and again.
    pub fans: Size,
    pub fan_join: f64,
    /// Share of fans' debate posts that also carry candidates' hashtags.
    pub fan_candidate_tags: f64,
}

impl Default for Trend {
    fn default() -> Self {
        Trend {
            intensity: 1.0,
            events: 6,
            participants_min: Size::Fraction(0.006),
            participants_max: Size::Fraction(0.05),
            arrival_minutes: 10.0,
            late_share: 0.05,
            late_minutes: 90.0,
            fans: Size::Fraction(0.006),
            fan_join: 0.7,
            fan_candidate_tags: 0.5,
        }
    }
}

/// Hard negative: sounds that thousands use over days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ViralSound {
    pub intensity: f64,
    pub sounds: usize,
    /// Users per sound.
    pub users: Size,
    pub days_min: usize,
    pub days_max: usize,
}

impl Default for ViralSound {
    fn default() -> Self {
        ViralSound {
            intensity: 1.0,
            sounds: 4,
            users: Size::Fraction(0.03),
            days_min: 3,
            days_max: 8,
        }
    }
}

/// Hard negative: caption-template challenges copied over days, not synchronised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Challenge {
    pub intensity: f64,
    pub challenges: usize,
    pub participants: Size,
    pub days: usize,
    /// Chance a participant changes the template a little.
    pub variation: f64,
    /// Chance a participant uses the challenge's sound.
    pub sound_share: f64,
}

impl Default for Challenge {
    fn default() -> Self {
        Challenge {
            intensity: 1.0,
            challenges: 3,
            participants: Size::Fraction(0.015),
            days: 6,
            variation: 0.6,
            sound_share: 0.9,
        }
    }
}

/// Hard negative: genuine volunteer communities, one per candidate, each on its own clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Volunteer {
    /// Multiplies the posting rate.
    pub intensity: f64,
    pub candidates: Vec<String>,
    /// Members per community.
    pub size: Size,
    /// Posts about the candidate per member per day (rising towards the vote).
    pub posts_per_day: f64,
}

impl Default for Volunteer {
    fn default() -> Self {
        Volunteer {
            intensity: 1.0,
            candidates: ["georgescu", "lasconi", "ciolacu", "simion", "geoana"]
                .map(String::from)
                .to_vec(),
            size: Size::Fraction(0.005),
            posts_per_day: 0.5,
        }
    }
}

/// Campaign: the large promotion network run by a coordinator's orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    pub size: Size,
    pub candidate: String,
    /// Aged accounts at ~1% activity until activation, and accounts created after the hub.
    pub sleeper_share: f64,
    pub new_share: f64,
    /// Activity before activation relative to an ordinary account.
    pub sleeper_activity: f64,
    pub new_activity: f64,
    pub orders_per_day: f64,
    /// Chance a member executes an order.
    pub participation: f64,
    /// Share of members who execute only now and then: each order with chance
    /// `occasional_participation` instead (the network's long tail of barely active members).
    pub occasional_share: f64,
    pub occasional_participation: f64,
    /// Execution delay after the order: lognormal median (seconds) and sigma.
    pub delay_median_s: f64,
    pub delay_sigma: f64,
    /// Members' own pace: each member's median delay is `delay_median_s` times a lognormal
    /// factor of this sigma, drawn once (0: everyone shares the median). Habitually slow
    /// members execute minutes to hours after the others, order after order.
    pub delay_member_sigma: f64,
    /// Members who execute hours later (uniform up to `straggler_max_hours`).
    pub straggler_share: f64,
    pub straggler_max_hours: f64,
    /// No execution comes later than this after its order (caps the lognormal's tail).
    pub delay_max_hours: f64,
    /// Share of members' posts after activation that are ordinary-looking camouflage.
    pub camouflage_share: f64,
    /// The marker hashtag, its rate on order posts, and the members who tag everything with it.
    pub marker: String,
    pub marker_rate: f64,
    pub marker_accounts: f64,
    /// Chance a participant uses the order's sound.
    pub sound_share: f64,
    /// Chance a participant edits the caption (word swaps, drops, emoji, case, tag order), and
    /// the mean number of edits beyond the first (Poisson).
    pub edit_rate: f64,
    pub extra_edits: f64,
    /// Mean number of the member's own words (Poisson) put into each executed caption:
    /// personalised copies, not just edited ones.
    pub personal_words: f64,
    /// Mean number of the member's own tags (Poisson; their home topics or generic ones)
    /// added to each executed caption, so that executions rarely share one tag set.
    pub personal_tags: f64,
    /// The extra wave the day before the vote.
    pub eve_orders: usize,
    pub eve_participation: f64,
    /// Share of members whose names follow the network's templates.
    pub template_names: f64,
    /// Comments per member per day under the network's own videos, after activation.
    pub comments_per_day: f64,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            size: Size::Fraction(0.04),
            candidate: "georgescu".into(),
            sleeper_share: 0.15,
            new_share: 0.35,
            sleeper_activity: 0.01,
            new_activity: 0.05,
            orders_per_day: 3.0,
            participation: 0.6,
            occasional_share: 0.0,
            occasional_participation: 0.1,
            delay_median_s: 40.0,
            delay_sigma: 1.0,
            delay_member_sigma: 0.0,
            straggler_share: 0.05,
            straggler_max_hours: 6.0,
            delay_max_hours: 24.0,
            camouflage_share: 0.2,
            marker: "cg11".into(),
            marker_rate: 0.95,
            marker_accounts: 0.25,
            sound_share: 0.85,
            edit_rate: 0.9,
            extra_edits: 0.7,
            personal_words: 0.0,
            personal_tags: 0.0,
            eve_orders: 6,
            eve_participation: 0.85,
            template_names: 0.4,
            comments_per_day: 0.3,
        }
    }
}

/// Campaign: a comment-only network flooding other creators' and rivals' videos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommentFlood {
    pub size: Size,
    pub candidate: String,
    pub targets_per_day: f64,
    pub participation: f64,
    pub delay_median_s: f64,
    pub delay_sigma: f64,
    pub eve_targets: usize,
    pub eve_participation: f64,
}

impl Default for CommentFlood {
    fn default() -> Self {
        CommentFlood {
            size: Size::Fraction(0.02),
            candidate: "georgescu".into(),
            targets_per_day: 4.0,
            participation: 0.5,
            delay_median_s: 10.0,
            delay_sigma: 1.0,
            eve_targets: 8,
            eve_participation: 0.8,
        }
    }
}

/// Campaign: a small tight cluster attacking a rival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Smear {
    pub size: Size,
    pub target: String,
    pub hashtag: String,
    pub waves_per_day: f64,
    pub participation: f64,
    pub delay_median_s: f64,
    pub delay_sigma: f64,
    /// Share of posts that copy the wave's text exactly (the rest carry one small edit).
    pub exact_share: f64,
    /// Ordinary-looking posts per member per day.
    pub camouflage_per_day: f64,
}

impl Default for Smear {
    fn default() -> Self {
        Smear {
            size: Size::Fraction(0.0008),
            target: "lasconi".into(),
            hashtag: "lasconiminte".into(),
            waves_per_day: 2.0,
            participation: 0.8,
            delay_median_s: 20.0,
            delay_sigma: 0.7,
            exact_share: 0.5,
            camouflage_per_day: 0.05,
        }
    }
}

/// Campaign: paid creators with ordinary histories, briefed with a hashtag, a few days and a
/// message — not a text. On each campaign day each creator who takes part writes the message
/// in their own words and posts it at their own moment within a window of a few hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Influencer {
    pub size: Size,
    /// The campaign hashtag every campaign post carries.
    pub hashtag: String,
    /// The campaign days (their UTC dates count; a day outside the period is skipped).
    pub days: Vec<Timestamp>,
    /// Chance a creator posts on a campaign day: each creator has their own, drawn uniformly
    /// in `participation ± participation_spread` (clamped to 0..=1).
    pub participation: f64,
    pub participation_spread: f64,
    /// Local hour at which a campaign day's posting window opens, drawn per day between these.
    pub open_hour_min: f64,
    pub open_hour_max: f64,
    /// Length of a campaign day's posting window: each creator posts at their own moment in it.
    pub post_window_hours: f64,
    /// Creators' ordinary pace: median videos per day (lognormal with `posts_sigma`).
    pub posts_per_day_median: f64,
    pub posts_sigma: f64,
    /// Views multiplier against an ordinary account (a proxy for followers).
    pub reach: f64,
    /// The old behaviour: every creator posts one shared, lightly edited script per brief
    /// (`briefs` spread from `start` to the vote, each within `window_hours` of its brief,
    /// each with chance `participation`). `days`, `participation_spread`, the window hours and
    /// the creators' pace are then unused.
    pub script: bool,
    /// Script mode only: the first brief, the number of briefs and each post's window.
    pub start: Timestamp,
    pub briefs: usize,
    pub window_hours: f64,
}

impl Default for Influencer {
    fn default() -> Self {
        Influencer {
            size: Size::Fraction(0.002),
            hashtag: "echilibrusiverticalitate".into(),
            days: vec![
                Timestamp(1_731_456_000), // 2024-11-13
                Timestamp(1_731_888_000), // 2024-11-18
                Timestamp(1_732_233_600), // 2024-11-22
            ],
            participation: 0.7,
            participation_spread: 0.1,
            open_hour_min: 12.0,
            open_hour_max: 18.0,
            post_window_hours: 4.0,
            posts_per_day_median: 0.8,
            posts_sigma: 0.5,
            reach: 30.0,
            script: false,
            start: Timestamp(1_731_456_000), // 2024-11-13
            briefs: 4,
            window_hours: 24.0,
        }
    }
}

/// Hard negative: genuine supporters of a candidate who use the campaigns' hashtags (the
/// influencers' tag, the network's marker and tags) and the candidate's link in their own
/// posts, each on their own clock over the weeks — never together on the campaign days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Supporter {
    pub size: Size,
    pub candidate: String,
    /// Posts about the candidate per supporter per day (rising towards the vote), on top of
    /// their ordinary posts.
    pub posts_per_day: f64,
    /// Chance such a post carries the influencer campaign's hashtag, the network's marker.
    pub campaign_tag: f64,
    pub marker_tag: f64,
    /// Chance it quotes one of the network's slogans (as fans repeat them).
    pub slogan_share: f64,
    /// Chance it carries `link` (the candidate's page).
    pub link_share: f64,
    pub link: String,
}

impl Default for Supporter {
    fn default() -> Self {
        Supporter {
            size: Size::Fraction(0.003),
            candidate: "georgescu".into(),
            posts_per_day: 0.3,
            campaign_tag: 0.7,
            marker_tag: 0.25,
            slogan_share: 0.3,
            link_share: 0.15,
            link: "https://calingeorgescu.ro".into(),
        }
    }
}

/// Campaign: an exact copy-paste bot cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Copypasta {
    pub size: Size,
    pub candidate: String,
    pub start: Timestamp,
    pub days: usize,
    pub waves_per_day: f64,
    pub participation: f64,
    pub jitter_median_s: f64,
    pub jitter_sigma: f64,
}

impl Default for Copypasta {
    fn default() -> Self {
        Copypasta {
            size: Size::Fraction(0.0012),
            candidate: "geoana".into(),
            start: Timestamp(1_731_974_400), // 2024-11-19
            days: 3,
            waves_per_day: 8.0,
            participation: 0.9,
            jitter_median_s: 3.0,
            jitter_sigma: 0.5,
        }
    }
}

/// Everything that defines one simulated data set. Same scenario ⇒ byte-identical output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    /// Total accounts, organic and campaign.
    pub accounts: usize,
    pub start: Timestamp,
    /// Exclusive end: the vote (24 Nov).
    pub end: Timestamp,
    /// The date the network switched on (11 Nov).
    pub activation: Timestamp,
    /// Local time for the daily rhythm (Romania is UTC+2 in November).
    pub utc_offset_hours: i64,
    /// Write `videos.jsonl.gz` and `comments.ndjson.gz`.
    pub gzip: bool,
    pub organic: Organic,
    pub trend: Trend,
    pub viral_sound: ViralSound,
    pub challenge: Challenge,
    pub volunteer: Volunteer,
    pub supporter: Supporter,
    pub network: Network,
    pub comment_flood: CommentFlood,
    pub smear: Smear,
    pub influencer: Influencer,
    pub copypasta: Copypasta,
    pub candidates: Vec<CandidateKnobs>,
}

impl Default for Scenario {
    fn default() -> Self {
        let candidates = [
            ("ciolacu", 0.22),
            ("simion", 0.18),
            ("lasconi", 0.16),
            ("geoana", 0.14),
            ("ciuca", 0.10),
            ("georgescu", 0.08),
            ("kelemen", 0.06),
            ("diaconescu", 0.06),
        ]
        .map(|(name, weight)| CandidateKnobs {
            name: name.into(),
            weight,
        })
        .to_vec();
        Scenario {
            name: "romania-2024".into(),
            seed: 1,
            accounts: 50_000,
            start: Timestamp(1_730_073_600),      // 2024-10-28
            end: Timestamp(1_732_406_400),        // 2024-11-24, the vote
            activation: Timestamp(1_731_283_200), // 2024-11-11
            utc_offset_hours: 2,
            gzip: false,
            organic: Organic::default(),
            trend: Trend::default(),
            viral_sound: ViralSound::default(),
            challenge: Challenge::default(),
            volunteer: Volunteer::default(),
            supporter: Supporter::default(),
            network: Network::default(),
            comment_flood: CommentFlood::default(),
            smear: Smear::default(),
            influencer: Influencer::default(),
            copypasta: Copypasta::default(),
            candidates,
        }
    }
}

/// Names accepted by [`Scenario::by_name`].
pub fn scenario_names() -> &'static [&'static str] {
    &["romania-2024", "romania-2024-hard"]
}

impl Scenario {
    /// The Romanian presidential election, first round, 2024 (the defaults).
    pub fn romania_2024() -> Scenario {
        Scenario::default()
    }

    /// The same case, harder. The network's members make each order's caption their own
    /// (every one edits it, five edits on average, and puts in seven words and one or two tags of
    /// their own: pairs of executions share a fifth of their word bigrams, not half), execute
    /// on their own clock (each member's median delay is lognormal around a minute with sigma
    /// 2.5 — one in five is habitually ten minutes late or more, one in twenty an hour — and
    /// each execution lognormal around it with sigma 1.5; one in ten is a straggler hours
    /// late), and one in seven members executes only now and then (8 % of orders). Four times
    /// as many genuine supporters post a third more.
    pub fn romania_2024_hard() -> Scenario {
        let mut sc = Scenario {
            name: "romania-2024-hard".into(),
            ..Scenario::default()
        };
        let net = &mut sc.network;
        net.edit_rate = 1.0;
        net.extra_edits = 4.0;
        net.personal_words = 7.0;
        net.personal_tags = 1.5;
        net.delay_median_s = 60.0;
        net.delay_sigma = 1.5;
        net.delay_member_sigma = 2.5;
        net.straggler_share = 0.1;
        net.occasional_share = 0.15;
        net.occasional_participation = 0.08;
        sc.supporter.size = Size::Fraction(0.012);
        sc.supporter.posts_per_day = 0.4;
        sc
    }

    pub fn by_name(name: &str) -> Option<Scenario> {
        match name {
            "romania-2024" => Some(Scenario::romania_2024()),
            "romania-2024-hard" => Some(Scenario::romania_2024_hard()),
            _ => None,
        }
    }

    pub fn from_toml_str(text: &str) -> Result<Scenario, SimError> {
        toml::from_str(text).map_err(SimError::Toml)
    }

    pub fn from_toml_file(path: &Path) -> Result<Scenario, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::ReadScenario {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| SimError::ParseScenario {
            path: path.to_path_buf(),
            source,
        })
    }

    pub fn to_toml(&self) -> Result<String, SimError> {
        toml::to_string_pretty(self).map_err(|e| SimError::Encode {
            what: "the scenario as TOML",
            message: e.to_string(),
        })
    }

    /// Accounts per campaign, in the order they are allocated.
    pub fn campaign_sizes(&self) -> [(&'static str, usize); 5] {
        let n = self.accounts;
        [
            ("network", self.network.size.resolve(n)),
            ("comment_flood", self.comment_flood.size.resolve(n)),
            ("smear", self.smear.size.resolve(n)),
            ("influencer", self.influencer.size.resolve(n)),
            ("copypasta", self.copypasta.size.resolve(n)),
        ]
    }

    /// Rejects scenarios that cannot be simulated.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.end <= self.start {
            return Err(SimError::knob(
                "end",
                format!("{} must be after start ({})", self.end, self.start),
            ));
        }
        if self.accounts == 0 {
            return Err(SimError::knob("accounts", "must be positive"));
        }
        if self.candidates.is_empty() {
            return Err(SimError::knob("candidates", "at least one is needed"));
        }
        let known = |key: &str| self.candidates.iter().any(|c| c.name == key);
        let mut named = vec![
            ("network.candidate", &self.network.candidate),
            ("comment_flood.candidate", &self.comment_flood.candidate),
            ("smear.target", &self.smear.target),
            ("copypasta.candidate", &self.copypasta.candidate),
            ("supporter.candidate", &self.supporter.candidate),
        ];
        named.extend(
            self.volunteer
                .candidates
                .iter()
                .map(|c| ("volunteer.candidates", c)),
        );
        for (knob, key) in named {
            if !known(key) {
                return Err(SimError::knob(
                    knob,
                    format!("{key:?} is not among the scenario's candidates"),
                ));
            }
        }
        let planted: usize = self.campaign_sizes().iter().map(|(_, n)| n).sum();
        let officials = if self.organic.official_accounts {
            self.candidates.len()
        } else {
            0
        };
        if planted + officials > self.accounts {
            return Err(SimError::knob(
                "accounts",
                format!(
                    "campaigns ({planted} accounts) and official accounts ({officials}) exceed accounts ({})",
                    self.accounts
                ),
            ));
        }
        let probabilities = [
            ("organic.hot_comment_share", self.organic.hot_comment_share),
            ("organic.political_share", self.organic.political_share),
            (
                "organic.political_post_share",
                self.organic.political_post_share,
            ),
            (
                "organic.original_sound_share",
                self.organic.original_sound_share,
            ),
            ("organic.mention_share", self.organic.mention_share),
            ("organic.foreign_share", self.organic.foreign_share),
            ("trend.late_share", self.trend.late_share),
            ("trend.fan_join", self.trend.fan_join),
            ("trend.fan_candidate_tags", self.trend.fan_candidate_tags),
            ("challenge.variation", self.challenge.variation),
            ("challenge.sound_share", self.challenge.sound_share),
            ("network.sleeper_share", self.network.sleeper_share),
            ("network.new_share", self.network.new_share),
            (
                "network.sleeper_share + new_share",
                self.network.sleeper_share + self.network.new_share,
            ),
            ("network.participation", self.network.participation),
            ("network.occasional_share", self.network.occasional_share),
            (
                "network.occasional_participation",
                self.network.occasional_participation,
            ),
            ("network.straggler_share", self.network.straggler_share),
            ("network.camouflage_share", self.network.camouflage_share),
            ("network.marker_rate", self.network.marker_rate),
            ("network.marker_accounts", self.network.marker_accounts),
            ("network.sound_share", self.network.sound_share),
            ("network.edit_rate", self.network.edit_rate),
            ("network.eve_participation", self.network.eve_participation),
            ("network.template_names", self.network.template_names),
            (
                "comment_flood.participation",
                self.comment_flood.participation,
            ),
            (
                "comment_flood.eve_participation",
                self.comment_flood.eve_participation,
            ),
            ("smear.participation", self.smear.participation),
            ("smear.exact_share", self.smear.exact_share),
            ("influencer.participation", self.influencer.participation),
            ("supporter.campaign_tag", self.supporter.campaign_tag),
            ("supporter.marker_tag", self.supporter.marker_tag),
            ("supporter.slogan_share", self.supporter.slogan_share),
            ("supporter.link_share", self.supporter.link_share),
            ("copypasta.participation", self.copypasta.participation),
        ];
        let sizes = [
            ("trend.participants_min", self.trend.participants_min),
            ("trend.participants_max", self.trend.participants_max),
            ("trend.fans", self.trend.fans),
            ("viral_sound.users", self.viral_sound.users),
            ("challenge.participants", self.challenge.participants),
            ("volunteer.size", self.volunteer.size),
            ("supporter.size", self.supporter.size),
            ("network.size", self.network.size),
            ("comment_flood.size", self.comment_flood.size),
            ("smear.size", self.smear.size),
            ("influencer.size", self.influencer.size),
            ("copypasta.size", self.copypasta.size),
        ];
        for (name, size) in sizes {
            if let Size::Fraction(f) = size {
                if !(0.0..=1.0).contains(&f) {
                    return Err(SimError::knob(
                        name,
                        format!(
                            "{f}: a fraction must be within 0..=1 (write an integer for a count)"
                        ),
                    ));
                }
            }
        }
        for (name, p) in probabilities {
            if !(0.0..=1.0).contains(&p) {
                return Err(SimError::knob(
                    name,
                    format!("must be within 0..=1, got {p}"),
                ));
            }
        }
        let inf = &self.influencer;
        let hours = [
            ("influencer.open_hour_min", inf.open_hour_min),
            ("influencer.open_hour_max", inf.open_hour_max),
        ];
        for (name, h) in hours {
            if !(0.0..24.0).contains(&h) {
                return Err(SimError::knob(
                    name,
                    format!("must be within 0..24, got {h}"),
                ));
            }
        }
        if inf.open_hour_max < inf.open_hour_min {
            return Err(SimError::knob(
                "influencer.open_hour_max",
                "must not be before open_hour_min",
            ));
        }
        let non_negative = [
            ("influencer.participation_spread", inf.participation_spread),
            ("influencer.post_window_hours", inf.post_window_hours),
            ("influencer.posts_per_day_median", inf.posts_per_day_median),
            ("influencer.posts_sigma", inf.posts_sigma),
            ("network.extra_edits", self.network.extra_edits),
            ("network.personal_words", self.network.personal_words),
            ("network.personal_tags", self.network.personal_tags),
            ("network.delay_max_hours", self.network.delay_max_hours),
            (
                "network.delay_member_sigma",
                self.network.delay_member_sigma,
            ),
            ("supporter.posts_per_day", self.supporter.posts_per_day),
        ];
        for (name, x) in non_negative {
            if x.is_nan() || x < 0.0 {
                return Err(SimError::knob(
                    name,
                    format!("must not be negative, got {x}"),
                ));
            }
        }
        if self.network.camouflage_share >= 1.0 {
            return Err(SimError::knob(
                "network.camouflage_share",
                "must be below 1",
            ));
        }
        Ok(())
    }
}
