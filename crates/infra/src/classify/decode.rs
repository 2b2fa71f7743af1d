//! The transformations applied before matching, after OWASP CRS's: `t:urlDecodeUni`
//! (repeated, so double and triple encoding unwrap; `%uXXXX`; overlong UTF-8 `%c0%af`),
//! `t:htmlEntityDecode`, JavaScript/CSS escapes (`\x3c`, `\u003c`, `\3c`), `t:lowercase`,
//! `t:removeNulls` (reported, since a NUL is itself an anomaly), comment removal
//! (`un/**/ion`, MySQL `/*!50000select*/`), backslash-to-slash for paths and
//! `t:compressWhitespace`. Output is bytes: decoded input need not be UTF-8.

/// What decoding noticed on the way.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Notes {
    pub nul: bool,
    /// Percent-encoding that still decoded to more percent-encoding (double encoding).
    pub multiple_encoding: bool,
    pub crlf: bool,
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn push_char(out: &mut Vec<u8>, cp: u32) {
    // Full-width ASCII (U+FF01..FF5E) folds to ASCII, as IIS and CRS's urlDecodeUni do.
    // So do the slash and dot look-alikes that IIS and some decoders map to them.
    let cp = match cp {
        0xFF01..=0xFF5E => cp - 0xFEE0,
        0x2215 | 0x2044 | 0x2571 | 0xEFC8 | 0xF025 => u32::from(b'/'),
        0x2216 | 0x29F5 | 0x29F9 | 0xEFC9 => u32::from(b'\\'),
        0x2024 | 0x2025 => u32::from(b'.'),
        _ => cp,
    };
    match char::from_u32(cp) {
        Some(c) => {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
        None => out.push(b'?'),
    }
}

/// An overlong UTF-8 sequence for an ASCII character whose lead byte is `lead` and whose
/// continuation bytes follow percent-encoded in `rest`: the character and the number of
/// bytes of `rest` consumed (`%c0%ae`, `%c1%9c`, `%e0%80%af`, `%f8%80%80%80%ae`).
fn overlong_ascii(lead: u8, rest: &[u8]) -> Option<(u8, usize)> {
    let cont = |k: usize| -> Option<u8> {
        let t = rest.get(3 * k..3 * k + 3)?;
        (t[0] == b'%').then_some(())?;
        Some(hex(t[1])? * 16 + hex(t[2])?)
    };
    let extra = match lead {
        0xc0 | 0xc1 => 1,
        0xe0 => 2,
        0xf0 => 3,
        0xf8 => 4,
        0xfc => 5,
        _ => return None,
    };
    // The lead byte carries at most one bit (c1); the continuations carry six each.
    let mut v: u32 = u32::from(lead & 0x01 & u8::from(extra == 1));
    for k in 0..extra {
        let c = cont(k)?;
        if c & 0xc0 != 0x80 {
            return None;
        }
        v = (v << 6) | u32::from(c & 0x3f);
    }
    // A letter or digit is left undecoded: what evasion spells this way is punctuation
    // (`.`, `/`, `\`), and the raw bytes keep the evasion visible to the rules.
    let c = u8::try_from(v)
        .ok()
        .filter(|c| c.is_ascii() && !c.is_ascii_alphanumeric())?;
    Some((c, 3 * extra))
}

/// One round of percent-decoding (`+` as space when `plus`). Returns whether anything
/// changed.
fn url_decode_once(inp: &[u8], out: &mut Vec<u8>, plus: bool) -> bool {
    out.clear();
    let mut changed = false;
    let mut i = 0;
    while i < inp.len() {
        let c = inp[i];
        if c == b'%' {
            if let (Some(&a), Some(&b)) = (inp.get(i + 1), inp.get(i + 2)) {
                if let (Some(h), Some(l)) = (hex(a), hex(b)) {
                    let byte = h * 16 + l;
                    // Overlong UTF-8 (%c0%af, %e0%80%ae, %f0%80%80%af, … up to six bytes):
                    // an ASCII character in a longer form than needed, which strict decoders
                    // refuse and old IIS accepted — so it is only ever evasion.
                    if let Some((ch, len)) = overlong_ascii(byte, &inp[i + 3..]) {
                        out.push(ch);
                        i += 3 + len;
                        changed = true;
                        continue;
                    }
                    out.push(byte);
                    i += 3;
                    changed = true;
                    continue;
                }
            }
            if matches!(inp.get(i + 1), Some(b'u' | b'U')) && i + 5 < inp.len() {
                let digits = &inp[i + 2..i + 6];
                if let Some(cp) = digits
                    .iter()
                    .try_fold(0u32, |v, &d| hex(d).map(|h| v * 16 + u32::from(h)))
                {
                    push_char(out, cp);
                    i += 6;
                    changed = true;
                    continue;
                }
            }
        } else if c == b'+' && plus {
            out.push(b' ');
            i += 1;
            changed = true;
            continue;
        }
        out.push(c);
        i += 1;
    }
    changed
}

const ENTITIES: &[(&[u8], u8)] = &[
    (b"lt", b'<'),
    (b"gt", b'>'),
    (b"quot", b'"'),
    (b"apos", b'\''),
    (b"amp", b'&'),
    (b"nbsp", b' '),
    (b"colon", b':'),
    (b"lpar", b'('),
    (b"rpar", b')'),
    (b"semi", b';'),
    (b"sol", b'/'),
    (b"bsol", b'\\'),
    (b"tab", b'\t'),
    (b"newline", b'\n'),
    (b"excl", b'!'),
    (b"num", b'#'),
    (b"dollar", b'$'),
    (b"percnt", b'%'),
    (b"comma", b','),
    (b"period", b'.'),
    (b"lsqb", b'['),
    (b"rsqb", b']'),
    (b"lcub", b'{'),
    (b"rcub", b'}'),
    (b"equals", b'='),
    (b"grave", b'`'),
    (b"plus", b'+'),
    (b"quest", b'?'),
    (b"commat", b'@'),
    (b"vert", b'|'),
    (b"lowbar", b'_'),
    (b"ast", b'*'),
    (b"hat", b'^'),
];

/// HTML entities (named, decimal, hex; the `;` optional as browsers allow) and JavaScript
/// or CSS escapes.
fn entity_decode(inp: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut changed = false;
    let mut i = 0;
    while i < inp.len() {
        let c = inp[i];
        if c == b'&' {
            if inp.get(i + 1) == Some(&b'#') {
                let (radix, start) = match inp.get(i + 2) {
                    Some(b'x' | b'X') => (16, i + 3),
                    _ => (10, i + 2),
                };
                let mut j = start;
                let mut v: u32 = 0;
                while j < inp.len() && j - start < 8 {
                    let d = match (radix, inp[j]) {
                        (16, x) => hex(x).map(u32::from),
                        (_, x) if x.is_ascii_digit() => Some(u32::from(x - b'0')),
                        _ => None,
                    };
                    match d {
                        Some(d) => v = v.saturating_mul(radix).saturating_add(d),
                        None => break,
                    }
                    j += 1;
                }
                if j > start {
                    push_char(out, v);
                    i = if inp.get(j) == Some(&b';') { j + 1 } else { j };
                    changed = true;
                    continue;
                }
            } else {
                let rest = &inp[i + 1..];
                if let Some((name, ch)) = ENTITIES
                    .iter()
                    .find(|(n, _)| rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n))
                {
                    out.push(*ch);
                    let j = i + 1 + name.len();
                    i = if inp.get(j) == Some(&b';') { j + 1 } else { j };
                    changed = true;
                    continue;
                }
            }
        } else if c == b'\\' {
            match inp.get(i + 1) {
                Some(b'x') => {
                    if let (Some(a), Some(b)) = (
                        inp.get(i + 2).and_then(|&x| hex(x)),
                        inp.get(i + 3).and_then(|&x| hex(x)),
                    ) {
                        out.push(a * 16 + b);
                        i += 4;
                        changed = true;
                        continue;
                    }
                }
                Some(b'u') if i + 5 < inp.len() => {
                    if let Some(cp) = inp[i + 2..i + 6]
                        .iter()
                        .try_fold(0u32, |v, &d| hex(d).map(|h| v * 16 + u32::from(h)))
                    {
                        push_char(out, cp);
                        i += 6;
                        changed = true;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(c);
        i += 1;
    }
    changed
}

/// Drops SQL/C comments (`/* … */` becomes a space; MySQL's executable `/*!50000 … */` keeps
/// its content) and compresses whitespace runs to one space (a line break, if the run has one).
fn strip_comments_and_space(inp: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    let mut space = false;
    while i < inp.len() {
        if inp[i] == b'/' && inp.get(i + 1) == Some(&b'*') {
            if inp.get(i + 2) == Some(&b'!') {
                let mut j = i + 3;
                while j < inp.len() && inp[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            } else {
                match inp[i + 2..].windows(2).position(|w| w == b"*/") {
                    Some(p) => i += 2 + p + 2,
                    None => i = inp.len(),
                }
            }
            if !space {
                out.push(b' ');
                space = true;
            }
            continue;
        }
        if inp[i] == b'*' && inp.get(i + 1) == Some(&b'/') {
            i += 2;
            continue;
        }
        let c = inp[i];
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0) {
            // A run with a line break stays a line break: it separates shell commands.
            let nl = matches!(c, b'\n' | b'\r');
            if !space {
                out.push(if nl { b'\n' } else { b' ' });
                space = true;
            } else if nl {
                if let Some(last) = out.last_mut() {
                    *last = b'\n';
                }
            }
        } else {
            out.push(c);
            space = false;
        }
        i += 1;
    }
}

/// Curly quotes (U+2018/2019, U+201C/201D) become ASCII quotes: some databases fold them
/// (smuggling `’ or ‘1’=’1` past a filter), and text is matched the same with either.
fn fold_typographic_quotes(v: &mut Vec<u8>) {
    if !v.windows(2).any(|w| w == b"\xe2\x80") {
        return;
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == 0xe2 && v.get(i + 1) == Some(&0x80) {
            match v.get(i + 2) {
                Some(0x98 | 0x99) => {
                    out.push(b'\'');
                    i += 3;
                    continue;
                }
                Some(0x9c | 0x9d) => {
                    out.push(b'"');
                    i += 3;
                    continue;
                }
                _ => {}
            }
        }
        out.push(v[i]);
        i += 1;
    }
    *v = out;
}

/// Scratch buffers for [`normalize`], reused across values.
#[derive(Default)]
pub struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
}

/// Decodes and normalizes one inspected value into `out` (lowercase). `plus`: `+` means a
/// space (query strings).
pub fn normalize(value: &[u8], plus: bool, s: &mut Scratch, out: &mut Vec<u8>, notes: &mut Notes) {
    s.a.clear();
    s.a.extend_from_slice(value);
    // Up to three rounds: each that still changes something is one more layer of encoding.
    for round in 0..3 {
        if !(s.a.contains(&b'%') || plus && round == 0 && s.a.contains(&b'+')) {
            break;
        }
        if !url_decode_once(&s.a, &mut s.b, plus && round == 0) {
            break;
        }
        if round > 0 {
            notes.multiple_encoding = true;
        }
        std::mem::swap(&mut s.a, &mut s.b);
    }
    for _ in 0..2 {
        if !s.a.iter().any(|&c| c == b'&' || c == b'\\') || !entity_decode(&s.a, &mut s.b) {
            break;
        }
        std::mem::swap(&mut s.a, &mut s.b);
    }
    if s.a.contains(&0) {
        notes.nul = true;
        s.a.retain(|&c| c != 0);
    }
    if s.a.windows(2).any(|w| w == b"\r\n") || s.a.contains(&b'\n') {
        notes.crlf = true;
    }
    fold_typographic_quotes(&mut s.a);
    s.a.make_ascii_lowercase();
    strip_comments_and_space(&s.a, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        let mut out = Vec::new();
        let mut notes = Notes::default();
        normalize(
            s.as_bytes(),
            true,
            &mut Scratch::default(),
            &mut out,
            &mut notes,
        );
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn decodes_like_crs() {
        assert_eq!(n("%253Cscript%253E"), "<script>");
        assert_eq!(n("%u003cimg"), "<img");
        assert_eq!(n("..%c0%af..%c0%afetc"), "../../etc");
        assert_eq!(n("%e0%80%ae%e0%80%ae%e0%80%afetc"), "../etc");
        assert_eq!(
            n("%f0%80%80%ae.%f8%80%80%80%af%fc%80%80%80%80%afx"),
            "..//x"
        );
        // Not overlong: a real three-byte character and a lone lead byte stay as they are.
        assert_eq!(n("%e2%80%a6"), "\u{2026}");
        assert_eq!(n("%e0%81%9cx"), "\\x");
        assert_eq!(n("&#x3c;svg&#62;&lt;b"), "<svg><b");
        assert_eq!(n("UNION/**/SeLeCt"), "union select");
        assert_eq!(n("/*!50000UNION*/ /*!50000SELECT*/"), " union select");
        assert_eq!(n("a\t\t b"), "a b");
        assert_eq!(n("\\x3cscript\\u003e"), "<script>");
        assert_eq!(n("Știință"), "Știință");
        assert_eq!(n("%uff1cscript"), "<script");
        assert_eq!(n("%E2%80%99%20or%20%E2%80%981%E2%80%99"), "' or '1'");
        assert_eq!(n("%E2%80%9Evot%E2%80%9D"), "\u{201e}vot\"");
    }
}
