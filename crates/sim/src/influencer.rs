//! Paid influencers as real briefs make them: ordinary creators with a niche, a pace and a
//! voice of their own, told a hashtag, a few days and a message — not a text. On a campaign
//! day each creator who takes part writes the message in their own words (a few of the
//! message's points, each phrased from slots, framed by the creator's own opener, niche,
//! words and sign-off) and posts it at their own moment within a window of a few hours.
//! Two creators' captions share the campaign's phrases but are not near-duplicates.
//!
//! The old scripted behaviour (`influencer.script = true`) lives in [`crate::campaigns`].

use rand::seq::SliceRandom;
use rand::Rng;
use rand_pcg::Pcg64;

use crate::sample::{chance, stream};
use crate::text::{self, Caption};
use crate::world::{Video, World, CAMPAIGN, DAY, NONE, POLITICAL};

/// A creator's usual subject: the topical tags of their ordinary posts and how they lead
/// from it into the campaign's message (a lead, then one of the [`BRIDGES`]).
pub(crate) struct Niche {
    /// Tags of the topical vocabulary's head (`text::REAL_TAGS`).
    pub tags: [&'static str; 3],
    contexts: &'static [&'static str],
}

/// How a creator turns from their lead to the message.
const BRIDGES: &[&str] = &[
    "și m-am gândit la alegeri",
    "dar azi vreau să vorbim despre țară",
    "așa că am ceva de spus",
    "și nu pot să tac",
    "iar asta contează mai mult",
    "dar e momentul pentru altceva",
    "și mi-a venit un gând",
    "deci ascultați",
    "însă azi e despre noi toți",
    "și trebuie să vă zic",
];

const NICHES: &[Niche] = &[
    Niche {
        tags: ["mancare", "reteta", "foodtok"],
        contexts: &[
            "Azi nu e rețetă, dar e ceva la fel de important.",
            "Între două prăjituri m-am gândit la ceva serios.",
            "Până se coace pâinea vreau să vă spun ce cred.",
            "Am gătit toată ziua și mi-au tot venit în minte alegerile.",
            "Cu mâinile încă în aluat, câteva vorbe.",
            "Rețeta de mâine o postez mai târziu.",
        ],
    },
    Niche {
        tags: ["gym", "fitness", "motivatie"],
        contexts: &[
            "Azi după antrenament am stat puțin pe gânduri.",
            "Știți că vorbesc mereu despre disciplină și consecvență.",
            "Sala m-a învățat că fără echilibru nu ajungi nicăieri.",
            "Încă transpirat după alergare, dar trebuie să zic asta.",
            "Între două serii la sală, un gând.",
            "Corpul se antrenează, mintea la fel.",
        ],
    },
    Niche {
        tags: ["makeup", "skincare", "fashion"],
        contexts: &[
            "Azi lăsăm pensulele deoparte pentru un minut.",
            "Nu e un tutorial de data asta, fetelor.",
            "Între două produse noi vreau să vorbim despre ce contează.",
            "Rutina mea de seară poate aștepta puțin.",
            "Demachiată și sinceră, vă spun ceva.",
            "Frumusețea adevărată e să ai coloană.",
        ],
    },
    Niche {
        tags: ["gaming", "minecraft", "fifa"],
        contexts: &[
            "Pauză de la stream, vreau să vorbim serios.",
            "Știu că aici de obicei ne jucăm, dar azi e altceva.",
            "Am terminat meciul cu băieții și am un gând.",
            "Controller-ul jos pentru un minut.",
            "Am pierdut runda, dar nu și ideea.",
            "Chat-ul m-a întrebat ce cred, deci iată.",
        ],
    },
    Niche {
        tags: ["travel", "vacanta", "munte"],
        contexts: &[
            "Am văzut multe locuri, dar acasă e tot România.",
            "Din drum spre casă, câteva gânduri sincere.",
            "Am colindat țara asta în lung și în lat și știu ce merită.",
            "Sus pe munte lucrurile par mai limpezi.",
            "Din aeroport, cu bagajul după mine.",
            "Am revenit acasă după o lună pe drumuri.",
        ],
    },
    Niche {
        tags: ["funny", "comedy", "humor"],
        contexts: &[
            "Fără glume azi, vă promit.",
            "De data asta nu râdem, vorbim ca între prieteni.",
            "Știu că de obicei vă fac să râdeți, dar azi nu.",
            "Un clip mai serios decât de obicei, răbdare.",
            "Nu e sketch, e părerea mea.",
            "Publicul meu știe că spun ce gândesc.",
        ],
    },
    Niche {
        tags: ["familie", "copii", "mom"],
        contexts: &[
            "Ca părinte mă gândesc mereu la viitorul celor mici.",
            "Copiii m-au întrebat azi cine conduce țara.",
            "Familia e pe primul loc, de asta vă spun asta.",
            "Am adormit copiii și am în sfârșit un minut liniștit.",
            "Între teme și cină, câteva cuvinte.",
            "Fiica mea m-a pus să fac clipul ăsta.",
        ],
    },
    Niche {
        tags: ["music", "manele", "hiphop"],
        contexts: &[
            "Între două piese, un gând pentru voi.",
            "Azi nu cânt, azi vorbesc.",
            "Muzica mea e despre oameni, iar oamenii contează.",
            "Din studio, pe scurt și din suflet.",
            "Repetiția s-a terminat, microfonul e încă deschis.",
            "Fără beat de data asta.",
        ],
    },
    Niche {
        tags: ["masina", "bmw", "cars"],
        contexts: &[
            "Azi nu despre mașini, băieți.",
            "Am oprit motorul pentru un gând serios.",
            "În service am avut timp să mă gândesc la multe.",
            "Pe drum cu mașina mi-a venit ideea clipului ăstuia.",
            "Motorul e cald, gândul e limpede.",
            "La semafor mi-am zis că trebuie să vorbesc.",
        ],
    },
    Niche {
        tags: ["credinta", "ortodox", "dumnezeu"],
        contexts: &[
            "Cu credință în suflet vreau să vă spun ceva.",
            "Am fost azi la slujbă și m-am rugat pentru țară.",
            "Dumnezeu ne-a dat minte ca să alegem bine.",
            "Seara, la rugăciune, mă gândesc la România.",
            "Părintele ne-a spus duminică să fim treji.",
            "Cu lumânarea aprinsă, un gând pentru țară.",
        ],
    },
    Niche {
        tags: ["fotbal", "superliga", "football"],
        contexts: &[
            "Pauză de la fotbal pentru ceva mai important.",
            "Ca la meci, contează cine e căpitanul.",
            "Am văzut meciul aseară și m-am gândit la altceva.",
            "Suporterii știu ce înseamnă să stai drept.",
            "Fluierul final a sunat, acum vorbim serios.",
            "Din tribună se vede tot terenul.",
        ],
    },
    Niche {
        tags: ["animale", "pisici", "caini"],
        contexts: &[
            "Pisica mă privește serios, așa că vorbesc serios.",
            "După plimbarea cu cățelul, un gând.",
            "Animalele nu votează, dar noi da.",
            "Am hrănit toată ograda și acum stăm de vorbă.",
            "Motanul doarme, eu vorbesc.",
            "Cu cățelul în brațe, un mesaj scurt.",
        ],
    },
];

