//! Behavioural layers: each turns an [`Event`] into zero or more *traces*, the keys on which
//! two accounts can co-act (`repost:<id>`, `url:<normalized>`, `hashtag:<folded>`, …).
//!
//! A layer is one small impl of [`Layer`]; adding a behaviour is adding one file. Trace keys
//! are interned by [`TraceTable`] so later stages work on dense `u32` ids.

mod fold;
mod url;

pub use fold::{fold, fold_hashtag, fold_hashtag_into, fold_into};
pub use url::normalize_url;

use lockstep_core::{Event, Kind};

/// The behaviour a trace records. The discriminant is the bit used in layer masks. Names
/// (and the aliases users type) are defined here once; `Display`, parsing, serde and the
/// command line go through them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(ascii_case_insensitive)]
pub enum LayerKind {
    #[strum(
        to_string = "repost",
        serialize = "retweet",
        serialize = "share",
        serialize = "co-retweet"
    )]
    Repost = 0,
    #[strum(to_string = "url", serialize = "link", serialize = "urls")]
    Url = 1,
    #[strum(to_string = "reply", serialize = "comment", serialize = "co-reply")]
    Reply = 2,
    #[strum(to_string = "hashtag")]
    Hashtag = 3,
    #[strum(to_string = "mention")]
    Mention = 4,
    #[strum(to_string = "sound")]
    Sound = 5,
    #[strum(to_string = "hashtags", serialize = "hashtag-set")]
    HashtagSet = 6,
    #[strum(to_string = "text")]
    Text = 7,
    #[strum(to_string = "media")]
    Media = 8,
}
lockstep_core::serde_by_name!(LayerKind);

impl LayerKind {
    pub const ALL: &'static [LayerKind] = <LayerKind as strum::VariantArray>::VARIANTS;
    /// The default set: every layer but the single `hashtag`. One post carries several tags
    /// (`#fyp #foryou #viral`), so per-tag traces turn one coincidence into several dependent
    /// co-actions; the hashtag *set* says the same once. `--layers` can add it back.
    pub const DEFAULT: [LayerKind; 8] = [
        LayerKind::Repost,
        LayerKind::Url,
        LayerKind::Reply,
        LayerKind::Mention,
        LayerKind::Sound,
        LayerKind::HashtagSet,
        LayerKind::Text,
        LayerKind::Media,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    /// A layer by its name or an alias, case-insensitive.
    pub fn parse(s: &str) -> Option<LayerKind> {
        s.trim().parse().ok()
    }

    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// Names of the layers set in `mask`, in canonical order.
    pub fn names_in(mask: u32) -> Vec<&'static str> {
        LayerKind::ALL
            .iter()
            .filter(|l| mask & l.bit() != 0)
            .map(|l| l.name())
            .collect()
    }
}

/// Emits the traces of one event for one layer. Text near-duplicates are not per-event (they
/// need the whole corpus) and are assigned by the `text` layer of the pipeline.
pub trait Layer: Sync {
    fn kind(&self) -> LayerKind;
    /// Calls `emit` with each trace key (without the layer prefix).
    fn traces(&self, event: &Event, emit: &mut dyn FnMut(&str));
}

struct Media;
impl Layer for Media {
    fn kind(&self) -> LayerKind {
        LayerKind::Media
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        if let Some(m) = e.media.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            emit(m);
        }
    }
}

struct Repost;
impl Layer for Repost {
    fn kind(&self) -> LayerKind {
        LayerKind::Repost
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        if e.kind == Kind::Share {
            if let Some(p) = e.parent.as_deref().filter(|p| !p.is_empty()) {
                emit(p);
            }
        }
    }
}

struct Reply;
impl Layer for Reply {
    fn kind(&self) -> LayerKind {
        LayerKind::Reply
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        if matches!(e.kind, Kind::Comment | Kind::Reply) {
            if let Some(p) = e.parent.as_deref().filter(|p| !p.is_empty()) {
                emit(p);
            }
        }
    }
}

struct Url;
impl Layer for Url {
    fn kind(&self) -> LayerKind {
        LayerKind::Url
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        let mut seen: Vec<String> = Vec::new();
        for u in &e.urls {
            // Anonymised datasets give opaque URL ids ("id:123"): kept as they are.
            let n = normalize_url(u).or_else(|| {
                (u.starts_with("id:") && !u.contains(char::is_whitespace)).then(|| u.clone())
            });
            if let Some(n) = n {
                if !seen.contains(&n) {
                    emit(&n);
                    seen.push(n);
                }
            }
        }
    }
}

