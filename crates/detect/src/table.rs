//! The columnar event table: accounts interned to dense ids, one slot per event.

use lockstep_core::{Event, Kind, StrArena};
use rustc_hash::FxHashMap;

#[derive(Default)]
pub struct EventTable {
    pub accounts: Vec<String>,
    account_ids: FxHashMap<String, u32>,
    pub account_created: Vec<Option<i64>>,
    pub followers: Vec<Option<u64>>,
    pub platforms: Vec<String>,
    pub ev_account: Vec<u32>,
    pub ev_time: Vec<i64>,
    pub ev_id: StrArena,
    pub ev_kind: Vec<Kind>,
    pub ev_platform: Vec<u8>,
    /// Empty when the event has no text (or texts are not kept).
    pub ev_text: StrArena,
    /// Each event's folded hashtags as ids into `tags` (CSR: `ev_tags_at[e]..ev_tags_at[e+1]`),
    /// for the marker-hashtag signal whatever layers are on.
    pub ev_tags_at: Vec<u32>,
    pub ev_tags: Vec<u32>,
    pub tags: Vec<String>,
    tag_ids: FxHashMap<String, u32>,
}

impl EventTable {
    /// Appends an event whose hashtags are already folded (`lockstep_trace::fold_hashtag`,
    /// empty ones dropped, each once); returns (event index, account id).
    pub fn push<'t>(
        &mut self,
        e: &Event,
        tags: impl Iterator<Item = &'t str>,
        keep_text: bool,
    ) -> (u32, u32) {
        let acc = match self.account_ids.get(e.account.as_str()) {
            Some(&id) => id,
            None => {
                let id = self.accounts.len() as u32;
                self.account_ids.insert(e.account.clone(), id);
                self.accounts.push(e.account.clone());
                self.account_created.push(None);
                self.followers.push(None);
                id
            }
        };
        let a = acc as usize;
        if self.account_created[a].is_none() {
            self.account_created[a] = e.account_created_ms;
        }
        if self.followers[a].is_none() {
            self.followers[a] = e.followers;
        }
        let platform = match self.platforms.iter().position(|p| *p == e.platform) {
            Some(i) => i,
            None => {
                self.platforms.push(e.platform.clone());
                self.platforms.len() - 1
            }
        };
        let idx = self.ev_time.len() as u32;
        if self.ev_tags_at.is_empty() {
            self.ev_tags_at.push(0);
        }
        for f in tags {
            let id = match self.tag_ids.get(f) {
                Some(&id) => id,
                None => {
                    let id = self.tags.len() as u32;
                    self.tags.push(f.to_string());
                    self.tag_ids.insert(f.to_string(), id);
                    id
                }
            };
            self.ev_tags.push(id);
        }
        self.ev_tags_at.push(self.ev_tags.len() as u32);
        self.ev_account.push(acc);
        self.ev_time.push(e.time_ms);
        self.ev_id.push(&e.id);
        self.ev_kind.push(e.kind);
        self.ev_platform.push(platform.min(255) as u8);
        self.ev_text.push(match &e.text {
            Some(t) if keep_text => t,
            _ => "",
        });
        (idx, acc)
    }

    pub fn len(&self) -> usize {
        self.ev_time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ev_time.is_empty()
    }

    /// The folded hashtag ids of an event.
    pub fn tags_of(&self, ev: usize) -> &[u32] {
        &self.ev_tags[self.ev_tags_at[ev] as usize..self.ev_tags_at[ev + 1] as usize]
    }

    /// The event's text, if it has one and texts are kept.
    pub fn text(&self, ev: u32) -> Option<&str> {
        Some(&self.ev_text[ev as usize]).filter(|t| !t.is_empty())
    }

    pub fn platform(&self, ev: u32) -> &str {
        &self.platforms[self.ev_platform[ev as usize] as usize]
    }

    /// A link to the post where the platform has a stable URL scheme.
    pub fn link(&self, ev: u32) -> Option<String> {
        let id = &self.ev_id[ev as usize];
        let user = &self.accounts[self.ev_account[ev as usize] as usize];
        match self.platform(ev) {
            "tiktok" if self.ev_kind[ev as usize] == Kind::Post => {
                Some(format!("https://www.tiktok.com/@{user}/video/{id}"))
            }
            "x" | "twitter" => Some(format!("https://x.com/i/status/{id}")),
            _ => None,
        }
    }
}
