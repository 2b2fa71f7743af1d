//! The near-duplicate text layer: texts that are nearly the same (edited copies of one
//! caption or comment) are grouped into families, and each family becomes one `text:` trace so
//! the time window and the significance test apply to it like any other behaviour.
//!
//! Texts are normalized (NFKC, diacritics folded so `ș ş s` are one letter, lower case, URLs,
//! mentions, hashtags, emoji and punctuation dropped) into sets of word bigrams. MinHash with LSH
//! banding (20 bands × 3 rows: sets with Jaccard 0.5 collide in some band with p ≈ 0.93, 0.67 with p > 0.999)
//! proposes candidates; each is verified by exact Jaccard ≥ `similarity` and joined with
//! union-find. Inside one band bucket a text is verified against the bucket's first text and
//! its predecessor only, so the work is linear in the number of texts, not quadratic in a
//! bucket's size. Texts with fewer than `min_tokens` words never match.

use lockstep_trace::fold_into;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

/// LSH bands per text (see [`band_keys`]).
pub const BANDS: usize = 20;
const ROWS: usize = 3;

/// Appends the hashes of the words of a text after normalization, in order. (NFKC before
/// the fold is not needed: the fold's NFKD of an NFKC form equals the NFKD of the original.)
fn word_hashes(text: &str, out: &mut Vec<u64>, buf: &mut String) {
    for w in text.split_whitespace() {
        if w.starts_with('#') || w.starts_with('@') || w.contains("://") || w.starts_with("www.") {
            continue;
        }
        buf.clear();
        fold_into(w, buf);
        if buf.is_ascii() {
            // For ASCII, "alphanumeric" is a byte test: no UTF-8 decoding per character.
            out.extend(
                buf.as_bytes()
                    .split(|b| !b.is_ascii_alphanumeric())
                    .filter(|t| !t.is_empty())
                    .map(xxh3_64),
            );
        } else {
            out.extend(
                buf.split(|c: char| !c.is_alphanumeric())
                    .filter(|t| !t.is_empty())
                    .map(|t| xxh3_64(t.as_bytes())),
            );
        }
    }
}

use lockstep_core::mix64 as mix;

/// The text's shingles — word bigrams (w-shingling), so texts that merely share common words
/// do not match while edited copies (a swapped or dropped word, emoji, case) share most of
/// them — hashed, sorted, de-duplicated. Empty for texts of fewer than `min_words` words.
pub fn shingles(text: &str, min_words: usize) -> Vec<u64> {
    let mut out = Vec::new();
    shingles_into(
        text,
        min_words,
        &mut out,
        &mut Vec::new(),
        &mut String::new(),
    );
    out
}

/// [`shingles`] appended to `out`, with caller-owned scratch buffers.
fn shingles_into(
    text: &str,
    min_words: usize,
    out: &mut Vec<u64>,
    words: &mut Vec<u64>,
    buf: &mut String,
) {
    words.clear();
    word_hashes(text, words, buf);
    if words.len() < min_words.max(2) {
        return;
    }
    let start = out.len();
    out.extend(words.windows(2).map(|p| mix(p[0] ^ p[1].rotate_left(17))));
    out[start..].sort_unstable();
    let mut n = start;
    for i in start..out.len() {
        if i == start || out[i] != out[n - 1] {
            out[n] = out[i];
            n += 1;
        }
    }
    out.truncate(n);
}

pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// `jaccard(a, b) >= s`, exactly, but rejecting early: on sizes alone (the Jaccard index is at
/// most min/max), then as soon as the shingles left cannot reach the intersection needed.
/// Most LSH candidates are chance collisions, and this check is where the text stage waits on
/// memory.
fn similar(a: &[u64], b: &[u64], s: f64) -> bool {
    let (la, lb) = (a.len(), b.len());
    let (small, large) = (la.min(lb), la.max(lb));
    if small == 0 {
        return 0.0 >= s;
    }
    if (small as f64) / (large as f64) < s {
        return false;
    }
    let j = |k: usize| k as f64 / (la + lb - k) as f64;
    // The smallest intersection that reaches `s` (J grows with the intersection).
    let mut need = ((s * (la + lb) as f64 / (1.0 + s)).floor() as usize).saturating_sub(1);
    while need <= small && j(need) < s {
        need += 1;
    }
    if need > small {
        return false;
    }
    let (mut i, mut k, mut inter) = (0, 0, 0usize);
    while i < la && k < lb {
        if inter + (la - i).min(lb - k) < need {
            return false;
        }
        match a[i].cmp(&b[k]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => k += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                k += 1;
            }
        }
    }
    inter >= need
}

