//! Hard negatives: organic behaviour that looks coordinated — trending events, viral sounds,
//! caption-template challenges, volunteer communities and genuine supporters who use the
//! campaigns' own hashtags and link. Their accounts are organic in the
//! truth, labelled with the behaviour so evaluations can count false positives per kind.

use std::collections::HashSet;

use rand::seq::{index, SliceRandom};
use rand::Rng;
use rand_pcg::Pcg64;

use crate::campaigns;
use crate::organic;
use crate::sample::{chance, exponential, poisson, stream};
use crate::text::{self, Caption};
use crate::world::{sound_id, Role, Sound, Video, World, POLITICAL};

/// A kind of trending event: its hashtags, words people use, and when it happens (local).
struct EventKind {
    tag: &'static str,
    extra: &'static str,
    words: &'static [&'static str],
    hour: f64,
    debate: bool,
}

/// In the order events happen with the default count: debate, match, storm, debate, match,
/// debate (then snow, and around again with numbered tags).
const EVENTS: &[EventKind] = &[
    EventKind {
        tag: "dezbatereprezidentiala",
        extra: "dezbatere",
        words: &[
            "dezbaterea",
            "candidații",
            "întrebarea",
            "moderatorul",
            "aseară",
            "penibil",
        ],
        hour: 21.0,
        debate: true,
    },
    EventKind {
        tag: "romaniakosovo",
        extra: "nationala",
        words: &[
            "meci",
            "gol",
            "tricolorii",
            "stadion",
            "arbitrul",
            "suporterii",
            "hai",
        ],
        hour: 21.75,
        debate: false,
    },
    EventKind {
        tag: "furtuna",
        extra: "codrosu",
        words: &[
            "vânt",
            "ploaie",
            "copaci",
            "grindină",
            "curent",
            "pagube",
            "fulgere",
        ],
        hour: 15.5,
        debate: false,
    },
    EventKind {
        tag: "confruntarea",
        extra: "dezbatere",
        words: &[
            "confruntarea",
            "replica",
            "candidatul",
            "studio",
            "minciuni",
            "argumente",
        ],
        hour: 20.5,
        debate: true,
    },
    EventKind {
        tag: "fcsbdinamo",
        extra: "derby",
        words: &["derby", "gol", "galeria", "penalty", "victorie", "scandal"],
        hour: 20.0,
        debate: false,
    },
    EventKind {
        tag: "dezbatereafinala",
        extra: "alegeri2024",
        words: &[
            "ultima",
            "dezbatere",
            "final",
            "concluzii",
            "vot",
            "decizia",
        ],
        hour: 21.0,
        debate: true,
    },
    EventKind {
        tag: "primazapada",
        extra: "ninsoare",
        words: &["zăpadă", "fulgi", "iarna", "frig", "drumuri", "sanie"],
        hour: 8.5,
        debate: false,
    },
];

const CHALLENGES: &[(&str, &str)] = &[
    (
        "provocareacafelei",
        "Provocarea zilei: arată-ne cafeaua ta de dimineață ☕ și dă mai departe",
    ),
    (
        "dansulbunicii",
        "Am învățat-o pe bunica dansul ăsta 😂 încearcă și tu cu bunica ta",
    ),
    (
        "unsingurcuvant",
        "Descrie-ți orașul într-un singur cuvânt 👇 eu zic",
    ),
    (
        "glowup2024",
        "Glow up 2024 ✨ de la cum arătam anul trecut la cum arăt acum",
    ),
    (
        "ceamancatazi",
        "Ce am mâncat azi ca student în București 🍝 partea",
    ),
];

const VOLUNTEER_PHRASES: &[&str] = &[
    "azi am împărțit pliante pentru {c} cu echipa",
    "mergem la vot pe 24 noiembrie pentru {c}",
    "voluntar pentru {c} 💪",
    "am strâns semnături pentru {c} toată ziua",
    "{c} vine în orașul nostru, veniți și voi",
    "de ce îl susțin pe {c}? vă spun în video",
    "echipa lui {c} e pregătită",
];

