//! The text stage's band-key sort and near-duplicate families: `cargo bench -p lockstep-text`.

use divan::counter::ItemsCount;
use divan::Bencher;
use lockstep_core::{mix64, StrArena};
use lockstep_text::{families, sort_by_hashed_key};

fn main() {
    divan::main();
}

/// Band keys as the text stage sorts them: (hash with the index in its low bits, root,
/// shingle count).
fn band_keys(n: usize) -> Vec<(u64, u32, u32)> {
    (0..n as u64)
        .map(|i| ((mix64(i) & !0xfffff) | i, i as u32, 10))
        .collect()
}

#[divan::bench(args = [100_000, 1_000_000], sample_count = 20)]
fn band_key_sort(bencher: Bencher, n: usize) {
    let keys = band_keys(n);
    let mut scratch = Vec::new();
    bencher
        .counter(ItemsCount::new(n))
        .with_inputs(|| keys.clone())
        .bench_local_refs(|v| sort_by_hashed_key(v, &mut scratch, |k| k.0));
}

/// The baseline: the standard library's unstable sort on the same keys.
#[divan::bench(args = [100_000, 1_000_000], sample_count = 20)]
fn band_key_sort_std(bencher: Bencher, n: usize) {
    let keys = band_keys(n);
    bencher
        .counter(ItemsCount::new(n))
        .with_inputs(|| keys.clone())
        .bench_local_refs(|v| v.sort_unstable_by_key(|k| k.0));
}

const WORDS: [&str; 24] = [
    "votati",
    "pentru",
    "romania",
    "libera",
    "suverana",
    "azi",
    "mergem",
    "la",
    "vot",
    "cu",
    "familia",
    "toti",
    "impreuna",
    "acum",
    "schimbare",
    "adevarata",
    "viitor",
    "copii",
    "nostri",
    "merita",
    "mai",
    "bine",
    "decat",
    "atat",
];

/// `n` texts: a fifth are edited copies of 200 scripts (a word swapped, dropped or added,
/// case and diacritics changed), the rest organic sentences of random words.
fn corpus(n: usize) -> StrArena {
    let word = |x: u64| WORDS[(x % WORDS.len() as u64) as usize];
    let mut texts = StrArena::default();
    for i in 0..n as u64 {
        let r = mix64(i);
        let text = if r.is_multiple_of(5) {
            let script = r % 200;
            let mut words: Vec<&str> = (0..12).map(|k| word(mix64(script * 31 + k))).collect();
            match (r >> 8) % 4 {
                0 => words[(r >> 16) as usize % 12] = word(r >> 24),
                1 => {
                    words.remove((r >> 16) as usize % 12);
                }
                2 => words.push("🇷🇴"),
                _ => words[0] = "VOTAȚI",
            }
            words.join(" ")
        } else {
            let len = 4 + r % 12;
            (0..len)
                .map(|k| word(mix64(r ^ k)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        texts.push(&text);
    }
    texts
}

#[divan::bench(args = [20_000, 100_000], sample_count = 10)]
fn near_duplicate_families(bencher: Bencher, n: usize) {
    let texts = corpus(n);
    bencher
        .counter(ItemsCount::new(n))
        .bench_local(|| families(&texts, 0.6, 4));
}
