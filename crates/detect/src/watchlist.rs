//! `--watchlist`: named entities (candidates, parties) with their handles, hashtags and
//! keywords. Each cluster reports which entities its posts promote or attack, with counts.
//!
//! A post *references* an entity when it mentions or replies to one of its handles, carries one
//! of its hashtags, or contains one of its keywords (all folded: case and diacritics ignored).
//! A referencing post *attacks* when it also carries an attack keyword (the file's `[attack]`
//! list, or a built-in Romanian/English default), including inside a hashtag such as
//! `#lasconiminte`; otherwise it *promotes*. This is a pointer for the analyst, not a
//! sentiment model.

use anyhow::{Context, Result};
use lockstep_core::Event;
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
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Target {
    pub entity: String,
    pub posts: u32,
    pub promotes: u32,
    pub attacks: u32,
}

impl Watchlist {
    pub fn load(path: &Path) -> Result<Watchlist> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read watchlist", path.display()))?;
        Self::parse(&text).with_context(|| format!("{}: not a valid watchlist", path.display()))
    }

    pub fn parse(text: &str) -> Result<Watchlist> {
        let f: File = toml::from_str(text)?;
        anyhow::ensure!(!f.entities.is_empty(), "no [[entity]] entries");
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
