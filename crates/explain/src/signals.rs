//! The signals that explain a cluster, one function each. A signal says what the members did
//! together or have in common beyond the co-actions that made the cluster; it explains a
//! cluster and is never the sole evidence against an account.

use lockstep_core::format_time;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

pub(crate) const DAY: i64 = 86_400_000;
pub(crate) const HOUR: i64 = 3_600_000;

/// A calendar day (UTC), as days since the epoch; written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(with = "String")]
pub struct Day(pub i64);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_time(self.0 * DAY)[..10])
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether a cluster's posts about a watchlist entity mostly promote or attack it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Stance {
    Promotes,
    Attacks,
}

/// One explanation of a cluster, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// How much the members co-acted.
    CoAction {
        members: usize,
        co_actions: u64,
        pairs: usize,
        median_gap_s: f64,
    },
    /// The strongest pair's q-value against chance.
    StrongestPair { q_value: f64 },
    /// A share of the members switched on (became active on 3 of 4 days) on one day, with
    /// observed history before it.
    ActivationCohort { date: Day, share: f64 },
    /// One member acts first in most of its co-actions: who gives the orders.
    Leader {
        account: String,
        led: u32,
        co_actions: u32,
    },
    /// Part of the cluster co-acts within seconds, again and again.
    FastCore {
        members_fast: usize,
        members: usize,
        window_s: f64,
    },
    /// Many internal edges are carried by one side far busier than the other.
    OneSided { edges: usize, of: usize },
    /// The members are accounts on several platforms, linked by behaviour alone.
    CrossPlatform {
        /// (platform, members on it), most members first.
        platforms: Vec<(String, usize)>,
    },
    /// Members re-shared one post again and again themselves (each count once in an edge).
    SelfAmplification {
        members_repeating: usize,
        members: usize,
        /// The most re-shares of one post by one member within an hour.
        max_shares: u32,
    },
    /// A hashtag in at least 90 % of the posts of many members.
    MarkerHashtag {
        tag: String,
        members_with_marker: u32,
        members: usize,
    },
    /// A name shape far more common among members than among all accounts.
    NameTemplate {
        shape: String,
        members_matching: usize,
        members: usize,
        member_share: f64,
        background_share: f64,
    },
    /// Members created in the same week.
    CreationCohort {
        week_of: Day,
        members_in_week: u32,
        members_with_date: usize,
    },
    /// Posting at hours people sleep.
    NightHours { share: f64, background_share: f64 },
    /// The watchlist entity the members' posts reference most, and how.
    WatchlistTarget {
        entity: String,
        stance: Stance,
        posts: u32,
        promotes: u32,
        attacks: u32,
    },
    /// Accounts outside the cluster with histories of their own posted its campaign traces
    /// in its campaign windows, again and again: an adoption cohort (paid or co-opted
    /// influencers).
    Amplifiers {
        accounts: usize,
        /// The campaign traces they posted in windows (`layer:key`).
        traces: Vec<String>,
        days: Vec<Day>,
    },
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use lockstep_output::fixed;
        match self {
            Signal::CoAction {
                members,
                co_actions,
                pairs,
                median_gap_s,
            } => write!(
                f,
                "{members} members co-acted {co_actions} times across {pairs} pairs; median gap {} s",
                fixed(*median_gap_s, 1)
            ),
            Signal::StrongestPair { q_value } => write!(
                f,
                "strongest pair q = {q_value:.1e} against chance co-action given crowd sizes and activity"
            ),
            Signal::ActivationCohort { date, share } => write!(
                f,
                "activation cohort: {:.0}% of members switched on (active on 3 of 4 days from then) on {date}",
                share * 100.0
            ),
            Signal::Leader {
                account,
                led,
                co_actions,
            } => write!(
                f,
                "leader: {account} acted first in {led} of its {co_actions} co-actions inside the cluster"
            ),
            Signal::FastCore {
                members_fast,
                members,
                window_s,
            } => write!(
                f,
                "fast core: {members_fast} of {members} members co-acted within {window_s} s at least twice with a partner"
            ),
            Signal::OneSided { edges, of } => write!(
                f,
                "one-sided: {edges} of {of} edges join an account at least 10 times busier than its partner"
            ),
            Signal::CrossPlatform { platforms } => {
                let list: Vec<String> = platforms.iter().map(|(p, n)| format!("{p} ({n})")).collect();
                write!(f, "cross-platform: members on {}", list.join(", "))
            }
            Signal::SelfAmplification {
                members_repeating,
                members,
                max_shares,
            } => write!(
                f,
                "self-amplification: {members_repeating} of {members} members re-shared one post 3+ times within an hour (up to {max_shares} times)"
            ),
            Signal::MarkerHashtag {
                tag,
                members_with_marker,
                members,
            } => write!(
                f,
                "marker hashtag #{tag}: in ≥90% of the posts of {members_with_marker} of {members} members"
            ),
            Signal::NameTemplate {
                shape,
                members_matching,
                members,
                member_share,
                background_share,
            } => write!(
                f,
                "name template {shape}: {members_matching} of {members} members ({:.0}% vs {:.1}% of all accounts)",
                member_share * 100.0,
                background_share * 100.0
            ),
            Signal::CreationCohort {
                week_of,
                members_in_week,
                members_with_date,
            } => write!(
                f,
                "creation cohort: {members_in_week} of {members_with_date} members created in the week of {week_of}"
            ),
            Signal::NightHours {
                share,
                background_share,
            } => write!(
                f,
                "non-human hours: {:.0}% of posts 01:00–05:00 UTC vs {:.0}% overall",
                share * 100.0,
                background_share * 100.0
            ),
            Signal::WatchlistTarget {
                entity,
                stance,
                posts,
                promotes,
                attacks,
            } => write!(
                f,
                "{stance} {entity}: {posts} posts ({promotes} promoting, {attacks} attacking)"
            ),
            Signal::Amplifiers {
                accounts,
                traces,
                days,
            } => {
                let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
                write!(
                    f,
                    "amplifiers: {accounts} accounts outside the cluster, with histories of their own, posted {} in its campaign windows ({})",
                    if traces.is_empty() { "its campaign traces".to_string() } else { traces.join(", ") },
                    days.join(", ")
                )
            }
        }
    }
}

