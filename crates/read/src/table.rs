//! The CSV family: the header decides the format, columns are found by name in any order.
//!
//! Records are cut by `csv-core`, the `csv` crate's own parser, driven here so that a record
//! is bounded and can be undone. CSV lets a quoted field run across line breaks, so one stray
//! `"` would otherwise swallow every line after it into one field, silently, to the end of
//! the file. The rule: a record may span lines only if it comes out well-formed. When a
//! quoted field is still open at the end of the file, or after
//! [`ReadLimits::max_record_lines`](crate::ReadLimits) lines or `max_record_bytes` bytes, or
//! when a record spanning lines has the wrong number of fields, the lines from the record's
//! start to the line that opened the quoted field are quarantined as one record, saying so,
//! and reading starts again on the line after it. Nothing is swallowed: every line is read
//! as part of an accepted or a quarantined record. (Rejecting the whole file instead would
//! throw away every good row for one bad byte.) A line longer than `max_record_bytes`
//! outside quotes is quarantined and skipped without being held whole.

use std::borrow::Cow;
use std::io::{self, Read};

use lockstep_core::Event;

use crate::input::BUF_SIZE;
use crate::{crowdtangle, lockstep, meta, peers, rtweet, x, Fail, Format, ReadLimits, Records};

/// Reads CSV from `r`, whose first line is line `first_line` of the file.
pub(crate) fn read(
    r: impl Read,
    delimiter: u8,
    first_line: u64,
    sink: &mut Records,
) -> Result<Format, Fail> {
    let mut csv = Cutter::new(r, delimiter, first_line, sink.limits);
    let header = match csv.next()? {
        Some(Cut::Record { row, .. }) => Header::new(&row),
        Some(Cut::Broken { line, reason, .. }) => {
            return Err(Fail::Format(format!(
                "the header (line {line}) is broken: {reason}"
            )))
        }
        None => return Err(Fail::Format("no CSV header".into())),
    };
    let table = Table::detect(&header).ok_or_else(|| {
        let found: Vec<String> = header
            .names
            .iter()
            .take(20)
            .map(|n| n.chars().take(40).collect())
            .collect();
        Fail::Format(format!(
            "CSV header has none of the known column sets (found: {}); accepted: {}",
            found.join(", "),
            Table::accepted()
        ))
    })?;
    sink.format = Some(table.format());
    let width = header.names.len();
    csv.width = Some(width);
    loop {
        sink.at_line = csv.next_line();
        let Some(cut) = csv.next()? else { break };
        match cut {
            Cut::Record { line, row, raw } => {
                if row.len() == 1 && row.field(0).trim_ascii().is_empty() {
                    continue; // a line of spaces
                }
                let result = if row.len() == width {
                    table.event(&row)
                } else {
                    Err(format!("expected {width} fields, found {}", row.len()))
                };
                sink.emit(line, raw, result);
            }
            Cut::Broken { line, reason, raw } => sink.reject(line, reason, raw),
        }
    }
    Ok(table.format())
}

/// The most fields a record may have (spreadsheets stop at 16,384 columns).
const MAX_FIELDS: usize = 1 << 16;

/// What [`Cutter::next`] cut from the input.
enum Cut<'a> {
    /// A record (its first line, fields and raw bytes).
    Record {
        line: u64,
        row: Row<'a>,
        raw: &'a [u8],
    },
    /// Lines that do not make a record, to be quarantined.
    Broken {
        line: u64,
        reason: String,
        raw: &'a [u8],
    },
}

/// Cuts records out of a byte stream with `csv-core`, within the limits (see the module
/// comment). The bytes of the record being cut stay in `buf` from its start, so that it can
/// be taken back and read again from a later line.
struct Cutter<R> {
    src: R,
    core: csv_core::Reader,
    delimiter: u8,
    limits: ReadLimits,
    /// The number of fields a record should have, once the header is read.
    width: Option<usize>,
    buf: Vec<u8>,
    /// The next record starts at `buf[start]`, on line `line`; `buf[..end]` holds data.
    start: usize,
    end: usize,
    line: u64,
    eof: bool,
    /// Bytes of the last record cut, consumed on the next call, and the line breaks in them
    /// when known.
    taken: usize,
    taken_lines: Option<u64>,
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// The start of a line too long to hold, for its quarantine.
    kept: Vec<u8>,
    /// How much the next read asks for.
    room: usize,
}

