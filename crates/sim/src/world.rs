//! Shared state of one run: the calendar, the accounts and their parameters, the candidates,
//! and the events the populations produce.

use std::collections::HashSet;
use std::ops::Range;

use rand::Rng;

use crate::sample::{chance, lognormal, mix, stream, weighted, Zipf};
use crate::scenario::Scenario;
use crate::text::{self, Caption, Diacritics, Vocab};

pub(crate) const DAY: i64 = 86_400;
/// "No candidate" / "no guaranteed day".
pub(crate) const NONE: u8 = u8::MAX;
pub(crate) const NO_DAY: u16 = u16::MAX;

/// Video flags, used to pick comment targets.
pub(crate) const POLITICAL: u8 = 1;
pub(crate) const CAMPAIGN: u8 = 2;
pub(crate) const NETWORK: u8 = 4;

const REGIONS: &[&str] = &["RO", "MD", "DE", "IT", "ES", "GB", "FR", "US", "AT", "BE"];

/// Posting weight per local hour: quiet 01:00–06:00, peak in the evening.
const HOURS: [f64; 24] = [
    2.0, 1.2, 0.7, 0.45, 0.35, 0.45, 1.0, 2.0, 3.0, 3.5, 4.0, 4.2, 4.8, 4.8, 4.6, 4.8, 5.2, 5.8,
    6.5, 7.2, 8.0, 8.2, 6.5, 4.0,
];

/// Ground-truth role. Organic roles before campaign roles; among the hard negatives the first
/// listed wins when an account has several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Role {
    Organic,
    Trend,
    ViralSound,
    Challenge,
    Volunteer,
    Supporter,
    Sleeper,
    New,
    Amplifier,
    Commenter,
    Smear,
    Influencer,
    Bot,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Organic => "organic",
            Role::Trend => "trend",
            Role::ViralSound => "viral_sound",
            Role::Challenge => "challenge",
            Role::Volunteer => "volunteer",
            Role::Supporter => "supporter",
            Role::Sleeper => "sleeper",
            Role::New => "new",
            Role::Amplifier => "amplifier",
            Role::Commenter => "commenter",
            Role::Smear => "smear",
            Role::Influencer => "influencer",
            Role::Bot => "bot",
        }
    }

    pub fn campaign(self) -> &'static str {
        match self {
            Role::Sleeper | Role::New | Role::Amplifier => "network",
            Role::Commenter => "comment_flood",
            Role::Smear => "smear",
            Role::Influencer => "influencer",
            Role::Bot => "copypasta",
            _ => "",
        }
    }

    pub fn is_organic(self) -> bool {
        self <= Role::Supporter
    }

    pub fn in_network(self) -> bool {
        matches!(self, Role::Sleeper | Role::New | Role::Amplifier)
    }
}

/// Per-account parameters: O(accounts) memory, drawn once.
pub(crate) struct Account {
    pub name: String,
    pub role: Role,
    /// Ordinary-looking videos per day (before campaign phases adjust it).
    pub rate: f32,
    pub comment_rate: f32,
    /// Views multiplier (a proxy for followers).
    pub reach: f32,
    /// Chance one of the account's ordinary posts is about politics.
    pub politics: f32,
    /// Favourite candidate (index into `World::candidates`).
    pub candidate: u8,
    /// Home interests: topical tags the account keeps coming back to.
    pub topics: [u32; 3],
    pub region: u8,
    pub diacritics: Diacritics,
    /// A day with one guaranteed ordinary post, so every ordinary account appears.
    pub first_day: u16,
    /// Network members who put the marker tag on everything, camouflage included.
    pub marker: bool,
    pub official: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sound {
    /// The creator's own audio: a fresh music id per video.
    Original,
    Shared(u64),
}

/// A video before it gets its id (ids follow emission order).
pub(crate) struct Video {
    pub time: i64,
    pub author: u32,
    pub text: String,
    pub tags: Vec<String>,
    pub mentions: Vec<u32>,
    pub sound: Sound,
    pub views: u64,
    pub likes: u64,
    pub comments: u64,
    pub shares: u64,
    pub duration: u32,
    pub flags: u8,
    pub candidate: u8,
}

pub(crate) struct Comment {
    pub time: i64,
    pub author: u32,
    pub text: String,
    pub parent: u64,
    pub parent_author: u32,
}

/// What comment generators need to know about a published video.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VideoRef {
    pub id: u64,
    pub time: i64,
    pub author: u32,
    pub views: u64,
    pub flags: u8,
    pub candidate: u8,
}

