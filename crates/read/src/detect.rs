//! Recognising the format family from the first bytes of the (decompressed) content.
//!
//! Only the family is decided here; the JSON and CSV readers then pick the exact format from
//! the first document's keys or the header's columns.

use std::io::BufRead;

use crate::Fail;

const BOM: &[u8] = b"\xef\xbb\xbf";
/// How much of the start is checked for binary content.
const SNIFF: usize = 8192;

pub(crate) enum Family {
    Json,
    Csv { delimiter: u8 },
}

/// Strips a UTF-8 byte-order mark and any leading blank lines, and decides between JSON and
/// CSV. Returns the family and the line number the remaining stream starts on.
pub(crate) fn sniff(stream: &mut dyn BufRead) -> Result<(Family, u64), Fail> {
    if stream.fill_buf()?.starts_with(BOM) {
        stream.consume(BOM.len());
    }
    let mut line = 1;
    loop {
        let buf = stream.fill_buf()?;
        if buf.is_empty() {
            return Err(Fail::Format("the file is empty".into()));
        }
        let blank = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        // Only whole lines go, so a leading tab in a TSV header still marks an empty column.
        let cut = if blank < buf.len() {
            buf[..blank]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
        } else {
            buf.len()
        };
        let done = blank < buf.len();
        line += buf[..cut].iter().filter(|&&b| b == b'\n').count() as u64;
        stream.consume(cut);
        if done {
            break;
        }
    }
    let head = stream.fill_buf()?;
    let head = &head[..head.len().min(SNIFF)];
    if is_binary(head) {
        return Err(Fail::Format(
            "binary content, neither JSON nor CSV text".into(),
        ));
    }
    if matches!(head.trim_ascii_start().first(), Some(b'{' | b'[')) {
        return Ok((Family::Json, line));
    }
    // A header line with tabs and no commas is tab-separated.
    let header = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let delimiter = if header.contains(&b'\t') && !header.contains(&b',') {
        b'\t'
    } else {
        b','
    };
    Ok((Family::Csv { delimiter }, line))
}

fn is_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    match std::str::from_utf8(head) {
        Ok(_) => false,
        // `error_len() == None`: only a character cut by the end of the sample.
        Err(e) => e.error_len().is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(bytes: &[u8]) -> Result<Family, Fail> {
        let mut r: &[u8] = bytes;
        sniff(&mut r).map(|(f, _)| f)
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
        let mut r: &[u8] = b"\xef\xbb\xbf\n \r\n\tb\tc\n";
        assert!(matches!(
            sniff(&mut r),
            Ok((Family::Csv { delimiter: b'\t' }, 3))
        ));
        assert_eq!(r, b"\tb\tc\n");
        assert!(matches!(
            family(b"\x89PNG\r\n\x1a\n\0\0"),
            Err(Fail::Format(_))
        ));
        // A multi-byte character cut at the end of the sample is still text.
        let mut text = vec![b'a'; SNIFF - 1];
        text.extend_from_slice("é".as_bytes());
        assert!(!is_binary(&text[..SNIFF]));
    }
}
