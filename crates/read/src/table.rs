//! The CSV family: the header decides the format, columns are found by name in any order.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, Read};

use csv::ByteRecord;
use lockstep_core::Event;

use crate::input::BUF_SIZE;
use crate::{lockstep, peers, x, Fail, Format, Sink};

/// Reads CSV from `r`, whose first line is line `first_line` of the file.
pub(crate) fn read(
    r: impl Read,
    delimiter: u8,
    first_line: u64,
    sink: &mut Sink,
) -> Result<Format, Fail> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        // Records with the wrong field count are quarantined here, not fatal to the file.
        .flexible(true)
        .buffer_capacity(BUF_SIZE)
        .from_reader(LineCounter::new(r, first_line));
    let header = Header::new(rdr.byte_headers()?);
    let table = Table::detect(&header).ok_or_else(|| {
        let found: Vec<String> = header
            .names
            .iter()
            .take(20)
            .map(|n| n.chars().take(40).collect())
            .collect();
        Fail::Format(format!(
            "CSV header has none of the known column sets (found: {})",
            found.join(", ")
        ))
    })?;
    let width = header.names.len();
    let mut rec = ByteRecord::new();
    while rdr.read_byte_record(&mut rec)? {
        // The csv crate's own line numbers skip blank lines and miscount CRLF.
        let byte = rec.position().map_or(0, |p| p.byte());
        let line = rdr.get_mut().line_at(byte);
        if rec.len() == 1 && rec[0].trim_ascii().is_empty() {
            continue; // a line of spaces
        }
        let result = if rec.len() == width {
            table.event(&Row(&rec))
        } else {
            Err(format!("expected {width} fields, found {}", rec.len()))
        };
        match result {
            Ok(e) => sink.accept(e),
            Err(reason) => sink.reject(line, reason, &record_text(&rec, delimiter)),
        }
    }
    Ok(table.format())
}

/// Notes where each non-blank physical line starts in what passes through, so records can be
/// numbered by the line they start on. Keeps only starts not yet passed: a buffer's worth.
struct LineCounter<R> {
    inner: R,
    offset: u64,
    line: u64,
    at_line_start: bool,
    starts: VecDeque<(u64, u64)>,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R, first_line: u64) -> Self {
        LineCounter {
            inner,
            offset: 0,
            line: first_line,
            at_line_start: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of the first record starting at or after `offset`. The csv crate reports a
    /// record's position as the end of the previous one, before any blank lines.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.starts.front().is_some_and(|&(o, _)| o < offset) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |&(_, line)| line)
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.at_line_start = true;
            } else if self.at_line_start && b != b'\r' {
                self.starts.push_back((self.offset + i as u64, self.line));
                self.at_line_start = false;
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Lower-cased, trimmed column names.
pub(crate) struct Header {
    names: Vec<String>,
}

impl Header {
    fn new(rec: &ByteRecord) -> Header {
        let names = rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_lowercase())
            .collect();
        Header { names }
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
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
}

impl Table {
    fn detect(h: &Header) -> Option<Table> {
        None.or_else(|| lockstep::Columns::find(h).map(Table::Lockstep))
            .or_else(|| x::ArchiveColumns::find(h).map(Table::XArchive))
            .or_else(|| peers::CoorTweetColumns::find(h).map(Table::CoorTweet))
            .or_else(|| peers::MultimodalColumns::find(h).map(Table::CoorTweetMultimodal))
            .or_else(|| peers::CntColumns::find(h).map(Table::Cnt))
    }

    fn format(&self) -> Format {
        match self {
            Table::Lockstep(_) => Format::LockstepCsv,
            Table::XArchive(_) => Format::XArchiveCsv,
            Table::CoorTweet(_) => Format::CoorTweetCsv,
            Table::CoorTweetMultimodal(_) => Format::CoorTweetMultimodalCsv,
            Table::Cnt(_) => Format::CntCsv,
        }
    }

    fn event(&self, row: &Row) -> Result<Event, String> {
        match self {
            Table::Lockstep(c) => c.event(row),
            Table::XArchive(c) => c.event(row),
            Table::CoorTweet(c) => c.event(row),
            Table::CoorTweetMultimodal(c) => c.event(row),
            Table::Cnt(c) => c.event(row),
        }
    }
}

/// One record with as many fields as the header.
pub(crate) struct Row<'r>(&'r ByteRecord);

impl<'r> Row<'r> {
    /// The field as text; invalid UTF-8 is replaced rather than losing the record.
    pub(crate) fn get(&self, i: usize) -> Cow<'r, str> {
        String::from_utf8_lossy(&self.0[i])
    }

    /// A trimmed, non-empty field, for ids and names.
    pub(crate) fn id(&self, i: Option<usize>) -> Option<String> {
        let f = self.get(i?);
        let t = f.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// A non-blank field, untrimmed, for free text.
    pub(crate) fn text(&self, i: Option<usize>) -> Option<String> {
        let f = self.get(i?);
        (!f.trim().is_empty()).then(|| f.into_owned())
    }

    /// A required id field, or the reason it is missing.
    pub(crate) fn required(&self, i: usize, what: &str) -> Result<String, String> {
        self.id(Some(i)).ok_or_else(|| format!("missing {what}"))
    }
}

/// The record as a CSV line again, for the quarantine file.
fn record_text(rec: &ByteRecord, delimiter: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, field) in rec.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        if field
            .iter()
            .any(|&b| b == delimiter || matches!(b, b'"' | b'\n' | b'\r'))
        {
            out.push(b'"');
            for &b in field {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(field);
        }
    }
    out
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
    fn records_print_back_as_csv() {
        let rec = ByteRecord::from(vec!["a", "b,c", "d\"e"]);
        assert_eq!(record_text(&rec, b','), b"a,\"b,c\",\"d\"\"e\"");
    }
}
