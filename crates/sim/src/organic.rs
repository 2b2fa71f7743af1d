//! Ordinary behaviour: heavy-tailed activity on a daily rhythm, topical and political posts
//! about all candidates, and comments under other people's videos minutes to days later.
//!
//! Campaign members' camouflage and pre-activation history come from here too, at the rates
//! [`World::video_rate`] gives their phase.

use std::collections::VecDeque;

use rand::Rng;
use rand_pcg::Pcg64;

use crate::sample::{chance, lognormal, poisson, stream, weighted};
use crate::text::{self, Caption};
use crate::world::{Comment, Role, Video, VideoRef, World, CAMPAIGN, NETWORK, NONE, POLITICAL};

/// Ways people talk about a candidate (`{c}`), for and against.
const POLITICAL_PHRASES: &[&str] = &[
    "{c} la dezbatere aseară",
    "ce părere aveți despre {c}?",
    "eu votez {c}",
    "{c} a spus adevărul azi",
    "nu înțeleg de ce toată lumea vorbește de {c}",
    "{c} vs restul",
    "hai cu {c} în turul doi",
    "{c}, dezamăgire totală",
    "interviul cu {c} de aseară",
    "sondaj nou: {c} urcă",
    "am fost la mitingul lui {c}",
    "{c} nu mă convinge",
    "cine îl votează pe {c}?",
    "discursul lui {c} 👏",
];

const ELECTION_TAGS: &[(&str, f64)] = &[
    ("alegeri2024", 0.3),
    ("prezidentiale2024", 0.2),
    ("alegeri", 0.1),
    ("vot", 0.08),
];

const COMMENTS: &[&str] = &[
    "😂😂😂",
    "❤️❤️",
    "bravo!",
    "cel mai tare",
    "adevărat",
    "unde e asta?",
    "ce frumos",
    "nu sunt de acord",
    "haha exact",
    "superb 😍",
    "mă doare burta de râs",
    "partea 2 te rog",
    "sunt aici din Italia 🇷🇴",
    "cine mai e aici în 2024?",
    "wow",
    "🔥🔥🔥",
    "mulțumesc pentru sfat",
    "ce melodie e asta?",
    "așa e",
    "nu mai pot 🤣",
];

/// Candidate comments organic supporters and critics write (`{c}`): the same words a
/// comment flood uses, on organic clocks.
const POLITICAL_COMMENTS: &[&str] = &[
    "{c} președinte!",
    "votez {c}",
    "{c} 🇷🇴",
    "doar {c}",
    "{c} nu mă reprezintă",
    "nu votez cu {c}",
    "{c} a câștigat dezbaterea",
];

/// Appends a candidate phrase and the candidate's hashtags to `cap`.
pub(crate) fn political_phrase<R: Rng>(w: &World, rng: &mut R, candidate: u8, cap: &mut Caption) {
    let c = &w.candidates[candidate as usize];
    let phrase = POLITICAL_PHRASES[rng.gen_range(0..POLITICAL_PHRASES.len())];
    let words: Vec<String> = phrase
        .replace("{c}", &c.display)
        .split_whitespace()
        .map(String::from)
        .collect();
    let at = rng.gen_range(0..=cap.words.len());
    cap.words.splice(at..at, words);
    cap.push_tag(&c.tags[0]);
    for tag in &c.tags[1..] {
        if chance(rng, 0.35) {
            cap.push_tag(tag);
        }
    }
    for (tag, p) in ELECTION_TAGS {
        if chance(rng, *p) {
            cap.push_tag(tag);
        }
    }
}

/// An ordinary post: random words, home topics, generic tags, sometimes politics, emoji and
/// mentions.
pub(crate) fn post(w: &World, rng: &mut Pcg64, author: u32, time: i64) -> Video {
    let a = &w.accounts[author as usize];
    let mut cap = Caption::default();
    // Sum of two uniforms: mostly medium captions, some one-word, some long.
    let n_words = 1 + rng.gen_range(0..6) + rng.gen_range(0..8);
    w.vocab.words(rng, n_words..n_words, &mut cap.words);
    let mut candidate = NONE;
    if chance(rng, f64::from(a.politics)) {
        candidate = if chance(rng, 0.7) {
            a.candidate
        } else {
            w.random_candidate(rng)
        };
        political_phrase(w, rng, candidate, &mut cap);
    }
    for _ in 0..weighted(rng, &[0.3, 0.4, 0.2, 0.1]) {
        let rank = if chance(rng, 0.6) {
            a.topics[rng.gen_range(0..3)]
        } else {
            w.vocab.topic(rng)
        };
        let tag = w.vocab.tags[rank as usize].clone();
        cap.push_tag(&tag);
    }
    let mut generic = Vec::new();
    text::generic_tags(rng, 1.0, &mut generic);
    generic.iter().for_each(|t| cap.push_tag(t));
    if chance(rng, 0.3) {
        let e = text::emoji(rng).repeat(rng.gen_range(1..=3));
        cap.words.push(e);
    }
    let mut mentions = Vec::new();
    if chance(rng, w.sc.organic.mention_share) {
        for _ in 0..rng.gen_range(1..=2) {
            let friend = rng.gen_range(w.ranges.organic.clone()) as u32;
            if friend != author && !mentions.contains(&friend) {
                cap.words
                    .push(format!("@{}", w.accounts[friend as usize].name));
                mentions.push(friend);
            }
        }
    }
    // Like the 1,183 real accounts that put #cg11 on every video, camouflage included.
    if a.marker {
        cap.push_tag(&w.sc.network.marker);
    }
    let mut v = w.video(rng, author, time, &cap);
    v.mentions = mentions;
    v.sound = if a.role == Role::Influencer && !w.sc.influencer.script {
        w.creator_sound(rng, author)
    } else {
        w.organic_sound(rng)
    };
    if !a.role.is_organic() {
        v.flags |= CAMPAIGN;
        if a.role.in_network() {
            v.flags |= NETWORK;
        }
    }
    if candidate != NONE {
        v.flags |= POLITICAL;
        v.candidate = candidate;
    }
    v
}