/// A shared sound's music id. Hashed, so the id does not say which population made it.
pub(crate) fn sound_id(kind: &str, index: u64) -> u64 {
    let h = kind.bytes().fold(0u64, |h, b| mix(h ^ u64::from(b)));
    6_800_000_000_000_000_000 + mix(h ^ index) % 100_000_000_000_000_000
}

pub(crate) struct Candidate {
    pub key: String,
    pub display: String,
    pub tags: Vec<String>,
    pub official: Option<u32>,
}

const KNOWN_CANDIDATES: &[(&str, &str, &[&str])] = &[
    (
        "georgescu",
        "Călin Georgescu",
        &["calingeorgescu", "georgescu"],
    ),
    (
        "lasconi",
        "Elena Lasconi",
        &["elenalasconi", "lasconi", "usr"],
    ),
    (
        "ciolacu",
        "Marcel Ciolacu",
        &["marcelciolacu", "ciolacu", "psd"],
    ),
    (
        "simion",
        "George Simion",
        &["georgesimion", "simion", "aur"],
    ),
    ("geoana", "Mircea Geoană", &["mirceageoana", "geoana"]),
    ("ciuca", "Nicolae Ciucă", &["nicolaeciuca", "ciuca", "pnl"]),
    ("kelemen", "Kelemen Hunor", &["kelemenhunor", "udmr"]),
    (
        "diaconescu",
        "Cristian Diaconescu",
        &["cristiandiaconescu", "diaconescu"],
    ),
];

impl Candidate {
    fn new(key: &str) -> Candidate {
        let (display, tags) = match KNOWN_CANDIDATES.iter().find(|(k, _, _)| *k == key) {
            Some((_, d, t)) => (d.to_string(), t.iter().map(|t| t.to_string()).collect()),
            None => {
                let mut d = key.to_string();
                if let Some(c) = d.get_mut(..1) {
                    c.make_ascii_uppercase();
                }
                (d, vec![key.to_lowercase()])
            }
        };
        Candidate {
            key: key.to_string(),
            display,
            tags,
            official: None,
        }
    }
}

/// Account index ranges: organic accounts first, so that campaign sizes do not renumber them.
pub(crate) struct Ranges {
    pub organic: Range<usize>,
    pub network: Range<usize>,
    pub flood: Range<usize>,
    pub smear: Range<usize>,
    pub influencer: Range<usize>,
    pub bots: Range<usize>,
}

pub(crate) struct World<'a> {
    pub sc: &'a Scenario,
    pub start: i64,
    pub end: i64,
    pub activation: i64,
    pub days: usize,
    pub accounts: Vec<Account>,
    pub ranges: Ranges,
    pub candidates: Vec<Candidate>,
    candidate_weights: Vec<f64>,
    pub vocab: Vocab,
    sounds: Zipf,
    hour_cdf: Vec<f64>,
    /// Ordinary-looking posts per day that keep network members' camouflage share.
    pub camouflage_rate: f64,
}