impl<R: Read> Cutter<R> {
    fn new(src: R, delimiter: u8, first_line: u64, limits: ReadLimits) -> Self {
        let mut c = Cutter {
            src,
            core: parser(delimiter),
            delimiter,
            limits,
            width: None,
            buf: Vec::new(),
            start: 0,
            end: 0,
            line: first_line,
            eof: false,
            taken: 0,
            taken_lines: None,
            fields: vec![0; 1024],
            ends: vec![0; 64],
            kept: Vec::new(),
            room: 0,
        };
        c.restart();
        c
    }

    /// The parser back at the start of a line (its tables kept: they cost more to build than
    /// a small file costs to read).
    fn restart(&mut self) {
        self.core.reset();
        // `csv-core` strips a byte-order mark from the first bytes it is given; the file's
        // own was stripped already, and one at the start of a later line is data. A line
        // break first (a blank line, which it skips) keeps it.
        let _ = self.core.read_record(b"\n", &mut [], &mut []);
    }

    /// Moves the record start on by `n` bytes, counting the lines passed.
    fn advance(&mut self, n: usize) {
        let passed = &self.buf[self.start..self.start + n];
        self.line += memchr::memchr_iter(b'\n', passed).count() as u64;
        self.start += n;
    }

    /// The line after the last record cut: where reading goes on.
    fn next_line(&self) -> u64 {
        let taken = &self.buf[self.start..self.start + self.taken];
        self.line
            + self
                .taken_lines
                .unwrap_or_else(|| memchr::memchr_iter(b'\n', taken).count() as u64)
    }

    /// Moves the record start past the last record cut.
    fn advance_taken(&mut self) {
        let n = std::mem::take(&mut self.taken);
        match self.taken_lines.take() {
            Some(lines) => {
                self.line += lines;
                self.start += n;
            }
            None => self.advance(n),
        }
    }

