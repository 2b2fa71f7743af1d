//! Telegram Desktop's "Export chat history" JSON (`result.json`): one chat
//! (`{"name","type","id","messages":[…]}`) or the whole account
//! (`{"about", "personal_information", …, "chats":{"list":[chat…]}, "left_chats":{…}}`).
//!
//! The file is one document, often gigabytes for a large channel, so it is streamed: serde
//! visits the chats and their `messages` arrays, and each message is taken alone as raw JSON
//! (at most [`MAX_MESSAGE_BYTES`]), parsed and dropped. A reader wrapped around the bytes
//! counts lines, so every message is numbered by the line it starts on.
//!
//! Per message (`type: "message"`):
//! - id `<chat id>:<message id>` (message ids are per chat); account `from_id` (`user123`,
//!   `channel123` for a channel's own posts), or `from` when an old export has no id;
//! - time `date_unixtime`, else `date` (the exporting computer's local time, taken as UTC);
//! - text: a string, or an array of strings and entity objects whose texts are joined; links
//!   from `link` and `text_link` (`href`) entities, hashtags from `hashtag`, mentions from
//!   `mention` and `mention_name` (`user<id>`); `text_entities` is used when present;
//! - a forward (`forwarded_from`, `forwarded_from_id`) is a share: its parent is
//!   `forward:<origin>:<content hash>`, since the export does not keep the original message's
//!   id; the same post forwarded by several accounts is one trace;
//! - a reply (`reply_to_message_id`, `reply_to_peer_id`) has the replied message as parent;
//! - media: a document's original `file_name` (with `file_size`) is its fingerprint; photo and
//!   other exported file names are positional (`photo_12@01-02-2024_10-00-00.jpg`) and are not.
//!
//! Service messages (joins, pins, calls) and unsupported ones are skipped, not quarantined.
//! A message whose text is longer than [`MAX_TEXT_BYTES`] is quarantined. A syntax error, a
//! message over [`MAX_MESSAGE_BYTES`] (or `max_record_bytes`, if lower), or chats nested in
//! chats deeper than `max_json_depth` ends the stream: the rest of the file is one
//! quarantined record.
//!
//! The rules of every reader hold here too (see [`crate::ReadLimits`] and the crate's
//! identifiers and text): invalid UTF-8 is replaced by U+FFFD as the stream is read, so one
//! bad byte does not end the file; a message whose identifiers hold a replaced byte is
//! quarantined, one whose text does keeps its event.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use lockstep_core::{Event, Kind};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::json::{id_text, reason, Id, Lines, Scalar};
use crate::time::parse_time;
use crate::{ident, non_empty, set_entities, Fail, Format, Records};

/// Longest message held, in bytes of JSON: far above anything Telegram writes (4096
/// characters of text, a few kilobytes of metadata).
pub(crate) const MAX_MESSAGE_BYTES: u64 = 16 << 20;
/// Longest text accepted, in bytes: Telegram allows 4096 characters (16 KB of UTF-8).
pub(crate) const MAX_TEXT_BYTES: usize = 64 << 10;
/// How much of a message is kept for the quarantine when the stream breaks inside it.
const KEPT: usize = 4096;
/// How much of the start is looked at to recognise an export.
pub(crate) const HEAD: usize = 64 << 10;

const CHAT_TYPES: &[&str] = &[
    "personal_chat",
    "bot_chat",
    "private_group",
    "private_supergroup",
    "public_supergroup",
    "private_channel",
    "public_channel",
    "saved_messages",
    "replies",
];

/// Keys that follow `about` at the top of a whole-account export.
const EXPORT_KEYS: &[&str] = &[
    "personal_information",
    "profile_pictures",
    "stories",
    "contacts",
    "frequent_contacts",
    "sessions",
    "web_sessions",
    "other_data",
    "chats",
    "left_chats",
];

