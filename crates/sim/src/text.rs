//! Words, hashtags, usernames, captions and the deliberate edits that turn one caption into
//! near-duplicates.

use std::ops::Range;

use rand::seq::SliceRandom;
use rand::Rng;

use crate::sample::{chance, weighted, Zipf};

/// Caption words, most frequent first (sampled with Zipf popularity).
pub(crate) const WORDS: &[&str] = &[
    "azi",
    "și",
    "eu",
    "la",
    "cu",
    "ce",
    "mai",
    "nu",
    "da",
    "când",
    "asta",
    "e",
    "de",
    "în",
    "pe",
    "mea",
    "meu",
    "vibe",
    "mood",
    "love",
    "frumos",
    "prieteni",
    "familia",
    "weekend",
    "cafea",
    "seara",
    "dimineața",
    "viața",
    "iubire",
    "muzică",
    "dans",
    "mâncare",
    "rețetă",
    "acasă",
    "munte",
    "mare",
    "vacanță",
    "pisica",
    "câinele",
    "școală",
    "facultate",
    "muncă",
    "ploaie",
    "soare",
    "zăpadă",
    "București",
    "Cluj",
    "Iași",
    "Timișoara",
    "Brașov",
    "Constanța",
    "Sibiu",
    "Oradea",
    "Craiova",
    "fotbal",
    "meci",
    "echipa",
    "bucurie",
    "zâmbet",
    "noapte",
    "film",
    "carte",
    "drum",
    "mașina",
    "oraș",
    "sat",
    "bunica",
    "mama",
    "tata",
    "frate",
    "sora",
    "copii",
    "sărbători",
    "Crăciun",
    "toamna",
    "frunze",
    "cadou",
    "haine",
    "stil",
    "machiaj",
    "păr",
    "sală",
    "antrenament",
    "sport",
    "alergare",
    "pizza",
    "sarmale",
    "mici",
    "ciorbă",
    "petrecere",
    "nuntă",
    "botez",
    "ziua",
    "mulțumesc",
    "super",
    "tare",
    "wow",
    "haha",
    "adevărat",
    "cine",
    "cum",
    "unde",
    "aici",
    "acum",
    "mereu",
    "niciodată",
    "foarte",
    "mult",
    "puțin",
    "încă",
    "deja",
    "doar",
    "totul",
    "nimic",
    "cineva",
    "poate",
    "trebuie",
    "vreau",
    "pot",
    "iubesc",
    "simt",
    "văd",
    "aștept",
    "plec",
    "vin",
    "stau",
    "lucrez",
    "învăț",
    "gătesc",
    "dansez",
    "cânt",
    "râd",
    "prima",
    "dată",
    "ultima",
    "zi",
    "an",
    "lună",
    "săptămână",
    "ora",
    "timp",
    "vreme",
    "frig",
    "cald",
    "toată",
    "lumea",
    "oameni",
    "fată",
    "băiat",
    "prietena",
    "iubitul",
    "sufletul",
    "inima",
    "visul",
    "speranța",
    "credința",
    "biserica",
    "natura",
    "pădure",
    "lac",
    "plajă",
    "apus",
    "răsărit",
    "cer",
    "stele",
    "lumina",
    "culori",
    "flori",
    "grădina",
    "livada",
    "struguri",
    "vin",
    "țuică",
    "bere",
    "ceai",
    "ciocolată",
    "prăjitură",
    "tort",
    "clătite",
    "micul",
    "dejun",
    "prânz",
    "cină",
    "ieșire",
    "plimbare",
    "parc",
    "centru",
    "mall",
    "shopping",
    "reduceri",
    "black",
    "friday",
    "telefon",
    "joc",
    "gaming",
    "stream",
    "live",
    "video",
    "poza",
    "vlog",
    "tutorial",
    "sfaturi",
    "idei",
    "life",
    "day",
    "night",
    "best",
    "friends",
    "happy",
    "new",
    "song",
    "funny",
    "cute",
    "food",
    "travel",
    "outfit",
    "gym",
    "coffee",
    "trip",
    "family",
    "dog",
    "cat",
    "sunset",
    "city",
    "music",
    "party",
    "pov",
    "when",
    "you",
    "me",
    "my",
    "this",
    "moment",
    "story",
    "time",
    "real",
    "good",
    "crazy",
    "lol",
    "omg",
    "finally",
    "again",
    "vibes",
    "trend",
    "challenge",
    "duet",
    "povestea",
    "momentul",
    "surpriza",
    "reacția",
    "răspuns",
    "întrebare",
    "părerea",
    "voastră",
    "comentați",
    "urmăriți",
    "partea",
    "doi",
    "trei",
    "final",
    "început",
    "bine",
    "rău",
    "greu",
    "ușor",
    "dulce",
    "amar",
];