/// Ordinary videos of every account with an ordinary rate on `day`.
pub(crate) fn videos(w: &World, day: usize, out: &mut Vec<Video>) {
    let mut rng = stream(w.sc.seed, "organic.videos", day as u64);
    for i in 0..w.accounts.len() {
        let mut n = poisson(&mut rng, w.video_rate(i, day));
        if usize::from(w.accounts[i].first_day) == day {
            n += 1;
        }
        for _ in 0..n {
            let t = w.time_in_day(&mut rng, day);
            out.push(post(w, &mut rng, i as u32, t));
        }
    }
}

/// Published videos recent enough to draw comments: all of them in time order, plus the
/// most viewed, which draw a share of all comments the way viral videos do.
pub(crate) struct Recent {
    all: VecDeque<VideoRef>,
    /// The top ~1% by views, in time order, with cumulative comment weights.
    hot: Vec<VideoRef>,
    hot_weights: Vec<f64>,
}

fn appeal(r: &VideoRef) -> f64 {
    (r.views as f64 + 1.0).powf(0.8)
}

impl Recent {
    pub fn new() -> Recent {
        Recent {
            all: VecDeque::new(),
            hot: Vec::new(),
            hot_weights: Vec::new(),
        }
    }

    /// Adds a day's videos (in time order) and forgets those published before `horizon`.
    pub fn publish(&mut self, today: &[VideoRef], horizon: i64) {
        self.all.extend(today.iter().copied());
        while self.all.front().is_some_and(|r| r.time < horizon) {
            self.all.pop_front();
        }
        let k = (self.all.len() / 100).clamp(10, 5000).min(self.all.len());
        let mut by_views: Vec<(u64, usize)> = self
            .all
            .iter()
            .enumerate()
            .map(|(i, r)| (r.views, i))
            .collect();
        if k < by_views.len() {
            by_views.select_nth_unstable_by(k, |a, b| b.cmp(a));
        }
        let mut top: Vec<usize> = by_views[..k].iter().map(|&(_, i)| i).collect();
        top.sort_unstable(); // back to time order
        self.hot = top.iter().map(|&i| self.all[i]).collect();
        let mut acc = 0.0;
        self.hot_weights = self
            .hot
            .iter()
            .map(|r| {
                acc += appeal(r);
                acc
            })
            .collect();
    }

    /// A video for a comment written at `t`: with chance `hot_share` one of the most viewed
    /// (weighted by views), otherwise one published about `delay` seconds earlier, weighted
    /// towards popular ones among its neighbours.
    pub fn pick<R: Rng>(
        &self,
        rng: &mut R,
        t: i64,
        delay: i64,
        hot_share: f64,
    ) -> Option<VideoRef> {
        if chance(rng, hot_share) {
            let upper = self.hot.partition_point(|r| r.time < t);
            if upper > 0 {
                let u = rng.gen::<f64>() * self.hot_weights[upper - 1];
                let k = self.hot_weights[..upper].partition_point(|&c| c <= u);
                return Some(self.hot[k.min(upper - 1)]);
            }
        }
        let upper = self.all.partition_point(|r| r.time < t);
        if upper == 0 {
            return None;
        }
        let around = self
            .all
            .partition_point(|r| r.time <= t - delay)
            .min(upper - 1);
        let lo = around.saturating_sub(24);
        let hi = (around + 24).min(upper);
        let weights: Vec<f64> = (lo..hi).map(|k| appeal(&self.all[k])).collect();
        Some(self.all[lo + weighted(rng, &weights)])
    }
}

pub(crate) fn comment_text<R: Rng>(w: &World, rng: &mut R, author: u32) -> String {
    let a = &w.accounts[author as usize];
    let text = if chance(rng, f64::from(a.politics)) {
        let c = if chance(rng, 0.7) {
            a.candidate
        } else {
            w.random_candidate(rng)
        };
        POLITICAL_COMMENTS[rng.gen_range(0..POLITICAL_COMMENTS.len())]
            .replace("{c}", &w.candidates[c as usize].display)
    } else if chance(rng, 0.6) {
        COMMENTS[rng.gen_range(0..COMMENTS.len())].to_string()
    } else {
        let mut words = Vec::new();
        w.vocab.words(rng, 1..9, &mut words);
        if chance(rng, 0.4) {
            words.push(text::emoji(rng).to_string());
        }
        words.join(" ")
    };
    text::restyle(&text, a.diacritics)
}

/// Ordinary comments made on `day`, under videos already published.
pub(crate) fn comments(w: &World, day: usize, recent: &Recent, out: &mut Vec<Comment>) {
    let org = &w.sc.organic;
    let mut rng = stream(w.sc.seed, "organic.comments", day as u64);
    for i in 0..w.accounts.len() {
        for _ in 0..poisson(&mut rng, w.comment_rate(i, day)) {
            let t = w.time_in_day(&mut rng, day);
            let delay = lognormal(
                &mut rng,
                org.comment_delay_median_s,
                org.comment_delay_sigma,
            )
            .min(4.0 * 86_400.0) as i64;
            let Some(target) = recent.pick(&mut rng, t, delay, org.hot_comment_share) else {
                continue;
            };
            if target.author == i as u32 {
                continue;
            }
            out.push(Comment {
                time: t,
                author: i as u32,
                text: comment_text(w, &mut rng, i as u32),
                parent: target.id,
                parent_author: target.author,
            });
        }
    }
}