/// The MinHash functions: multiply-shift `(a·x) >> 32` with odd multipliers from a fixed
/// seed. Shingle hashes are already uniformly mixed, so one multiplication per function
/// suffices (the former per-function splitmix cost 60 mixes per shingle).
const MULTIPLIERS: [u64; BANDS * ROWS] = {
    let mut m = [0u64; BANDS * ROWS];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut i = 0;
    while i < m.len() {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        m[i] = mix(state) | 1;
        i += 1;
    }
    m
};

/// Bands whose keys are computed in one pass over a text's shingles: reading every text's
/// shingles once per band was most of the text stage's memory traffic.
const BANDS_PER_PASS: usize = 5;
/// Candidate pairs whose shingles are loaded together before they are compared.
const VERIFY_BATCH: usize = 64;
const _: () = assert!(BANDS.is_multiple_of(BANDS_PER_PASS));

/// The LSH keys of bands `first..first + BANDS_PER_PASS`: each band's `ROWS` MinHash values,
/// mixed.
fn band_hashes(toks: &[u64], first: usize) -> [u64; BANDS_PER_PASS] {
    const N: usize = BANDS_PER_PASS * ROWS;
    let mut mins = [u32::MAX; N];
    let ms: &[u64; N] = MULTIPLIERS[first * ROWS..(first + BANDS_PER_PASS) * ROWS]
        .try_into()
        .expect("BANDS is a multiple of BANDS_PER_PASS");
    for &t in toks {
        for r in 0..N {
            mins[r] = mins[r].min((t.wrapping_mul(ms[r]) >> 32) as u32);
        }
    }
    std::array::from_fn(|b| {
        let mut h = (first + b) as u64;
        for &m in &mins[b * ROWS..(b + 1) * ROWS] {
            h = mix(h ^ u64::from(m));
        }
        h
    })
}

/// The 20 LSH band keys of a text's [`shingles`], as the text stage computes them: for
/// drivers that keep their own index (`lockstep watch` matches new texts against it).
pub fn band_keys(shingles: &[u64]) -> [u64; BANDS] {
    let mut out = [0u64; BANDS];
    for first in (0..BANDS).step_by(BANDS_PER_PASS) {
        out[first..first + BANDS_PER_PASS].copy_from_slice(&band_hashes(shingles, first));
    }
    out
}

/// `jaccard(a, b) >= s`, exactly, with early rejection (see the text stage).
pub fn similar_at_least(a: &[u64], b: &[u64], s: f64) -> bool {
    similar(a, b, s)
}

