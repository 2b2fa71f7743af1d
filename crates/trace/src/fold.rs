//! Text folding so that spelling variants of one word compare equal.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text for comparison: NFKD, combining marks removed (so Romanian `ș`, `ş` and `s` are
/// one letter, comma-below and cedilla alike), lower-cased.
pub fn fold(s: &str) -> String {
    // ASCII has no decompositions or marks: the common case needs no Unicode tables.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// [`fold_hashtag`] appended to `out`, without allocating for ASCII tags.
pub fn fold_hashtag_into(s: &str, out: &mut String) {
    let t = s.trim().trim_start_matches('#');
    if t.is_ascii() {
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