pub(crate) const EMOJI: &[&str] = &[
    "😂", "❤️", "🔥", "😍", "🥰", "😭", "🙏", "💪", "🇷🇴", "✨", "👏", "😎", "🤣", "💯", "👀", "🤔",
    "😅", "🎉", "🥺", "😊",
];

/// Popular generic tags and the chance an ordinary post carries each.
pub(crate) const GENERIC_TAGS: &[(&str, f64)] = &[
    ("fyp", 0.45),
    ("foryou", 0.30),
    ("viral", 0.22),
    ("romania", 0.20),
    ("foryoupage", 0.12),
    ("xyzbca", 0.06),
    ("trending", 0.06),
    ("fy", 0.05),
];

/// Realistic topical tags: the head of the topical vocabulary; synthetic `tagN` fill the tail.
const REAL_TAGS: &[&str] = &[
    "funny",
    "comedy",
    "dance",
    "music",
    "love",
    "fotbal",
    "mancare",
    "reteta",
    "bucuresti",
    "cluj",
    "iasi",
    "timisoara",
    "brasov",
    "constanta",
    "moldova",
    "craciun",
    "iarna",
    "toamna",
    "masina",
    "bmw",
    "tuning",
    "gaming",
    "fifa",
    "minecraft",
    "makeup",
    "fashion",
    "outfit",
    "gym",
    "fitness",
    "motivatie",
    "dragoste",
    "familie",
    "copii",
    "animale",
    "pisici",
    "caini",
    "natura",
    "munte",
    "mare",
    "travel",
    "vacanta",
    "manele",
    "trap",
    "hiphop",
    "rap",
    "petrecere",
    "nunta",
    "humor",
    "glume",
    "prank",
    "tiktokromania",
    "romaniamea",
    "diaspora",
    "italia",
    "spania",
    "anglia",
    "germania",
    "football",
    "superliga",
    "fcsb",
    "dinamo",
    "rapid",
    "cfr",
    "pov",
    "storytime",
    "asmr",
    "foodtok",
    "booktok",
    "tutorial",
    "diy",
    "vlog",
    "daily",
    "art",
    "credinta",
    "ortodox",
    "dumnezeu",
    "blackfriday",
    "skincare",
    "hair",
    "nails",
    "cat",
    "dog",
    "baby",
    "mom",
    "school",
    "student",
    "job",
    "bani",
    "business",
    "crypto",
    "cars",
    "moto",
    "drift",
    "pescuit",
    "vanatoare",
    "agricultura",
    "sat",
    "traditii",
    "folclor",
];

/// Pairs of interchangeable words for the "word swap" edit (both directions).
const SYNONYMS: &[(&str, &str)] = &[
    ("singurul", "unicul"),
    ("votăm", "alegem"),
    ("România", "țara"),
    ("poporul", "neamul"),
    ("adevărul", "realitatea"),
    ("timpul", "momentul"),
    ("iubește", "respectă"),
    ("demnă", "liberă"),
    ("președinte", "conducător"),
    ("trezită", "unită"),
    ("acum", "azi"),
    ("mereu", "întotdeauna"),
    ("minte", "ne minte"),
    ("frumos", "minunat"),
    ("toată", "întreaga"),
];

const FILLERS: &[&str] = &[
    "👉",
    "!!!",
    "Distribuie!",
    "Vă rog",
    "🇷🇴🇷🇴",
    "‼️",
    "Hai!",
    "👇",
];

/// Topical tags with Zipf popularity, words with Zipf popularity.
pub(crate) struct Vocab {
    pub tags: Vec<String>,
    tag_zipf: Zipf,
    word_zipf: Zipf,
}