struct Hashtag;
impl Layer for Hashtag {
    fn kind(&self) -> LayerKind {
        LayerKind::Hashtag
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        let mut buf = String::with_capacity(tag_bytes(e));
        for (s, t) in folded_tags(e, &mut buf) {
            emit(&buf[s..t]);
        }
    }
}

struct HashtagSet;
impl Layer for HashtagSet {
    fn kind(&self) -> LayerKind {
        LayerKind::HashtagSet
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        // One trace per post, whatever its number of tags: a post's tags are one choice.
        let mut buf = String::with_capacity(tag_bytes(e));
        let tags = folded_tags(e, &mut buf);
        let mut joined = String::with_capacity(buf.len() + tags.len());
        for (k, &(s, t)) in tags.iter().enumerate() {
            if k > 0 {
                joined.push(' ');
            }
            joined.push_str(&buf[s..t]);
        }
        if !joined.is_empty() {
            emit(&joined);
        }
    }
}

struct Mention;
impl Layer for Mention {
    fn kind(&self) -> LayerKind {
        LayerKind::Mention
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        let mut ms: Vec<String> = e
            .mentions
            .iter()
            .map(|m| m.trim_start_matches('@').to_lowercase())
            .filter(|m| !m.is_empty())
            .collect();
        ms.sort_unstable();
        ms.dedup();
        for m in ms {
            emit(&m);
        }
    }
}

struct Sound;
impl Layer for Sound {
    fn kind(&self) -> LayerKind {
        LayerKind::Sound
    }
    fn traces(&self, e: &Event, emit: &mut dyn FnMut(&str)) {
        if let Some(s) = e
            .sound
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "0")
        {
            emit(s);
        }
    }
}

/// Room for an event's folded hashtags (folding rarely lengthens a tag).
fn tag_bytes(e: &Event) -> usize {
    e.hashtags.iter().map(String::len).sum::<usize>() + 8
}

/// Sorted, de-duplicated folded hashtags of an event, as ranges of `buf` (one allocation
/// for all of them, not one each: this runs for every event).
fn folded_tags(e: &Event, buf: &mut String) -> Vec<(usize, usize)> {
    let mut tags = Vec::with_capacity(e.hashtags.len());
    for t in &e.hashtags {
        let start = buf.len();
        fold_hashtag_into(t, buf);
        if buf.len() > start {
            tags.push((start, buf.len()));
        }
    }
    let buf = buf.as_str();
    tags.sort_unstable_by_key(|&(s, t)| &buf[s..t]);
    tags.dedup_by_key(|&mut (s, t)| &buf[s..t]);
    tags
}

/// The per-event layer for `kind`, or `None` for corpus-level layers (text).
pub fn layer(kind: LayerKind) -> Option<Box<dyn Layer>> {
    Some(match kind {
        LayerKind::Repost => Box::new(Repost),
        LayerKind::Url => Box::new(Url),
        LayerKind::Reply => Box::new(Reply),
        LayerKind::Hashtag => Box::new(Hashtag),
        LayerKind::Mention => Box::new(Mention),
        LayerKind::Sound => Box::new(Sound),
        LayerKind::HashtagSet => Box::new(HashtagSet),
        LayerKind::Media => Box::new(Media),
        LayerKind::Text => return None,
    })
}

/// Dense ids found by a [`key_hash`] computed elsewhere (often on another thread), for keys
/// the caller stores. Each id is kept with 32 bits of its key's hash, so growing the index
/// rehashes from those bits, never touching a key again.
#[derive(Default)]
pub struct HashIndex(hashbrown::HashTable<(u32, u32)>);