/// The niche of creator `i`: drawn once from its own stream (the world draws the creator's
/// home topics from it, the campaign its captions).
pub(crate) fn niche(seed: u64, i: usize) -> &'static Niche {
    let mut rng = stream(seed, "influencer.niche", i as u64);
    &NICHES[rng.gen_range(0..NICHES.len())]
}

const OPENERS: &[&str] = &[
    "Dragii mei,",
    "Hei, oameni frumoși!",
    "Bună, lume!",
    "Ok, vorbim serios un minut.",
    "Nu fac de obicei clipuri de genul ăsta.",
    "Sincer acum,",
    "Vă spun direct:",
    "Ascultați-mă puțin.",
    "Salutare, gașcă!",
    "Oameni buni,",
    "Hai să fim serioși o clipă.",
    "Bună seara, familie!",
];

const SIGNOFFS: &[&str] = &[
    "Voi ce ziceți?",
    "Spuneți-mi în comentarii.",
    "Pupici și ne vedem mâine!",
    "Vă iubesc, fiți buni.",
    "Atât am avut de zis.",
    "Ne auzim curând.",
    "Dați mai departe dacă simțiți la fel.",
    "Părerea mea, respect pe a voastră.",
    "Mulțumesc că m-ați ascultat.",
];

/// The message: its points, each phrased from slots (`{}` joins them with spaces).
/// Point 0 — the tagline: a president with balance and uprightness.
const WANT: &[&str] = &[
    "Îmi doresc",
    "Vreau",
    "Caut",
    "Am nevoie de",
    "Merităm",
    "Țara are nevoie de",
    "Aștept",
];
const WHO: &[&str] = &[
    "un președinte",
    "un lider",
    "un om",
    "cineva la Cotroceni",
    "un conducător",
    "un om întreg",
];
const QUALITY: &[&str] = &[
    "cu echilibru și verticalitate",
    "care să aibă echilibru și verticalitate",
    "echilibrat și vertical",
    "care să știe ce înseamnă echilibru și verticalitate",
    "cu verticalitate și echilibru",
];
const FOR: &[&str] = &[
    "",
    "pentru România",
    "pentru noi toți",
    "de data asta",
    "în sfârșit",
    "pentru copiii noștri",
];
/// Point 1 — someone who puts the country first.
const FIRST: &[&str] = &[
    "Un om care pune România pe primul loc",
    "Cineva care nu se lasă cumpărat",
    "Un lider care chiar ascultă oamenii",
    "Cineva care nu uită de unde a plecat",
    "Un om care să ne reprezinte cu demnitate",
    "Cineva care vorbește pentru oamenii simpli",
    "Un om cinstit, nu un politician de carton",
];
const FIRST_TAIL: &[&str] = &[
    ".",
    " și nu uită de noi.",
    ", asta cer.",
    ", nu promisiuni goale.",
    ", atât.",
    ", e chiar așa de greu?",
];
/// Point 2 — go and vote.
const WHEN: &[&str] = &[
    "Pe 24 noiembrie",
    "Duminică",
    "Pe 24",
    "La vot",
    "Luna asta",
];
const VOTE: &[&str] = &[
    "mergem la vot",
    "votăm cu capul",
    "alegem noi",
    "decidem noi",
    "ieșim la vot",
];
const HOW: &[&str] = &[
    "",
    "cu echilibru și verticalitate",
    "pentru copiii noștri",
    "fără frică",
    "în cunoștință de cauză",
    "toți",
];
/// Point 3 — an open question or a nudge.
const ASK: &[&str] = &[
    "Voi ce căutați la următorul președinte?",
    "Ce înseamnă pentru voi echilibru și verticalitate?",
    "Gândiți-vă bine înainte să votați.",
    "Informați-vă și decideți singuri.",
    "Nu lăsați pe alții să aleagă în locul vostru.",
    "Contează pentru voi așa ceva?",
    "Eu știu ce aleg, voi știți?",
];