/// The day an account switched on: the first day from which it was active on at least 3 of 4
/// consecutive days. Sleeper accounts with rare posts before a campaign's start switch on with
/// it; `days` are the account's active days, sorted.
pub fn switch_on(days: &[i64]) -> Option<i64> {
    days.iter()
        .enumerate()
        .find(|&(i, &d)| days[i..].iter().take_while(|&&x| x <= d + 3).count() >= 3)
        .map(|(_, &d)| d)
}

/// The most common switch-on day of the members (`switch_on` of each), with how many members
/// switched on then; `(0, 0)` when none did.
pub fn activation(member_days: impl Iterator<Item = Vec<i64>>) -> (i64, u32) {
    let mut days: BTreeMap<i64, u32> = BTreeMap::new();
    for mine in member_days {
        if let Some(d) = switch_on(&mine) {
            *days.entry(d).or_insert(0) += 1;
        }
    }
    days.iter()
        .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
        .map(|(d, n)| (*d, *n))
        .unwrap_or((0, 0))
}

/// Days of observed history a switch-on needs before it counts as one: silence before a
/// switch-on is evidence only where the data covers that time.
pub const HISTORY_DAYS: i64 = 7;

/// The first day the data covers in earnest: the first with at least a tenth of the median
/// day's events (one stray early record does not make the collection start earlier).
pub fn coverage_start(times: &[i64]) -> i64 {
    let mut per_day: BTreeMap<i64, u64> = BTreeMap::new();
    for &t in times {
        *per_day.entry(t.div_euclid(DAY)).or_insert(0) += 1;
    }
    let mut counts: Vec<u64> = per_day.values().copied().collect();
    counts.sort_unstable();
    let median = counts.get(counts.len() / 2).copied().unwrap_or(0);
    per_day
        .iter()
        .find(|&(_, &n)| n * 10 >= median)
        .map_or(0, |(&d, _)| d)
}

/// Whether a switch-on on `day` was seen rather than implied by the start of the data: the
/// data covers [`HISTORY_DAYS`] before it.
pub fn switch_on_observed(day: i64, coverage_start: i64) -> bool {
    day >= coverage_start + HISTORY_DAYS
}

/// An activation cohort: at least 30 % of a cluster of 5 or more switched on on one day, with
/// observed history before it (a cohort the day after the collection starts is the start of
/// the data, not a sleeper network).
pub fn activation_cohort(
    day: i64,
    switched_on: u32,
    size: usize,
    coverage_start: i64,
) -> Option<Signal> {
    let share = f64::from(switched_on) / size as f64;
    (share >= 0.3 && size >= 5 && switch_on_observed(day, coverage_start)).then_some(
        Signal::ActivationCohort {
            date: Day(day),
            share,
        },
    )
}

