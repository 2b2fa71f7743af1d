//! Planted campaigns: the order-driven promotion network, the comment flood, the smear
//! cluster, influencers and the copy-paste bots. Their ordinary-looking posts (history,
//! camouflage) come from [`crate::organic`]; this module adds the coordinated part. Briefed
//! influencers are in [`crate::influencer`]; the old scripted ones (`influencer.script`) here.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_pcg::Pcg64;

use crate::influencer;
use crate::sample::{chance, lognormal, poisson, round_random, stream};
use crate::text::{self, Caption};
use crate::world::{
    sound_id, Comment, Sound, Video, VideoRef, World, CAMPAIGN, NETWORK, NONE, POLITICAL,
};

/// Lines the coordinator mixes into orders (`{c}` full name, `{s}` surname).
pub(crate) const NETWORK_LINES: &[&str] = &[
    "{c} este singurul care iubește cu adevărat România",
    "Pe 24 noiembrie votăm {c}",
    "Suveranitate, demnitate și credință pentru poporul român",
    "România nu este de vânzare",
    "Un om al poporului, nu al partidelor",
    "{s} președinte, România trezită",
    "Este timpul să ne luăm țara înapoi",
    "Hrană, apă și energie pentru români, nu pentru străini",
    "Nu mai votăm cu sistemul care ne-a furat 35 de ani",
    "Dumnezeu să binecuvânteze România",
    "Doar {s} poate aduce pacea",
    "Românii s-au trezit și nimeni nu ne mai oprește",
    "Votează cu inima, votează {s}",
    "Ascultați ce spune {c} despre agricultură",
    "Adevărul iese mereu la lumină",
    "Alături de {c} pentru o Românie demnă",
    "Nu lăsa pe alții să decidă pentru tine",
    "Un singur om are curajul să spună adevărul",
];

const NETWORK_CALLS: &[&str] = &[
    "Distribuie ca să afle toată țara!",
    "Dă share!",
    "Trimite la toți prietenii!",
    "Scrie DA în comentarii!",
];

pub(crate) const NETWORK_TAGS: &[&str] = &[
    "suveranitate",
    "romaniamea",
    "prezidentiale2024",
    "romania",
    "fyp",
    "foryou",
    "trezirea",
    "credinta",
    "patriot",
    "pace",
    "votromania",
];

/// Comment slogans of the flood (`{c}`, `{s}`).
const SLOGANS: &[&str] = &[
    "{s} președinte! 🇷🇴",
    "Doar {c} poate salva România",
    "Votăm {s} pe 24!",
    "CG11 🇷🇴🇷🇴",
    "{s} e singura speranță",
    "Toată România cu {c}",
    "{s} până la capăt 💪",
    "Trezește-te Românie, votează {s}",
];

/// Smear lines against a rival (`{r}` full name, `{q}` surname).
const SMEAR_LINES: &[&str] = &[
    "{r} minte! Nu uitați ce a promis și ce a făcut",
    "{q} trădează România pentru Bruxelles",
    "Cine o votează pe {r} votează pentru străini",
    "Adevărul despre {r} pe care presa nu vi-l spune",
    "{q} a ascuns asta de români. Urmăriți până la final",
    "Ați văzut ce a declarat {r}? Rușine!",
];

/// Copy-paste texts the bots post verbatim (`{c}`, `{s}`).
const BOT_TEXTS: &[&str] = &[
    "🇷🇴 {s} președinte! Singurul om serios din aceste alegeri 🇷🇴",
    "Experiență, seriozitate, Europa. Votăm {c}!",
    "{c} - președintele de care România are nevoie ✅",
    "Toți cu {s} pe 24 noiembrie! 💙",
    "România puternică în NATO și UE: {c}",
];

/// The `#echilibrusiverticalitate` scripts, one per brief.
const SCRIPTS: &[&str] = &[
    "Îmi doresc un președinte care să aibă echilibru și verticalitate. Un om care pune România pe primul loc și nu uită de unde a plecat.",
    "Ce înseamnă pentru mine echilibru și verticalitate? Un lider care ascultă oamenii și nu se lasă cumpărat.",
    "Echilibru și verticalitate: asta caut la următorul președinte. Voi ce căutați?",
    "Pe 24 noiembrie mergem la vot. Alegem cu echilibru și verticalitate, pentru copiii noștri.",
];

