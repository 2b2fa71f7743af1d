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
    use proptest::prelude::*;

    /// The reference: the whole word decomposed at once.
    fn fold_by_nfkd(s: &str) -> String {
        s.nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .collect()
    }

    /// Words over ASCII, every table character, combining marks (which must not be folded
    /// alone), emoji and other scripts; the rare kinds are weighted up so that they meet the
    /// table's characters in most words.
    fn word() -> impl Strategy<Value = String> {
        let ch = prop_oneof![
            4 => prop::char::range('\u{20}', '\u{7e}'),
            4 => prop::char::range(LATIN_FIRST, LATIN_LAST),
            2 => prop::sample::select(vec![
                '\u{301}',
                '\u{326}',
                '\u{327}',
                '\u{1f389}',
                'Ω',
                'ﬁ',
                'Å',
                'ǅ',
                'ᾳ',
            ]),
        ];
        prop::collection::vec(ch, 1..=8).prop_map(String::from_iter)
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn the_latin_table_folds_as_the_decomposition_does(
        words in prop::collection::vec(word(), 100)
    ) {
        for word in &words {
            prop_assert_eq!(fold(word), fold_by_nfkd(word), "{:?}", word);
        }
    }
    }

    #[test]
    fn every_table_character_folds_as_the_decomposition_does() {
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