/// Marker hashtags: a tag in ≥ 90 % of a member's posts (of 3 or more), for at least three
/// members and a fifth of them; the three most common. `members` gives each member's posts and
/// its per-tag use.
pub fn marker_hashtags<'a>(
    members: impl Iterator<Item = (u32, &'a BTreeMap<u32, u32>)>,
    size: usize,
    tag_name: impl Fn(u32) -> String,
) -> Vec<Signal> {
    let mut markers: BTreeMap<u32, u32> = BTreeMap::new();
    for (posts, tags) in members {
        if posts < 3 {
            continue;
        }
        for (&tag, &k) in tags {
            if f64::from(k) >= 0.9 * f64::from(posts) {
                *markers.entry(tag).or_insert(0) += 1;
            }
        }
    }
    let mut markers: Vec<(u32, u32)> = markers
        .into_iter()
        .filter(|&(_, k)| k >= 3 && f64::from(k) >= 0.2 * size as f64)
        .collect();
    markers.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    markers
        .into_iter()
        .take(3)
        .map(|(tag, k)| Signal::MarkerHashtag {
            tag: tag_name(tag),
            members_with_marker: k,
            members: size,
        })
        .collect()
}

/// Members on two or more platforms (those that name one).
pub fn cross_platform<'a>(platforms: impl Iterator<Item = &'a str>) -> Option<Signal> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for p in platforms.filter(|p| !p.is_empty()) {
        *count.entry(p).or_insert(0) += 1;
    }
    if count.len() < 2 {
        return None;
    }
    let mut platforms: Vec<(String, usize)> =
        count.into_iter().map(|(p, n)| (p.to_string(), n)).collect();
    platforms.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    Some(Signal::CrossPlatform { platforms })
}

/// A name's shape: letters → `a`, digits → `9`, runs collapsed, other characters kept
/// (`romania_mandra_1234` → `a_a_9`).
pub fn shape(name: &str) -> String {
    let mut s = String::new();
    for ch in name.chars() {
        let c = if ch.is_ascii_digit() {
            '9'
        } else if ch.is_alphabetic() {
            'a'
        } else {
            ch
        };
        if !(s.ends_with(c) && (c == '9' || c == 'a')) {
            s.push(c);
        }
    }
    s
}

/// The most common shape of the names, with its count. Plain words (`a`), words with digits
/// (`a9`) and bare numbers are how people name themselves; they are not templates.
pub fn most_common_shape<'a>(names: impl Iterator<Item = &'a str>) -> Option<(String, usize)> {
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    for n in names {
        *shapes.entry(shape(n)).or_insert(0) += 1;
    }
    shapes
        .into_iter()
        .filter(|(s, _)| s != "a" && s != "a9" && s != "9")
        .max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)))
}

/// A name template: the members' most common shape, shared by at least 5 and 15 % of them and
/// at least three times as common among them as among all accounts (`background`: accounts
/// per shape, of `accounts`).
pub fn name_template<'a>(
    names: impl Iterator<Item = &'a str>,
    size: usize,
    background: &BTreeMap<String, usize>,
    accounts: usize,
) -> Option<Signal> {
    let (shape, k) = most_common_shape(names)?;
    let member_share = k as f64 / size as f64;
    let bg = background.get(&shape).copied().unwrap_or(0) as f64 / accounts.max(1) as f64;
    (k >= 5 && member_share >= 0.15 && member_share >= 3.0 * bg).then_some(Signal::NameTemplate {
        shape,
        members_matching: k,
        members: size,
        member_share,
        background_share: bg,
    })
}

/// A creation cohort: of the members whose creation time is known (3 or more), at least half
/// were created in one week.
pub fn creation_cohort(created: &[i64]) -> Option<Signal> {
    if created.len() < 3 {
        return None;
    }
    let mut weeks: BTreeMap<i64, u32> = BTreeMap::new();
    for t in created {
        *weeks.entry(t.div_euclid(7 * DAY)).or_insert(0) += 1;
    }
    let (w, k) = weeks
        .iter()
        .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
        .map(|(w, k)| (*w, *k))?;
    (f64::from(k) >= 0.5 * created.len() as f64).then_some(Signal::CreationCohort {
        week_of: Day(w * 7),
        members_in_week: k,
        members_with_date: created.len(),
    })
}

/// Whether an instant falls in the night hours (01:00–05:00 UTC).
pub fn is_night(t: i64) -> bool {
    (1..5).contains(&(t.rem_euclid(DAY) / HOUR))
}

/// Non-human hours: more than 10 % of the members' posts at night and more than twice the
/// share of all posts.
pub fn night_hours(member_posts: u32, member_night: u32, background: f64) -> Option<Signal> {
    if member_posts == 0 {
        return None;
    }
    let share = f64::from(member_night) / f64::from(member_posts);
    (share > 2.0 * background && share > 0.1).then_some(Signal::NightHours {
        share,
        background_share: background,
    })
}