const INTROS: &[&str] = &[
    "Dragii mei,",
    "Hei,",
    "Oameni buni,",
    "Sincer,",
    "Vă spun direct:",
];

fn surname(display: &str) -> &str {
    display.rsplit(' ').next().unwrap_or(display)
}

pub(crate) fn fill(template: &str, display: &str) -> String {
    template
        .replace("{c}", display)
        .replace("{s}", surname(display))
}

/// The campaigns' candidates, resolved to indices once, and the creators' styles.
pub(crate) struct Campaigns {
    network: u8,
    flood: u8,
    smear_target: u8,
    bots: u8,
    creators: Vec<influencer::Style>,
    /// Each network member's median execution delay (seconds), and whether they execute
    /// only occasionally.
    member_delay: Vec<f64>,
    occasional: Vec<bool>,
}

impl Campaigns {
    pub fn new(w: &World) -> Campaigns {
        let sc = w.sc;
        // Scenario::validate has checked that every key names a candidate.
        let idx = |key: &str| w.candidate_index(key).unwrap_or(0);
        Campaigns {
            network: idx(&sc.network.candidate),
            flood: idx(&sc.comment_flood.candidate),
            smear_target: idx(&sc.smear.target),
            bots: idx(&sc.copypasta.candidate),
            creators: w
                .ranges
                .influencer
                .clone()
                .map(|i| influencer::Style::draw(w, i))
                .collect(),
            member_delay: w
                .ranges
                .network
                .clone()
                .map(|i| {
                    let net = &sc.network;
                    if net.delay_member_sigma > 0.0 {
                        let mut rng = stream(sc.seed, "network.pace", i as u64);
                        lognormal(&mut rng, net.delay_median_s, net.delay_member_sigma)
                    } else {
                        net.delay_median_s
                    }
                })
                .collect(),
            occasional: w
                .ranges
                .network
                .clone()
                .map(|i| {
                    let share = sc.network.occasional_share;
                    share > 0.0
                        && chance(&mut stream(sc.seed, "network.occasional", i as u64), share)
                })
                .collect(),
        }
    }

    pub fn videos(&self, w: &World, day: usize, out: &mut Vec<Video>) {
        self.network_orders(w, day, out);
        self.smear(w, day, out);
        if w.sc.influencer.script {
            influencer_scripts(w, day, out);
        } else {
            influencer::videos(w, &self.creators, day, out);
        }
        self.copypasta(w, day, out);
    }

    pub fn comments(&self, w: &World, day: usize, today: &[VideoRef], out: &mut Vec<Comment>) {
        self.flood(w, day, today, out);
        network_comments(w, day, today, out);
    }

    /// The coordinator's orders: near-duplicate captions, shared tags and sound, posted by a
    /// random subset of members with a short execution delay.
    fn network_orders(&self, w: &World, day: usize, out: &mut Vec<Video>) {
        let net = &w.sc.network;
        let Some(active) = active_part(w, day) else {
            return;
        };
        let mut rng = stream(w.sc.seed, "network.day", day as u64);
        let mut orders = round_random(&mut rng, net.orders_per_day * active);
        let mut participation = net.participation;
        if day == w.eve() {
            orders += net.eve_orders;
            participation = net.eve_participation;
        }
        let candidate = &w.candidates[self.network as usize];
        for k in 0..orders {
            let order = (day * 1000 + k) as u64;
            let mut rng = stream(w.sc.seed, "network.order", order);
            let t0 = order_time(w, &mut rng, day, 8.0, 23.5);
            let template =
                order_caption(&mut rng, &candidate.display, &candidate.tags, &net.marker);
            let sound = sound_id("network", order);
            for (j, i) in w.ranges.network.clone().enumerate() {
                let p = if self.occasional[j] {
                    net.occasional_participation
                } else {
                    participation
                };
                if !chance(&mut rng, p) {
                    continue;
                }
                let delay = if chance(&mut rng, net.straggler_share) {
                    rng.gen_range(3600.0..(net.straggler_max_hours * 3600.0).max(3601.0))
                } else {
                    lognormal(&mut rng, self.member_delay[j], net.delay_sigma)
                }
                .min(net.delay_max_hours * 3600.0);
                let mut cap = template.clone();
                if chance(&mut rng, net.edit_rate) {
                    for _ in 0..1 + poisson(&mut rng, net.extra_edits) {
                        text::edit(&mut rng, &mut cap);
                    }
                }
                if net.personal_words > 0.0 || net.personal_tags > 0.0 {
                    personalise(w, &mut rng, i, &mut cap);
                }
                if !chance(&mut rng, net.marker_rate) && !w.accounts[i].marker {
                    cap.tags.retain(|t| !t.eq_ignore_ascii_case(&net.marker));
                }
                let mut v = w.video(&mut rng, i as u32, t0 + delay as i64, &cap);
                v.sound = if chance(&mut rng, net.sound_share) {
                    Sound::Shared(sound)
                } else {
                    Sound::Original
                };
                v.flags = POLITICAL | CAMPAIGN | NETWORK;
                v.candidate = self.network;
                out.push(v);
            }
        }
    }

