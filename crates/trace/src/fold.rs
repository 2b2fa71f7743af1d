//! Text folding so that spelling variants of one word compare equal.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text for comparison: NFKD, combining marks removed (so Romanian `ș`, `ş` and `s` are
/// one letter, comma-below and cedilla alike), lower-cased.
pub fn fold(s: &str) -> String {
    let mut out = String::new();
    fold_into(s, &mut out);
    out
}

/// [`fold`] appended to `out`. ASCII and accented Latin letters (U+00C0..U+024F) are folded
/// from a table, without the Unicode decomposition; anything else takes the full path.
pub fn fold_into(s: &str, out: &mut String) {
    // ASCII has no decompositions or marks: the common case needs no Unicode tables.
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
        return;
    }
    // Character by character from the table; at the first character it lacks, the whole word
    // again through the decomposition.
    let (latin, start) = (latin_table(), out.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if let Some(f) = latin
            .get((c as usize).wrapping_sub(LATIN_FIRST as usize))
            .and_then(Option::as_deref)
        {
            out.push_str(f);
        } else {
            out.truncate(start);
            out.extend(
                s.nfkd()
                    .filter(|c| !is_combining_mark(*c))
                    .flat_map(char::to_lowercase),
            );
            return;
        }
    }
}

const LATIN_FIRST: char = '\u{c0}';
const LATIN_LAST: char = '\u{24f}';

/// The fold of each Latin-1 Supplement and Latin Extended-A/B character, where it can be
/// folded alone: its decomposition starts with a starter (combining class 0). Canonical
/// reordering then never crosses from one character's decomposition into the next, so
/// folding a word character by character equals folding it whole.
fn latin_table() -> &'static [Option<Box<str>>] {
    use unicode_normalization::char::canonical_combining_class;
    static TABLE: std::sync::OnceLock<Vec<Option<Box<str>>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (LATIN_FIRST..=LATIN_LAST)
            .map(|c| {
                let d: Vec<char> = std::iter::once(c).nfkd().collect();
                (d.first()
                    .is_some_and(|&f| canonical_combining_class(f) == 0)
                    && canonical_combining_class(c) == 0)
                    .then(|| {
                        d.into_iter()
                            .filter(|c| !is_combining_mark(*c))
                            .flat_map(char::to_lowercase)
                            .collect::<String>()
                            .into_boxed_str()
                    })
            })
            .collect()
    })
}

/// [`fold_hashtag`] appended to `out`, without allocating for ASCII tags.
pub fn fold_hashtag_into(s: &str, out: &mut String) {
    let t = s.trim().trim_start_matches('#');
    if t.is_ascii() {
        out.reserve(t.len());
        out.extend(
            t.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .map(|c| c.to_ascii_lowercase()),
        );
    } else {
        out.push_str(&fold_hashtag(s));
    }
}

/// Folds a hashtag: leading `#` removed, then [`fold`], keeping letters, digits and `_`.
pub fn fold_hashtag(s: &str) -> String {
    fold(s.trim().trim_start_matches('#'))
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: the whole word decomposed at once.
    fn fold_by_nfkd(s: &str) -> String {
        s.nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .collect()
    }

    #[test]
    fn the_latin_table_folds_as_the_decomposition_does() {
        // Random words over ASCII, every table character, combining marks (which must not be
        // folded alone), emoji and other scripts.
        let mut pool: Vec<char> = ('\u{20}'..='\u{7e}').collect();
        pool.extend(LATIN_FIRST..=LATIN_LAST);
        pool.extend([
            '\u{301}',
            '\u{326}',
            '\u{327}',
            '\u{1f389}',
            'Ω',
            'ﬁ',
            'Å',
            'ǅ',
            'ᾳ',
        ]);
        let mut state = 1u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        for _ in 0..200_000 {
            let len = next(8) + 1;
            let word: String = (0..len).map(|_| pool[next(pool.len())]).collect();
            assert_eq!(fold(&word), fold_by_nfkd(&word), "{word:?}");
        }
        for c in LATIN_FIRST..=LATIN_LAST {
            assert_eq!(fold(&c.to_string()), fold_by_nfkd(&c.to_string()), "{c}");
        }
        assert!(latin_table().iter().filter(|f| f.is_some()).count() > 300);
    }

    #[test]
    fn romanian_variants_fold_to_one_form() {
        let want = "stiinta";
        for s in ["Știință", "Ştiinţă", "ȘTIINȚĂ", "Stiinta", "ştiinţă"] {
            assert_eq!(fold(s), want, "{s}");
        }
        assert_eq!(fold_hashtag("#CălinGeorgescu"), "calingeorgescu");
        assert_eq!(fold_hashtag("#fyp!"), "fyp");
        assert_eq!(fold_hashtag("#"), "");
        for t in [
            "#CălinGeorgescu",
            "#fyp!",
            "#",
            " #Ab_9-x ",
            "##x",
            "#ŞtiinŢă",
        ] {
            let mut into = String::from("prefix");
            fold_hashtag_into(t, &mut into);
            assert_eq!(into, format!("prefix{}", fold_hashtag(t)), "{t}");
        }
    }
}