    /// Reads more input after `buf[..end]`, keeping `buf[start..]`. `false` at the end.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        // Reads grow to a buffer's worth at a time: `BufReader` passes those through without
        // copying them into its own buffer first. (They start small: zeroing a megabyte for
        // a small input cost more than reading it.)
        self.room = (self.room * 2).clamp(1 << 14, BUF_SIZE);
        if self.buf.len() < self.end + self.room {
            self.buf.resize(self.end + self.room, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next record, or lines to quarantine; `None` at the end of the input.
    fn next(&mut self) -> io::Result<Option<Cut<'_>>> {
        self.advance_taken();
        // Blank lines between records are not records.
        loop {
            let skip = self.buf[self.start..self.end]
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            self.advance(skip);
            if self.start < self.end {
                break;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
        // Parse from the record's start; `at` is relative to it (the buffer may move). The
        // parser counts the line breaks it passes.
        let (mut at, mut nout, mut nend) = (0, 0, 0);
        let mut too_many = false;
        let line0 = self.core.line();
        let by_eof = loop {
            let input = &self.buf[self.start + at..self.end];
            if input.is_empty() && !self.eof {
                // Past a limit the record is cut short here, whatever follows.
                let breaks = self.core.line() - line0;
                if at > self.limits.max_record_bytes
                    || breaks >= self.limits.max_record_lines as u64
                {
                    return self.overflow(at, false).map(Some);
                }
                self.fill()?;
                continue;
            }
            let at_end = input.is_empty();
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.fields[nout..], &mut self.ends[nend..]);
            at += nin;
            nout += o;
            nend += e;
            match res {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull if too_many => nout = 0,
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.fields.len() * 2;
                    self.fields.resize(n, 0);
                }
                // Fields past the cap are parsed to find the record's end, not kept: an end
                // position costs 8 bytes for each 1-byte field of a line of commas.
                csv_core::ReadRecordResult::OutputEndsFull
                    if too_many || self.ends.len() >= MAX_FIELDS =>
                {
                    (too_many, nout, nend) = (true, 0, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record => break at_end,
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        };
        let line = self.line;
        let raw = &self.buf[self.start..self.start + at];
        let breaks = self.core.line() - line0;
        if at > self.limits.max_record_bytes || breaks > self.limits.max_record_lines as u64 {
            // Cut whole, but past a limit all the same (it arrived in one read).
            return self.overflow(at, true).map(Some);
        }
        let content = trim_terminator(raw);
        if too_many {
            self.taken = at;
            self.taken_lines = Some(breaks);
            return Ok(Some(Cut::Broken {
                line,
                reason: format!("more than {MAX_FIELDS} fields"),
                raw: &self.buf[self.start..self.start + at.min(4096)],
            }));
        }
        if by_eof {
            if let Some(open) = quotes(content, self.delimiter).open_at_end {
                let why = "is not closed before the end of the file";
                return self.broken(open, why).map(Some);
            }
        }
        if self.width.is_some_and(|w| w != nend) {
            let inner_breaks = memchr::memchr_iter(b'\n', content).count() as u64;
            if inner_breaks > 0 {
                if let Some(open) = quotes(content, self.delimiter).first_multiline {
                    let last = line + inner_breaks;
                    let why = format!(
                        "runs across line breaks into a record of {nend} fields, not {}, \
                         spanning lines {line}–{last}",
                        self.width.unwrap_or(0)
                    );
                    return self.broken(open, &why).map(Some);
                }
            }
        }
        self.taken = at;
        self.taken_lines = Some(breaks);
        let raw = &self.buf[self.start..self.start + at];
        Ok(Some(Cut::Record {
            line,
            row: Row {
                fields: &self.fields[..nout],
                ends: &self.ends[..nend],
            },
            raw,
        }))
    }

    /// The record reached a limit after `at` bytes: cut whole (`complete`), or under way
    /// with all the input held in it.
    fn overflow(&mut self, at: usize, complete: bool) -> io::Result<Cut<'_>> {
        let held = &self.buf[self.start..self.start + at];
        let q = quotes(held, self.delimiter);
        let (bytes, lines) = (self.limits.max_record_bytes, self.limits.max_record_lines);
        let limit = if at > bytes {
            format!("{bytes} bytes (limit max_record_bytes)")
        } else {
            format!("{lines} lines (limit max_record_lines)")
        };
        if let Some(open) = q.open_at_end {
            return self.broken(open, &format!("is still open after {limit}"));
        }
        if let Some(open) = q.first_multiline {
            let why = format!("runs across line breaks into a record longer than {limit}");
            return self.broken(open, &why);
        }
        // One line, outside quotes, longer than the limit.
        let reason = format!("the line is longer than {limit}");
        if !complete {
            return self.drop_rest_of_line(reason);
        }
        self.taken = at;
        Ok(Cut::Broken {
            line: self.line,
            reason,
            raw: &self.buf[self.start..self.start + at.min(4096)],
        })
    }

    /// The lines from the record's start to the end of the line where the quoted field that
    /// opened at `open` (an offset into the record) began: quarantined, with reading resumed
    /// on the line after them.
    fn broken(&mut self, open: usize, why: &str) -> io::Result<Cut<'_>> {
        let record = &self.buf[self.start..self.end];
        let open_line = self.line + memchr::memchr_iter(b'\n', &record[..open]).count() as u64;
        let mut reason = format!("a quoted field opened on line {open_line} {why}: a stray quote?");
        if self.width.is_some() {
            reason += &format!(" The lines after line {open_line} are read as records again");
        }
        let cut = match memchr::memchr(b'\n', &record[open..]) {
            Some(i) => open + i + 1,
            None if self.eof => record.len(),
            // The line that opened the field is longer than what is held.
            None => return self.drop_rest_of_line(reason),
        };
        self.taken = cut;
        self.restart();
        Ok(Cut::Broken {
            line: self.line,
            reason,
            raw: &self.buf[self.start..self.start + cut],
        })
    }

    /// The record under way ends in a line longer than may be held (all the input read so
    /// far is in it): its start is kept for the quarantine, the rest of the line is read and
    /// dropped, and reading resumes on the next line.
    fn drop_rest_of_line(&mut self, reason: String) -> io::Result<Cut<'_>> {
        let line = self.line;
        let held = &self.buf[self.start..self.end];
        self.line += memchr::memchr_iter(b'\n', held).count() as u64;
        self.kept.clear();
        self.kept.extend_from_slice(&held[..held.len().min(4096)]);
        self.buf.clear();
        self.buf.shrink_to(2 * BUF_SIZE);
        (self.start, self.end) = (0, 0);
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let n = match self.src.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
                // What follows the line break is the next lines.
                self.buf.extend_from_slice(&chunk[i..n]);
                self.end = self.buf.len();
                break;
            }
        }
        self.restart();
        Ok(Cut::Broken {
            line,
            reason,
            raw: &self.kept,
        })
    }
}