/// What genuine supporters say about their candidate (`{c}` full name, `{s}` surname).
const SUPPORTER_PHRASES: &[&str] = &[
    "eu îl votez pe {c} și nu mă ascund",
    "am ascultat iar interviul cu {s}, omul ăsta are dreptate",
    "{s} spune lucruri pe care nimeni nu le spune",
    "de ce {c}? pentru că vorbește despre hrană și apă",
    "am convins-o și pe mama să-l voteze pe {s}",
    "{c} e alegerea mea, respect și alte păreri",
    "la noi în sat toată lumea vorbește de {s}",
    "nu sunt plătit de nimeni, doar cred în {c}",
];

/// One trending event: who posts its hashtag, and when.
struct TrendEvent {
    kind: &'static EventKind,
    tag: String,
    day: usize,
    /// (time, account, is a politics fan)
    arrivals: Vec<(i64, u32, bool)>,
}

/// A viral sound or a challenge: posts planned as (day, account), sorted by day.
struct Spread {
    sound: u64,
    tag: String,
    template: &'static str,
    posts: Vec<(u16, u32)>,
}

pub(crate) struct Negatives {
    trends: Vec<TrendEvent>,
    viral: Vec<Spread>,
    challenges: Vec<Spread>,
    volunteers: Vec<u32>,
    supporters: Vec<u32>,
}

fn label(w: &mut World, i: u32, role: Role) {
    let a = &mut w.accounts[i as usize];
    if a.role == Role::Organic || (a.role.is_organic() && role < a.role) {
        a.role = role;
    }
}

impl Negatives {
    /// Draws every hard-negative group up front (O(accounts)) and labels its accounts.
    pub fn plan(w: &mut World) -> Negatives {
        let sc = w.sc;
        let n = sc.accounts;
        let mut rng = stream(sc.seed, "negatives.plan", 0);
        // Ordinary accounts that can join a group; volunteers are taken first and exclusively.
        let mut free: Vec<u32> = w
            .ranges
            .organic
            .clone()
            .filter(|&i| !w.accounts[i].official)
            .map(|i| i as u32)
            .collect();
        free.shuffle(&mut rng);

        let mut volunteers = Vec::new();
        let per_community = sc.volunteer.size.resolve(n);
        for key in &sc.volunteer.candidates {
            let Some(c) = w.candidate_index(key) else {
                continue;
            };
            // A community shares interests too: members' home topics come from one small set.
            let interests: [u32; 5] = [(); 5].map(|_| w.vocab.topic(&mut rng));
            let take = per_community.min(free.len());
            for i in free.split_off(free.len() - take) {
                let a = &mut w.accounts[i as usize];
                a.candidate = c;
                a.politics = a.politics.max(0.4);
                a.topics = [(); 3].map(|_| interests[rng.gen_range(0..interests.len())]);
                volunteers.push(i);
            }
        }
        volunteers.sort_unstable();
        for &i in &volunteers {
            label(w, i, Role::Volunteer);
        }
        // Supporters are taken next, exclusively too: each is one ordinary account that likes
        // the candidate, whatever its interests.
        let mut supporters = Vec::new();
        if let Some(c) = w.candidate_index(&sc.supporter.candidate) {
            let take = sc.supporter.size.resolve(n).min(free.len());
            for i in free.split_off(free.len() - take) {
                let a = &mut w.accounts[i as usize];
                a.candidate = c;
                a.politics = a.politics.max(0.3);
                supporters.push(i);
            }
        }
        supporters.sort_unstable();
        for &i in &supporters {
            label(w, i, Role::Supporter);
        }

        let fans: Vec<u32> = {
            let take = sc.trend.fans.resolve(n).min(free.len() / 2);
            free[..take].to_vec()
        };
        for &i in &fans {
            let a = &mut w.accounts[i as usize];
            a.politics = a.politics.max(0.3);
        }
        free.sort_unstable(); // sampling below indexes a canonical order

        let trends = plan_trends(w, &free, &fans);
        let viral = plan_spreads(w, &free, "viral", Role::ViralSound);
        let challenges = plan_spreads(w, &free, "challenge", Role::Challenge);
        Negatives {
            trends,
            viral,
            challenges,
            volunteers,
            supporters,
        }
    }