/// How one creator writes: drawn once, kept for every post.
pub(crate) struct Style {
    /// Chance this creator posts on a given campaign day.
    participation: f64,
    opener: Option<&'static str>,
    signoff: Option<&'static str>,
    emoji: &'static str,
    emoji_rate: f64,
    lowercase: bool,
    /// Pet words the creator drops into captions.
    pet_words: Vec<&'static str>,
    /// The campaign tag goes first among the tags (or last).
    tag_first: bool,
}

impl Style {
    pub fn draw(w: &World, i: usize) -> Style {
        let inf = &w.sc.influencer;
        let mut rng = stream(w.sc.seed, "influencer.style", i as u64);
        let spread = rng.gen_range(-1.0..=1.0) * inf.participation_spread;
        Style {
            participation: (inf.participation + spread).clamp(0.0, 1.0),
            opener: chance(&mut rng, 0.8).then(|| OPENERS[rng.gen_range(0..OPENERS.len())]),
            signoff: chance(&mut rng, 0.7).then(|| SIGNOFFS[rng.gen_range(0..SIGNOFFS.len())]),
            emoji: text::emoji(&mut rng),
            emoji_rate: rng.gen_range(0.0..0.9),
            lowercase: chance(&mut rng, 0.15),
            pet_words: (0..rng.gen_range(3..7))
                .map(|_| w.vocab.word(&mut rng))
                .collect(),
            tag_first: chance(&mut rng, 0.3),
        }
    }
}