impl Vocab {
    pub fn new(tag_vocabulary: usize, tag_exponent: f64) -> Vocab {
        let n = tag_vocabulary.max(REAL_TAGS.len());
        let tags = REAL_TAGS
            .iter()
            .map(|t| t.to_string())
            .chain((REAL_TAGS.len()..n).map(|i| format!("tag{i}")))
            .collect();
        Vocab {
            tags,
            tag_zipf: Zipf::new(n, tag_exponent),
            word_zipf: Zipf::new(WORDS.len(), 0.9),
        }
    }

    pub fn topic<R: Rng>(&self, rng: &mut R) -> u32 {
        self.tag_zipf.sample(rng) as u32
    }

    pub fn word<R: Rng>(&self, rng: &mut R) -> &'static str {
        WORDS[self.word_zipf.sample(rng)]
    }

    /// A random number (in `count`) of random words: a varied, unrelated caption body.
    pub fn words<R: Rng>(&self, rng: &mut R, count: Range<usize>, into: &mut Vec<String>) {
        let n = if count.is_empty() {
            count.start
        } else {
            rng.gen_range(count)
        };
        into.extend((0..n).map(|_| self.word(rng).to_string()));
    }
}

pub(crate) fn emoji<R: Rng>(rng: &mut R) -> &'static str {
    EMOJI[rng.gen_range(0..EMOJI.len())]
}

/// Adds each generic tag with its own probability, times `scale`.
pub(crate) fn generic_tags<R: Rng>(rng: &mut R, scale: f64, tags: &mut Vec<String>) {
    for (tag, p) in GENERIC_TAGS {
        if chance(rng, p * scale) {
            tags.push(tag.to_string());
        }
    }
}

/// A caption as words (emoji and @mentions included) plus hashtags in display form.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Caption {
    pub words: Vec<String>,
    pub tags: Vec<String>,
}

impl Caption {
    pub fn from_text(text: &str, tags: &[&str]) -> Caption {
        Caption {
            words: text.split_whitespace().map(String::from).collect(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    pub fn render(&self) -> String {
        let mut s = self.words.join(" ");
        for t in &self.tags {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push('#');
            s.push_str(t);
        }
        s
    }

    /// Hashtags as TikTok returns them: lower-case, first occurrence kept.
    pub fn tag_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::with_capacity(self.tags.len());
        for t in &self.tags {
            let t = t.to_lowercase();
            if !names.contains(&t) {
                names.push(t);
            }
        }
        names
    }

    pub fn push_tag(&mut self, tag: &str) {
        if !self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            self.tags.push(tag.to_string());
        }
    }
}

/// Applies one deliberate edit of the kind members use to dodge duplicate detection.
pub(crate) fn edit<R: Rng>(rng: &mut R, cap: &mut Caption) {
    let n = cap.words.len();
    match rng.gen_range(0..8) {
        // Word swap: a synonym where one is known, otherwise two neighbours trade places.
        0 | 1 if n > 0 => {
            let i = rng.gen_range(0..n);
            if let Some(other) = synonym(&cap.words[i]) {
                cap.words[i] = other.to_string();
            } else if n > 1 {
                let j = if i + 1 < n { i + 1 } else { i - 1 };
                cap.words.swap(i, j);
            }
        }
        // Drop a word, but never a capitalised one: names must survive (a slogan that no
        // longer names the candidate would not be the campaign's).
        2 if n > 4 => {
            let i = rng.gen_range(0..n);
            if !cap.words[i].starts_with(char::is_uppercase) {
                cap.words.remove(i);
            } else {
                cap.words.push(emoji(rng).to_string());
            }
        }
        3 => {
            let e = emoji(rng).repeat(rng.gen_range(1..=3));
            if chance(rng, 0.5) {
                cap.words.push(e);
            } else {
                cap.words.insert(0, e);
            }
        }
        4 => match rng.gen_range(0..4) {
            0 => cap.words.iter_mut().for_each(|w| *w = w.to_uppercase()),
            1 => cap.words.iter_mut().for_each(|w| *w = w.to_lowercase()),
            2 if n > 0 => {
                let i = rng.gen_range(0..n);
                cap.words[i] = cap.words[i].to_uppercase();
            }
            _ if !cap.tags.is_empty() => {
                let i = rng.gen_range(0..cap.tags.len());
                cap.tags[i] = cap.tags[i].to_uppercase();
            }
            _ => cap.words.push("!".into()),
        },
        5 if cap.tags.len() > 1 => {
            let before = cap.tags.clone();
            cap.tags.shuffle(rng);
            if cap.tags == before {
                cap.tags.rotate_left(1);
            }
        }
        6 => cap.words.iter_mut().for_each(|w| *w = strip_diacritics(w)),
        _ => {
            let f = FILLERS[rng.gen_range(0..FILLERS.len())].to_string();
            if chance(rng, 0.5) {
                cap.words.push(f);
            } else {
                cap.words.insert(0, f);
            }
        }
    }
}

fn synonym(word: &str) -> Option<&'static str> {
    SYNONYMS.iter().find_map(|&(a, b)| {
        if word == a {
            Some(b)
        } else if word == b {
            Some(a)
        } else {
            None
        }
    })
}

