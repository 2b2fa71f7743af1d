//! Near-duplicate families that grow: each new text is matched against the horizon's LSH
//! index (the text stage's shingles, band keys and exact Jaccard check) and joins the family
//! of the earliest text it matches. A family is named, as in batch, by its first text's post
//! id. Differences from the batch stage (documented in the README): a text that bridges two
//! existing families joins the earlier one instead of uniting them, and a family is a script
//! when its two founding texts' longer one has `script_words` words (batch: the median).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    shingles: Vec<u64>,
    keys: Vec<u64>,
    family: Option<u64>,
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
    buckets: FxHashMap<u64, VecDeque<u64>>,
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

    /// Indexes the text of event `seq` and says which family it joins, if any.
    pub fn add(&mut self, seq: u64, _time: i64, text: &str, script_words: usize) -> Option<Join> {
        if self.entries.is_empty() {
            self.front = seq;
        }
        // Seqs only grow (the engine numbers events as they come); an earlier one would
        // break the offsets and is not indexed.
        let gap = seq.checked_sub(self.front + self.entries.len() as u64)?;
        let shingles = lockstep_text::shingles(text, self.min_tokens);
        if shingles.is_empty() {
            return None;
        }
        let keys = lockstep_text::band_keys(&shingles);
        // Per bucket, the first text and the latest (as the text stage verifies them): the
        // work stays linear in the texts, whatever a bucket's size.
        let mut cands: Vec<u64> = Vec::new();
        for k in &keys {
            if let Some(b) = self.buckets.get(k) {
                cands.extend(b.front());
                cands.extend(b.back());
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
        for &k in &keys {
            self.buckets.entry(k).or_default().push_back(seq);
        }
        let len = shingles.len();
        self.entries.extend((0..gap).map(|_| None));
        self.entries.push_back(Some(Entry {
            shingles,
            keys: keys.to_vec(),
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
        for k in &e.keys {
            if let Some(b) = self.buckets.get_mut(k) {
                if b.front() == Some(&seq) {
                    b.pop_front();
                } else {
                    b.retain(|&s| s != seq);
                }
                if b.is_empty() {
                    self.buckets.remove(k);
                }
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
