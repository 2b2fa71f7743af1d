//! The JSON family: line-delimited records or whole (pretty-printed) documents, and the value
//! types shared by the JSON readers.
//!
//! A file whose first non-blank line is a complete JSON value is read line by line,
//! streaming; so is one whose first line is broken but whose next line is a complete value.
//! Otherwise it holds multi-line documents and is read into memory, up to
//! [`ReadLimits::max_document_bytes`](crate::ReadLimits); those are API response pages. A
//! Telegram Desktop export is the exception: recognised from its first 64 KiB before anything
//! more is read, it is streamed by [`crate::telegram`], whatever its size.
//! Records inside documents are numbered by the line they start on.
//!
//! Limits: a line longer than `max_record_bytes` is quarantined without being held whole;
//! arrays around records nest at most `max_json_depth` deep (deeper is quarantined, checked
//! by one linear scan, never by recursion). Nothing else recurses on the input: serde_json
//! skips unknown fields and raw values iteratively, and the typed fields are too shallow to
//! reach its own recursion limit. A record that is not valid UTF-8 is read from a copy with
//! the bad bytes replaced, and quarantined if an identifier holds one of them.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead, Read};

use rayon::prelude::*;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{bluesky, lockstep, telegram, tiktok, x, youtube, Fail, Format, Records};

/// What [`read_line`] found.
enum Line {
    /// A line (with its line break, if any) is in the buffer.
    Complete,
    /// A line longer than the limit: its start is in the buffer, the rest was skipped.
    TooLong,
    Eof,
}

/// How much of a line too long to keep is held, for the quarantine's raw text.
const KEPT_OF_LONG_LINE: usize = 4096;

