//! The JSON family: line-delimited records or whole (pretty-printed) documents, and the value
//! types shared by the JSON readers.
//!
//! A file whose first non-blank line is a complete JSON value is read line by line, streaming.
//! Otherwise it holds multi-line documents and is read into memory; those are API response
//! pages, bounded in size. Records inside documents are numbered by the line they start on.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Read};

use rayon::prelude::*;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{lockstep, tiktok, x, Fail, Format, Sink};

/// Reads JSON from `r`, whose first line is line `first_line` of the file.
pub(crate) fn read(mut r: impl BufRead, first_line: u64, sink: &mut Sink) -> Result<Format, Fail> {
    let mut buf = Vec::with_capacity(1 << 16);
    let mut line_no = first_line - 1;
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            return Err(Fail::Format("no JSON content".into()));
        }
        line_no += 1;
        if !is_blank(&buf) {
            break;
        }
    }
    if serde_json::from_slice::<IgnoredAny>(&buf).is_err() {
        // Blank lines before `buf` were not kept: it starts on line `line_no`.
        r.read_to_end(&mut buf)?;
        return read_documents(&buf, line_no, sink);
    }
    let format = probe(&buf)?;
    handle(format, &buf, &mut Lines::new(&buf, line_no), sink);
    // The rest is parsed a block of lines at a time, the lines of a block in parallel; their
    // records are then passed on in file order, so the result is that of a sequential read.
    // A block is read whole and cut after its last line break (what follows waits for the
    // next block), not assembled line by line: that copied every byte once more.
    const BLOCK: usize = 4 << 20;
    const LINES_PER_TASK: usize = 32;
    let mut spans: Vec<(u64, usize, usize)> = Vec::new();
    buf.clear();
    loop {
        spans.clear();
        let got = (&mut r).take(BLOCK as u64).read_to_end(&mut buf)?;
        let eof = got == 0;
        let end = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                // One line longer than a block: read on.
                None => continue,
            }
        };
        let mut start = 0;
        while start < end {
            let stop = memchr::memchr(b'\n', &buf[start..end]).map_or(end, |i| start + i + 1);
            line_no += 1;
            if !is_blank(&buf[start..stop]) {
                spans.push((line_no, start, stop));
            }
            start = stop;
        }
        let block = &buf;
        let file = sink.file;
        let outcomes: Vec<Vec<Outcome>> = spans
            .par_chunks(LINES_PER_TASK)
            .map(|task| {
                // Room for a record per 128 bytes of JSON (a TikTok video takes ~300, a
                // comment ~200): unused room costs nothing, growing copies every record.
                let bytes: usize = task.iter().map(|&(_, s, e)| e - s).sum();
                collect(file, bytes / 128 + 1, |sink| {
                    for &(n, s, e) in task {
                        let line = &block[s..e];
                        handle(format, line, &mut Lines::new(line, n), sink);
                    }
                })
            })
            .collect();
        for o in outcomes.into_iter().flatten() {
            sink.replay(o);
        }
        if eof {
            return Ok(format);
        }
        buf.drain(..end);
    }
}

/// A record as a reader produced it, to be passed on later.
#[allow(clippy::large_enum_variant)] // almost every record is an event: boxing them would cost an allocation each
pub(crate) enum Outcome {
    Event(lockstep_core::Event),
    Bad(lockstep_core::Quarantined),
}

/// Runs `f` on a sink that keeps what it is given, and returns that; room is made for
/// `capacity` records up front (growing a vector of 300-byte events copied each one again).
fn collect(file: &str, capacity: usize, f: impl FnOnce(&mut Sink)) -> Vec<Outcome> {
    let out = std::cell::RefCell::new(Vec::with_capacity(capacity));
    {
        let mut on_event = |e| out.borrow_mut().push(Outcome::Event(e));
        let mut on_bad = |q| out.borrow_mut().push(Outcome::Bad(q));
        let mut sink = Sink::new(file, &mut on_event, &mut on_bad);
        f(&mut sink);
    }
    out.into_inner()
}

/// One or more multi-line JSON documents, all in memory.
fn read_documents(buf: &[u8], first_line: u64, sink: &mut Sink) -> Result<Format, Fail> {
    let mut lines = Lines::new(buf, first_line);
    let mut stream = serde_json::Deserializer::from_slice(buf).into_iter::<&RawValue>();
    let mut format = None;
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(doc)) => {
                let doc = doc.get().as_bytes();
                let f = match format {
                    Some(f) => f,
                    None => *format.insert(probe(doc)?),
                };
                handle(f, doc, &mut lines, sink);
            }
            Some(Err(e)) => {
                if format.is_none() {
                    // Not a document after all: perhaps line-delimited with a bad first line.
                    return read_lines_in_memory(buf, first_line, sink)
                        .ok_or_else(|| Fail::Format(format!("unparseable JSON: {e}")));
                }
                // The stream cannot resume after a syntax error: the rest is one bad record.
                let rest = buf[start..].trim_ascii_start();
                sink.reject(lines.line_of(rest), reason(&e), rest);
                break;
            }
        }
    }
    format.ok_or_else(|| Fail::Format("no JSON documents".into()))
}

/// Line-delimited JSON whose first line is broken; `None` if no line is valid JSON.
fn read_lines_in_memory(buf: &[u8], first_line: u64, sink: &mut Sink) -> Option<Format> {
    let lines = || (first_line..).zip(buf.split(|&b| b == b'\n'));
    let format = lines()
        .find(|(_, l)| serde_json::from_slice::<IgnoredAny>(l).is_ok())
        .and_then(|(_, l)| probe(l).ok())?;
    for (n, line) in lines() {
        if !is_blank(line) {
            handle(format, line, &mut Lines::new(line, n), sink);
        }
    }
    Some(format)
}

