//! The columnar event table: accounts interned to dense ids, one slot per event.

use lockstep_core::{Event, Kind, StrArena};
use lockstep_trace::{key_hash, HashIndex};

/// The hash an account is filed under: its platform and name.
pub fn account_key_hash(platform: &str, name: &str) -> u64 {
    key_hash(name) ^ key_hash(platform).rotate_left(17)
}

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

/// Events column by column, accounts and hashtags interned to dense ids. Event `e` is the
/// `e`-th event read (files in path order, records in file order); account `a` the `a`-th
/// account first seen. Columns are private: readers of the table go through accessors, so
/// the layout can change without touching them.
/// Every event's text, by event index (see [`EventTable::texts`]).
#[derive(Clone, Copy)]
pub struct Texts<'a>(&'a EventTable);

impl lockstep_text::Corpus for Texts<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn text(&self, i: usize) -> &str {
        &self.0.ev_text[self.0.slot_of(i as u32) as usize]
    }
}

#[derive(Default)]
pub struct EventTable {
    /// Account names as outputs show them: the name itself, or `platform:name` when the data
    /// holds accounts of several platforms (so `tiktok:ana_92` and `x:ana_92` stay apart).
    accounts: Vec<String>,
    /// Each account's platform (index into `platforms`).
    account_platform: Vec<u16>,
    /// The names alone, when `accounts` carry platform prefixes.
    handles: Option<Vec<String>>,
    account_ids: HashIndex,
    account_created: Vec<Option<i64>>,
    followers: Vec<Option<u64>>,
    platforms: Vec<String>,
    ev_account: Vec<u32>,
    ev_time: Vec<i64>,
    ev_id: StrArena,
    ev_kind: Vec<Kind>,
    ev_platform: Vec<u16>,
    /// The post each event belongs to: events are posts, except in formats that spread one
    /// post over several rows (one per shared object), whose rows share a post.
    ev_post: Vec<u32>,
    /// Where each event was read: the input's index and the record's first line.
    ev_file: Vec<u32>,
    ev_line: Vec<u32>,
    /// Empty when the event has no text (or texts are not kept).
    ev_text: StrArena,
    /// Where event `e`'s id and text are in `ev_id` and `ev_text`: the arenas stay in the
    /// order of reading when the events are put in canonical order (copying them would
    /// double the largest allocation of the run for a moment). Empty: the same index.
    slot: Vec<u32>,
    /// Each event's folded hashtags as ids into `tags` (CSR: `ev_tags_at[e]..ev_tags_at[e+1]`),
    /// for the marker-hashtag signal whatever layers are on.
    ev_tags_at: Vec<u32>,
    ev_tags: Vec<u32>,
    tags: Vec<String>,
    tag_ids: HashIndex,
}

impl EventTable {
    /// Appends an event whose hashtags are already folded (`lockstep_trace::fold_hashtag`,
    /// empty ones dropped, each once); `account_hash` and the tags' hashes are
    /// [`key_hash`]es. Returns (event index, account id).
    pub fn push<'t>(
        &mut self,
        e: &Event,
        (file, line): (u32, u64),
        account_hash: u64,
        tags: impl Iterator<Item = (&'t str, u64)>,
        keep_text: bool,
    ) -> (u32, u32) {
        debug_assert_eq!(account_hash, account_key_hash(&e.platform, &e.account));
        let platform = match self.platforms.iter().position(|p| *p == e.platform) {
            Some(i) => i,
            None => {
                self.platforms.push(e.platform.clone());
                self.platforms.len() - 1
            }
        };
        // Past 65,535 platform names (no real input has a tenth) the last ones share a slot.
        let platform = platform.min(usize::from(u16::MAX)) as u16;
        // An account is a name on a platform: `ana_92` on TikTok is not `ana_92` on X.
        let (accounts, account_platform) = (&self.accounts, &self.account_platform);
        let acc = match self.account_ids.find(account_hash, |id| {
            account_platform[id as usize] == platform && accounts[id as usize] == e.account
        }) {
            Some(id) => id,
            None => {
                let id = self.accounts.len() as u32;
                self.accounts.push(e.account.clone());
                self.account_platform.push(platform);
                self.account_ids.insert(account_hash, id);
                self.account_created.push(None);
                self.followers.push(None);
                id
            }
        };
        let a = acc as usize;
        // Most inputs carry neither: the account's slots are then not touched at all. Where
        // records disagree, the earliest creation time and the largest follower count stand,
        // whatever order the records come in.
        if let Some(c) = e.account_created_ms {
            let slot = &mut self.account_created[a];
            *slot = Some(slot.map_or(c, |old| old.min(c)));
        }
        if let Some(f) = e.followers {
            let slot = &mut self.followers[a];
            *slot = Some(slot.map_or(f, |old| old.max(f)));
        }
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
        self.ev_post.push(idx);
        self.ev_file.push(file);
        // Lines past 2^32 (a 4-billion-line file) are recorded as the last representable one.
        self.ev_line.push(u32::try_from(line).unwrap_or(u32::MAX));
        // Past 65,535 platform names (no real input has a tenth) the last ones share a slot.
        self.ev_platform.push(platform);
        self.ev_text.push(match &e.text {
            Some(t) if keep_text => t,
            _ => "",
        });
        (idx, acc)
    }