    pub fn videos(&self, w: &World, day: usize, out: &mut Vec<Video>) {
        let seed = w.sc.seed;
        for (k, e) in self.trends.iter().enumerate().filter(|(_, e)| e.day == day) {
            let mut rng = stream(seed, "trend.posts", k as u64);
            for &(t, i, fan) in &e.arrivals {
                out.push(trend_post(w, &mut rng, e, i, t, fan));
            }
        }
        let key = |k: usize| (k * 10_000 + day) as u64;
        for (k, s) in self.viral.iter().enumerate() {
            let mut rng = stream(seed, "viral.posts", key(k));
            for &(_, i) in day_slice(&s.posts, day) {
                let t = w.time_in_day(&mut rng, day);
                let mut v = organic::post(w, &mut rng, i, t);
                v.sound = Sound::Shared(s.sound);
                out.push(v);
            }
        }
        for (k, s) in self.challenges.iter().enumerate() {
            let mut rng = stream(seed, "challenge.posts", key(k));
            for &(_, i) in day_slice(&s.posts, day) {
                let t = w.time_in_day(&mut rng, day);
                out.push(challenge_post(w, &mut rng, s, i, t));
            }
        }
        let vol = &w.sc.volunteer;
        // Volunteers get busier towards the vote, each on their own clock.
        let ramp = 0.5 + day as f64 / w.days as f64;
        let mut rng = stream(seed, "volunteer.posts", day as u64);
        for &i in &self.volunteers {
            for _ in 0..poisson(&mut rng, vol.posts_per_day * vol.intensity * ramp) {
                let t = w.time_in_day(&mut rng, day);
                out.push(volunteer_post(w, &mut rng, i, t));
            }
        }
        // Supporters too, each on their own clock: the campaign days are ordinary days to them.
        let mut rng = stream(seed, "supporter.posts", day as u64);
        for &i in &self.supporters {
            for _ in 0..poisson(&mut rng, w.sc.supporter.posts_per_day * ramp) {
                let t = w.time_in_day(&mut rng, day);
                out.push(supporter_post(w, &mut rng, i, t));
            }
        }
    }
}

fn day_slice(posts: &[(u16, u32)], day: usize) -> &[(u16, u32)] {
    let lo = posts.partition_point(|p| usize::from(p.0) < day);
    let hi = posts.partition_point(|p| usize::from(p.0) <= day);
    &posts[lo..hi]
}

fn plan_trends(w: &mut World, free: &[u32], fans: &[u32]) -> Vec<TrendEvent> {
    let tr = &w.sc.trend;
    let n = w.sc.accounts;
    let (lo, hi) = (
        tr.participants_min.resolve(n) as f64,
        tr.participants_max.resolve(n).max(1) as f64,
    );
    let mut events = Vec::new();
    for k in 0..tr.events {
        let mut rng = stream(w.sc.seed, "trend.plan", k as u64);
        let kind = &EVENTS[k % EVENTS.len()];
        let tag = match k / EVENTS.len() {
            0 => kind.tag.to_string(),
            round => format!("{}{}", kind.tag, round + 1),
        };
        let day = (((k as f64 + 0.5) * w.days as f64 / tr.events as f64) as usize).min(w.days - 1);
        let start = w.local_time(day, kind.hour);
        // Log-uniform sizes: most events are hundreds, a few are thousands.
        let size = (lo.max(1.0) * (hi / lo.max(1.0)).powf(rng.gen::<f64>()) * tr.intensity).round()
            as usize;
        let mut who: Vec<(u32, bool)> = index::sample(&mut rng, free.len(), size.min(free.len()))
            .into_iter()
            .map(|j| (free[j], false))
            .collect();
        if kind.debate {
            let taken: HashSet<u32> = who.iter().map(|p| p.0).collect();
            for &f in fans {
                if chance(&mut rng, tr.fan_join) && !taken.contains(&f) {
                    who.push((f, true));
                }
            }
        }
        let arrivals = who
            .into_iter()
            .map(|(i, fan)| {
                // Burst with a peak: two exponential stages, plus a few late posters.
                let minutes = if chance(&mut rng, tr.late_share) {
                    exponential(&mut rng, tr.late_minutes)
                } else {
                    exponential(&mut rng, tr.arrival_minutes)
                        + exponential(&mut rng, tr.arrival_minutes)
                };
                (start + (minutes * 60.0) as i64, i, fan)
            })
            .collect::<Vec<_>>();
        for &(_, i, _) in &arrivals {
            label(w, i, Role::Trend);
        }
        events.push(TrendEvent {
            kind,
            tag,
            day,
            arrivals,
        });
    }
    events
}