    /// A tight cluster posting near-identical attacks on a rival within seconds.
    fn smear(&self, w: &World, day: usize, out: &mut Vec<Video>) {
        let sm = &w.sc.smear;
        let Some(active) = active_part(w, day) else {
            return;
        };
        let rival = &w.candidates[self.smear_target as usize];
        let mut rng = stream(w.sc.seed, "smear.day", day as u64);
        for k in 0..round_random(&mut rng, sm.waves_per_day * active) {
            let wave = (day * 1000 + k) as u64;
            let mut rng = stream(w.sc.seed, "smear.wave", wave);
            let t0 = order_time(w, &mut rng, day, 9.0, 22.0);
            let line = SMEAR_LINES[rng.gen_range(0..SMEAR_LINES.len())]
                .replace("{r}", &rival.display)
                .replace("{q}", surname(&rival.display));
            let template = Caption::from_text(&line, &[&sm.hashtag, &rival.tags[0], "adevarul"]);
            let sound = sound_id("smear", wave);
            for i in w.ranges.smear.clone() {
                if !chance(&mut rng, sm.participation) {
                    continue;
                }
                let mut cap = template.clone();
                if !chance(&mut rng, sm.exact_share) {
                    text::edit(&mut rng, &mut cap);
                }
                let delay = lognormal(&mut rng, sm.delay_median_s, sm.delay_sigma) as i64;
                let mut v = w.video(&mut rng, i as u32, t0 + delay, &cap);
                v.sound = if chance(&mut rng, 0.9) {
                    Sound::Shared(sound)
                } else {
                    Sound::Original
                };
                v.flags = POLITICAL | CAMPAIGN;
                v.candidate = self.smear_target;
                out.push(v);
            }
        }
    }

    /// Bots posting byte-identical text and tags within seconds, many times a day.
    fn copypasta(&self, w: &World, day: usize, out: &mut Vec<Video>) {
        let cp = &w.sc.copypasta;
        let first = (cp.start.0 - w.start).div_euclid(86_400);
        if (day as i64) < first || day as i64 >= first + cp.days as i64 {
            return;
        }
        let candidate = &w.candidates[self.bots as usize];
        let mut rng = stream(w.sc.seed, "copypasta.day", day as u64);
        for k in 0..round_random(&mut rng, cp.waves_per_day) {
            let wave = (day * 1000 + k) as u64;
            let mut rng = stream(w.sc.seed, "copypasta.wave", wave);
            let t0 = order_time(w, &mut rng, day, 7.0, 24.0);
            let line = fill(
                BOT_TEXTS[rng.gen_range(0..BOT_TEXTS.len())],
                &candidate.display,
            );
            let mut tags: Vec<&str> = candidate.tags.iter().map(String::as_str).collect();
            tags.extend(["romania", "fyp"]);
            let cap = Caption::from_text(&line, &tags);
            let sound = sound_id("copypasta", wave);
            for i in w.ranges.bots.clone() {
                if !chance(&mut rng, cp.participation) {
                    continue;
                }
                let delay = lognormal(&mut rng, cp.jitter_median_s, cp.jitter_sigma) as i64;
                let mut v = w.video(&mut rng, i as u32, t0 + delay, &cap);
                v.sound = Sound::Shared(sound);
                v.flags = POLITICAL | CAMPAIGN;
                v.candidate = self.bots;
                out.push(v);
            }
        }
    }