impl HashIndex {
    fn spread(tag: u32) -> u64 {
        u64::from(tag).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    /// The id of the key hashed `h` for which `is(id)` holds (the caller compares keys).
    pub fn find(&self, h: u64, is: impl Fn(u32) -> bool) -> Option<u32> {
        let tag = (h >> 32) as u32;
        self.0
            .find(Self::spread(tag), |&(id, t)| t == tag && is(id))
            .map(|&(id, _)| id)
    }

    /// Files `id` under `h`; the caller has checked with [`HashIndex::find`] that its key is
    /// new.
    pub fn insert(&mut self, h: u64, id: u32) {
        let tag = (h >> 32) as u32;
        self.0
            .insert_unique(Self::spread(tag), (id, tag), |&(_, t)| Self::spread(t));
    }
}

/// How far apart two hits of a trace may be and still co-act: the run's window, or the wide
/// window of near-duplicate *scripts* (posted across a day, not within a minute). Stored with
/// each trace; the sweep reads it as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Window {
    #[default]
    Normal = 0,
    Script = 1,
}

/// What one event contributes to the tables: its folded hashtags and its trace keys
/// (`layer:key`), each with the [`key_hash`] the tables file it under. Made on the parsing
/// threads (where the work parallelizes) and consumed by the one interning thread, which is
/// then left with table lookups. All strings share one buffer: two allocations per event
/// instead of one per tag and key.
#[derive(Debug, Default)]
pub struct EventKeys {
    buf: String,
    /// Folded hashtags (layer `None`), then trace keys, as ranges of `buf`.
    spans: Vec<(Option<LayerKind>, u32, u32, u64)>,
}

/// A full trace key `layer:key` with its hash, as [`EventKeys`] made it.
#[derive(Debug, Clone, Copy)]
pub struct TraceKey<'a> {
    pub layer: LayerKind,
    full: &'a str,
    hash: u64,
}

impl<'a> TraceKey<'a> {
    /// `layer:key`, as the trace table stores it.
    pub fn full(&self) -> &'a str {
        self.full
    }
}

impl EventKeys {
    /// The folded hashtags (each once, empty ones dropped) and the traces of `event` on
    /// `layers`.
    pub fn of(event: &Event, layers: &[Box<dyn Layer>]) -> EventKeys {
        // Sized up front: growing these a few bytes at a time reallocated several times per
        // event.
        let tag_bytes: usize = event.hashtags.iter().map(String::len).sum();
        let mut buf = String::with_capacity(2 * tag_bytes + 96);
        let mut spans = Vec::with_capacity(event.hashtags.len() + layers.len());
        for t in &event.hashtags {
            let start = buf.len();
            fold_hashtag_into(t, &mut buf);
            let tag = &buf[start..];
            let seen = spans
                .iter()
                .any(|&(_, s, e, _)| &buf[s as usize..e as usize] == tag);
            if tag.is_empty() || seen {
                buf.truncate(start);
            } else {
                let h = key_hash(tag);
                spans.push((None, start as u32, buf.len() as u32, h));
            }
        }
        for l in layers {
            let kind = l.kind();
            l.traces(event, &mut |key| {
                let start = buf.len();
                buf.push_str(kind.name());
                buf.push(':');
                buf.push_str(key);
                let h = key_hash(&buf[start..]);
                spans.push((Some(kind), start as u32, buf.len() as u32, h));
            });
        }
        EventKeys { buf, spans }
    }

    fn str(&self, s: &(Option<LayerKind>, u32, u32, u64)) -> &str {
        &self.buf[s.1 as usize..s.2 as usize]
    }

    /// Folded hashtags with their [`key_hash`]es.
    pub fn hashtags(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.spans
            .iter()
            .filter(|s| s.0.is_none())
            .map(|s| (self.str(s), s.3))
    }

    /// Trace keys, layer by layer in the order the layers were given.
    pub fn traces(&self) -> impl Iterator<Item = TraceKey<'_>> + '_ {
        self.spans.iter().filter_map(|s| {
            Some(TraceKey {
                layer: s.0?,
                full: self.str(s),
                hash: s.3,
            })
        })
    }
}

/// Interns `layer:key` strings to dense ids, in first-seen order (deterministic for a
/// deterministic input order), with each trace's layer and [`Window`].
#[derive(Default)]
pub struct TraceTable {
    /// Ids by key hash; keys live once, in `keys`.
    ids: HashIndex,
    keys: lockstep_core::StrArena,
    layers: Vec<LayerKind>,
    windows: Vec<u8>,
    buf: String,
}

/// The hash [`TraceTable`] and the other interning tables file a key under; computed off the
/// interning thread (see [`EventKeys`]).
pub fn key_hash(k: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(k)
}

