//! Known-answer tests: the RFC 6962 test vectors of Certificate Transparency as kept in the
//! transparency-dev/merkle repository (testonly/constants.go and proof/verify_test.go;
//! Apache-2.0): eight leaves, every root, inclusion and consistency proofs. Data only.

use lockstep_vault::merkle::*;

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots of the trees of the first 1..=8 leaves.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, audit path)
fn inclusion() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            5,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            1,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

/// (size1, size2, proof)
fn consistency() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

fn leaves() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

#[test]
fn roots() {
    assert_eq!(
        hex::encode(root(&[])),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let d = leaves();
    for n in 1..=8 {
        assert_eq!(root(&d[..n]), h(ROOTS[n - 1]), "size {n}");
        let mut t = StreamTree::new();
        for l in &d[..n] {
            t.push(*l);
        }
        assert_eq!(t.root(), h(ROOTS[n - 1]), "streamed, size {n}");
    }
}

#[test]
fn inclusion_proofs() {
    let d = leaves();
    for (m, n, proof) in inclusion() {
        let (m_, n_) = (m as usize, n as usize);
        assert_eq!(
            inclusion_proof(&d[..n_], m_).unwrap(),
            proof,
            "path {m} in {n}"
        );
        let mut t = StreamTree::new();
        t.want(&[m]);
        for l in &d[..n_] {
            t.push(*l);
        }
        assert_eq!(
            t.inclusion_proof(m).unwrap(),
            proof,
            "streamed path {m} in {n}"
        );
        let r = h(ROOTS[n_ - 1]);
        verify_inclusion(&d[m_], m, n, &proof, &r).unwrap();
        // The corruptions the reference tests try.
        assert!(verify_inclusion(&d[m_], m + 1, n, &proof, &r).is_err());
        assert!(verify_inclusion(&d[m_], m, n * 2, &proof, &r).is_err());
        assert!(verify_inclusion(&leaf_hash(b"WrongLeaf"), m, n, &proof, &r).is_err());
        let mut longer = proof.clone();
        longer.push(r);
        assert!(verify_inclusion(&d[m_], m, n, &longer, &r).is_err());
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][0] ^= 8;
            assert!(verify_inclusion(&d[m_], m, n, &bad, &r).is_err());
        }
        if !proof.is_empty() {
            assert!(verify_inclusion(&d[m_], m, n, &proof[..proof.len() - 1], &r).is_err());
        }
    }
}

#[test]
fn consistency_proofs() {
    let d = leaves();
    for (m, n, proof) in consistency() {
        let (r1, r2) = (h(ROOTS[m as usize - 1]), h(ROOTS[n as usize - 1]));
        assert_eq!(
            consistency_proof(&d[..n as usize], m as usize).unwrap(),
            proof,
            "{m}→{n}"
        );
        verify_consistency(m, n, &r1, &r2, &proof).unwrap();
        if proof.is_empty() {
            continue;
        }
        assert!(
            verify_consistency(m, n, &r2, &r1, &proof).is_err(),
            "swapped roots"
        );
        assert!(
            verify_consistency(m, n, &r1, &r2, &[]).is_err(),
            "empty proof"
        );
        assert!(verify_consistency(m - 1, n, &r1, &r2, &proof).is_err());
        assert!(verify_consistency(m + 1, n, &r1, &r2, &proof).is_err());
        assert!(verify_consistency(m, n * 2, &r1, &r2, &proof).is_err());
        assert!(verify_consistency(m, n, &r1, &r2, &proof[..proof.len() - 1]).is_err());
        let mut longer = proof.clone();
        longer.push(r1);
        assert!(verify_consistency(m, n, &r1, &r2, &longer).is_err());
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][0] ^= 16;
            assert!(verify_consistency(m, n, &r1, &r2, &bad).is_err());
        }
    }
    // Trivial cases of the reference tests.
    let (a, b) = (h(ROOTS[0]), h(ROOTS[1]));
    assert!(verify_consistency(0, 0, &a, &a, &[]).is_ok());
    assert!(verify_consistency(0, 1, &a, &b, &[]).is_ok());
    assert!(verify_consistency(1, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(2, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
    assert!(verify_consistency(0, 1, &a, &a, &[a]).is_err());
}