    /// Comment-only accounts piling slogans under fresh political or popular videos of other
    /// creators and rivals, within seconds of them going up.
    fn flood(&self, w: &World, day: usize, today: &[VideoRef], out: &mut Vec<Comment>) {
        let fl = &w.sc.comment_flood;
        let Some(active) = active_part(w, day) else {
            return;
        };
        let mut rng = stream(w.sc.seed, "flood.day", day as u64);
        let mut n_targets = round_random(&mut rng, fl.targets_per_day * active);
        let mut participation = fl.participation;
        if day == w.eve() {
            n_targets += fl.eve_targets;
            participation = fl.eve_participation;
        }
        let own_official = w.candidates[self.flood as usize].official;
        let mut pool: Vec<(VideoRef, f64)> = today
            .iter()
            .filter(|v| {
                v.time >= w.activation
                    && v.flags & CAMPAIGN == 0
                    && Some(v.author) != own_official
                    && !(v.flags & POLITICAL != 0 && v.candidate == self.flood)
            })
            .map(|v| {
                let political = if v.flags & POLITICAL != 0 { 5.0 } else { 1.0 };
                (*v, political * (v.views as f64 + 1.0).sqrt())
            })
            .collect();
        let display = &w.candidates[self.flood as usize].display;
        for k in 0..n_targets.min(pool.len()) {
            let weights: Vec<f64> = pool.iter().map(|p| p.1).collect();
            let (target, _) = pool.swap_remove(crate::sample::weighted(&mut rng, &weights));
            let mut rng = stream(w.sc.seed, "flood.target", (day * 1000 + k) as u64);
            for i in w.ranges.flood.clone() {
                if !chance(&mut rng, participation) {
                    continue;
                }
                let delay = lognormal(&mut rng, fl.delay_median_s, fl.delay_sigma).max(1.0);
                out.push(Comment {
                    time: target.time + delay as i64,
                    author: i as u32,
                    text: slogan(&mut rng, display, 0.7),
                    parent: target.id,
                    parent_author: target.author,
                });
            }
        }
    }
}

/// Makes an executed caption the member's own: a Poisson number (`network.personal_words`) of
/// their words put in at its start, its end or between two of its words, and of their tags
/// (`network.personal_tags`: a home topic or a generic tag).
fn personalise(w: &World, rng: &mut Pcg64, member: usize, cap: &mut Caption) {
    let net = &w.sc.network;
    for _ in 0..poisson(rng, net.personal_words) {
        let word = w.vocab.word(rng).to_string();
        let at = rng.gen_range(0..=cap.words.len());
        cap.words.insert(at, word);
    }
    for _ in 0..poisson(rng, net.personal_tags) {
        let tag = if chance(rng, 0.5) {
            let topics = &w.accounts[member].topics;
            w.vocab.tags[topics[rng.gen_range(0..topics.len())] as usize].clone()
        } else {
            let generic = text::GENERIC_TAGS;
            generic[rng.gen_range(0..generic.len())].0.to_string()
        };
        cap.push_tag(&tag);
    }
}

/// Share of `day` after activation, or `None` before it.
fn active_part(w: &World, day: usize) -> Option<f64> {
    let from = w.day_start(day).max(w.activation);
    let to = w.day_end(day);
    (from < to).then(|| (to - from) as f64 / 86_400.0)
}

/// A moment between two local hours of `day`, never before activation.
fn order_time(w: &World, rng: &mut Pcg64, day: usize, from_hour: f64, to_hour: f64) -> i64 {
    let t = w.local_time(day, rng.gen_range(from_hour..to_hour));
    t.max(w.activation)
}