std::thread_local! {
    /// Parsers of files read before on this thread, by delimiter, for the next file: building
    /// the tables costs more than reading a small file. (Taken and given back, not cloned:
    /// `csv-core`'s `Clone` for its tables copies only a part of them.)
    static PARSERS: std::cell::RefCell<Vec<(u8, csv_core::Reader)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A `csv-core` parser for `delimiter`, at the start of a file.
fn parser(delimiter: u8) -> csv_core::Reader {
    let cached = PARSERS
        .try_with(|p| {
            let mut p = p.borrow_mut();
            let i = p.iter().position(|(d, _)| *d == delimiter)?;
            Some(p.swap_remove(i).1)
        })
        .ok()
        .flatten();
    cached.unwrap_or_else(|| csv_core::ReaderBuilder::new().delimiter(delimiter).build())
}

impl<R> Drop for Cutter<R> {
    fn drop(&mut self) {
        let mut core = std::mem::take(&mut self.core);
        core.reset();
        let delimiter = self.delimiter;
        let _ = PARSERS.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                if p.len() < 4 {
                    p.push((delimiter, core));
                }
            }
        });
    }
}

/// `raw` without the line break that ends it.
fn trim_terminator(raw: &[u8]) -> &[u8] {
    let n = raw
        .iter()
        .rev()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    &raw[..raw.len() - n]
}

/// Where quoted fields open in one record's bytes, read as `csv-core` reads them (quotes
/// open a field only at its start; `""` inside is a quote; a quote closes it).
struct Quotes {
    /// The opening quote of a field still open at the end of the bytes.
    open_at_end: Option<usize>,
    /// The opening quote of the first quoted field that holds a line break.
    first_multiline: Option<usize>,
}

fn quotes(bytes: &[u8], delimiter: u8) -> Quotes {
    #[derive(PartialEq)]
    enum S {
        Start,
        Field,
        Quoted,
        QuoteInQuoted,
    }
    let mut s = S::Start;
    let (mut opened, mut open_at_end, mut first_multiline) = (0, None, None);
    for (i, &b) in bytes.iter().enumerate() {
        let term = b == b'\n' || b == b'\r';
        s = match s {
            S::Start | S::Field | S::QuoteInQuoted if b == delimiter || term => S::Start,
            S::Start if b == b'"' => {
                opened = i;
                S::Quoted
            }
            S::QuoteInQuoted if b == b'"' => S::Quoted,
            S::Start | S::Field | S::QuoteInQuoted => S::Field,
            S::Quoted if b == b'"' => S::QuoteInQuoted,
            S::Quoted => {
                if b == b'\n' && first_multiline.is_none() {
                    first_multiline = Some(opened);
                }
                S::Quoted
            }
        };
    }
    if s == S::Quoted {
        open_at_end = Some(opened);
    }
    Quotes {
        open_at_end,
        first_multiline,
    }
}

/// Lower-cased, trimmed column names.
pub(crate) struct Header {
    names: Vec<String>,
}

impl Header {
    fn new(row: &Row) -> Header {
        let names = (0..row.len())
            .map(|i| String::from_utf8_lossy(row.field(i)).trim().to_lowercase())
            .collect();
        Header { names }
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The first of `names` present.
    pub(crate) fn find_any(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.find(n))
    }

    /// All of `names`, or `None` if one is missing.
    pub(crate) fn find_all<const N: usize>(&self, names: [&str; N]) -> Option<[usize; N]> {
        let mut out = [0; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self.find(name)?;
        }
        Some(out)
    }
}

enum Table {
    Lockstep(lockstep::Columns),
    XArchive(x::ArchiveColumns),
    CoorTweet(peers::CoorTweetColumns),
    CoorTweetMultimodal(peers::MultimodalColumns),
    Cnt(peers::CntColumns),
    Rtweet(rtweet::Columns),
    CrowdTangle(crowdtangle::Columns),
    Meta(meta::Columns),
}