/// Sorts `v` by `key`, whose bits must be uniformly spread (a hash), in parallel and in
/// cache: a counting sort on the key's top bits spreads `v` into `scratch` by bucket (~1,000
/// items each), then each bucket is counting-sorted back into `v` on the next bits, leaving
/// only rare ties to an insertion pass. The text stage's 20 band-key sorts of every text were
/// a quarter of its time with a general parallel sort. Items with equal keys end in no
/// particular order; keys not spread after all are still sorted, by a general sort once the
/// insertion pass has made too many moves.
// Public for the benchmark only (`benches/text.rs`).
#[doc(hidden)]
pub fn sort_by_hashed_key<T: Copy + Send + Sync>(
    v: &mut [T],
    scratch: &mut Vec<T>,
    key: impl Fn(&T) -> u64 + Sync,
) {
    if v.len() < 1 << 15 {
        return v.sort_unstable_by_key(key);
    }
    let bits = (v.len() / 1024).ilog2().min(16);
    let (shift, buckets) = (64 - bits, 1usize << bits);
    let bucket = |x: &T| (key(x) >> shift) as usize;
    let chunk = v.len().div_ceil(4 * rayon::current_num_threads());
    let counts: Vec<Vec<usize>> = v
        .par_chunks(chunk)
        .map(|c| {
            let mut n = vec![0usize; buckets];
            for x in c {
                n[bucket(x)] += 1;
            }
            n
        })
        .collect();
    if scratch.len() != v.len() {
        scratch.clear();
        scratch.resize(v.len(), v[0]);
    }
    // `scratch` cut into (bucket, chunk) regions, bucket-major: each chunk writes its own.
    let mut regions: Vec<Vec<&mut [T]>> = counts.iter().map(|_| Vec::new()).collect();
    let mut bucket_len = vec![0usize; buckets];
    let mut rest = &mut scratch[..];
    for (b, len) in bucket_len.iter_mut().enumerate() {
        for (c, n) in counts.iter().enumerate() {
            let (region, tail) = std::mem::take(&mut rest).split_at_mut(n[b]);
            regions[c].push(region);
            rest = tail;
            *len += n[b];
        }
    }
    v.par_chunks(chunk)
        .zip(regions)
        .for_each(|(c, mut regions)| {
            let mut at = vec![0usize; buckets];
            for x in c {
                let b = bucket(x);
                regions[b][at[b]] = *x;
                at[b] += 1;
            }
        });
    let mut pairs: Vec<(&[T], &mut [T])> = Vec::with_capacity(buckets);
    let (mut src, mut dst) = (&scratch[..], &mut v[..]);
    for &len in &bucket_len {
        let (s, s_tail) = src.split_at(len);
        let (d, d_tail) = std::mem::take(&mut dst).split_at_mut(len);
        pairs.push((s, d));
        (src, dst) = (s_tail, d_tail);
    }
    pairs.into_par_iter().with_min_len(64).for_each_init(
        Vec::new,
        |start: &mut Vec<u32>, (src, dst)| {
            let sub = dst.len().max(2).ilog2();
            let (shift, mask) = (shift - sub, (1u64 << sub) - 1);
            let sub_bucket = |x: &T| ((key(x) >> shift) & mask) as usize;
            start.clear();
            start.resize((1 << sub) + 1, 0);
            for x in src {
                start[sub_bucket(x) + 1] += 1;
            }
            for s in 0..1 << sub {
                start[s + 1] += start[s];
            }
            for x in src {
                let s = sub_bucket(x);
                dst[start[s] as usize] = *x;
                start[s] += 1;
            }
            // What is out of order now is a few items per sub-bucket, unless the keys were
            // not spread after all: past a budget of moves, a general sort takes over.
            // (Equal band keys — copies of one text — arrive in index order: no moves.)
            let mut budget = 8 * dst.len();
            for i in 1..dst.len() {
                let (x, k) = (dst[i], key(&dst[i]));
                let mut j = i;
                while j > 0 && key(&dst[j - 1]) > k {
                    dst[j] = dst[j - 1];
                    j -= 1;
                }
                dst[j] = x;
                budget = match budget.checked_sub(i - j) {
                    Some(b) => b,
                    None => return dst.sort_unstable_by_key(&key),
                };
            }
        },
    );
}

struct UnionFind(Vec<u32>);
impl UnionFind {
    /// Points every element straight at its root, so the next band's checks are one load.
    /// One forward pass suffices: a parent never has a larger index than its child.
    fn flatten(&mut self) {
        for i in 0..self.0.len() {
            let p = self.0[i] as usize;
            self.0[i] = self.0[p];
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }
    /// Joins keeping the smaller index as root, so roots do not depend on join order.
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.0[hi as usize] = lo;
        }
    }
}

/// Near-duplicate families of a corpus of texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Families {
    /// Per text, the index of its family's first text, or `None` for texts without a
    /// near-duplicate (or too short).
    pub root: Vec<Option<u32>>,
    /// Each text's length in distinct word bigrams.
    pub lengths: Vec<u32>,
}

