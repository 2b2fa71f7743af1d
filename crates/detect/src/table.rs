//! The columnar event table: accounts interned to dense ids, one slot per event.

use lockstep_core::{Event, Kind, StrArena};
use lockstep_trace::{key_hash, HashIndex};

/// The id of `name` (whose [`key_hash`] is `h`) in `names`, appending it if new; also
/// whether it was new.
fn get_or_add(index: &mut HashIndex, h: u64, names: &mut Vec<String>, name: &str) -> (u32, bool) {
    if let Some(id) = index.find(h, |id| names[id as usize] == name) {
        return (id, false);
    }
    let id = names.len() as u32;
    names.push(name.to_string());
    index.insert(h, id);
    (id, true)
}

#[derive(Default)]
pub struct EventTable {
    pub accounts: Vec<String>,
    account_ids: HashIndex,
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
    tag_ids: HashIndex,
}

impl EventTable {
    /// Appends an event whose hashtags are already folded (`lockstep_trace::fold_hashtag`,
    /// empty ones dropped, each once); `account_hash` and the tags' hashes are
    /// [`key_hash`]es. Returns (event index, account id).
    pub fn push<'t>(
        &mut self,
        e: &Event,
        account_hash: u64,
        tags: impl Iterator<Item = (&'t str, u64)>,
        keep_text: bool,
    ) -> (u32, u32) {
        debug_assert_eq!(account_hash, key_hash(&e.account));
        let (acc, new) = get_or_add(
            &mut self.account_ids,
            account_hash,
            &mut self.accounts,
            &e.account,
        );
        if new {
            self.account_created.push(None);
            self.followers.push(None);
        }
        let a = acc as usize;
        // Most inputs carry neither: the account's slots are then not touched at all.
        if let Some(c) = e.account_created_ms {
            self.account_created[a].get_or_insert(c);
        }
        if let Some(f) = e.followers {
            self.followers[a].get_or_insert(f);
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
        for (f, h) in tags {
            debug_assert_eq!(h, key_hash(f));
            let (id, _) = get_or_add(&mut self.tag_ids, h, &mut self.tags, f);
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

    /// Makes room for `events` more events (and `text_bytes` of their text), where memory
    /// allows; nothing is touched until used.
    pub fn try_reserve(&mut self, events: usize, text_bytes: Option<usize>) {
        let _ = self.ev_account.try_reserve(events);
        let _ = self.ev_time.try_reserve(events);
        let _ = self.ev_kind.try_reserve(events);
        let _ = self.ev_platform.try_reserve(events);
        let _ = self.ev_tags_at.try_reserve(events.saturating_add(1));
        // Post ids are ~20 bytes.
        self.ev_id.try_reserve(events, events.saturating_mul(20));
        if let Some(bytes) = text_bytes {
            self.ev_text.try_reserve(events, bytes);
        }
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
