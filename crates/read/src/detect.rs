//! Recognising the format family from the first bytes of the (decompressed) content.
//!
//! Only the family is decided here; the JSON and CSV readers then pick the exact format from
//! the first document's keys or the header's columns.

use std::io::{self, BufRead, Read};

use crate::Fail;

const BOM: &[u8] = b"\xef\xbb\xbf";
/// How much of the start is checked for binary content.
const SNIFF: usize = 8192;

pub(crate) enum Family {
    Json,
    Csv { delimiter: u8 },
}

/// Strips a UTF-8 byte-order mark and any leading blank lines, and decides between JSON and
/// CSV. Returns the family, the line number the remaining stream starts on, and the stream.
///
/// The decision is made on the first [`SNIFF`] bytes after the blank lines, gathered first:
/// a pipe or socket may deliver them a few at a time, and the result must not depend on how
/// they arrive.
pub(crate) fn sniff<'a>(
    mut stream: Box<dyn BufRead + 'a>,
) -> Result<(Family, u64, Box<dyn BufRead + 'a>), Fail> {
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF);
    let mut line = 1;
    let mut started = false;
    // An error after some bytes came is passed on after them, so that the records before it
    // are read (a gzip file cut short, or with garbage after its end).
    let mut failed = None;
    loop {
        let buf = match stream.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if !head.is_empty() => {
                failed = Some(e);
                &[]
            }
            Err(e) => return Err(e.into()),
        };
        let eof = buf.is_empty();
        let n = buf.len().min(SNIFF.saturating_sub(head.len()).max(1));
        head.extend_from_slice(&buf[..n]);
        stream.consume(n);
        if !started {
            if head.len() < BOM.len() && !eof && BOM.starts_with(&head) {
                continue;
            }
            if head.starts_with(BOM) {
                head.drain(..BOM.len());
            } else if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
                return Err(Fail::Format(
                    "UTF-16 text (it starts with a UTF-16 byte-order mark); convert it to \
                     UTF-8, e.g. with `iconv -f UTF-16 -t UTF-8`"
                        .into(),
                ));
            }
            started = head.len() >= 2 || eof;
            if !started {
                continue;
            }
        }
        // Only whole lines go, so a leading tab in a TSV header still marks an empty column;
        // a whole sample of blanks goes too (its line breaks counted).
        let blank = head.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let cut = if blank == head.len() && (head.len() >= SNIFF || eof) {
            head.len()
        } else {
            head[..blank]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
        };
        line += head[..cut].iter().filter(|&&b| b == b'\n').count() as u64;
        head.drain(..cut);
        if head.len() >= SNIFF || eof {
            break;
        }
    }
    if head.is_empty() {
        return Err(Fail::Format("the file is empty".into()));
    }
    let odd = odd_bytes(&head);
    if odd * BINARY_SHARE > head.len() {
        return Err(Fail::Format(format!(
            "binary content, neither JSON nor CSV text ({odd} of the first {} bytes are NULs, \
             control characters or invalid UTF-8)",
            head.len()
        )));
    }
    let family = if matches!(head.trim_ascii_start().first(), Some(b'{' | b'[')) {
        Family::Json
    } else {
        // A header line with tabs and no commas is tab-separated.
        let header = head.split(|&b| b == b'\n').next().unwrap_or(&head);
        let delimiter = if header.contains(&b'\t') && !header.contains(&b',') {
            b'\t'
        } else {
            b','
        };
        Family::Csv { delimiter }
    };
    let rest: Box<dyn BufRead + 'a> = match failed {
        Some(e) => Box::new(Failing(Some(e))),
        None => stream,
    };
    Ok((family, line, Box::new(io::Cursor::new(head).chain(rest))))
}

/// A stream whose next read fails with the error it holds.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self.0.take().unwrap_or_else(stopped))
    }
}

impl BufRead for Failing {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Err(self.0.take().unwrap_or_else(stopped))
    }
    fn consume(&mut self, _: usize) {}
}

fn stopped() -> io::Error {
    io::Error::other("reading stopped at an earlier error")
}

/// Content is binary when more than one byte in this many of the sample is odd (see
/// [`odd_bytes`]). Text with a stray NUL or a few invalid bytes is still text: the readers
/// quarantine the records those bytes touch (or replace them in free text), and the file is
/// read. UTF-16 without a byte-order mark is half NULs.
const BINARY_SHARE: usize = 10;

/// Bytes of `head` that text does not hold: NULs and other control characters (but tab, line
/// breaks and form feed), DEL, and bytes of invalid UTF-8 (a character cut by the end of the
/// sample is not counted).
fn odd_bytes(head: &[u8]) -> usize {
    let controls = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    let mut invalid = 0;
    let mut rest = head;
    while let Err(e) = std::str::from_utf8(rest) {
        let Some(n) = e.error_len() else { break };
        invalid += n;
        rest = &rest[e.valid_up_to() + n..];
    }
    controls + invalid
}

#[cfg(test)]
fn is_binary(head: &[u8]) -> bool {
    odd_bytes(head) * BINARY_SHARE > head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(bytes: &[u8]) -> Result<Family, Fail> {
        sniff(Box::new(bytes)).map(|(f, _, _)| f)
    }

    /// A stream giving one byte per read.
    struct Drip<'a>(&'a [u8]);
    impl io::Read for Drip<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn families() {
        assert!(matches!(
            family(b"\xef\xbb\xbf {\"a\":1}"),
            Ok(Family::Json)
        ));
        assert!(matches!(family(b"\n[1]"), Ok(Family::Json)));
        assert!(matches!(
            family(b"a,b\n1,2"),
            Ok(Family::Csv { delimiter: b',' })
        ));
        assert!(matches!(
            family(b"a\tb\n1\t2"),
            Ok(Family::Csv { delimiter: b'\t' })
        ));
        assert!(matches!(family(b"  \n"), Err(Fail::Format(_))));
        let text = b"\xef\xbb\xbf\n \r\n\tb\tc\n";
        for slow in [false, true] {
            let stream: Box<dyn BufRead> = if slow {
                Box::new(io::BufReader::with_capacity(1, Drip(text)))
            } else {
                Box::new(&text[..])
            };
            let Ok((Family::Csv { delimiter: b'\t' }, 3, mut rest)) = sniff(stream) else {
                panic!("slow: {slow}");
            };
            let mut left = Vec::new();
            rest.read_to_end(&mut left).unwrap();
            assert_eq!(left, b"\tb\tc\n");
        }
        assert!(matches!(
            family(b"\x89PNG\r\n\x1a\n\0\0"),
            Err(Fail::Format(_))
        ));
        // A multi-byte character cut at the end of the sample is still text.
        let mut text = vec![b'a'; SNIFF - 1];
        text.extend_from_slice("é".as_bytes());
        assert!(!is_binary(&text[..SNIFF]));
        // A stray NUL or invalid byte in text is not binary; UTF-16 is.
        assert!(!is_binary(b"id,account,time\n1,a\0,2\n2,bad\xff,3\n"));
        assert!(is_binary(b"i\0d\0,\0a\0"));
        assert!(matches!(family(b"\xff\xfei\0d\0"), Err(Fail::Format(m)) if m.contains("UTF-16")));
    }
}
