//! Near-duplicate families that grow: each new text is matched against the horizon's LSH
//! index (the text stage's shingles, band keys and exact Jaccard check) and joins the family
//! of the earliest text it matches. A family is named, as in batch, by its first text's post
//! id. Differences from the batch stage (documented in the README): a text that bridges two
//! existing families joins the earlier one instead of uniting them, and a family is a script
//! when its two founding texts' longer one has `script_words` words (batch: the median).

use lockstep_text::BANDS;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// No seq: the end of a bucket's list.
const NONE: u64 = u64::MAX;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    shingles: Vec<u64>,
    keys: [u64; BANDS],
    /// Per band, the next text (in seq order) of the bucket of `keys[band]`: each bucket is
    /// a list threaded through its entries, so indexing a text allocates nothing per band.
    next: [u64; BANDS],
    family: Option<u64>,
}

impl Entry {
    /// The band at which this entry holds key `k` (the first, should a text's bands share a
    /// key): its place in `k`'s bucket list.
    fn band(&self, k: u64) -> Option<usize> {
        self.keys.iter().position(|&x| x == k)
    }
}

/// A bucket: its first and its latest text.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Bucket {
    head: u64,
    tail: u64,
}

/// A text ready for the index: see [`TextIndex::prepare`].
pub struct Prepared {
    shingles: Vec<u64>,
    keys: [u64; BANDS],
}

/// A text joined a family; `founded` when it made one with an earlier text (that text's seq
/// and the family's window class).
pub struct Join {
    pub family_key: u64,
    pub founded: Option<(u64, u8)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextIndex {
    similarity: f64,
    min_tokens: usize,
    /// Indexed by seq − `front` (events without a text hold `None`): events come and leave in
    /// seq order, so a lookup is an offset, not a search.
    entries: VecDeque<Option<Entry>>,
    #[serde(default)]
    front: u64,
    buckets: FxHashMap<u64, Bucket>,
    /// family key → (trace, texts holding it).
    families: FxHashMap<u64, (u32, u32)>,
}

impl TextIndex {
    pub fn new(similarity: f64, min_tokens: usize) -> TextIndex {
        TextIndex {
            similarity,
            min_tokens,
            entries: VecDeque::new(),
            front: 0,
            buckets: FxHashMap::default(),
            families: FxHashMap::default(),
        }
    }

    fn entry(&self, seq: u64) -> Option<&Entry> {
        let i = seq.checked_sub(self.front)?;
        self.entries.get(i as usize)?.as_ref()
    }

    fn entry_mut(&mut self, seq: u64) -> Option<&mut Entry> {
        let i = seq.checked_sub(self.front)?;
        self.entries.get_mut(i as usize)?.as_mut()
    }

    /// A text's shingles and band keys (`None` when too short to index): pure, so a tick
    /// prepares its texts on every core before adding them in order.
    pub fn prepare(min_tokens: usize, text: &str) -> Option<Prepared> {
        let shingles = lockstep_text::shingles(text, min_tokens);
        if shingles.is_empty() {
            return None;
        }
        let keys = lockstep_text::band_keys(&shingles);
        Some(Prepared { shingles, keys })
    }

    pub fn min_tokens(&self) -> usize {
        self.min_tokens
    }

    /// Indexes the (prepared) text of event `seq` and says which family it joins, if any.
    pub fn add(&mut self, seq: u64, text: Prepared, script_words: usize) -> Option<Join> {
        if self.entries.is_empty() {
            self.front = seq;
        }
        // Seqs only grow (the engine numbers events as they come); an earlier one would
        // break the offsets and is not indexed.
        let gap = seq.checked_sub(self.front + self.entries.len() as u64)?;
        let Prepared { shingles, keys } = text;
        // Per bucket, the first text and the latest (as the text stage verifies them): the
        // work stays linear in the texts, whatever a bucket's size.
        let mut cands: Vec<u64> = Vec::new();
        for k in &keys {
            if let Some(b) = self.buckets.get(k) {
                cands.push(b.head);
                cands.push(b.tail);
            }
        }
        cands.sort_unstable();
        cands.dedup();
        let mut matched = None;
        for c in cands {
            if let Some(e) = self.entry(c) {
                if lockstep_text::similar_at_least(&shingles, &e.shingles, self.similarity) {
                    matched = Some((c, e.family, e.shingles.len()));
                    break;
                }
            }
        }
        for (i, &k) in keys.iter().enumerate() {
            if keys[..i].contains(&k) {
                continue;
            }
            match self.buckets.get_mut(&k) {
                Some(b) => {
                    let tail = b.tail;
                    b.tail = seq;
                    if let Some(t) = self.entry_mut(tail) {
                        if let Some(j) = t.band(k) {
                            t.next[j] = seq;
                        }
                    }
                }
                None => {
                    self.buckets.insert(
                        k,
                        Bucket {
                            head: seq,
                            tail: seq,
                        },
                    );
                }
            }
        }
        let len = shingles.len();
        self.entries.extend((0..gap).map(|_| None));
        self.entries.push_back(Some(Entry {
            shingles,
            keys,
            next: [NONE; BANDS],
            family: None,
        }));
        let (c, family, c_len) = matched?;
        Some(match family {
            Some(f) => Join {
                family_key: f,
                founded: None,
            },
            None => {
                let script = c_len.max(len) + 1 >= script_words;
                Join {
                    family_key: c,
                    founded: Some((c, u8::from(script))),
                }
            }
        })
    }

