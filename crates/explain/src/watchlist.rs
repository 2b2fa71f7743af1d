//! `--watchlist`: named entities (candidates, parties) with their handles, hashtags and
//! keywords. Each cluster reports which entities its posts promote or attack, with counts.
//!
//! A post *references* an entity when it mentions or replies to one of its handles, carries one
//! of its hashtags, or contains one of its keywords (all folded: case and diacritics ignored).
//! A referencing post *attacks* when it also carries an attack keyword (the file's `[attack]`
//! list, or a built-in Romanian/English default), including inside a hashtag such as
//! `#lasconiminte`; otherwise it *promotes*. This is a pointer for the analyst, not a
//! sentiment model.

use lockstep_core::{ErrorKind, Event};
use lockstep_trace::{fold, fold_hashtag};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub name: String,
    #[serde(default)]
    pub handles: Vec<String>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Attack {
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default, rename = "entity")]
    entities: Vec<Entity>,
    #[serde(default)]
    attack: Option<Attack>,
}

const DEFAULT_ATTACK: &[&str] = &[
    "minte",
    "mincinos",
    "mincinoasa",
    "hot",
    "hoti",
    "tradator",
    "tradatoare",
    "corupt",
    "corupta",
    "rusine",
    "penal",
    "jos",
    "demisia",
    "liar",
    "lies",
    "fraud",
    "traitor",
    "corrupt",
    "shame",
    "criminal",
    "scandal",
];

/// A loaded watchlist, everything folded once.
#[derive(Debug, Clone)]
pub struct Watchlist {
    pub names: Vec<String>,
    handles: Vec<Vec<String>>,
    hashtags: Vec<Vec<String>>,
    keywords: Vec<Vec<String>>,
    attack: Vec<String>,
}

/// How one cluster's posts relate to one entity.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Target {
    pub entity: String,
    pub posts: u32,
    pub promotes: u32,
    pub attacks: u32,
}

/// A watchlist file that cannot be used: a configuration (usage) error.
#[derive(Debug, thiserror::Error)]
pub enum WatchlistError {
    #[error("{}: cannot read watchlist: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a valid watchlist: {message}", path.display())]
    Invalid {
        path: std::path::PathBuf,
        message: String,
    },
}

impl WatchlistError {
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Config
    }
}