/// Whether a multi-line document starting with `first` (its first line) and `more` (what
/// follows, as far as it is buffered) is a Telegram export.
pub(crate) fn sniff(first: &[u8], more: &[u8]) -> bool {
    let mut head = Vec::with_capacity(first.len() + more.len().min(HEAD));
    head.extend_from_slice(first);
    head.extend_from_slice(&more[..more.len().min(HEAD)]);
    let scan = KeyScan::default();
    // The head ends inside the document: the error at its end is expected.
    let _ = serde_json::Deserializer::from_slice(&head).deserialize_map(&scan);
    let keys = scan.keys.borrow();
    let ty = scan.ty.borrow();
    let whole_account = keys.first().is_some_and(|k| k == "about")
        && keys
            .get(1)
            .is_some_and(|k| EXPORT_KEYS.contains(&k.as_str()));
    let one_chat = ty.as_deref().is_some_and(|t| CHAT_TYPES.contains(&t))
        && keys.iter().any(|k| k == "messages");
    whole_account || one_chat
}

/// The leading keys of an object (and its `type`, if a string), as far as they parse.
#[derive(Default)]
struct KeyScan {
    keys: RefCell<Vec<String>>,
    ty: RefCell<Option<String>>,
}

impl<'de> Visitor<'de> for &KeyScan {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let is_type = key == "type";
            self.keys.borrow_mut().push(key);
            if is_type {
                *self.ty.borrow_mut() = map.next_value::<Option<String>>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The format of a complete first value, by its keys (a one-line export).
pub(crate) fn probe(keys: &BTreeMap<String, &RawValue>) -> Option<Format> {
    let has = |k: &str| keys.contains_key(k);
    let ty = keys
        .get("type")
        .and_then(|t| serde_json::from_str::<&str>(t.get()).ok());
    let one_chat = ty.is_some_and(|t| CHAT_TYPES.contains(&t)) && has("messages");
    let whole_account = has("about") && EXPORT_KEYS.iter().any(|k| has(k));
    (one_chat || whole_account).then_some(Format::TelegramJson)
}

/// An export held in memory (a one-line document, or one of several), already valid UTF-8
/// (see [`crate::json`]).
pub(crate) fn handle(doc: &str, lines: &mut Lines, sink: &mut Records) {
    // Reading from memory fails only as the stream reader reports in the records.
    let _ = read(doc.as_bytes(), lines.line_of(doc.as_bytes()), sink);
}

/// Streams an export whose first byte is on line `first_line`. Only I/O errors of `stream`
/// are errors; everything in the content becomes records.
pub(crate) fn read(stream: impl Read, first_line: u64, sink: &mut Records) -> Result<(), Fail> {
    let max_message = MAX_MESSAGE_BYTES.min(sink.limits.max_record_bytes as u64);
    let state = Rc::new(State {
        line: Cell::new(first_line),
        max_message,
        ..State::default()
    });
    let tap = Tap {
        inner: stream,
        raw: vec![0; 64 << 10].into_boxed_slice(),
        carry: Vec::new(),
        buf: Vec::with_capacity(64 << 10),
        marks: Vec::new(),
        next_mark: 0,
        pos: 0,
        state: Rc::clone(&state),
    };
    let mut de = serde_json::Deserializer::from_reader(tap);
    // An export held in memory may be a copy with bad bytes replaced already.
    let outer_replaced = sink.replaced;
    let mut cx = Cx {
        sink,
        state: Rc::clone(&state),
        chat: Chat::default(),
        in_message: None,
        depth: 0,
        outer_replaced,
    };
    let result = ChatSeed { cx: &mut cx }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    cx.sink.replaced = outer_replaced;
    let Err(e) = result else { return Ok(()) };
    if state.too_long.get() {
        let line = cx.in_message.unwrap_or(state.line.get());
        let raw = state.capture.borrow();
        let limit = if max_message < MAX_MESSAGE_BYTES {
            " (limit max_record_bytes)"
        } else {
            ""
        };
        cx.sink.reject(
            line,
            format!(
                "a message longer than {max_message} bytes{limit}: reading stopped, the rest \
                 of the file is this record"
            ),
            &raw,
        );
        return Ok(());
    }
    if e.is_io() {
        cx.sink.at_line = state.line.get();
        return Err(Fail::Io(e.into()));
    }
    // The stream cannot resume after a syntax error: the rest is one bad record.
    let line = cx.in_message.unwrap_or(state.line.get());
    let raw = state.capture.borrow();
    cx.sink.reject(line, reason(&e), &raw);
    Ok(())
}

/// What the line-counting reader and the visitors share.
#[derive(Default)]
struct State {
    /// The line of the last byte read.
    line: Cell<u64>,
    last: Cell<u8>,
    /// Inside a message: its bytes are counted and the first [`KEPT`] kept.
    armed: Cell<bool>,
    taken: Cell<u64>,
    capture: RefCell<Vec<u8>>,
    too_long: Cell<bool>,
    /// Longest message taken, in bytes.
    max_message: u64,
    /// How many invalid UTF-8 sequences have been replaced by U+FFFD in what was read.
    replaced: Cell<u64>,
}

impl State {
    fn arm(&self) {
        let mut c = self.capture.borrow_mut();
        c.clear();
        // serde_json has already read the value's first byte to see what it is.
        c.push(self.last.get());
        self.taken.set(1);
        self.armed.set(true);
    }
}

/// Counts the lines of what serde_json reads (a byte at a time, from a buffer of its own),
/// and hands it on as valid UTF-8: each invalid sequence is replaced by U+FFFD, as
/// `String::from_utf8_lossy` does for a record held in memory, and counted in
/// [`State::replaced`] when serde_json reads it.
struct Tap<R> {
    inner: R,
    /// What was read from `inner`.
    raw: Box<[u8]>,
    /// The start of a sequence cut by the end of the last read (at most 3 bytes).
    carry: Vec<u8>,
    /// Valid UTF-8 for serde_json.
    buf: Vec<u8>,
    /// Where in `buf` a U+FFFD stands for invalid bytes, in order.
    marks: Vec<usize>,
    next_mark: usize,
    pos: usize,
    state: Rc<State>,
}

impl<R: Read> Tap<R> {
    /// Reads on into `buf` (emptied first); leaves it empty only at the end of the input.
    fn refill(&mut self) -> io::Result<()> {
        self.buf.clear();
        self.marks.clear();
        self.next_mark = 0;
        self.pos = 0;
        const FFFD: &[u8] = "\u{fffd}".as_bytes();
        loop {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            let eof = n == 0;
            let joined;
            let mut rest: &[u8] = if self.carry.is_empty() {
                &self.raw[..n]
            } else {
                let mut c = std::mem::take(&mut self.carry);
                c.extend_from_slice(&self.raw[..n]);
                joined = c;
                &joined
            };
            loop {
                match std::str::from_utf8(rest) {
                    Ok(_) => {
                        self.buf.extend_from_slice(rest);
                        break;
                    }
                    Err(e) => {
                        let (good, bad) = rest.split_at(e.valid_up_to());
                        self.buf.extend_from_slice(good);
                        match e.error_len() {
                            Some(len) => rest = &bad[len..],
                            None if eof => rest = &[],
                            None => {
                                self.carry = bad.to_vec();
                                break;
                            }
                        }
                        self.marks.push(self.buf.len());
                        self.buf.extend_from_slice(FFFD);
                    }
                }
            }
            if !self.buf.is_empty() || eof {
                return Ok(());
            }
        }
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pos == self.buf.len() {
            self.refill()?;
            if self.buf.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        let chunk = &self.buf[self.pos..self.pos + n];
        let st = &self.state;
        while self
            .marks
            .get(self.next_mark)
            .is_some_and(|&m| m < self.pos + n)
        {
            st.replaced.set(st.replaced.get() + 1);
            self.next_mark += 1;
        }
        let newlines = memchr::memchr_iter(b'\n', chunk).count() as u64;
        st.line.set(st.line.get() + newlines);
        st.last.set(chunk[n - 1]);
        if st.armed.get() {
            let taken = st.taken.get() + n as u64;
            st.taken.set(taken);
            if taken > st.max_message {
                st.too_long.set(true);
                return Err(io::Error::other("message too long"));
            }
            let mut c = st.capture.borrow_mut();
            let room = KEPT.saturating_sub(c.len()).min(n);
            c.extend_from_slice(&chunk[..room]);
        }
        out[..n].copy_from_slice(chunk);
        self.pos += n;
        Ok(n)
    }
}

/// The chat whose messages are being read.
#[derive(Default, Clone)]
struct Chat {
    id: Option<String>,
    /// The chat's id held a replaced byte (so do its messages' ids).
    replaced: bool,
}

struct Cx<'s, 'a> {
    sink: &'s mut Records<'a>,
    state: Rc<State>,
    chat: Chat,
    /// The line of the message being read, while it is.
    in_message: Option<u64>,
    /// How many chat lists the chat being read is in.
    depth: usize,
    /// The export is a copy with bad bytes replaced (see [`Records::replaced`]).
    outer_replaced: bool,
}

/// A chat object, or the whole-account export (whose `chats` and `left_chats` hold chats).
struct ChatSeed<'c, 's, 'a> {
    cx: &'c mut Cx<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for ChatSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChatSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Telegram chat export object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let outer = std::mem::take(&mut self.cx.chat);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                // Telegram writes a chat's name, type and id before its messages.
                "id" => {
                    let before = self.cx.state.replaced.get();
                    self.cx.chat.id = id_text(map.next_value::<Option<Id>>()?);
                    self.cx.chat.replaced = self.cx.state.replaced.get() != before;
                }
                "messages" => map.next_value_seed(Messages { cx: &mut *self.cx })?,
                "chats" | "left_chats" => {
                    // Chats hold no chats: nesting is bounded as for arrays of records.
                    let max = self.cx.sink.limits.max_json_depth;
                    if self.cx.depth >= max {
                        return Err(de::Error::custom(format!(
                            "chats nested deeper than {max} levels (limit max_json_depth)"
                        )));
                    }
                    self.cx.depth += 1;
                    let r = map.next_value_seed(ChatList { cx: &mut *self.cx });
                    self.cx.depth -= 1;
                    r?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.cx.chat = outer;
        Ok(())
    }
}

/// `{"about": …, "list": [chat…]}`.
struct ChatList<'c, 's, 'a> {
    cx: &'c mut Cx<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for ChatList<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChatList<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of chats")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "list" {
                map.next_value_seed(Chats { cx: &mut *self.cx })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Chats<'c, 's, 'a> {
    cx: &'c mut Cx<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for Chats<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Chats<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of chats")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(ChatSeed { cx: &mut *self.cx })?
            .is_some()
        {}
        Ok(())
    }
}