impl Table {
    fn detect(h: &Header) -> Option<Table> {
        None.or_else(|| lockstep::Columns::find(h).map(Table::Lockstep))
            .or_else(|| x::ArchiveColumns::find(h).map(Table::XArchive))
            .or_else(|| peers::CoorTweetColumns::find(h).map(Table::CoorTweet))
            .or_else(|| peers::MultimodalColumns::find(h).map(Table::CoorTweetMultimodal))
            .or_else(|| peers::CntColumns::find(h).map(Table::Cnt))
            .or_else(|| rtweet::Columns::find(h).map(Table::Rtweet))
            .or_else(|| crowdtangle::Columns::find(h).map(Table::CrowdTangle))
            .or_else(|| meta::Columns::find(h).map(Table::Meta))
    }

    /// The column sets [`Table::detect`] accepts, for the message when none matches.
    fn accepted() -> String {
        [
            (Format::LockstepCsv, lockstep::Columns::REQUIRED),
            (Format::XArchiveCsv, x::ArchiveColumns::REQUIRED),
            (Format::CoorTweetCsv, peers::CoorTweetColumns::REQUIRED),
            (
                Format::CoorTweetMultimodalCsv,
                peers::MultimodalColumns::REQUIRED,
            ),
            (Format::CntCsv, peers::CntColumns::REQUIRED),
            (Format::RtweetCsv, rtweet::Columns::REQUIRED),
            (Format::CrowdTangleCsv, crowdtangle::Columns::REQUIRED),
            (Format::MetaContentLibraryCsv, meta::Columns::REQUIRED),
        ]
        .iter()
        .map(|(f, cols)| format!("{f} ({cols})"))
        .collect::<Vec<_>>()
        .join("; ")
    }

    fn format(&self) -> Format {
        match self {
            Table::Lockstep(_) => Format::LockstepCsv,
            Table::XArchive(_) => Format::XArchiveCsv,
            Table::CoorTweet(_) => Format::CoorTweetCsv,
            Table::CoorTweetMultimodal(_) => Format::CoorTweetMultimodalCsv,
            Table::Cnt(_) => Format::CntCsv,
            Table::Rtweet(_) => Format::RtweetCsv,
            Table::CrowdTangle(_) => Format::CrowdTangleCsv,
            Table::Meta(_) => Format::MetaContentLibraryCsv,
        }
    }

    fn event(&self, row: &Row) -> Result<Event, String> {
        match self {
            Table::Lockstep(c) => c.event(row),
            Table::XArchive(c) => c.event(row),
            Table::CoorTweet(c) => c.event(row),
            Table::CoorTweetMultimodal(c) => c.event(row),
            Table::Cnt(c) => c.event(row),
            Table::Rtweet(c) => c.event(row),
            Table::CrowdTangle(c) => c.event(row),
            Table::Meta(c) => c.event(row),
        }
    }
}

/// One record's fields, as `csv-core` cut them.
pub(crate) struct Row<'r> {
    fields: &'r [u8],
    ends: &'r [usize],
}

impl<'r> Row<'r> {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The field's bytes (empty past the last field).
    pub(crate) fn field(&self, i: usize) -> &'r [u8] {
        let Some(&end) = self.ends.get(i) else {
            return &[];
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.fields.get(start..end).unwrap_or(&[])
    }

    /// The field as text, invalid UTF-8 replaced: for free text and for values that are
    /// parsed further (times, counts, flags), never for identifiers.
    pub(crate) fn get(&self, i: usize) -> Cow<'r, str> {
        String::from_utf8_lossy(self.field(i))
    }

    /// A value that is parsed further, trimmed; `None` when absent or blank.
    pub(crate) fn value(&self, i: Option<usize>) -> Option<Cow<'r, str>> {
        let f = self.field(i?).trim_ascii();
        (!f.is_empty()).then(|| String::from_utf8_lossy(f))
    }

    /// An identifier (ids, names, list cells): trimmed of ASCII whitespace, `None` when
    /// absent or blank, an error naming `what` when not valid UTF-8 (an identifier is kept
    /// byte for byte or not at all).
    pub(crate) fn ident(&self, i: Option<usize>, what: &str) -> Result<Option<&'r str>, String> {
        let Some(i) = i else { return Ok(None) };
        let f = self.field(i).trim_ascii();
        if f.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(f).map_err(|_| format!("{what} is not valid UTF-8"))?;
        if is_float_notation(text) {
            return Err(format!(
                "{what} {text:?} is written as a floating-point number (by R or pandas): its \
                 digits are lost, and two ids may have become one"
            ));
        }
        Ok(Some(text))
    }

    /// [`Row::ident`] as an owned string.
    pub(crate) fn id(&self, i: Option<usize>, what: &str) -> Result<Option<String>, String> {
        Ok(self.ident(i, what)?.map(str::to_string))
    }

    /// A non-blank field, untrimmed, for free text (invalid UTF-8 replaced).
    pub(crate) fn text(&self, i: Option<usize>) -> Option<String> {
        let f = self.field(i?);
        (!f.trim_ascii().is_empty()).then(|| String::from_utf8_lossy(f).into_owned())
    }

    /// A required identifier, or the reason it is missing or unusable.
    pub(crate) fn required(&self, i: usize, what: &str) -> Result<String, String> {
        self.id(Some(i), what)?
            .ok_or_else(|| format!("missing {what}"))
    }
}