impl Watchlist {
    pub fn load(path: &Path) -> Result<Watchlist, WatchlistError> {
        let text = std::fs::read_to_string(path).map_err(|source| WatchlistError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|message| WatchlistError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// A watchlist from TOML text, or why it is not one.
    pub fn parse(text: &str) -> Result<Watchlist, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        if f.entities.is_empty() {
            return Err("no [[entity]] entries".into());
        }
        let fold_all = |v: &[String], f: fn(&str) -> String| {
            v.iter()
                .map(|s| f(s))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        let handle = |s: &str| s.trim().trim_start_matches('@').to_lowercase();
        let attack = match f.attack {
            Some(a) => fold_all(&a.keywords, |s| fold(s.trim())),
            None => DEFAULT_ATTACK.iter().map(|s| s.to_string()).collect(),
        };
        Ok(Watchlist {
            names: f.entities.iter().map(|e| e.name.clone()).collect(),
            handles: f
                .entities
                .iter()
                .map(|e| fold_all(&e.handles, handle))
                .collect(),
            hashtags: f
                .entities
                .iter()
                .map(|e| fold_all(&e.hashtags, fold_hashtag))
                .collect(),
            keywords: f
                .entities
                .iter()
                .map(|e| fold_all(&e.keywords, |s| fold(s.trim())))
                .collect(),
            attack,
        })
    }

    /// How a cluster's posts relate to each entity, from the marks ([`Watchlist`] as
    /// [`lockstep_ingest::Annotate`]) of its members' posts: referenced entities only, most
    /// posts first.
    pub fn targets(&self, marks: impl Iterator<Item = u32>) -> Vec<Target> {
        let mut targets: Vec<Target> = self
            .names
            .iter()
            .map(|n| Target {
                entity: n.clone(),
                ..Default::default()
            })
            .collect();
        for m in marks {
            let (ent, attack) = ((m >> 1) as usize, m & 1 == 1);
            let Some(t) = targets.get_mut(ent) else {
                continue;
            };
            t.posts += 1;
            if attack {
                t.attacks += 1;
            } else {
                t.promotes += 1;
            }
        }
        targets.retain(|t| t.posts > 0);
        targets.sort_by(|x, y| y.posts.cmp(&x.posts).then(x.entity.cmp(&y.entity)));
        targets
    }

    /// The entities `e` references, each with whether the post attacks it.
    pub fn matches(&self, e: &Event) -> Vec<(u16, bool)> {
        let text = e.text.as_deref().map(fold).unwrap_or_default();
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let tags: Vec<String> = e.hashtags.iter().map(|t| fold_hashtag(t)).collect();
        let mentions: Vec<String> = e
            .mentions
            .iter()
            .chain(e.parent_account.iter())
            .map(|m| m.trim_start_matches('@').to_lowercase())
            .collect();
        let attacks = self
            .attack
            .iter()
            .any(|k| words.contains(&k.as_str()) || tags.iter().any(|t| t.contains(k.as_str())));
        let mut out = Vec::new();
        for i in 0..self.names.len() {
            let hit = self.handles[i].iter().any(|h| mentions.contains(h))
                || self.hashtags[i].iter().any(|h| tags.contains(h))
                || self.keywords[i].iter().any(|k| {
                    if k.contains(' ') {
                        text.contains(k.as_str())
                    } else {
                        words.contains(&k.as_str())
                    }
                });
            if hit {
                out.push((i as u16, attacks));
            }
        }
        out
    }
}

/// Marks are `entity << 1 | attacks`.
impl lockstep_ingest::Annotate for Watchlist {
    fn marks(&self, event: &Event, out: &mut Vec<u32>) {
        out.extend(
            self.matches(event)
                .into_iter()
                .map(|(ent, attack)| (u32::from(ent) << 1) | u32::from(attack)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r##"
        [[entity]]
        name = "Călin Georgescu"
        handles = ["@calin.georgescu.oficial"]
        hashtags = ["#CalinGeorgescu", "cg11"]
        keywords = ["Georgescu"]

        [[entity]]
        name = "Elena Lasconi"
        handles = ["elena.lasconi"]
        hashtags = ["elenalasconi"]
        keywords = ["Lasconi"]
    "##;

    fn post(text: &str, tags: &[&str]) -> Event {
        let mut e = Event::new("1", "a", 0);
        e.text = Some(text.into());
        e.hashtags = tags.iter().map(|t| t.to_string()).collect();
        e
    }

    #[test]
    fn references_promote_or_attack() {
        let w = Watchlist::parse(LIST).unwrap();
        assert_eq!(w.names.len(), 2);
        assert_eq!(w.matches(&post("Votați GEORGESCU!", &[])), vec![(0, false)]);
        assert_eq!(w.matches(&post("azi", &["CG11"])), vec![(0, false)]);
        assert_eq!(w.matches(&post("Lasconi minte", &[])), vec![(1, true)]);
        assert_eq!(
            w.matches(&post("adevarul", &["lasconiminte", "elenalasconi"])),
            vec![(1, true)]
        );
        assert!(
            w.matches(&post("Georgescuism nu e un cuvânt", &[]))
                .is_empty(),
            "whole words only"
        );
        let mut c = post("❤️", &[]);
        c.parent_account = Some("elena.lasconi".into());
        assert_eq!(
            w.matches(&c),
            vec![(1, false)],
            "a comment under the entity's post references it"
        );
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(Watchlist::parse("").is_err());
        assert!(Watchlist::parse("[[entity]]\nnme = \"x\"").is_err());
        let w =
            Watchlist::parse("[[entity]]\nname='x'\nkeywords=['x']\n[attack]\nkeywords=['rau']")
                .unwrap();
        assert_eq!(w.matches(&post("x e rau", &[])), vec![(0, true)]);
        assert_eq!(
            w.matches(&post("x minte", &[])),
            vec![(0, false)],
            "the file's attack list replaces the default"
        );
    }
}