struct Messages<'c, 's, 'a> {
    cx: &'c mut Cx<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for Messages<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of messages")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(MessageSeed { cx: &mut *self.cx })?
            .is_some()
        {}
        Ok(())
    }
}

/// One message: its raw JSON taken alone, then parsed and passed on.
struct MessageSeed<'c, 's, 'a> {
    cx: &'c mut Cx<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for MessageSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let cx = self.cx;
        let line = cx.state.line.get();
        cx.in_message = Some(line);
        cx.state.arm();
        let before = cx.state.replaced.get();
        let raw = Box::<RawValue>::deserialize(d)?;
        cx.state.armed.set(false);
        cx.in_message = None;
        let raw = raw.get();
        // An event whose identifiers hold a replaced byte is quarantined (see
        // [`Records::emit`]).
        cx.sink.replaced =
            cx.outer_replaced || cx.chat.replaced || cx.state.replaced.get() != before;
        match serde_json::from_str::<Message>(raw) {
            Ok(m) => match message(m, &cx.chat) {
                Ok(Msg::Event(e)) => cx.sink.emit(line, raw.as_bytes(), Ok(e)),
                Ok(Msg::Skip(what)) => cx.sink.skip(line, what),
                Err(why) => cx.sink.reject(line, why, raw.as_bytes()),
            },
            Err(e) => cx.sink.reject(line, reason(&e), raw.as_bytes()),
        }
        cx.sink.replaced = cx.outer_replaced;
        Ok(())
    }
}

