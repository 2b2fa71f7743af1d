//! RFC 9162 (§2.1) Merkle trees over SHA-256: leaf `H(0x00 ‖ data)`, node
//! `H(0x01 ‖ left ‖ right)`, the empty tree `H("")`; audit paths and consistency proofs,
//! their verification (the RFC's algorithms, §2.1.3.2 and §2.1.4.2), and [`StreamTree`],
//! which builds a tree of any size from a stream of leaves keeping only the O(log n) frontier
//! plus the few nodes that chosen leaves' audit paths need.

use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A SHA-256 output.
pub type Hash = [u8; 32];

/// `H(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `H(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `H("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly below `n` (`n ≥ 2`): where RFC 9162 splits a tree.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH over leaf hashes (in memory; for the case tree and the case log, which are small).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` (RFC 9162 §2.1.3.1), leaf to root; `None` if out of range.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    path(index, leaves, &mut out);
    Some(out)
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    if d.len() <= 1 {
        return;
    }
    let k = split(d.len());
    if m < k {
        path(m, &d[..k], out);
        out.push(root(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(root(&d[..k]));
    }
}

/// The consistency proof from the tree of the first `m` leaves to the tree of all of them
/// (RFC 9162 §2.1.4.1); empty for `m = 0` and `m = n`, `None` for `m > n`.
pub fn consistency_proof(leaves: &[Hash], m: usize) -> Option<Vec<Hash>> {
    if m > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    if m > 0 && m < leaves.len() {
        subproof(m, leaves, true, &mut out);
    }
    Some(out)
}

fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !complete {
            out.push(root(d));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &d[..k], complete, out);
        out.push(root(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root(&d[..k]));
    }
}

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the proof has the wrong number of hashes for this index and size")]
    WrongLength,
    #[error("the proof leads to another root")]
    RootMismatch,
    #[error("the second tree ({size2}) is smaller than the first ({size1})")]
    Shrunk { size1: u64, size2: u64 },
}

/// The root an audit path leads to (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(r)
}

/// Checks an audit path against a root.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion(leaf, index, size, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Checks that the tree `(size2, root2)` extends `(size1, root1)` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if size2 < size1 {
        return Err(ProofError::Shrunk { size1, size2 });
    }
    if size1 == size2 {
        return match (proof.is_empty(), root1 == root2) {
            (false, _) => Err(ProofError::WrongLength),
            (true, false) => Err(ProofError::RootMismatch),
            (true, true) => Ok(()),
        };
    }
    if size1 == 0 {
        // Every tree extends the empty one.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let (mut f, mut s) = (size1 - 1, size2 - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr == *root1 && sr == *root2 {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// A tree built leaf by leaf in O(log n) memory. Audit paths are available for the leaves
/// named up front ([`StreamTree::want`]): while the stream passes, the perfect subtrees their
/// paths need are kept as they complete (each level completes its nodes in index order, so
/// one cursor per level suffices); the right-edge node comes from the final frontier.
#[derive(Default)]
pub struct StreamTree {
    size: u64,
    /// Perfect subtrees covering `[0, size)`, largest (leftmost) first: one per set bit.
    frontier: Vec<Hash>,
    /// Per level, the sorted, distinct node indices to keep, and the cursor into them.
    wanted: Vec<(Vec<u64>, usize)>,
    kept: HashMap<(u32, u64), Hash>,
    groups: Option<Groups>,
}

/// The hashes of the perfect subtrees of `2^level` leaves, in order (the last, incomplete
/// group has none): compared with the same from the sealed tree, they say which lines of
/// a changed input differ. Adaptive, the level rises (adjacent pairs hashed together)
/// whenever there would be more than `cap`, so memory stays bounded for any size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    pub level: u32,
    pub hashes: Vec<Hash>,
    cap: Option<usize>,
}

