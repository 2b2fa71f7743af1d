//! Simulated social-media data with planted coordinated campaigns and their ground truth.
//!
//! [`simulate`] turns a [`Scenario`] into what an investigator would collect — TikTok Research
//! API video pages (`data/videos.jsonl`) and comments in lockstep's NDJSON schema
//! (`data/comments.ndjson`) — plus `truth.csv` (who belongs to which campaign, and which
//! organic accounts are hard negatives) and the effective `scenario.toml`.
//!
//! The default scenario is Romania's 2024 presidential first round: an organic population
//! with heavy-tailed activity and all candidates in its talk; hard negatives that look
//! coordinated but are not (trending events, viral sounds, challenges, volunteers, genuine
//! supporters who use the campaigns' tags); and five planted campaigns (an order-driven
//! network with sleepers switched on at one date, a comment-only flood, a smear cluster, paid
//! influencers posting a brief in their own words, copy-paste bots). `romania-2024-hard` is the
//! same case with personalised orders, long-tailed delays and more supporters.
//!
//! Output is a pure function of the scenario: every population draws from its own seeded
//! stream, events are generated day by day and written as they are finalised, so memory is
//! O(accounts + one day's events) and the same seed gives byte-identical files.

mod campaigns;
mod error;
mod influencer;
mod negatives;
mod organic;
mod sample;
mod scenario;
mod text;
mod world;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

pub use error::SimError;
pub use scenario::{
    scenario_names, CandidateKnobs, Challenge, CommentFlood, Copypasta, Influencer, Network,
    Organic, Scenario, Size, Smear, Supporter, Timestamp, Trend, ViralSound, Volunteer,
};

use error::At;
use world::{Role, VideoRef, World, DAY};

/// Counts of what a run wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimSummary {
    pub scenario: String,
    pub seed: u64,
    /// Accounts that appear in the data (the rows of `truth.csv`).
    pub accounts: usize,
    pub videos: u64,
    pub comments: u64,
    /// Research API response pages in `videos.jsonl`.
    pub pages: u64,
    pub days: usize,
    /// Accounts per campaign.
    pub campaigns: Vec<(String, usize)>,
    /// Accounts per role (organic roles included).
    pub roles: Vec<(String, usize)>,
    /// Videos and comments by the members of each campaign (camouflage included).
    pub campaign_events: Vec<(String, u64)>,
    /// Files written, relative to the output directory.
    pub files: Vec<String>,
}

/// Generates the scenario's data set into `out_dir` (created if needed).
pub fn simulate(scenario: &Scenario, out_dir: &Path) -> Result<SimSummary, SimError> {
    scenario.validate()?;
    let mut world = World::new(scenario);
    // Planning the hard negatives labels accounts; from here on the world is read-only.
    let negatives = negatives::Negatives::plan(&mut world);
    let world = world;
    let campaigns = campaigns::Campaigns::new(&world);

    std::fs::create_dir_all(out_dir).at(out_dir, "create")?;
    let mut out = writer::Output::create(&out_dir.join("data"), scenario.seed, scenario.gzip)?;
    let n = world.accounts.len();
    let mut seen = vec![false; n];
    let mut events = vec![0u64; n];
    let mut pending_videos = Vec::new();
    let mut pending_comments = Vec::new();
    let mut recent = organic::Recent::new();
    let mut seq: u64 = 0;
    for day in 0..world.days {
        organic::videos(&world, day, &mut pending_videos);
        negatives.videos(&world, day, &mut pending_videos);
        campaigns.videos(&world, day, &mut pending_videos);
        let end = world.day_end(day);
        let mut today = Vec::new();
        for v in due(&mut pending_videos, end, |v| v.time) {
            seq += 1;
            // Like TikTok's ids: creation second in the high 32 bits.
            let id = ((v.time as u64) << 32) | seq;
            today.push(VideoRef {
                id,
                time: v.time,
                author: v.author,
                views: v.views,
                flags: v.flags,
                candidate: v.candidate,
            });
            seen[v.author as usize] = true;
            events[v.author as usize] += 1;
            out.video(&world, id, v)?;
        }
        // Comments come at most four days after their video.
        recent.publish(&today, world.day_start(day) - 5 * DAY);
        organic::comments(&world, day, &recent, &mut pending_comments);
        campaigns.comments(&world, day, &today, &mut pending_comments);
        for c in due(&mut pending_comments, end, |c| c.time) {
            seen[c.author as usize] = true;
            events[c.author as usize] += 1;
            out.comment(&world, &c)?;
        }
    }
    // Whatever is still pending falls after the end of the period: it is not collected.
    let written = out.finish(&world)?;
    let accounts = writer::write_truth(&out_dir.join("truth.csv"), &world, &seen)?;
    let scenario_toml = out_dir.join("scenario.toml");
    std::fs::write(&scenario_toml, scenario.to_toml()?).at(&scenario_toml, "write")?;

    let mut roles: BTreeMap<Role, usize> = BTreeMap::new();
    let mut by_campaign: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for (i, a) in world.accounts.iter().enumerate().filter(|(i, _)| seen[*i]) {
        *roles.entry(a.role).or_default() += 1;
        let entry = by_campaign.entry(a.role.campaign()).or_default();
        entry.0 += 1;
        entry.1 += events[i];
    }
    let names = scenario.campaign_sizes().map(|(name, _)| name);
    let totals = |name: &str| by_campaign.get(name).copied().unwrap_or_default();
    let campaigns = names.iter().map(|n| (n.to_string(), totals(n).0)).collect();
    let campaign_events = names.iter().map(|n| (n.to_string(), totals(n).1)).collect();
    let mut files: Vec<String> = written
        .files
        .iter()
        .filter_map(|f| f.strip_prefix(out_dir).ok())
        .map(|f| f.display().to_string())
        .collect();
    files.extend(["truth.csv".to_string(), "scenario.toml".to_string()]);
    Ok(SimSummary {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        accounts,
        videos: written.videos,
        comments: written.comments,
        pages: written.pages,
        days: world.days,
        campaigns,
        roles: roles
            .into_iter()
            .map(|(r, k)| (r.name().to_string(), k))
            .collect(),
        campaign_events,
        files,
    })
}

/// Takes the pending events before `end` in time order, leaving later ones pending. The sort
/// is stable, so ties keep their (deterministic) generation order.
fn due<T>(pending: &mut Vec<T>, end: i64, time: impl Fn(&T) -> i64) -> Vec<T> {
    pending.sort_by_key(&time);
    let k = pending.partition_point(|x| time(x) < end);
    let later = pending.split_off(k);
    std::mem::replace(pending, later)
}

#[cfg(test)]
mod tests;