#[derive(Deserialize)]
struct Message {
    id: Option<Id>,
    #[serde(rename = "type")]
    kind: Option<String>,
    date: Option<Scalar>,
    date_unixtime: Option<Scalar>,
    from: Option<String>,
    from_id: Option<Id>,
    /// Present (perhaps `null`, a hidden account) on forwards.
    #[serde(default, deserialize_with = "present")]
    forwarded_from: Option<Option<String>>,
    forwarded_from_id: Option<Id>,
    reply_to_message_id: Option<Id>,
    reply_to_peer_id: Option<Id>,
    text: Option<Text>,
    text_entities: Option<Vec<Part>>,
    photo: Option<String>,
    file_name: Option<String>,
    file_size: Option<u64>,
}

/// `Some(value)` for a field that is present, even as `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A message's `text`: a string, or an array of strings and entities.
struct Text(Vec<Part>);

/// Plain text (`type` None) or an entity.
struct Part {
    kind: Option<String>,
    text: String,
    href: Option<String>,
    user_id: Option<String>,
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of text parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(vec![Part::plain(v.to_string())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                let mut parts = Vec::new();
                while let Some(p) = seq.next_element::<Part>()? {
                    parts.push(p);
                }
                Ok(Text(parts))
            }
        }
        d.deserialize_any(V)
    }
}