fn order_caption(
    rng: &mut Pcg64,
    display: &str,
    candidate_tags: &[String],
    marker: &str,
) -> Caption {
    let n_lines = rng.gen_range(2..=3);
    let mut lines: Vec<&str> = NETWORK_LINES
        .choose_multiple(rng, n_lines)
        .copied()
        .collect();
    if chance(rng, 0.5) {
        lines.push(NETWORK_CALLS[rng.gen_range(0..NETWORK_CALLS.len())]);
    }
    let text = lines
        .iter()
        .map(|l| {
            let l = fill(l, display);
            if l.ends_with(['!', '?', '.']) {
                l
            } else {
                l + "."
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut cap = Caption::from_text(&text, &[marker, &candidate_tags[0]]);
    if chance(rng, 0.5) {
        cap.words.push("🇷🇴".into());
    }
    let n_tags = rng.gen_range(1..=3);
    for tag in NETWORK_TAGS.choose_multiple(rng, n_tags) {
        cap.push_tag(tag);
    }
    cap.tags.shuffle(rng);
    cap
}

fn slogan(rng: &mut Pcg64, display: &str, edit_rate: f64) -> String {
    let line = fill(SLOGANS[rng.gen_range(0..SLOGANS.len())], display);
    let mut cap = Caption::from_text(&line, &[]);
    if chance(rng, edit_rate) {
        text::edit(rng, &mut cap);
    }
    cap.render()
}

/// Scripted influencers (`influencer.script = true`, the old behaviour): each brief's script,
/// lightly edited, posted somewhere within a day.
fn influencer_scripts(w: &World, day: usize, out: &mut Vec<Video>) {
    let inf = &w.sc.influencer;
    if inf.briefs == 0 || inf.start.0 >= w.end {
        return;
    }
    let from = inf.start.0.max(w.start);
    let spacing = (w.end - from) / inf.briefs as i64;
    for b in 0..inf.briefs {
        let brief = from + b as i64 * spacing;
        if ((brief - w.start) / 86_400) as usize != day {
            continue;
        }
        let mut rng = stream(w.sc.seed, "influencer.brief", b as u64);
        let script = Caption::from_text(
            SCRIPTS[b % SCRIPTS.len()],
            &[&inf.hashtag, "romania", "alegeri2024"],
        );
        for i in w.ranges.influencer.clone() {
            if !chance(&mut rng, inf.participation) {
                continue;
            }
            let mut cap = script.clone();
            if chance(&mut rng, 0.4) {
                cap.words
                    .insert(0, INTROS[rng.gen_range(0..INTROS.len())].into());
            }
            if chance(&mut rng, 0.7) {
                text::edit(&mut rng, &mut cap);
            }
            let t = brief + rng.gen_range(0..(inf.window_hours * 3600.0).max(1.0) as i64);
            let mut v = w.video(&mut rng, i as u32, t, &cap);
            v.sound = w.organic_sound(&mut rng);
            v.flags = POLITICAL | CAMPAIGN;
            v.candidate = NONE; // the script never names the candidate
            out.push(v);
        }
    }
}

/// Network members cheering under the network's own fresh videos.
fn network_comments(w: &World, day: usize, today: &[VideoRef], out: &mut Vec<Comment>) {
    let net = &w.sc.network;
    let targets: Vec<&VideoRef> = today.iter().filter(|v| v.flags & NETWORK != 0).collect();
    if targets.is_empty() || !w.active(day) {
        return;
    }
    let display = &w.candidates[w.accounts[w.ranges.network.start].candidate as usize].display;
    let mut rng = stream(w.sc.seed, "network.comments", day as u64);
    for i in w.ranges.network.clone() {
        for _ in 0..poisson(&mut rng, net.comments_per_day) {
            let target = targets[rng.gen_range(0..targets.len())];
            if target.author == i as u32 {
                continue;
            }
            let delay = lognormal(&mut rng, 600.0, 1.2) as i64;
            out.push(Comment {
                time: target.time + delay.max(1),
                author: i as u32,
                text: slogan(&mut rng, display, 0.5),
                parent: target.id,
                parent_author: target.author,
            });
        }
    }
}