/// Viral sounds and challenges: participants spread over several days, no shared clock.
fn plan_spreads(w: &mut World, free: &[u32], what: &str, role: Role) -> Vec<Spread> {
    let sc = w.sc;
    let (count, users, days_min, days_max, intensity) = match role {
        Role::ViralSound => {
            let v = &sc.viral_sound;
            (v.sounds, v.users, v.days_min, v.days_max, v.intensity)
        }
        _ => {
            let c = &sc.challenge;
            (c.challenges, c.participants, c.days, c.days, c.intensity)
        }
    };
    let mut spreads = Vec::new();
    if free.is_empty() {
        return spreads;
    }
    for k in 0..count {
        let mut rng = stream(sc.seed, &format!("{what}.plan"), k as u64);
        let life = rng.gen_range(days_min.max(1)..=days_max.max(days_min).max(1));
        let first = rng.gen_range(0..w.days.saturating_sub(life).max(1));
        let users = (users.resolve(sc.accounts) as f64 * intensity).round() as usize;
        let mut posts: Vec<(u16, u32)> = (0..users)
            .map(|_| {
                let offset = if role == Role::ViralSound {
                    // Rises and fades: a triangular profile over the sound's life.
                    ((rng.gen::<f64>() + rng.gen::<f64>()) / 2.0 * life as f64) as usize
                } else {
                    rng.gen_range(0..life)
                };
                let day = (first + offset).min(w.days - 1) as u16;
                (day, free[rng.gen_range(0..free.len())])
            })
            .collect();
        posts.sort_unstable();
        for &(_, i) in &posts {
            label(w, i, role);
        }
        let (tag, template) = CHALLENGES[k % CHALLENGES.len()];
        let round = k / CHALLENGES.len();
        spreads.push(Spread {
            sound: sound_id(what, k as u64),
            tag: if round == 0 {
                tag.to_string()
            } else {
                format!("{tag}{}", round + 1)
            },
            template,
            posts,
        });
    }
    spreads
}

fn trend_post(w: &World, rng: &mut Pcg64, e: &TrendEvent, i: u32, t: i64, fan: bool) -> Video {
    let mut cap = Caption::default();
    w.vocab.words(rng, 0..7, &mut cap.words);
    for _ in 0..rng.gen_range(1..=3) {
        let word = e.kind.words[rng.gen_range(0..e.kind.words.len())];
        let at = rng.gen_range(0..=cap.words.len());
        cap.words.insert(at, word.to_string());
    }
    cap.push_tag(&e.tag);
    if chance(rng, 0.5) {
        cap.push_tag(e.kind.extra);
    }
    let a = &w.accounts[i as usize];
    let political =
        e.kind.debate && ((fan && chance(rng, w.sc.trend.fan_candidate_tags)) || chance(rng, 0.1));
    if political {
        organic::political_phrase(w, rng, a.candidate, &mut cap);
    }
    let mut generic = Vec::new();
    text::generic_tags(rng, 0.8, &mut generic);
    generic.iter().for_each(|g| cap.push_tag(g));
    if chance(rng, 0.4) {
        cap.words
            .push(text::emoji(rng).repeat(rng.gen_range(1..=3)));
    }
    let mut v = w.video(rng, i, t, &cap);
    v.sound = w.organic_sound(rng);
    if political {
        v.flags |= POLITICAL;
        v.candidate = a.candidate;
    }
    v
}