impl Part {
    fn plain(text: String) -> Part {
        Part {
            kind: None,
            text,
            href: None,
            user_id: None,
        }
    }
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Part, D::Error> {
        #[derive(Deserialize)]
        struct Entity {
            #[serde(rename = "type")]
            kind: Option<String>,
            #[serde(default)]
            text: String,
            href: Option<String>,
            user_id: Option<Id>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Part;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a text entity object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Part, E> {
                Ok(Part::plain(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Part, A::Error> {
                let e = Entity::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Part {
                    kind: e.kind.filter(|k| k != "plain"),
                    text: e.text,
                    href: e.href,
                    user_id: e.user_id.map(|u| u.0),
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[allow(clippy::large_enum_variant)] // one message at a time, never stored
enum Msg {
    Event(Event),
    Skip(&'static str),
}

fn message(m: Message, chat: &Chat) -> Result<Msg, String> {
    match m.kind.as_deref() {
        None | Some("message") => {}
        Some("service") => return Ok(Msg::Skip("service message")),
        Some("unsupported") => return Ok(Msg::Skip("unsupported message")),
        Some(other) => return Err(format!("unknown message type {other:?}")),
    }
    let msg_id = id_text(m.id).ok_or("missing id")?;
    let account = id_text(m.from_id)
        .or_else(|| ident(m.from))
        .ok_or("missing account (from_id)")?;
    let time = match (m.date_unixtime, m.date) {
        (Some(t), _) => parse_time(&t.0)?,
        (None, Some(d)) => parse_time(&d.0)?,
        (None, None) => return Err("missing time (date_unixtime)".into()),
    };
    let qualify = |id: &str| match &chat.id {
        Some(c) => format!("{c}:{id}"),
        None => id.to_string(),
    };
    let mut e = Event::new(qualify(&msg_id), account, time);
    e.platform = "telegram".into();

    // `text_entities` (newer exports) lists every part as an object; `text` joins plain runs.
    let parts = match (m.text_entities, m.text) {
        (Some(ents), _) if !ents.is_empty() => ents,
        (_, Some(Text(parts))) => parts,
        _ => Vec::new(),
    };
    let text: String = parts.iter().map(|p| p.text.as_str()).collect();
    if text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "text of {} bytes, longer than any Telegram message ({MAX_TEXT_BYTES} bytes \
             accepted)",
            text.len()
        ));
    }
    let entities = parts.iter().any(|p| p.kind.is_some());
    let (mut tags, mut mentions, mut urls) = (Vec::new(), Vec::new(), Vec::new());
    for p in &parts {
        match p.kind.as_deref() {
            Some("hashtag") => tags.push(p.text.clone()),
            Some("mention") => mentions.push(p.text.clone()),
            Some("mention_name") => mentions.push(
                p.user_id
                    .as_ref()
                    .map_or(p.text.clone(), |u| format!("user{u}")),
            ),
            Some("link") => urls.push(with_scheme(p.text.trim())),
            Some("text_link") => urls.extend(p.href.as_deref().map(with_scheme)),
            _ => {}
        }
    }
    e.text = non_empty(Some(text));
    if entities {
        set_entities(&mut e, Some(tags), Some(mentions), Some(urls));
    } else {
        set_entities(&mut e, None, None, None);
    }

    let file_name = non_empty(m.file_name);
    e.media = file_name.as_ref().map(|name| match m.file_size {
        Some(size) => format!("telegram-file:{name}:{size}"),
        None => format!("telegram-file:{name}"),
    });

    let origin = id_text(m.forwarded_from_id).or_else(|| ident(m.forwarded_from.clone().flatten()));
    if origin.is_some() || m.forwarded_from.is_some() {
        let origin = origin.unwrap_or_else(|| "hidden".into());
        e.kind = Kind::Share;
        e.parent = Some(format!(
            "forward:{origin}:{}",
            fingerprint(e.text.as_deref(), file_name.as_deref(), m.photo.is_some())
        ));
        e.parent_account = Some(origin);
    } else if let Some(reply_to) = id_text(m.reply_to_message_id) {
        e.kind = Kind::Reply;
        e.parent = Some(match id_text(m.reply_to_peer_id) {
            Some(peer) => format!("{}:{reply_to}", bare_peer(&peer)),
            None => qualify(&reply_to),
        });
    }
    Ok(Msg::Event(e))
}

/// A forwarded post's content, as far as the export shows it: text and document name.
fn fingerprint(text: Option<&str>, file_name: Option<&str>, photo: bool) -> String {
    let mut h = Sha256::new();
    h.update(text.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(file_name.unwrap_or("").as_bytes());
    h.update([u8::from(photo)]);
    hex::encode(&h.finalize()[..8])
}

/// `channel123` → `123`, as chat ids are written.
fn bare_peer(peer: &str) -> &str {
    ["channel", "chat", "user"]
        .iter()
        .find_map(|p| peer.strip_prefix(p))
        .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(peer)
}

/// Telegram links entities such as `example.com/a` without a scheme.
fn with_scheme(url: &str) -> String {
    if url.contains("://") {
        url.to_string()
    } else {
        format!("https://{url}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_recognised_from_their_start() {
        assert!(sniff(b"{\n", b" \"name\": \"x\",\n \"type\": \"public_channel\",\n \"id\": 1,\n \"messages\": [\n  {"));
        assert!(sniff(
            b"{\n",
            b" \"about\": \"Here is the data\",\n \"personal_information\": {"
        ));
        assert!(sniff(
            b"{\n",
            b" \"type\": \"saved_messages\", \"id\": 1, \"messages\": ["
        ));
        assert!(!sniff(b"{\n", b" \"type\": \"video\", \"messages\": ["));
        assert!(!sniff(b"{\n", b" \"about\": \"x\", \"data\": ["));
        assert!(!sniff(b"[\n", b" {\"id\": 1}"));
    }

    #[test]
    fn peers_and_links() {
        assert_eq!(bare_peer("channel1234"), "1234");
        assert_eq!(bare_peer("user"), "user");
        assert_eq!(with_scheme("ex.ro/a"), "https://ex.ro/a");
        assert_eq!(with_scheme("http://ex.ro"), "http://ex.ro");
    }
}