impl<'a> World<'a> {
    pub fn new(sc: &'a Scenario) -> World<'a> {
        let (start, end) = (sc.start.0, sc.end.0);
        let days = ((end - start + DAY - 1) / DAY) as usize;
        let sizes = sc.campaign_sizes().map(|(_, n)| n);
        let n_organic = sc.accounts - sizes.iter().sum::<usize>();
        let mut at = n_organic;
        let mut next = |len: usize| {
            at += len;
            at - len..at
        };
        let ranges = Ranges {
            organic: 0..n_organic,
            network: next(sizes[0]),
            flood: next(sizes[1]),
            smear: next(sizes[2]),
            influencer: next(sizes[3]),
            bots: next(sizes[4]),
        };
        let mut candidates: Vec<Candidate> = sc
            .candidates
            .iter()
            .map(|c| Candidate::new(&c.name))
            .collect();
        if sc.organic.official_accounts {
            for (i, c) in candidates.iter_mut().enumerate() {
                c.official = Some(i as u32);
            }
        }
        let mut acc = 0.0;
        let hour_cdf = HOURS
            .iter()
            .map(|w| {
                acc += w;
                acc / HOURS.iter().sum::<f64>()
            })
            .collect();
        let net = &sc.network;
        let net_per_day = net.orders_per_day * net.participation;
        let mut world = World {
            sc,
            start,
            end,
            activation: sc.activation.0,
            days,
            accounts: Vec::with_capacity(sc.accounts),
            ranges,
            candidate_weights: sc.candidates.iter().map(|c| c.weight.max(0.0)).collect(),
            candidates,
            vocab: Vocab::new(sc.organic.tag_vocabulary, sc.organic.tag_zipf),
            sounds: Zipf::new(sc.organic.sounds.max(1), sc.organic.sound_zipf),
            hour_cdf,
            camouflage_rate: net_per_day * net.camouflage_share / (1.0 - net.camouflage_share),
        };
        let mut names = HashSet::with_capacity(sc.accounts);
        for i in 0..sc.accounts {
            let mut account = world.draw_account(i);
            account.name = world.unique_name(i, &account, &mut names);
            world.accounts.push(account);
        }
        world
    }

    fn role_of(&self, i: usize) -> Role {
        let r = &self.ranges;
        let net = &self.sc.network;
        if r.organic.contains(&i) {
            Role::Organic
        } else if r.network.contains(&i) {
            // Contiguous sub-ranges: sleepers, then new accounts, then amplifiers.
            let k = (i - r.network.start) as f64;
            let n = r.network.len() as f64;
            if k < (n * net.sleeper_share).round() {
                Role::Sleeper
            } else if k < (n * (net.sleeper_share + net.new_share)).round() {
                Role::New
            } else {
                Role::Amplifier
            }
        } else if r.flood.contains(&i) {
            Role::Commenter
        } else if r.smear.contains(&i) {
            Role::Smear
        } else if r.influencer.contains(&i) {
            Role::Influencer
        } else {
            Role::Bot
        }
    }

    /// Draws one account from its own stream, so its parameters do not depend on the others.
    fn draw_account(&self, i: usize) -> Account {
        let sc = self.sc;
        let org = &sc.organic;
        let mut rng = stream(sc.seed, "account", i as u64);
        let role = self.role_of(i);
        let rate = lognormal(&mut rng, org.posts_per_day_median, org.posts_sigma)
            .min(org.posts_per_day_max);
        let political = chance(&mut rng, org.political_share);
        let mut a = Account {
            name: String::new(),
            role,
            rate: rate as f32,
            comment_rate: (rate * org.comment_ratio * lognormal(&mut rng, 1.0, 0.6)) as f32,
            reach: lognormal(&mut rng, 1.0, 1.0) as f32,
            politics: if political {
                (org.political_post_share * lognormal(&mut rng, 1.0, 0.5)).min(0.9) as f32
            } else {
                0.01
            },
            candidate: weighted(&mut rng, &self.candidate_weights) as u8,
            topics: [(); 3].map(|_| self.vocab.topic(&mut rng)),
            region: if chance(&mut rng, org.foreign_share) {
                rng.gen_range(1..REGIONS.len()) as u8
            } else {
                0
            },
            diacritics: [
                Diacritics::Proper,
                Diacritics::Cedilla,
                Diacritics::Stripped,
            ][weighted(&mut rng, &[0.6, 0.1, 0.3])],
            first_day: rng.gen_range(0..self.days) as u16,
            marker: false,
            official: false,
        };
        let own = |key: &str| self.candidate_index(key).unwrap_or(a.candidate);
        match role {
            Role::Organic => {
                if let Some(c) = self
                    .candidates
                    .iter()
                    .position(|c| c.official == Some(i as u32))
                {
                    a.official = true;
                    a.rate = 1.5;
                    a.comment_rate = 0.0;
                    a.reach = 80.0;
                    a.politics = 1.0;
                    a.candidate = c as u8;
                    a.region = 0;
                }
            }
            Role::Sleeper | Role::New | Role::Amplifier => {
                a.candidate = own(&sc.network.candidate);
                a.reach *= 0.5;
                a.marker = chance(&mut rng, sc.network.marker_accounts);
                if role != Role::Amplifier {
                    a.first_day = NO_DAY; // near-silent until activation
                }
            }
            Role::Commenter | Role::Bot => {
                a.candidate = own(if role == Role::Bot {
                    &sc.copypasta.candidate
                } else {
                    &sc.comment_flood.candidate
                });
                a.rate = 0.0;
                a.comment_rate = 0.0;
                a.first_day = NO_DAY;
                a.diacritics = Diacritics::Proper; // bots paste byte-identical text
            }
            Role::Smear => {
                a.rate = sc.smear.camouflage_per_day as f32;
                a.comment_rate = 0.0;
                a.first_day = NO_DAY;
            }
            Role::Influencer => {
                let inf = &sc.influencer;
                if inf.script {
                    a.rate = (a.rate * 2.0).min(org.posts_per_day_max as f32);
                } else {
                    // A creator's steady pace, and a niche they post about.
                    a.rate = lognormal(&mut rng, inf.posts_per_day_median, inf.posts_sigma)
                        .min(org.posts_per_day_max) as f32;
                    let niche = crate::influencer::niche(sc.seed, i);
                    for (slot, tag) in a.topics.iter_mut().zip(niche.tags) {
                        if let Some(rank) = self.vocab.tags.iter().position(|t| t == tag) {
                            *slot = rank as u32;
                        }
                    }
                }
                a.reach *= inf.reach as f32;
                a.region = 0;
            }
            _ => {}
        }
        a
    }

    fn unique_name(&self, i: usize, a: &Account, names: &mut HashSet<String>) -> String {
        let mut rng = stream(self.sc.seed, "name", i as u64);
        let mut name = if a.official {
            let c = &self.candidates[a.candidate as usize];
            format!(
                "{}.oficial",
                text::strip_diacritics(&c.display.to_lowercase()).replace(' ', ".")
            )
        } else if a.role == Role::Bot {
            text::bot_username(&mut rng)
        } else if a.role.in_network() && chance(&mut rng, self.sc.network.template_names) {
            text::template_username(&mut rng)
        } else {
            text::username(&mut rng)
        };
        while names.contains(&name) {
            name.push(char::from(b'0' + rng.gen_range(0..10u8)));
        }
        names.insert(name.clone());
        name
    }

    pub fn candidate_index(&self, key: &str) -> Option<u8> {
        self.candidates
            .iter()
            .position(|c| c.key == key)
            .map(|i| i as u8)
    }

    pub fn random_candidate<R: Rng>(&self, rng: &mut R) -> u8 {
        weighted(rng, &self.candidate_weights) as u8
    }

    pub fn day_start(&self, day: usize) -> i64 {
        self.start + day as i64 * DAY
    }

    /// Exclusive end of a day, never past the scenario's end.
    pub fn day_end(&self, day: usize) -> i64 {
        (self.day_start(day) + DAY).min(self.end)
    }

    /// The day before the vote: the last day of the period.
    pub fn eve(&self) -> usize {
        self.days - 1
    }

    pub fn active(&self, day: usize) -> bool {
        self.day_start(day) >= self.activation
    }

    /// A time in `day` following the daily rhythm in local time.
    pub fn time_in_day<R: Rng>(&self, rng: &mut R, day: usize) -> i64 {
        let u = rng.gen::<f64>();
        let hour = self.hour_cdf.partition_point(|&c| c <= u).min(23) as i64;
        let local = hour * 3600 + rng.gen_range(0..3600);
        self.day_start(day) + (local - self.sc.utc_offset_hours * 3600).rem_euclid(DAY)
    }

    /// `day` at a local clock time (hours, fractional).
    pub fn local_time(&self, day: usize, hour: f64) -> i64 {
        let local = (hour * 3600.0) as i64;
        self.day_start(day) + (local - self.sc.utc_offset_hours * 3600).rem_euclid(DAY)
    }

    /// Ordinary-looking videos per day for account `i` on `day`, campaign phases included.
    pub fn video_rate(&self, i: usize, day: usize) -> f64 {
        let a = &self.accounts[i];
        let net = &self.sc.network;
        let r = f64::from(a.rate);
        match (a.role, self.active(day)) {
            (Role::Sleeper, false) => r * net.sleeper_activity,
            (Role::New, false) => r * net.new_activity,
            (Role::Sleeper | Role::New | Role::Amplifier, true) => self.camouflage_rate,
            _ => r,
        }
    }

    pub fn comment_rate(&self, i: usize, day: usize) -> f64 {
        let a = &self.accounts[i];
        if a.rate <= 0.0 {
            return 0.0;
        }
        let factor = (self.video_rate(i, day) / f64::from(a.rate)).min(1.0);
        f64::from(a.comment_rate) * factor
    }

    pub fn region(&self, i: u32) -> &'static str {
        REGIONS[self.accounts[i as usize].region as usize]
    }