/// Dispatches one JSON value; a top-level array is a list of values of the same format.
fn handle(format: Format, doc: &[u8], lines: &mut Lines, sink: &mut Sink) {
    if doc.trim_ascii_start().starts_with(b"[") {
        match serde_json::from_slice::<Vec<&RawValue>>(doc) {
            Ok(items) => {
                for item in items {
                    handle(format, item.get().as_bytes(), lines, sink);
                }
            }
            Err(e) => sink.reject(lines.line_of(doc), reason(&e), doc),
        }
        return;
    }
    match format {
        Format::TikTokResearch => tiktok::handle(doc, lines, sink),
        Format::XApiV2 => x::handle_v2(doc, lines, sink),
        _ => lockstep::handle_json(doc, lines.line_of(doc), sink),
    }
}

/// Picks the JSON format from the keys of the first value.
fn probe(doc: &[u8]) -> Result<Format, Fail> {
    let doc = doc.trim_ascii_start();
    if doc.starts_with(b"[") {
        let items: Vec<&RawValue> = serde_json::from_slice(doc)
            .map_err(|e| Fail::Format(format!("unparseable JSON: {e}")))?;
        let first = items
            .first()
            .ok_or_else(|| Fail::Format("the JSON array is empty".into()))?;
        return probe(first.get().as_bytes());
    }
    let keys = object_keys(doc)
        .ok_or_else(|| Fail::Format("the first JSON value is not an object".into()))?;
    let has = |k: &str| keys.contains_key(k);
    let data = keys.get("data").map(|d| d.get().trim_ascii_start());
    let data_keys = data.and_then(|d| object_keys(d.as_bytes()));
    let data_has = |k: &str| data_keys.as_ref().is_some_and(|d| d.contains_key(k));
    if data_has("videos") || (data_keys.is_some() && has("error")) {
        return Ok(Format::TikTokResearch);
    }
    if has("create_time") && has("username") {
        return Ok(Format::TikTokResearch);
    }
    if data.is_some_and(|d| d.starts_with('[')) || data_has("author_id") || has("author_id") {
        return Ok(Format::XApiV2);
    }
    if has("account") && has("time") {
        return Ok(Format::LockstepNdjson);
    }
    let found: Vec<&str> = keys.keys().map(String::as_str).take(20).collect();
    Err(Fail::Format(format!(
        "JSON object has none of the known key sets (found keys: {})",
        found.join(", ")
    )))
}

fn object_keys(doc: &[u8]) -> Option<BTreeMap<String, &RawValue>> {
    serde_json::from_slice(doc).ok()
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Parses one JSON record. Text already valid UTF-8 as a whole (checked at memory speed) is
/// parsed as `str`, which spares serde_json a UTF-8 check per string; otherwise as bytes, for
/// serde_json's own error and position.
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(doc: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(doc) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(doc),
    }
}

/// The quarantine reason for a record serde_json rejected.
pub(crate) fn reason(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => format!("bad field value: {e}"),
        _ => format!("unparseable JSON: {e}"),
    }
}

/// Maps a sub-slice of a buffer to the 1-based line it starts on.
pub(crate) struct Lines<'b> {
    base: &'b [u8],
    first: u64,
    pos: usize,
    line: u64,
}

impl<'b> Lines<'b> {
    pub(crate) fn new(base: &'b [u8], first_line: u64) -> Self {
        Lines {
            base,
            first: first_line,
            pos: 0,
            line: first_line,
        }
    }

    pub(crate) fn line_of(&mut self, sub: &[u8]) -> u64 {
        let offset = (sub.as_ptr() as usize).wrapping_sub(self.base.as_ptr() as usize);
        if offset > self.base.len() {
            return self.first;
        }
        // Records come in order, so counting on from the last one is linear overall.
        if offset < self.pos {
            self.pos = 0;
            self.line = self.first;
        }
        let newlines = self.base[self.pos..offset].iter().filter(|&&b| b == b'\n');
        self.line += newlines.count() as u64;
        self.pos = offset;
        self.line
    }
}

/// An id given as a JSON string or integer, kept with its exact digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        d.deserialize_any(ScalarVisitor { floats: false }).map(Id)
    }
}

/// A string or any number (times, counts), as text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor { floats: true })
            .map(Scalar)
    }
}

struct ScalarVisitor {
    floats: bool,
}

impl Visitor<'_> for ScalarVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.floats {
            f.write_str("a string or a number")
        } else {
            f.write_str("a string or an integer")
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // An id past 2^64 or with a fraction has lost its digits already: refuse it.
        if self.floats {
            Ok(v.to_string())
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
}

/// Text of an optional id, `None` when absent or blank.
pub(crate) fn id_text(id: Option<Id>) -> Option<String> {
    crate::non_empty(id.map(|i| i.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_digits() {
        let v: Vec<Id> = serde_json::from_str(r#"[7123456789012345678, "42", -5]"#).unwrap();
        assert_eq!(v[0].0, "7123456789012345678");
        assert_eq!(v[1].0, "42");
        assert_eq!(v[2].0, "-5");
        assert!(serde_json::from_str::<Id>("1.5").is_err());
        assert!(serde_json::from_str::<Id>("99999999999999999999999").is_err());
        assert_eq!(serde_json::from_str::<Scalar>("1.5").unwrap().0, "1.5");
    }

    #[test]
    fn lines_of_sub_slices() {
        let buf = b"a\nb\n\nc";
        let mut lines = Lines::new(buf, 3);
        assert_eq!(lines.line_of(&buf[0..1]), 3);
        assert_eq!(lines.line_of(&buf[5..6]), 6);
        assert_eq!(lines.line_of(&buf[2..3]), 4);
    }
}