/// How an account types Romanian: proper comma-below letters, legacy cedillas, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Diacritics {
    Proper,
    Cedilla,
    Stripped,
}

pub(crate) fn restyle(text: &str, style: Diacritics) -> String {
    match style {
        Diacritics::Proper => text.to_string(),
        Diacritics::Cedilla => text
            .chars()
            .map(|c| match c {
                'ș' => 'ş',
                'ț' => 'ţ',
                'Ș' => 'Ş',
                'Ț' => 'Ţ',
                c => c,
            })
            .collect(),
        Diacritics::Stripped => strip_diacritics(text),
    }
}

pub(crate) fn strip_diacritics(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ă' | 'â' => 'a',
            'Ă' | 'Â' => 'A',
            'î' => 'i',
            'Î' => 'I',
            'ș' | 'ş' => 's',
            'Ș' | 'Ş' => 'S',
            'ț' | 'ţ' => 't',
            'Ț' | 'Ţ' => 'T',
            c => c,
        })
        .collect()
}

const FIRST: &[&str] = &[
    "andrei",
    "maria",
    "ioana",
    "alex",
    "mihai",
    "elena",
    "ana",
    "cristi",
    "andreea",
    "george",
    "vlad",
    "diana",
    "alexandra",
    "stefan",
    "bianca",
    "razvan",
    "gabriela",
    "florin",
    "roxana",
    "adrian",
    "irina",
    "catalin",
    "raluca",
    "daniel",
    "larisa",
    "ionut",
    "denisa",
    "bogdan",
    "alina",
    "marius",
    "cristina",
    "sorin",
    "oana",
    "radu",
    "madalina",
    "cosmin",
    "teodora",
    "vasile",
    "georgiana",
    "paul",
    "simona",
    "dragos",
    "ramona",
    "lucian",
    "anca",
    "ovidiu",
    "camelia",
    "tudor",
    "carmen",
    "victor",
    "emilia",
    "sebi",
    "ela",
    "dani",
    "geo",
    "mara",
    "luca",
    "sara",
    "david",
    "sofia",
];

const LAST: &[&str] = &[
    "popescu",
    "ionescu",
    "popa",
    "pop",
    "radu",
    "dumitru",
    "stan",
    "stoica",
    "gheorghe",
    "matei",
    "ciobanu",
    "rusu",
    "munteanu",
    "constantin",
    "mihai",
    "marin",
    "stefan",
    "tudor",
    "dobre",
    "barbu",
    "nistor",
    "florea",
    "lazar",
    "iordache",
    "moldovan",
    "toma",
    "cristea",
    "ilie",
    "sandu",
    "diaconu",
    "olteanu",
    "neagu",
    "craciun",
    "preda",
    "voicu",
    "mocanu",
];

const NICKS: &[&str] = &[
    "lupul",
    "alb",
    "soare",
    "luna",
    "cafea",
    "carti",
    "munte",
    "vis",
    "dulce",
    "gamer",
    "sunset",
    "vibes",
    "daily",
    "official",
    "real",
    "queen",
    "king",
    "boss",
    "chef",
    "moto",
    "drift",
    "art",
    "music",
    "beats",
    "travel",
    "foodie",
    "style",
    "fit",
    "urban",
    "retro",
    "noapte",
    "stele",
    "ploaie",
    "floare",
    "pisica",
    "vulpe",
    "tigru",
    "dragon",
    "ghost",
    "pixel",
    "neon",
    "tata",
    "mama",
    "bunica",
    "satean",
    "ardelean",
    "oltean",
    "moldovean",
];