    /// A sound for an ordinary post: the creator's own audio or a Zipf-popular shared sound.
    pub fn organic_sound<R: Rng>(&self, rng: &mut R) -> Sound {
        if chance(rng, self.sc.organic.original_sound_share) {
            Sound::Original
        } else {
            Sound::Shared(sound_id("organic", self.sounds.sample(rng) as u64))
        }
    }

    /// A sound for a creator's post: often one of their own few recurring sounds (their
    /// audio signature), otherwise what anyone would pick.
    pub fn creator_sound<R: Rng>(&self, rng: &mut R, author: u32) -> Sound {
        if chance(rng, 0.4) {
            let k = rng.gen_range(0..3u64);
            Sound::Shared(sound_id("creator", u64::from(author) * 4 + k))
        } else {
            self.organic_sound(rng)
        }
    }

    /// A video by `author` at `time` with `cap`, typed in the author's diacritics style and
    /// with engagement drawn from the author's reach. Callers set sound, flags and candidate.
    pub fn video<R: Rng>(&self, rng: &mut R, author: u32, time: i64, cap: &Caption) -> Video {
        let a = &self.accounts[author as usize];
        let org = &self.sc.organic;
        let views = (f64::from(a.reach) * lognormal(rng, org.views_median, org.views_sigma))
            .round()
            .max(0.0);
        let share = |rng: &mut R, lo: f64, hi: f64| (views * rng.gen_range(lo..hi)).round() as u64;
        Video {
            time,
            author,
            text: text::restyle(&cap.render(), a.diacritics),
            tags: cap.tag_names(),
            mentions: Vec::new(),
            sound: Sound::Original,
            views: views as u64,
            likes: share(rng, 0.02, 0.12),
            comments: share(rng, 0.001, 0.01),
            shares: share(rng, 0.0005, 0.01),
            duration: lognormal(rng, 18.0, 0.8).clamp(3.0, 600.0) as u32,
            flags: 0,
            candidate: NONE,
        }
    }
}