/// Reads one line into `buf` (appended), holding at most `max` bytes of it.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    let start = buf.len();
    let mut too_long = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (too_long, buf.len() > start) {
                (true, _) => Line::TooLong,
                (false, true) => Line::Complete,
                (false, false) => Line::Eof,
            });
        }
        let (take, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if !too_long {
            let room = (max + 1).saturating_sub(buf.len() - start);
            if take > room {
                too_long = true;
                let keep = KEPT_OF_LONG_LINE.saturating_sub(buf.len() - start);
                buf.extend_from_slice(&avail[..keep.min(take)]);
            } else {
                buf.extend_from_slice(&avail[..take]);
            }
        }
        r.consume(take);
        if done {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}

fn too_long(max: usize) -> String {
    format!("the line is longer than {max} bytes (limit max_record_bytes)")
}

fn too_deep(max: usize) -> String {
    format!("arrays nested deeper than {max} levels (limit max_json_depth)")
}

/// Reads JSON from `r`, whose first line is line `first_line` of the file.
pub(crate) fn read(
    mut r: impl BufRead,
    first_line: u64,
    sink: &mut Records,
) -> Result<Format, Fail> {
    let limits = sink.limits;
    let max = limits.max_record_bytes;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut line_no = first_line - 1;
    // A line read ahead, and its number.
    let mut pending: Option<(Vec<u8>, u64)> = None;
    // The first record that is a JSON value of a known shape decides the format; lines before
    // it that are too long, too deep or broken are quarantined (a broken line only when the
    // next one shows the file is line-delimited).
    let format = loop {
        let n = match pending.take() {
            Some((line, n)) => {
                buf = line;
                n
            }
            None => {
                buf.clear();
                let got = read_line(&mut r, &mut buf, max)?;
                line_no += 1;
                match got {
                    Line::Eof => return Err(Fail::Format(no_records(sink))),
                    Line::TooLong => {
                        sink.reject(line_no, too_long(max), &buf);
                        continue;
                    }
                    Line::Complete => line_no,
                }
            }
        };
        if is_blank(&buf) {
            continue;
        }
        if buf.len() > max {
            // A line read ahead, with the documents' limit.
            sink.reject(n, too_long(max), &buf[..buf.len().min(KEPT_OF_LONG_LINE)]);
            continue;
        }
        if let Err(e) = serde_json::from_slice::<IgnoredAny>(&buf) {
            // Not a value by itself: the start of a multi-line document, or a broken line of
            // JSON lines. The next non-blank line tells: a complete value means lines.
            let mut ahead = Vec::new();
            let mut ahead_no = n;
            let got = loop {
                ahead.clear();
                let got = read_line(&mut r, &mut ahead, limits.max_document_bytes)?;
                if matches!(got, Line::Eof) {
                    break got;
                }
                ahead_no += 1;
                if !is_blank(&ahead) {
                    break got;
                }
                buf.extend_from_slice(&ahead);
            };
            // A line that ends opening a value or after a comma starts a document (`[`, then
            // `{"id": 1}` alone is the first of its items, not a record of its own).
            let opens = matches!(buf.trim_ascii().last(), Some(b'[' | b'{' | b','));
            let lines_follow = !opens
                && matches!(got, Line::Complete)
                && matches!(ahead.trim_ascii_start().first(), Some(b'{' | b'['))
                && serde_json::from_slice::<IgnoredAny>(&ahead).is_ok();
            if lines_follow || sink.read_so_far() > 0 {
                sink.reject(n, format!("unparseable JSON: {e}"), &buf);
                line_no = ahead_no;
                match got {
                    Line::Complete => pending = Some((ahead, ahead_no)),
                    Line::TooLong => sink.reject(ahead_no, too_long(max), &ahead),
                    Line::Eof => {}
                }
                continue;
            }
            // Documents: all of it from `buf` on, blank lines included.
            if matches!(got, Line::TooLong) {
                return Err(document_too_large(limits.max_document_bytes));
            }
            buf.extend_from_slice(&ahead);
            // A Telegram export is one document that can be gigabytes: streamed, not held (nor
            // bounded by max_document_bytes). Its first keys tell, before the rest is read.
            let head = telegram::HEAD.saturating_sub(buf.len());
            (&mut r).take(head as u64).read_to_end(&mut buf)?;
            if telegram::sniff(&buf, &[]) {
                sink.format = Some(Format::TelegramJson);
                let stream = io::Cursor::new(buf).chain(r);
                telegram::read(stream, n, sink)?;
                return Ok(Format::TelegramJson);
            }
            let room = (limits.max_document_bytes + 1).saturating_sub(buf.len());
            (&mut r).take(room as u64).read_to_end(&mut buf)?;
            if buf.len() > limits.max_document_bytes {
                return Err(document_too_large(limits.max_document_bytes));
            }
            return read_documents(&buf, n, sink);
        }
        match probe(&buf, limits.max_json_depth) {
            Ok(format) => {
                sink.format = Some(format);
                handle(format, &buf, &mut Lines::new(&buf, n), sink);
                line_no = n;
                break format;
            }
            Err(Probe::TooDeep) => sink.reject(n, too_deep(limits.max_json_depth), &buf),
            Err(Probe::Damaged(why)) => sink.reject(n, why, &buf),
            Err(Probe::Unknown(detail)) => return Err(Fail::Format(detail)),
        }
    };
    // The rest is parsed a block of lines at a time, the lines of a block in parallel; their
    // records are then passed on in file order, so the result is that of a sequential read.
    // A block is read whole and cut after its last line break (what follows waits for the
    // next block), not assembled line by line: that copied every byte once more.
    const BLOCK: usize = 4 << 20;
    const LINES_PER_TASK: usize = 32;
    const ROUND: usize = 1 << 20;
    let mut spans: Vec<(u64, usize, usize)> = Vec::new();
    // Inside a line too long to keep: its bytes are dropped up to its line break.
    let mut skipping = false;
    buf.clear();
    loop {
        spans.clear();
        sink.at_line = line_no + 1;
        let (got, failed) = match (&mut r).take(BLOCK as u64).read_to_end(&mut buf) {
            Ok(n) => (n, None),
            // What was read before the error is in `buf`: its whole lines are still read.
            Err(e) => (0, Some(e)),
        };
        let eof = got == 0;
        if skipping {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    buf.drain(..=i);
                    skipping = false;
                }
                None => {
                    buf.clear();
                    match failed {
                        Some(e) => return Err(Fail::Io(e)),
                        None if eof => return Ok(format),
                        None => continue,
                    }
                }
            }
        }
        let end = if eof && failed.is_none() {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None if failed.is_some() => 0,
                None if buf.len() > max => {
                    // One line past the limit: quarantined from what is held, the rest skipped.
                    line_no += 1;
                    let keep = buf.len().min(KEPT_OF_LONG_LINE);
                    sink.reject(line_no, too_long(max), &buf[..keep]);
                    buf.clear();
                    skipping = true;
                    continue;
                }
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
        // Lines are parsed in parallel in rounds of about `ROUND` bytes, whose records are
        // held until they are passed on in order: a round of tiny broken lines cannot make
        // millions of held records. A line longer than a round, or an array (which may
        // hold any number of records), is read on this thread straight into the sink.
        let block = &buf;
        let file = sink.file;
        let mut from = 0;
        while from < spans.len() {
            let mut to = from;
            let mut bytes = 0;
            while to < spans.len() {
                let (_, s, e) = spans[to];
                let alone = e - s > ROUND || block[s..e].trim_ascii_start().starts_with(b"[");
                if alone || bytes > ROUND {
                    break;
                }
                bytes += e - s;
                to += 1;
            }
            let round = &spans[from..to];
            if round.len() <= LINES_PER_TASK {
                // One task's worth: no thread is worth waking.
                for &(n, s, e) in round {
                    line_at(format, &block[s..e], n, max, sink);
                }
            } else {
                let outcomes: Vec<Vec<Outcome>> = round
                    .par_chunks(LINES_PER_TASK)
                    .map(|task| {
                        // Room for a record per 128 bytes of JSON (a TikTok video takes ~300,
                        // a comment ~200): unused room costs nothing, growing copies every
                        // record.
                        let bytes: usize = task.iter().map(|&(_, s, e)| e - s).sum();
                        collect(file, limits, bytes / 128 + 1, |sink| {
                            for &(n, s, e) in task {
                                line_at(format, &block[s..e], n, max, sink);
                            }
                        })
                    })
                    .collect();
                for o in outcomes.into_iter().flatten() {
                    sink.replay(o);
                }
            }
            if to < spans.len() && to == from {
                // A line read alone.
                let (n, s, e) = spans[to];
                line_at(format, &block[s..e], n, max, sink);
                to += 1;
            }
            from = to;
        }
        if let Some(e) = failed {
            sink.at_line = line_no + 1;
            return Err(Fail::Io(e));
        }
        if eof {
            return Ok(format);
        }
        buf.drain(..end);
    }
}