fn challenge_post(w: &World, rng: &mut Pcg64, s: &Spread, i: u32, t: i64) -> Video {
    let ch = &w.sc.challenge;
    let mut cap = Caption::from_text(s.template, &[&s.tag]);
    if chance(rng, ch.variation) {
        text::edit(rng, &mut cap);
        if chance(rng, 0.5) {
            w.vocab.words(rng, 1..4, &mut cap.words);
        }
    }
    let mut generic = Vec::new();
    text::generic_tags(rng, 0.8, &mut generic);
    generic.iter().for_each(|g| cap.push_tag(g));
    let mut v = w.video(rng, i, t, &cap);
    v.sound = if chance(rng, ch.sound_share) {
        Sound::Shared(s.sound)
    } else {
        w.organic_sound(rng)
    };
    v
}

fn volunteer_post(w: &World, rng: &mut Pcg64, i: u32, t: i64) -> Video {
    let a = &w.accounts[i as usize];
    let c = &w.candidates[a.candidate as usize];
    let mut cap = Caption::default();
    let phrase = VOLUNTEER_PHRASES[rng.gen_range(0..VOLUNTEER_PHRASES.len())];
    cap.words = phrase
        .replace("{c}", &c.display)
        .split_whitespace()
        .map(String::from)
        .collect();
    w.vocab.words(rng, 0..5, &mut cap.words);
    if chance(rng, 0.7) {
        cap.push_tag(&format!("voluntari{}", c.key));
    }
    if chance(rng, 0.9) {
        cap.push_tag(&c.tags[0]);
    }
    if chance(rng, 0.4) {
        cap.push_tag(&format!("echipa{}", c.key));
    }
    for tag in &c.tags[1..] {
        if chance(rng, 0.35) {
            cap.push_tag(tag);
        }
    }
    let mut generic = Vec::new();
    text::generic_tags(rng, 0.6, &mut generic);
    generic.iter().for_each(|g| cap.push_tag(g));
    let mut v = w.video(rng, i, t, &cap);
    v.sound = w.organic_sound(rng);
    v.flags |= POLITICAL;
    v.candidate = a.candidate;
    v
}

fn supporter_post(w: &World, rng: &mut Pcg64, i: u32, t: i64) -> Video {
    let sp = &w.sc.supporter;
    let a = &w.accounts[i as usize];
    let c = &w.candidates[a.candidate as usize];
    let mut cap = Caption::default();
    w.vocab.words(rng, 0..5, &mut cap.words);
    let line = if chance(rng, sp.slogan_share) {
        campaigns::NETWORK_LINES[rng.gen_range(0..campaigns::NETWORK_LINES.len())]
    } else {
        SUPPORTER_PHRASES[rng.gen_range(0..SUPPORTER_PHRASES.len())]
    };
    let at = rng.gen_range(0..=cap.words.len());
    let words: Vec<String> = campaigns::fill(line, &c.display)
        .split_whitespace()
        .map(String::from)
        .collect();
    cap.words.splice(at..at, words);
    if chance(rng, 0.3) {
        cap.words
            .push(text::emoji(rng).repeat(rng.gen_range(1..=3)));
    }
    if chance(rng, sp.link_share) {
        cap.words.push(sp.link.clone());
    }
    if chance(rng, sp.campaign_tag) {
        cap.push_tag(&w.sc.influencer.hashtag);
    }
    if chance(rng, sp.marker_tag) {
        cap.push_tag(&w.sc.network.marker);
    }
    if chance(rng, 0.8) {
        cap.push_tag(&c.tags[0]);
    }
    for tag in campaigns::NETWORK_TAGS {
        if chance(rng, 0.1) {
            cap.push_tag(tag);
        }
    }
    let mut generic = Vec::new();
    text::generic_tags(rng, 0.8, &mut generic);
    generic.iter().for_each(|g| cap.push_tag(g));
    cap.tags.shuffle(rng);
    let mut v = w.video(rng, i, t, &cap);
    v.sound = w.organic_sound(rng);
    v.flags |= POLITICAL;
    v.candidate = a.candidate;
    v
}

/// The hashtags of the trending events a scenario plans, with their local start hour.
#[cfg(test)]
pub(crate) fn event_tags(events: usize) -> Vec<String> {
    (0..events)
        .map(|k| {
            let kind = &EVENTS[k % EVENTS.len()];
            match k / EVENTS.len() {
                0 => kind.tag.to_string(),
                round => format!("{}{}", kind.tag, round + 1),
            }
        })
        .collect()
}