    pub fn family_trace(&self, key: u64) -> Option<u32> {
        self.families.get(&key).map(|f| f.0)
    }

    /// Records that text `seq` belongs to family `key` (trace `trace`); `add_ref` takes a
    /// reference on the trace for it.
    pub fn set_family(&mut self, seq: u64, key: u64, trace: u32, add_ref: &mut dyn FnMut(u32)) {
        let Some(e) = self.entry_mut(seq) else {
            return;
        };
        if e.family.is_some() {
            return;
        }
        e.family = Some(key);
        let f = self.families.entry(key).or_insert((trace, 0));
        f.1 += 1;
        add_ref(f.0);
    }

    /// Drops the text of event `seq` (evicted); `release` gives back its family's trace.
    pub fn evict(&mut self, seq: u64, release: &mut dyn FnMut(u32)) {
        let Some(e) = seq
            .checked_sub(self.front)
            .and_then(|i| self.entries.get_mut(i as usize))
            .and_then(Option::take)
        else {
            return;
        };
        while self.entries.front().is_some_and(Option::is_none) {
            self.entries.pop_front();
            self.front += 1;
        }
        for (i, &k) in e.keys.iter().enumerate() {
            if e.keys[..i].contains(&k) {
                continue;
            }
            let Some(b) = self.buckets.get_mut(&k) else {
                continue;
            };
            let next = e.next[i];
            if b.head == seq {
                // Texts leave in seq order: the usual case, the bucket's first.
                if next == NONE {
                    self.buckets.remove(&k);
                } else {
                    b.head = next;
                }
                continue;
            }
            // Out of order: unlink it from its predecessor.
            let (mut cur, tail) = (b.head, b.tail);
            while cur != NONE {
                let Some(c) = self.entry_mut(cur) else { break };
                let Some(j) = c.band(k) else { break };
                if c.next[j] == seq {
                    c.next[j] = next;
                    if tail == seq {
                        if let Some(b) = self.buckets.get_mut(&k) {
                            b.tail = cur;
                        }
                    }
                    break;
                }
                cur = c.next[j];
            }
        }
        if let Some(key) = e.family {
            if let Some(f) = self.families.get_mut(&key) {
                release(f.0);
                f.1 -= 1;
                if f.1 == 0 {
                    self.families.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "vote for the only candidate who defends our faith and our families now";

    fn index() -> TextIndex {
        TextIndex::new(0.5, 4)
    }

    fn add_text(ix: &mut TextIndex, seq: u64, text: &str) -> Option<Join> {
        let p = TextIndex::prepare(ix.min_tokens, text)?;
        ix.add(seq, p, 5)
    }

    #[test]
    fn a_near_duplicate_joins_the_first_texts_family() {
        let mut ix = index();
        assert!(add_text(&mut ix, 0, SCRIPT).is_none());
        assert!(add_text(
            &mut ix,
            1,
            "a quiet walk in the park with my dog this morning"
        )
        .is_none());
        let j = add_text(&mut ix, 2, &format!("{SCRIPT} today")).expect("matches text 0");
        assert_eq!(j.family_key, 0);
        assert!(j.founded.is_some());
    }

    #[test]
    fn eviction_in_any_order_leaves_no_bucket_behind() {
        let mut ix = index();
        for s in 0..6u64 {
            add_text(&mut ix, s, &format!("{SCRIPT} {s}"));
        }
        // Out of order: the middle, the latest, then the rest.
        for s in [3u64, 5, 0, 1, 2, 4] {
            ix.evict(s, &mut |_| {});
            // Every bucket's list still reaches its tail through live entries.
            for (&k, b) in &ix.buckets {
                let mut cur = b.head;
                let mut last = NONE;
                while cur != NONE {
                    assert_ne!(cur, s, "an evicted text is still listed");
                    let e = ix.entry(cur).expect("a bucket lists a live text");
                    last = cur;
                    cur = e.next[e.band(k).unwrap()];
                }
                assert_eq!(last, b.tail);
            }
        }
        assert!(ix.buckets.is_empty());
        assert!(ix.entries.is_empty());
    }

    #[test]
    fn a_text_matches_after_the_bucket_head_left() {
        let mut ix = index();
        add_text(&mut ix, 0, SCRIPT);
        add_text(&mut ix, 1, &format!("{SCRIPT} one"));
        ix.evict(0, &mut |_| {});
        let j = add_text(&mut ix, 2, &format!("{SCRIPT} two")).expect("matches text 1");
        assert_eq!(j.family_key, 1);
    }
}