/// One line of JSON lines, numbered `n`.
fn line_at(format: Format, line: &[u8], n: u64, max: usize, sink: &mut Records) {
    if line.len() > max {
        sink.reject(n, too_long(max), line);
    } else {
        handle(format, line, &mut Lines::new(line, n), sink);
    }
}

fn document_too_large(max: usize) -> Fail {
    Fail::Limit(format!(
        "a file of multi-line JSON documents is read into memory whole, and this one is larger \
         than {max} bytes (limit max_document_bytes); write it as JSON lines (one record or \
         page per line, e.g. `jq -c`) to stream it"
    ))
}

/// Why no format could be found in a file of JSON lines.
fn no_records(sink: &Records) -> String {
    match sink.read_so_far() {
        0 => "no JSON content".into(),
        n => format!("no line holds a JSON record ({n} lines quarantined)"),
    }
}

/// A record as a reader produced it, to be passed on later.
#[allow(clippy::large_enum_variant)] // almost every record is an event: boxing them would cost an allocation each
pub(crate) enum Outcome {
    Event(lockstep_core::Event, u64),
    Bad(lockstep_core::Quarantined),
    Skipped(u64, &'static str),
}

/// Runs `f` on a sink that keeps what it is given, and returns that; room is made for
/// `capacity` records up front (growing a vector of 300-byte events copied each one again).
fn collect(
    file: &str,
    limits: crate::ReadLimits,
    capacity: usize,
    f: impl FnOnce(&mut Records),
) -> Vec<Outcome> {
    struct Outcomes(Vec<Outcome>);
    impl crate::Sink for Outcomes {
        fn event(&mut self, e: lockstep_core::Event, record: u64) {
            self.0.push(Outcome::Event(e, record));
        }
        fn quarantined(&mut self, q: lockstep_core::Quarantined) {
            self.0.push(Outcome::Bad(q));
        }
        fn skipped(&mut self, record: u64, what: &'static str) {
            self.0.push(Outcome::Skipped(record, what));
        }
    }
    let mut out = Outcomes(Vec::with_capacity(capacity));
    f(&mut Records::new(file, limits, &mut out));
    out.0
}

/// One or more multi-line JSON documents, all in memory.
fn read_documents(buf: &[u8], first_line: u64, sink: &mut Records) -> Result<Format, Fail> {
    let max_depth = sink.limits.max_json_depth;
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
                    None => match probe(doc, max_depth) {
                        Ok(f) => {
                            sink.format = Some(f);
                            *format.insert(f)
                        }
                        Err(Probe::TooDeep) => {
                            sink.reject(lines.line_of(doc), too_deep(max_depth), doc);
                            continue;
                        }
                        Err(Probe::Damaged(why)) => {
                            sink.reject(lines.line_of(doc), why, doc);
                            continue;
                        }
                        Err(Probe::Unknown(detail)) => return Err(Fail::Format(detail)),
                    },
                };
                handle(f, doc, &mut lines, sink);
            }
            Some(Err(e)) => {
                if format.is_none() && sink.read_so_far() == 0 {
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
    format.ok_or_else(|| Fail::Format(no_records(sink)))
}

/// Line-delimited JSON whose first lines are broken; `None` if no line is valid JSON.
fn read_lines_in_memory(buf: &[u8], first_line: u64, sink: &mut Records) -> Option<Format> {
    let max_depth = sink.limits.max_json_depth;
    let lines = || (first_line..).zip(buf.split(|&b| b == b'\n'));
    let format = lines()
        .filter(|(_, l)| serde_json::from_slice::<IgnoredAny>(l).is_ok())
        .find_map(|(_, l)| probe(l, max_depth).ok())?;
    sink.format = Some(format);
    for (n, line) in lines() {
        if !is_blank(line) {
            handle(format, line, &mut Lines::new(line, n), sink);
        }
    }
    Some(format)
}

/// Dispatches one JSON value; a top-level array is a list of values of the same format.
/// Invalid UTF-8 is replaced in a copy, whose events are kept only if no identifier holds a
/// replaced byte (see [`Records::emit`]).
fn handle(format: Format, doc: &[u8], lines: &mut Lines, sink: &mut Records) {
    match std::str::from_utf8(doc) {
        Ok(text) => handle_text(format, text, lines, sink),
        Err(_) => {
            let copy = String::from_utf8_lossy(doc).into_owned();
            let mut copy_lines = Lines::new(copy.as_bytes(), lines.line_of(doc));
            let was = std::mem::replace(&mut sink.replaced, true);
            handle_text(format, &copy, &mut copy_lines, sink);
            sink.replaced = was;
        }
    }
}

fn handle_text(format: Format, doc: &str, lines: &mut Lines, sink: &mut Records) {
    if !doc.trim_ascii_start().starts_with('[') {
        return dispatch(format, doc, lines, sink);
    }
    let max = sink.limits.max_json_depth;
    let reject = |sink: &mut Records, lines: &mut Lines, why: String| {
        sink.reject(lines.line_of(doc.as_bytes()), why, doc.as_bytes())
    };
    // Checked once, at the top, in one pass: finding out by descending would cost time
    // quadratic in the depth.
    if array_depth(doc.as_bytes()) > max {
        return reject(sink, lines, too_deep(max));
    }
    // Valid as a whole (serde_json skips without recursing or holding anything), then cut
    // into its items in place: no list of millions of items is built for `[0,0,0,…]`.
    if let Err(e) = serde_json::from_str::<IgnoredAny>(doc) {
        return reject(sink, lines, reason(&e));
    }
    // Nested arrays are flattened with a stack of cursors, no recursion.
    let mut stack = vec![Items::new(doc)];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(item) if item.starts_with('[') => stack.push(Items::new(item)),
            Some(item) => dispatch(format, item, lines, sink),
        }
    }
}