    /// Rebuilds every column in `order` (old event indices, the events kept), with accounts,
    /// hashtags and platforms renumbered by name. `post_of[old]` is the old index of the
    /// event's post (itself for most); `new_of[old]` the new index of a kept event. Returns
    /// old account id → new account id (`u32::MAX` for accounts left without events). After
    /// this the table takes no more [`EventTable::push`]es.
    pub(crate) fn reorder(&mut self, order: &[u32], post_of: &[u32], new_of: &[u32]) -> Vec<u32> {
        use rayon::prelude::*;
        // Accounts, tags and platforms by name, only those still in use.
        let renumber = |names: &[String], used: &[bool]| -> (Vec<u32>, Vec<String>) {
            let mut ids: Vec<u32> = (0..names.len() as u32)
                .filter(|&i| used[i as usize])
                .collect();
            ids.par_sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
            let mut map = vec![u32::MAX; names.len()];
            for (new, &old) in ids.iter().enumerate() {
                map[old as usize] = new as u32;
            }
            let sorted = ids.iter().map(|&i| names[i as usize].clone()).collect();
            (map, sorted)
        };
        let mut used = vec![false; self.accounts.len()];
        let mut tag_used = vec![false; self.tags.len()];
        let mut platform_used = vec![false; self.platforms.len()];
        for &e in order {
            used[self.ev_account[e as usize] as usize] = true;
            platform_used[self.ev_platform[e as usize] as usize] = true;
            for &t in self.tags_of(e) {
                tag_used[t as usize] = true;
            }
        }
        // Several platforms: accounts are shown as `platform:name`, and ordered so.
        let platforms_used: std::collections::BTreeSet<u16> = (0..self.accounts.len())
            .filter(|&a| used[a] && !self.platforms[self.account_platform[a] as usize].is_empty())
            .map(|a| self.account_platform[a])
            .collect();
        let multi = platforms_used.len() > 1;
        let shown: Vec<String> = if multi {
            (0..self.accounts.len())
                .map(|a| {
                    let p = &self.platforms[self.account_platform[a] as usize];
                    if p.is_empty() {
                        self.accounts[a].clone()
                    } else {
                        format!("{p}:{}", self.accounts[a])
                    }
                })
                .collect()
        } else {
            std::mem::take(&mut self.accounts)
        };
        let (account_map, accounts) = renumber(&shown, &used);
        let handles = multi.then(|| {
            let mut h = vec![String::new(); accounts.len()];
            for (old, &new) in account_map.iter().enumerate() {
                if new != u32::MAX {
                    h[new as usize] = self.accounts[old].clone();
                }
            }
            h
        });
        let (tag_map, tags) = renumber(&self.tags, &tag_used);
        let (platform_map, platforms) = renumber(&self.platforms, &platform_used);
        let mut created = vec![None; accounts.len()];
        let mut followers = vec![None; accounts.len()];
        let mut account_platform = vec![0u16; accounts.len()];
        for (old, &new) in account_map.iter().enumerate() {
            if new != u32::MAX {
                created[new as usize] = self.account_created[old];
                followers[new as usize] = self.followers[old];
                account_platform[new as usize] =
                    platform_map[self.account_platform[old] as usize] as u16;
            }
        }
        let col = |f: &(dyn Fn(usize) -> u32 + Sync)| -> Vec<u32> {
            order.par_iter().map(|&e| f(e as usize)).collect()
        };
        let ev_account = col(&|e| account_map[self.ev_account[e] as usize]);
        let ev_file = col(&|e| self.ev_file[e]);
        let ev_line = col(&|e| self.ev_line[e]);
        let ev_post = col(&|e| new_of[post_of[e] as usize]);
        let ev_time: Vec<i64> = order
            .par_iter()
            .map(|&e| self.ev_time[e as usize])
            .collect();
        let ev_kind: Vec<Kind> = order
            .par_iter()
            .map(|&e| self.ev_kind[e as usize])
            .collect();
        let ev_platform: Vec<u16> = order
            .par_iter()
            .map(|&e| platform_map[self.ev_platform[e as usize] as usize] as u16)
            .collect();
        let slot: Vec<u32> = order.par_iter().map(|&e| self.slot_of(e)).collect();
        let mut ev_tags_at = Vec::with_capacity(order.len() + 1);
        let mut ev_tags = Vec::with_capacity(self.ev_tags.len());
        ev_tags_at.push(0);
        for &e in order {
            ev_tags.extend(self.tags_of(e).iter().map(|&t| tag_map[t as usize]));
            ev_tags_at.push(ev_tags.len() as u32);
        }
        *self = EventTable {
            accounts,
            account_platform,
            handles,
            account_ids: HashIndex::default(),
            account_created: created,
            followers,
            platforms,
            ev_account,
            ev_time,
            ev_id: std::mem::take(&mut self.ev_id),
            ev_kind,
            ev_platform,
            ev_post,
            ev_file,
            ev_line,
            ev_text: std::mem::take(&mut self.ev_text),
            slot,
            ev_tags_at,
            ev_tags,
            tags,
            tag_ids: HashIndex::default(),
        };
        account_map
    }