/// `1.0974433754470113e+18`, `1e+18`: an integer id that went through a float (R's and
/// pandas' CSV writers) and kept only 15–17 digits. The explicit sign of the exponent tells it
/// from a hexadecimal hash such as `3e10`.
fn is_float_notation(s: &str) -> bool {
    // The exponent's sign is 2 to 4 bytes from the end (`e+18`, `e-5`, `e+308`): a quick no
    // for every other id.
    let b = s.as_bytes();
    if !(b.len().saturating_sub(5)..b.len().saturating_sub(1)).any(|i| matches!(b[i], b'+' | b'-'))
    {
        return false;
    }
    let s = s.strip_prefix('-').unwrap_or(s);
    let Some((mantissa, exp)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let exp = exp.strip_prefix(['+', '-']);
    digits(int) && digits(frac) && exp.is_some_and(digits)
}

/// Splits a list cell as the X archives write them: `[a, b]`, `['a', 'b']`, `["a","b"]` or
/// empty.
pub(crate) fn parse_list(cell: &str) -> Vec<String> {
    let s = cell.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() || c == ',' {
            chars.next();
            continue;
        }
        if c == '\'' || c == '"' {
            chars.next();
            let mut item = String::new();
            while let Some((_, ch)) = chars.next() {
                match ch {
                    '\\' => item.extend(chars.next().map(|(_, e)| e)),
                    _ if ch == c => break,
                    _ => item.push(ch),
                }
            }
            if !item.is_empty() {
                out.push(item);
            }
        } else {
            let mut end = s.len();
            while let Some(&(i, ch)) = chars.peek() {
                if ch == ',' || ch.is_whitespace() {
                    end = i;
                    break;
                }
                chars.next();
            }
            out.push(s[start..end].to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_every_shape() {
        let want = vec!["tag1".to_string(), "tag2".to_string()];
        for cell in [
            "[tag1, tag2]",
            "['tag1', 'tag2']",
            r#"["tag1","tag2"]"#,
            "tag1 tag2",
            " [ tag1 ,tag2 ] ",
        ] {
            assert_eq!(parse_list(cell), want, "{cell}");
        }
        assert!(parse_list("").is_empty());
        assert!(parse_list("[]").is_empty());
        assert_eq!(parse_list(r"['it\'s', 'a,b']"), vec!["it's", "a,b"]);
        assert_eq!(
            parse_list("['https://ex.com/a?b=1']"),
            vec!["https://ex.com/a?b=1"]
        );
    }

    #[test]
    fn float_notation_is_told_from_hashes() {
        for s in ["1.0974433754470113e+18", "1e+18", "1.2E-05", "-3.5e+2"] {
            assert!(is_float_notation(s), "{s}");
        }
        for s in [
            "3e10",
            "85d2d12251a735ce05255061f7f231e2",
            "1e",
            "e+5",
            "12",
            "x1e+5",
        ] {
            assert!(!is_float_notation(s), "{s}");
        }
    }

    #[test]
    fn quoted_fields_are_found_as_csv_core_reads_them() {
        let q = quotes(b"a,\"b\nc\",d\"e,\"f", b',');
        assert_eq!((q.first_multiline, q.open_at_end), (Some(2), Some(12)));
        let q = quotes(b"\"a\"\"b\",x", b',');
        assert_eq!((q.first_multiline, q.open_at_end), (None, None));
        // A quote after the start of a field is data.
        assert_eq!(quotes(b"ab\"c,d", b',').open_at_end, None);
        assert_eq!(quotes(b"x\t\"y", b'\t').open_at_end, Some(2));
    }
}