fn dispatch(format: Format, value: &str, lines: &mut Lines, sink: &mut Records) {
    match format {
        Format::TikTokResearch => tiktok::handle(value, lines, sink),
        Format::XApiV2 => x::handle_v2(value, lines, sink),
        Format::TelegramJson => telegram::handle(value, lines, sink),
        Format::BlueskyJetstream => bluesky::handle(value, lines.line_of(value.as_bytes()), sink),
        Format::YoutubeApiV3 => youtube::handle(value, lines, sink),
        _ => lockstep::handle_json(value, lines.line_of(value.as_bytes()), sink),
    }
}

/// The items of a JSON array, as sub-slices of its text, found by one scan. Only for arrays
/// already known to be valid JSON (validated, or a raw value serde_json took whole).
pub(crate) struct Items<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Items<'a> {
    pub(crate) fn new(array: &'a str) -> Self {
        let at = array.find('[').map_or(array.len(), |i| i + 1);
        Items { text: array, at }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.text.as_bytes();
        while self.at < b.len() && (b[self.at].is_ascii_whitespace() || b[self.at] == b',') {
            self.at += 1;
        }
        if self.at >= b.len() || b[self.at] == b']' {
            self.at = b.len();
            return None;
        }
        let start = self.at;
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        while self.at < b.len() {
            let c = b[self.at];
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    in_string = false;
                }
            } else {
                match c {
                    b'"' => in_string = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth == 0 => break,
                    b']' | b'}' => depth -= 1,
                    b',' if depth == 0 => break,
                    _ => {}
                }
            }
            self.at += 1;
        }
        // Item boundaries are ASCII: the slice is on character boundaries.
        Some(self.text[start..self.at].trim_ascii_end())
    }
}