fn pick(rng: &mut Pcg64, list: &[&'static str]) -> &'static str {
    list[rng.gen_range(0..list.len())]
}

/// Joins non-empty parts with spaces and ends the sentence.
fn sentence(parts: &[&str]) -> String {
    let mut s = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

/// One point of the message, phrased from its slots.
fn point(rng: &mut Pcg64, k: usize) -> String {
    match k {
        0 => sentence(&[
            pick(rng, WANT),
            pick(rng, WHO),
            pick(rng, QUALITY),
            pick(rng, FOR),
        ]),
        1 => format!("{}{}", pick(rng, FIRST), pick(rng, FIRST_TAIL)),
        2 => sentence(&[pick(rng, WHEN), pick(rng, VOTE), pick(rng, HOW)]),
        _ => pick(rng, ASK).to_string(),
    }
}

/// A creator's campaign caption for one day: their words around a few of the message's points.
fn caption(w: &World, rng: &mut Pcg64, style: &Style, niche: &Niche) -> Caption {
    let inf = &w.sc.influencer;
    let mut sentences: Vec<String> = Vec::new();
    if let Some(o) = style.opener.filter(|_| chance(rng, 0.75)) {
        sentences.push(o.to_string());
    }
    // The creator's lead from their niche, in their own turn of phrase.
    let mut lead = vec![pick(rng, niche.contexts).trim_end_matches(['.', '!', '?'])];
    if chance(rng, 0.75) {
        lead.push(pick(rng, BRIDGES));
    }
    if chance(rng, 0.5) {
        lead.push(w.vocab.word(rng));
    }
    sentences.push(sentence(&lead));
    // The tagline most of the time, one or two other points, in the creator's order.
    let mut points: Vec<usize> = Vec::new();
    if chance(rng, 0.8) {
        points.push(0);
    }
    let mut others = [1, 2, 3];
    others.shuffle(rng);
    let n_others = if points.is_empty() {
        2
    } else {
        rng.gen_range(1..=2)
    };
    points.extend(&others[..n_others]);
    if chance(rng, 0.5) {
        points.swap(0, 1);
    }
    let body: Vec<String> = points.iter().map(|&k| point(rng, k)).collect();
    sentences.extend(body);
    // A few of the creator's own words, as in their ordinary posts, in two places.
    let n_pet = rng.gen_range(1..=3);
    let mut own: Vec<String> = style
        .pet_words
        .choose_multiple(rng, n_pet)
        .map(|w| w.to_string())
        .collect();
    w.vocab.words(rng, 1..4, &mut own);
    let split = rng.gen_range(0..=own.len());
    let (first, second) = own.split_at(split);
    for part in [first, second] {
        if !part.is_empty() {
            let at = rng.gen_range(1..=sentences.len());
            sentences.insert(at, part.join(" "));
        }
    }
    if let Some(s) = style.signoff.filter(|_| chance(rng, 0.7)) {
        sentences.push(s.to_string());
    }
    let mut cap = Caption::from_text(&sentences.join(" "), &[]);
    if style.lowercase {
        cap.words.iter_mut().for_each(|w| *w = w.to_lowercase());
    }
    if chance(rng, style.emoji_rate) {
        cap.words.push(style.emoji.repeat(rng.gen_range(1..=3)));
    }
    // Tags: the campaign's (always), some of the creator's usual ones, generic ones.
    let mut tags: Vec<String> = Vec::new();
    for t in niche.tags {
        if chance(rng, 0.35) {
            tags.push(t.to_string());
        }
    }
    text::generic_tags(rng, 1.0, &mut tags);
    if style.tag_first {
        cap.push_tag(&inf.hashtag);
    }
    tags.iter().for_each(|t| cap.push_tag(t));
    cap.push_tag(&inf.hashtag);
    cap
}

/// The campaign days as day indices within the period (days outside it are skipped).
pub(crate) fn campaign_days(w: &World) -> Vec<usize> {
    w.sc.influencer
        .days
        .iter()
        .map(|d| (d.0 - w.start).div_euclid(DAY))
        .filter(|&d| d >= 0 && (d as usize) < w.days)
        .map(|d| d as usize)
        .collect()
}

/// Campaign posts of `day`: for each campaign day that falls on it, a posting window opens at
/// a local hour drawn for the day, and each creator who takes part posts once within it.
pub(crate) fn videos(w: &World, styles: &[Style], day: usize, out: &mut Vec<Video>) {
    let inf = &w.sc.influencer;
    let window = (inf.post_window_hours * 3600.0).max(1.0) as i64;
    for (k, _) in campaign_days(w)
        .into_iter()
        .enumerate()
        .filter(|&(_, d)| d == day)
    {
        let mut rng = stream(w.sc.seed, "influencer.day", k as u64);
        let open = w.local_time(day, rng.gen_range(inf.open_hour_min..=inf.open_hour_max));
        for (j, i) in w.ranges.influencer.clone().enumerate() {
            let style = &styles[j];
            let mut rng = stream(w.sc.seed, "influencer.post", (k as u64) << 32 | i as u64);
            if !chance(&mut rng, style.participation) {
                continue;
            }
            let niche = niche(w.sc.seed, i);
            let cap = caption(w, &mut rng, style, niche);
            let t = open + rng.gen_range(0..window);
            let mut v = w.video(&mut rng, i as u32, t, &cap);
            v.sound = w.creator_sound(&mut rng, i as u32);
            v.flags = POLITICAL | CAMPAIGN;
            v.candidate = NONE; // the brief never names the candidate
            out.push(v);
        }
    }
}

#[cfg(test)]
pub(crate) fn niche_tags() -> Vec<&'static str> {
    NICHES.iter().flat_map(|n| n.tags).collect()
}