    /// Makes room for `events` more events (and `text_bytes` of their text), where memory
    /// allows; nothing is touched until used.
    pub fn try_reserve(&mut self, events: usize, text_bytes: Option<usize>) {
        let _ = self.ev_account.try_reserve(events);
        let _ = self.ev_time.try_reserve(events);
        let _ = self.ev_kind.try_reserve(events);
        let _ = self.ev_platform.try_reserve(events);
        let _ = self.ev_post.try_reserve(events);
        let _ = self.ev_file.try_reserve(events);
        let _ = self.ev_line.try_reserve(events);
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
    pub fn tags_of(&self, ev: u32) -> &[u32] {
        let ev = ev as usize;
        &self.ev_tags[self.ev_tags_at[ev] as usize..self.ev_tags_at[ev + 1] as usize]
    }

    /// Distinct folded hashtags (ids are `0..n_tags()`).
    pub fn n_tags(&self) -> usize {
        self.tags.len()
    }

    /// A folded hashtag by id.
    pub fn tag(&self, id: u32) -> &str {
        &self.tags[id as usize]
    }

    /// Where event `ev`'s strings are in the arenas.
    fn slot_of(&self, ev: u32) -> u32 {
        self.slot.get(ev as usize).copied().unwrap_or(ev)
    }

    /// The event's text, if it has one and texts are kept.
    pub fn text(&self, ev: u32) -> Option<&str> {
        Some(&self.ev_text[self.slot_of(ev) as usize]).filter(|t| !t.is_empty())
    }

    /// Every event's text (empty where there is none), indexed by event.
    pub fn texts(&self) -> Texts<'_> {
        Texts(self)
    }

    pub fn platform(&self, ev: u32) -> &str {
        &self.platforms[self.ev_platform[ev as usize] as usize]
    }

    /// The platform names seen, in first-seen order (empty for inputs that name none).
    pub fn platforms(&self) -> &[String] {
        &self.platforms
    }

    /// Accounts seen.
    pub fn n_accounts(&self) -> usize {
        self.accounts.len()
    }

    /// An account as outputs name it: the name exactly as in the input, prefixed `platform:`
    /// when the data holds accounts of several platforms.
    pub fn account_name(&self, account: u32) -> &str {
        &self.accounts[account as usize]
    }

    /// An account's name alone, exactly as in the input.
    pub fn account_handle(&self, account: u32) -> &str {
        match &self.handles {
            Some(h) => &h[account as usize],
            None => &self.accounts[account as usize],
        }
    }

    /// An account's platform (empty when the input names none).
    pub fn account_platform(&self, account: u32) -> &str {
        &self.platforms[self.account_platform[account as usize] as usize]
    }

    /// Every account's name, indexed by account id.
    pub fn account_names(&self) -> &[String] {
        &self.accounts
    }

    /// When the account was created, where the input says.
    pub fn account_created(&self, account: u32) -> Option<i64> {
        self.account_created[account as usize]
    }

    /// The account's follower count, where the input says.
    pub fn followers(&self, account: u32) -> Option<u64> {
        self.followers[account as usize]
    }

    /// The account that did event `ev`.
    pub fn account(&self, ev: u32) -> u32 {
        self.ev_account[ev as usize]
    }

    /// Each event's account, indexed by event.
    pub fn event_accounts(&self) -> &[u32] {
        &self.ev_account
    }

    /// When event `ev` happened (unix ms).
    pub fn time(&self, ev: u32) -> i64 {
        self.ev_time[ev as usize]
    }

    /// Each event's time, indexed by event.
    pub fn times(&self) -> &[i64] {
        &self.ev_time
    }

    /// The post id as the platform gives it.
    pub fn id(&self, ev: u32) -> &str {
        &self.ev_id[self.slot_of(ev) as usize]
    }

    pub fn kind(&self, ev: u32) -> Kind {
        self.ev_kind[ev as usize]
    }

    /// Each event's post, indexed by event (see [`EventTable::canonicalize`]): two events
    /// share a post only when they are rows of one post.
    pub fn posts(&self) -> &[u32] {
        &self.ev_post
    }

    /// Where event `ev` was read: the index of its input (in `Ingested::inputs`) and the
    /// 1-based line its record starts on.
    pub fn source(&self, ev: u32) -> (u32, u32) {
        (self.ev_file[ev as usize], self.ev_line[ev as usize])
    }

    /// A link to the post where the platform has a stable URL scheme.
    pub fn link(&self, ev: u32) -> Option<String> {
        let id = self.id(ev);
        let user = self.account_handle(self.ev_account[ev as usize]);
        match self.platform(ev) {
            "tiktok" if self.ev_kind[ev as usize] == Kind::Post => {
                Some(format!("https://www.tiktok.com/@{user}/video/{id}"))
            }
            "x" | "twitter" => Some(format!("https://x.com/i/status/{id}")),
            _ => None,
        }
    }
}