/// Texts by index: what [`families`] groups. Implemented for `StrArena` and by the event
/// table (whose texts stay in the order they were read).
pub trait Corpus: Sync {
    fn len(&self) -> usize;
    fn text(&self, i: usize) -> &str;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Corpus for lockstep_core::StrArena {
    fn len(&self) -> usize {
        lockstep_core::StrArena::len(self)
    }
    fn text(&self, i: usize) -> &str {
        &self[i]
    }
}

/// Groups `texts` (index = event) into near-duplicate families.
pub fn families(texts: &impl Corpus, similarity: f64, min_tokens: usize) -> Families {
    let n = texts.len();
    // Shingle sets in one flat buffer (CSR) per chunk of texts — (shingles end to end, where
    // each text's end) — built a chunk per job: no allocation per text. They stay per chunk:
    // joining them copied them all. About 64 chunks of at least 16,384 texts, a power of two
    // (a text's chunk is a shift, not a division): large inputs get chunks of several MB, which
    // the allocator returns to the system as soon as they are freed (smaller ones linger for
    // seconds, adding to the next stage's peak memory).
    let chunk_bits = (n / 64).max(16_384).next_power_of_two().trailing_zeros();
    let chunk_len = 1usize << chunk_bits;
    let parts: Vec<(Vec<u64>, Vec<usize>)> = (0..n.div_ceil(chunk_len))
        .into_par_iter()
        .map(|c| {
            let chunk = c * chunk_len..n.min((c + 1) * chunk_len);
            let (mut flat, mut ends) = (Vec::new(), Vec::with_capacity(chunk.len()));
            let (mut words, mut buf) = (Vec::new(), String::new());
            for i in chunk {
                shingles_into(texts.text(i), min_tokens, &mut flat, &mut words, &mut buf);
                ends.push(flat.len());
            }
            flat.shrink_to_fit();
            (flat, ends)
        })
        .collect();
    let span = |i: usize| {
        let (k, ends) = (i & (chunk_len - 1), &parts[i >> chunk_bits].1);
        (if k == 0 { 0 } else { ends[k - 1] }, ends[k])
    };
    let toks = |i: usize| {
        let (start, end) = span(i);
        &parts[i >> chunk_bits].0[start..end]
    };
    // Each text's shingle count, looked up by every band.
    let lengths: Vec<u32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (start, end) = span(i);
            (end - start) as u32
        })
        .collect();
    let with_toks: Vec<u32> = (0..n as u32).filter(|&i| lengths[i as usize] > 0).collect();
    // Band keys carry the text's index in their low bits, so one sort of u64 groups a band's
    // buckets in index order. Truncating the hash merges a few unrelated buckets, which only
    // adds candidates that the exact Jaccard check rejects.
    let idx_bits = (u64::BITS - (n as u64).leading_zeros()).max(1);
    let idx_mask = (1u64 << idx_bits) - 1;
    // Each key also carries its text's family root as of the band before (read in index
    // order while the keys are built), so the check "already one family?" costs no random
    // memory access in the verification below.
    // (key, root, shingle count): the count lets the size bound reject most chance
    // candidates before their shingles are loaded.
    let mut keys: Vec<(u64, u32, u32)> = Vec::with_capacity(with_toks.len());
    let mut uf = UnionFind((0..n as u32).collect());
    let mut hashes: Vec<[u64; BANDS_PER_PASS]> = Vec::with_capacity(with_toks.len());
    let mut sort_scratch = Vec::new();
    for band in 0..BANDS {
        if band % BANDS_PER_PASS == 0 {
            hashes.clear();
            hashes.par_extend(
                with_toks
                    .par_iter()
                    .map(|&i| band_hashes(toks(i as usize), band)),
            );
        }
        keys.clear();
        let parent = &uf.0;
        keys.par_extend(with_toks.par_iter().zip(&hashes).map(|(&i, h)| {
            (
                (h[band % BANDS_PER_PASS] & !idx_mask) | u64::from(i),
                parent[i as usize],
                lengths[i as usize],
            )
        }));
        sort_by_hashed_key(&mut keys, &mut sort_scratch, |k| k.0);
        // Candidates are verified in parallel against the families as they stood before this
        // band; the joins are applied after. Every similar candidate pair ends up in one
        // family either way, so the families are those of the sequential procedure.
        // First the candidates that pass the checks needing no shingles (other family, sizes
        // compatible), then the shingle comparisons in batches whose memory is touched
        // first, so the cache misses of a batch overlap instead of coming one by one.
        let candidates: Vec<(u32, u32)> = keys
            .par_chunk_by(|x, y| x.0 & !idx_mask == y.0 & !idx_mask)
            .filter(|bucket| bucket.len() > 1 && bucket.iter().any(|k| k.1 != bucket[0].1))
            .flat_map_iter(|bucket| {
                let first = bucket[0];
                (1..bucket.len()).flat_map(move |k| {
                    let (x, prev) = (bucket[k], bucket[k - 1]);
                    let y2 = (prev.0 != first.0).then_some(prev);
                    [Some(first), y2]
                        .into_iter()
                        .flatten()
                        .filter_map(move |y| {
                            let (xi, yi) = ((x.0 & idx_mask) as u32, (y.0 & idx_mask) as u32);
                            (x.1 != y.1
                                && f64::from(x.2.min(y.2)) / f64::from(x.2.max(y.2)) >= similarity)
                                .then_some((xi, yi))
                        })
                })
            })
            .collect();
        let joins: Vec<(u32, u32)> = candidates
            .par_chunks(VERIFY_BATCH)
            .flat_map_iter(|batch| {
                // The offsets of the whole batch, then its first shingles, then the
                // comparisons: each round of loads is independent, so its misses overlap.
                let spans: Vec<(&[u64], &[u64])> = batch
                    .iter()
                    .map(|&(x, y)| (toks(x as usize), toks(y as usize)))
                    .collect();
                for (a, b) in &spans {
                    std::hint::black_box((a.first().copied(), b.first().copied()));
                }
                spans
                    .iter()
                    .zip(batch)
                    .filter(|((a, b), _)| similar(a, b, similarity))
                    .map(|(_, &pair)| pair)
                    .collect::<Vec<_>>()
            })
            .collect();
        for (x, y) in joins {
            uf.union(x, y);
        }
        uf.flatten();
    }
    let roots: Vec<u32> = (0..n as u32).map(|i| uf.find(i)).collect();
    let mut size = vec![0u32; n];
    for &r in &roots {
        size[r as usize] += 1;
    }
    Families {
        root: roots
            .iter()
            .map(|&r| (size[r as usize] >= 2).then_some(r))
            .collect(),
        lengths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edited_copies_join_and_short_or_different_texts_do_not() {
        let texts = [
            "Votati Calin Georgescu pentru o Romanie libera si suverana #cg11",
            "VOTAȚI Călin Georgescu pentru o Românie liberă și suverană 🇷🇴🇷🇴 #CG11 #romania",
            "votati calin georgescu pentru Romanie libera si suverana!!!",
            "Am fost azi la munte cu familia, vremea a fost superba",
            "wow",
            "❤️❤️",
            "wow",
            "Meciul de aseara a fost incredibil, ce gol in minutul 90",
            // The same common words in another order: no shared bigrams beyond chance.
            "azi eu si la mai de azi eu",
            "eu la azi de si mai eu azi",
        ];
        let mut input = lockstep_core::StrArena::default();
        for t in texts {
            input.push(t);
        }
        let fam = families(&input, 0.6, 4).root;
        assert_eq!(fam[0], Some(0));
        assert_eq!(
            fam[1],
            Some(0),
            "case, diacritics, emoji and tags are edits, not new text"
        );
        assert_eq!(fam[2], Some(0), "a dropped word and punctuation");
        assert_eq!(fam[3], None);
        assert_eq!(fam[4], None, "too short to be evidence");
        assert_eq!(fam[5], None);
        assert_eq!(fam[6], None);
        assert_eq!(fam[7], None);
        assert_eq!(fam[8], None, "shared common words are not a copy");
        assert_eq!(fam[9], None);
    }

    /// A sorted set of random size below 20 over a small universe, so every overlap occurs.
    fn small_set() -> impl Strategy<Value = Vec<u64>> {
        prop::collection::vec(0..24u64, 0..20).prop_map(|mut v| {
            v.sort_unstable();
            v.dedup();
            v
        })
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn the_early_exit_agrees_with_jaccard(
        pairs in prop::collection::vec((small_set(), small_set()), 40)
    ) {
        for (a, b) in &pairs {
            for s in [0.3, 0.5, 0.6, 2.0 / 3.0, 0.75, 1.0] {
                prop_assert_eq!(
                    similar(a, b, s),
                    jaccard(a, b) >= s,
                    "{:?} {:?} {}", a, b, s
                );
            }
        }
    }
    }

    #[test]
    fn hashed_key_sort_sorts() {
        // Spread keys (some repeated), then keys that are not spread at all: descending small
        // integers (one bucket, every item out of order) and a few top-bit values.
        let patterns: [fn(u64, u64) -> u64; 3] = [
            |i, _| mix(i / 3),
            |i, n| n - i,
            |i, n| ((i % 7) << 60) | ((n - i) / 5),
        ];
        for n in [0usize, 5, 40_000, 300_000] {
            for key in patterns {
                let mut v: Vec<(u64, u32)> = (0..n as u64)
                    .map(|i| (key(i, n as u64), i as u32))
                    .collect();
                let mut want = v.clone();
                want.sort_unstable();
                sort_by_hashed_key(&mut v, &mut Vec::new(), |x| x.0);
                // Ties may come in any order: compare keys, then the items as sets.
                assert!(v.windows(2).all(|w| w[0].0 <= w[1].0), "{n}");
                v.sort_unstable();
                assert_eq!(v, want, "{n}");
            }
        }
    }

    #[test]
    fn jaccard_of_token_sets() {
        // Bigrams {ab, bc, cd} and {ab, bc, ce}: 2 shared of 4.
        let a = shingles("a b c d", 2);
        let b = shingles("a b c e", 2);
        assert!((jaccard(&a, &b) - 2.0 / 4.0).abs() < 1e-12);
        assert!(shingles("a b c", 4).is_empty());
        assert_eq!(jaccard(&a, &a), 1.0);
        assert_eq!(jaccard(&[], &[]), 0.0);
    }
}