fn pick<R: Rng>(rng: &mut R, list: &[&'static str]) -> &'static str {
    list[rng.gen_range(0..list.len())]
}

fn sep<R: Rng>(rng: &mut R) -> &'static str {
    ["", ".", "_"][weighted(rng, &[0.4, 0.35, 0.25])]
}

/// An ordinary username in one of several styles people actually use.
pub(crate) fn username<R: Rng>(rng: &mut R) -> String {
    let first = pick(rng, FIRST);
    match weighted(rng, &[0.22, 0.20, 0.15, 0.10, 0.05, 0.10, 0.08, 0.10]) {
        0 => {
            let mut s = format!("{first}{}{}", sep(rng), pick(rng, LAST));
            if chance(rng, 0.4) {
                s += &rng.gen_range(1..100).to_string();
            }
            s
        }
        1 => format!(
            "{first}{}{}",
            ["", "_"][usize::from(chance(rng, 0.3))],
            [
                rng.gen_range(1..100),
                rng.gen_range(1970..2012),
                rng.gen_range(100..10_000)
            ][rng.gen_range(0..3)]
        ),
        2 => {
            let mut s = format!("{}{}{}", pick(rng, NICKS), sep(rng), pick(rng, NICKS));
            if chance(rng, 0.4) {
                s += &rng.gen_range(1..1000).to_string();
            }
            s
        }
        3 => format!("{first}{}{}", sep(rng), pick(rng, NICKS)),
        // TikTok's default name for people who never picked one.
        4 => format!("user{}", rng.gen_range(1_000_000_000u64..100_000_000_000)),
        5 => format!(
            "{}{}{first}{}",
            pick(rng, &["its", "the", "real", "just", "iam", "x", "official"]),
            sep(rng),
            pick(rng, &["", "x", "_", "_ro", "ro", "22", "official"])
        ),
        6 => format!(
            "{}{}{}{}",
            pick(rng, LAST),
            sep(rng),
            &first[..1],
            rng.gen_range(1..100)
        ),
        _ => {
            let last = first.chars().last().unwrap_or('a');
            format!(
                "{first}{last}{}{}",
                [".", "_"][rng.gen_range(0..2)],
                pick(rng, &["xo", "m", "b", "love", "ok", "me", "19", "a"])
            )
        }
    }
}

/// A username from the network's own templates ("romania_mandra_1234", "patriot.ro.567").
pub(crate) fn template_username<R: Rng>(rng: &mut R) -> String {
    if chance(rng, 0.5) {
        format!("romania_mandra_{}", rng.gen_range(1000..10_000))
    } else {
        format!("patriot.ro.{}", rng.gen_range(100..1000))
    }
}

/// A bot's username: mostly the platform default, sometimes a throwaway word and digits.
pub(crate) fn bot_username<R: Rng>(rng: &mut R) -> String {
    if chance(rng, 0.6) {
        format!("user{}", rng.gen_range(1_000_000_000u64..100_000_000_000))
    } else {
        format!("{}{}", pick(rng, FIRST), rng.gen_range(10_000..1_000_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::stream;
    use std::collections::HashSet;

    #[test]
    fn edits_keep_captions_close() {
        let mut rng = stream(1, "text-test", 0);
        let base = Caption::from_text(
            "Pe 24 noiembrie votăm Călin Georgescu pentru o Românie demnă și liberă",
            &["cg11", "calingeorgescu", "romania"],
        );
        let mut changed = 0;
        for _ in 0..200 {
            let mut c = base.clone();
            edit(&mut rng, &mut c);
            changed += usize::from(c.render() != base.render());
            assert_eq!(c.tag_names().len(), 3);
        }
        assert!(changed > 150, "{changed}");
    }

    #[test]
    fn usernames_are_varied_and_valid() {
        let mut rng = stream(1, "names-test", 0);
        let names: Vec<String> = (0..500).map(|_| username(&mut rng)).collect();
        assert!(names.iter().all(|n| n
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')));
        let distinct: HashSet<_> = names.iter().collect();
        assert!(distinct.len() > 450);
        let digits_end = names
            .iter()
            .filter(|n| n.ends_with(|c: char| c.is_ascii_digit()))
            .count();
        assert!(digits_end > 100 && digits_end < 400, "{digits_end}");
    }

    #[test]
    fn diacritic_styles() {
        assert_eq!(restyle("Știință", Diacritics::Cedilla), "Ştiinţă");
        assert_eq!(restyle("Știință", Diacritics::Stripped), "Stiinta");
    }
}