/// The most referenced watchlist entity (`targets` sorted, most posts first), as a signal.
pub fn watchlist_target(targets: &[crate::watchlist::Target]) -> Option<Signal> {
    let t = targets.first()?;
    Some(Signal::WatchlistTarget {
        entity: t.entity.clone(),
        stance: if t.attacks > t.promotes {
            Stance::Attacks
        } else {
            Stance::Promotes
        },
        posts: t.posts,
        promotes: t.promotes,
        attacks: t.attacks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_on_skips_sparse_days() {
        // Rare posts on days 1 and 9, then daily from day 14.
        assert_eq!(switch_on(&[1, 9, 14, 15, 16, 17]), Some(14));
        assert_eq!(switch_on(&[3, 5, 6]), Some(3), "3 of 4 days: 3, 5, 6");
        assert_eq!(switch_on(&[1, 5, 9]), None);
        assert_eq!(switch_on(&[]), None);
    }

    #[test]
    fn activation_cohorts_need_a_share_a_size_and_history() {
        let days = |first: i64| vec![first, first + 1, first + 2];
        let (day, n) = activation([days(20), days(20), days(20), days(5), vec![1]].into_iter());
        assert_eq!((day, n), (20, 3));
        let s = activation_cohort(day, n, 5, 0).unwrap();
        assert_eq!(
            s.to_string(),
            "activation cohort: 60% of members switched on (active on 3 of 4 days from then) on 1970-01-21"
        );
        assert!(activation_cohort(day, n, 4, 0).is_none(), "too small");
        assert!(activation_cohort(day, 1, 5, 0).is_none(), "too few");
        assert!(
            activation_cohort(day, n, 5, 19).is_none(),
            "no history before it"
        );
    }

    #[test]
    fn coverage_ignores_stray_early_records() {
        let day = |d: i64| d * DAY;
        // One record on day 1, then ~100 a day from day 30.
        let mut times = vec![day(1)];
        for d in 30..60 {
            times.extend((0..100).map(|k| day(d) + k));
        }
        assert_eq!(coverage_start(&times), 30);
        assert!(!switch_on_observed(31, 30), "the day after the data starts");
        assert!(switch_on_observed(40, 30));
    }

    #[test]
    fn marker_hashtags_need_most_posts_of_many_members() {
        let heavy = BTreeMap::from([(7, 10), (8, 2)]);
        let light = BTreeMap::from([(7, 1)]);
        let members = vec![
            (10, &heavy),
            (10, &heavy),
            (10, &heavy),
            (10, &light),
            (2, &heavy),
        ];
        let got = marker_hashtags(members.into_iter(), 5, |t| format!("t{t}"));
        assert_eq!(
            got,
            vec![Signal::MarkerHashtag {
                tag: "t7".into(),
                members_with_marker: 3,
                members: 5
            }]
        );
        assert_eq!(
            got[0].to_string(),
            "marker hashtag #t7: in ≥90% of the posts of 3 of 5 members"
        );
    }

    #[test]
    fn name_templates_need_a_shared_shape() {
        let names = [
            "romania_mandra_1234",
            "romania_mandra_77",
            "patriot_ro_5",
            "ana",
        ];
        assert_eq!(
            most_common_shape(names.into_iter()),
            Some(("a_a_9".to_string(), 3))
        );
        assert_eq!(
            most_common_shape(["ana", "ion92", "maria"].into_iter()),
            None
        );
        let members: Vec<String> = (0..6).map(|i| format!("ro_patriot_{i}")).collect();
        let bg = BTreeMap::from([("a_a_9".to_string(), 10)]);
        let s = name_template(members.iter().map(String::as_str), 6, &bg, 1000).unwrap();
        assert_eq!(
            s.to_string(),
            "name template a_a_9: 6 of 6 members (100% vs 1.0% of all accounts)"
        );
        let common = BTreeMap::from([("a_a_9".to_string(), 900)]);
        assert!(name_template(members.iter().map(String::as_str), 6, &common, 1000).is_none());
    }

    #[test]
    fn creation_cohorts_and_night_hours() {
        let week = 7 * DAY;
        let s = creation_cohort(&[3 * week + 1, 3 * week + 2, 9 * week]).unwrap();
        assert_eq!(
            s.to_string(),
            "creation cohort: 2 of 3 members created in the week of 1970-01-22"
        );
        assert!(creation_cohort(&[0, 5 * week, 9 * week]).is_none());
        assert!(creation_cohort(&[0, 0]).is_none(), "too few known");
        assert!(is_night(2 * HOUR) && !is_night(5 * HOUR) && !is_night(0));
        let s = night_hours(10, 5, 0.1).unwrap();
        assert_eq!(
            s.to_string(),
            "non-human hours: 50% of posts 01:00–05:00 UTC vs 10% overall"
        );
        assert!(night_hours(10, 1, 0.01).is_none(), "a tenth is human");
        assert!(night_hours(0, 0, 0.0).is_none());
    }
}