impl TraceTable {
    /// The id of `layer:key`, added if new.
    pub fn intern(&mut self, layer: LayerKind, key: &str) -> u32 {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push_str(layer.name());
        buf.push(':');
        buf.push_str(key);
        let id = self.intern_key(TraceKey {
            layer,
            full: &buf,
            hash: key_hash(&buf),
        });
        self.buf = buf;
        id
    }

    /// The id of a key [`EventKeys`] made, added if new.
    pub fn intern_key(&mut self, k: TraceKey) -> u32 {
        debug_assert_eq!(k.hash, key_hash(k.full));
        let keys = &self.keys;
        if let Some(id) = self
            .ids
            .find(k.hash, |id| keys.bytes(id as usize) == k.full.as_bytes())
        {
            return id;
        }
        let id = self.keys.push(k.full);
        self.ids.insert(k.hash, id);
        self.layers.push(k.layer);
        self.windows.push(Window::Normal as u8);
        id
    }

    /// `layer:key` of trace `id`.
    pub fn key(&self, id: u32) -> &str {
        &self.keys[id as usize]
    }
    pub fn layer(&self, id: u32) -> LayerKind {
        self.layers[id as usize]
    }
    pub fn set_window(&mut self, id: u32, w: Window) {
        self.windows[id as usize] = w as u8;
    }
    pub fn window(&self, id: u32) -> Window {
        match self.windows[id as usize] {
            0 => Window::Normal,
            _ => Window::Script,
        }
    }
    /// Each trace's [`Window`] as its discriminant, indexed by trace id (what the sweep,
    /// which knows integers only, reads).
    pub fn window_classes(&self) -> &[u8] {
        &self.windows
    }
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(kind: LayerKind, e: &Event) -> Vec<String> {
        let mut out = Vec::new();
        layer(kind)
            .unwrap()
            .traces(e, &mut |k| out.push(k.to_string()));
        out
    }

    #[test]
    fn layers_emit_expected_traces() {
        let mut e = Event::new("1", "a", 0);
        e.hashtags = vec!["Știință".into(), "#ştiinţă".into(), "CG11".into()];
        e.urls = vec![
            "HTTPS://Ex.ro/a/?utm_source=x".into(),
            "https://ex.ro/a".into(),
        ];
        e.mentions = vec!["@Calin".into()];
        e.sound = Some("77".into());
        assert_eq!(keys(LayerKind::Hashtag, &e), vec!["cg11", "stiinta"]);
        assert_eq!(keys(LayerKind::HashtagSet, &e), vec!["cg11 stiinta"]);
        assert_eq!(keys(LayerKind::Url, &e), vec!["https://ex.ro/a"]);
        assert_eq!(keys(LayerKind::Mention, &e), vec!["calin"]);
        assert_eq!(keys(LayerKind::Sound, &e), vec!["77"]);
        assert!(
            keys(LayerKind::Repost, &e).is_empty(),
            "a post is not a share"
        );
        e.kind = Kind::Share;
        e.parent = Some("p9".into());
        assert_eq!(keys(LayerKind::Repost, &e), vec!["p9"]);
        assert!(keys(LayerKind::Reply, &e).is_empty());
        e.kind = Kind::Comment;
        assert_eq!(keys(LayerKind::Reply, &e), vec!["p9"]);
    }

    #[test]
    fn interning_is_stable_and_layer_scoped() {
        let mut t = TraceTable::default();
        let a = t.intern(LayerKind::Hashtag, "x");
        let b = t.intern(LayerKind::Mention, "x");
        assert_ne!(a, b);
        assert_eq!(t.intern(LayerKind::Hashtag, "x"), a);
        assert_eq!(t.key(b), "mention:x");
        assert_eq!(t.layer(a), LayerKind::Hashtag);
    }

    #[test]
    fn layer_names_round_trip() {
        for &l in LayerKind::ALL {
            assert_eq!(LayerKind::parse(l.name()), Some(l));
            assert_eq!(l.to_string(), l.name());
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.name())
            );
        }
        assert_eq!(LayerKind::parse(" Co-Retweet "), Some(LayerKind::Repost));
        assert_eq!(LayerKind::parse("hashtag-set"), Some(LayerKind::HashtagSet));
        assert_eq!(LayerKind::parse("nope"), None);
        assert_eq!(
            LayerKind::names_in(LayerKind::Url.bit() | LayerKind::Text.bit()),
            vec!["url", "text"]
        );
    }
}