/// How deep arrays nest in arrays from the top of `doc` (`[[{}], []]` is 2): the levels
/// [`handle_text`] flattens. One pass, no recursion; strings are skipped.
fn array_depth(doc: &[u8]) -> usize {
    let (mut depth, mut chain, mut deepest) = (0usize, 0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in doc {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' => {
                if chain == depth {
                    chain += 1;
                    deepest = deepest.max(chain);
                }
                depth += 1;
            }
            b'{' => depth += 1,
            b']' | b'}' => {
                if chain == depth {
                    chain = chain.saturating_sub(1);
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    deepest
}

enum Probe {
    TooDeep,
    Unknown(String),
    /// Unknown keys in a value that is not valid UTF-8: a damaged record, not a file of
    /// another format.
    Damaged(String),
}

/// Picks the JSON format from the keys of the first value (the first object, inside arrays).
fn probe(doc: &[u8], max_depth: usize) -> Result<Format, Probe> {
    let copy;
    let valid = std::str::from_utf8(doc).is_ok();
    let mut doc = match std::str::from_utf8(doc) {
        Ok(text) => text,
        Err(_) => {
            copy = String::from_utf8_lossy(doc);
            &copy
        }
    };
    if doc.trim_ascii_start().starts_with('[') && array_depth(doc.as_bytes()) > max_depth {
        return Err(Probe::TooDeep);
    }
    if doc.trim_ascii_start().starts_with('[') {
        serde_json::from_str::<IgnoredAny>(doc)
            .map_err(|e| Probe::Unknown(format!("unparseable JSON: {e}")))?;
    }
    while doc.trim_ascii_start().starts_with('[') {
        doc = Items::new(doc)
            .next()
            .ok_or_else(|| Probe::Unknown("the JSON array is empty".into()))?;
    }
    let doc = doc.trim_ascii_start().as_bytes();
    let keys = object_keys(doc)
        .ok_or_else(|| Probe::Unknown("the first JSON value is not an object".into()))?;
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
    if let Some(format) = None
        .or_else(|| telegram::probe(&keys))
        .or_else(|| bluesky::probe(&keys))
        .or_else(|| youtube::probe(&keys))
    {
        return Ok(format);
    }
    let found: Vec<&str> = keys.keys().map(String::as_str).take(20).collect();
    if !valid {
        return Err(Probe::Damaged(format!(
            "not valid UTF-8, and none of the known key sets (found keys: {})",
            found.join(", ")
        )));
    }
    Err(Probe::Unknown(format!(
        "JSON object has none of the known key sets (found keys: {}); accepted: TikTok \
         Research API pages {{\"data\": {{\"videos\": […]}}}} or videos {{create_time, \
         username, …}}; X API v2 responses {{\"data\": […], \"includes\": …}} or tweets \
         {{id, author_id, created_at, …}}; Telegram Desktop exports {{name, type, id, \
         messages}} or {{about, chats, …}}; Bluesky Jetstream events {{did, time_us, kind, \
         commit}}; YouTube Data API v3 responses or items {{kind: \"youtube#…\", …}}; \
         lockstep records {{id, account, time, …}}",
        found.join(", ")
    )))
}

fn object_keys(doc: &[u8]) -> Option<BTreeMap<String, &RawValue>> {
    serde_json::from_slice(doc).ok()
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Parses one JSON record, already valid UTF-8 (checked once per line or document, see
/// [`handle`]): as `str`, which spares serde_json a UTF-8 check per string.
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(doc: &'a str) -> serde_json::Result<T> {
    serde_json::from_str(doc)
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

/// Text of an optional id as every reader keeps identifiers (see [`crate::ident`]).
pub(crate) fn id_text(id: Option<Id>) -> Option<String> {
    crate::ident(id.map(|i| i.0))
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