impl Groups {
    fn compact(&mut self) {
        let Some(cap) = self.cap else { return };
        while self.hashes.len() > cap {
            // An unpaired last group is dropped: its parent is kept when it completes.
            self.hashes = self
                .hashes
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            self.level += 1;
        }
    }
}

impl StreamTree {
    /// Also keeps the group hashes: at `level`, or adaptive (at most `cap` of them).
    pub fn keep_groups(&mut self, level: Option<u32>, cap: usize) {
        self.groups = Some(Groups {
            level: level.unwrap_or(0),
            hashes: Vec::new(),
            cap: if level.is_some() {
                None
            } else {
                Some(cap.max(2))
            },
        });
    }

    pub fn groups(&self) -> Option<&Groups> {
        self.groups.as_ref()
    }

    pub fn new() -> StreamTree {
        StreamTree::default()
    }

    /// Asks for the audit paths of these leaves (call before pushing any leaf).
    pub fn want(&mut self, leaves: &[u64]) {
        let mut per_level: Vec<Vec<u64>> = vec![Vec::new(); 64];
        for &m in leaves {
            for (l, v) in per_level.iter_mut().enumerate() {
                v.push((m >> l) ^ 1);
            }
        }
        self.wanted = per_level
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                v.dedup();
                (v, 0)
            })
            .collect();
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    #[inline]
    fn keep(&mut self, level: u32, index: u64, h: &Hash) {
        let Some((v, cursor)) = self.wanted.get_mut(level as usize) else {
            return;
        };
        while *cursor < v.len() && v[*cursor] < index {
            *cursor += 1;
        }
        if *cursor < v.len() && v[*cursor] == index {
            self.kept.insert((level, index), *h);
        }
    }

    /// Appends a leaf (its hash, `H(0x00 ‖ data)`).
    #[inline]
    pub fn push(&mut self, leaf: Hash) {
        let index = self.size;
        let mut h = leaf;
        if !self.wanted.is_empty() {
            self.keep(0, index, &h);
        }
        if let Some(g) = self.groups.as_mut().filter(|g| g.level == 0) {
            g.hashes.push(h);
        }
        let mut level = 0u32;
        let mut i = index;
        // Each trailing one bit of the index completes a subtree with the frontier's last.
        while i & 1 == 1 {
            let Some(left) = self.frontier.pop() else {
                break;
            };
            h = node_hash(&left, &h);
            level += 1;
            i >>= 1;
            if !self.wanted.is_empty() {
                self.keep(level, i, &h);
            }
            if let Some(g) = self.groups.as_mut().filter(|g| g.level == level) {
                g.hashes.push(h);
            }
        }
        self.frontier.push(h);
        self.size += 1;
        // After this leaf's merges, so a pair's parent is never kept twice.
        if let Some(g) = self.groups.as_mut() {
            g.compact();
        }
    }

    /// MTH of everything pushed so far.
    pub fn root(&self) -> Hash {
        self.range_root(0).unwrap_or_else(empty_root)
    }

    /// MTH of the leaves `[start, size)` where `start` begins one of the frontier's subtrees
    /// or a suffix of them (a right-edge node of the tree); `None` for an empty range.
    fn range_root(&self, start: u64) -> Option<Hash> {
        // Frontier subtree j covers [pos_j, pos_j + 2^level_j), levels the set bits of size.
        let mut starts = Vec::with_capacity(self.frontier.len());
        let mut pos = 0u64;
        for level in (0..64).rev() {
            if self.size >> level & 1 == 1 {
                starts.push(pos);
                pos += 1u64 << level;
            }
        }
        let mut acc: Option<Hash> = None;
        for (h, &s) in self.frontier.iter().zip(&starts).rev() {
            if s < start {
                break;
            }
            acc = Some(match acc {
                None => *h,
                Some(r) => node_hash(h, &r),
            });
        }
        acc
    }

    /// The audit path of a leaf asked for with [`StreamTree::want`], in the tree as it is now.
    pub fn inclusion_proof(&self, m: u64) -> Option<Vec<Hash>> {
        let n = self.size;
        if m >= n {
            return None;
        }
        // Below the level where the paths to m and to n-1 part, siblings are perfect
        // subtrees except the last, the right edge; above it, the left siblings on the border.
        let inner = 64 - (m ^ (n - 1)).leading_zeros();
        let mut proof = Vec::with_capacity(64);
        for l in 0..inner {
            let sib = (m >> l) ^ 1;
            if l + 1 == inner {
                // The right edge: a perfect subtree (kept when it completed) or the
                // frontier's tail.
                let kept = self.kept.get(&(l, sib)).copied();
                proof.push(kept.or_else(|| self.range_root(sib << l))?);
            } else {
                proof.push(*self.kept.get(&(l, sib))?);
            }
        }
        for l in inner..64 {
            if (m >> l) & 1 == 1 {
                proof.push(*self.kept.get(&(l, (m >> l) ^ 1))?);
            }
        }
        Some(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_le_bytes()))
            .collect()
    }

    #[test]
    fn stream_matches_recursive_roots_and_paths() {
        for n in 0..70usize {
            let d = leaves(n);
            let mut t = StreamTree::new();
            let all: Vec<u64> = (0..n as u64).collect();
            t.want(&all);
            for h in &d {
                t.push(*h);
            }
            assert_eq!(t.root(), root(&d), "root n={n}");
            for m in 0..n {
                let p = inclusion_proof(&d, m).unwrap();
                assert_eq!(t.inclusion_proof(m as u64).unwrap(), p, "path m={m} n={n}");
                verify_inclusion(&d[m], m as u64, n as u64, &p, &root(&d)).unwrap();
                if m + 1 < n {
                    assert!(
                        verify_inclusion(&d[m], m as u64 + 1, n as u64, &p, &root(&d)).is_err()
                    );
                }
            }
        }
    }

    #[test]
    fn consistency_round_trips() {
        for n in 1..40usize {
            let d = leaves(n);
            for m in 0..=n {
                let p = consistency_proof(&d, m).unwrap();
                verify_consistency(m as u64, n as u64, &root(&d[..m]), &root(&d), &p).unwrap();
                if m > 0 && m < n {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_consistency(
                        m as u64,
                        n as u64,
                        &root(&d[..m]),
                        &root(&d),
                        &bad
                    )
                    .is_err());
                }
            }
        }
    }

    #[test]
    fn adaptive_groups_equal_fixed_level_groups() {
        for n in [0usize, 1, 5, 64, 100, 1000, 1023, 1025] {
            let d = leaves(n);
            let mut a = StreamTree::new();
            a.keep_groups(None, 8);
            for h in &d {
                a.push(*h);
            }
            let g = a.groups().unwrap().clone();
            assert!(g.hashes.len() <= 8);
            let mut b = StreamTree::new();
            b.keep_groups(Some(g.level), 0);
            for h in &d {
                b.push(*h);
            }
            assert_eq!(b.groups().unwrap().hashes, g.hashes, "n={n}");
            let w = 1usize << g.level;
            assert_eq!(g.hashes.len(), n / w, "n={n}");
            for (k, h) in g.hashes.iter().enumerate() {
                assert_eq!(*h, root(&d[k * w..(k + 1) * w]));
            }
        }
    }

    #[test]
    fn only_wanted_leaves_have_paths_and_memory_stays_small() {
        let mut t = StreamTree::new();
        t.want(&[5, 900]);
        let d = leaves(1000);
        for h in &d {
            t.push(*h);
        }
        assert!(t.kept.len() <= 2 * 64);
        assert_eq!(t.frontier.len(), 1000u32.count_ones() as usize);
        assert_eq!(
            t.inclusion_proof(5).unwrap(),
            inclusion_proof(&d, 5).unwrap()
        );
        assert_eq!(
            t.inclusion_proof(900).unwrap(),
            inclusion_proof(&d, 900).unwrap()
        );
        assert!(t.inclusion_proof(6).is_none());
    }
}
