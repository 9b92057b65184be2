//! The batched tree update against jmt's one key at a time: the same root at every height, over
//! random insertions, changes and removals (of keys present and absent, everything at once,
//! blocks of nothing), and proofs that verify against it.

use std::collections::BTreeMap;

use super::tests::{block, cert};
use super::*;

/// A small deterministic generator (xorshift64*): the test needs variety, not quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

fn commit_by(store: &Store, changes: &Changes, how: Update) -> Tip {
    let tip = store.tip().expect("tip");
    let height = tip.map_or(0, |t| t.height + 1);
    let parent = tip.map_or(Hash::ZERO, |t| t.block_hash);
    let prepared = store
        .prepare_state_by(height, changes.clone(), how)
        .expect("prepare");
    let b = block(height, parent, prepared.state_root);
    store
        .commit(&b, &cert(&b), &[], &[], prepared)
        .expect("commit")
}

/// One block's changes: each key once; what the test expects the state to hold after it.
fn changes(rng: &mut Rng, live: &BTreeMap<Vec<u8>, Vec<u8>>, height: u64) -> Changes {
    let mut out = Changes::new();
    match height {
        // Nothing changes.
        5 => return out,
        // Everything goes.
        30 => return live.keys().map(|k| (k.clone(), None)).collect(),
        _ => {}
    }
    let count = 1 + rng.below(if height == 0 { 400 } else { 150 });
    for _ in 0..count {
        let roll = rng.below(10);
        // Removals only at height 7, insertions only at 9.
        let remove = match height {
            7 => true,
            9 => false,
            _ => roll < 4,
        };
        if remove && !live.is_empty() && roll != 0 {
            let index = rng.below(live.len() as u64) as usize;
            let key = live.keys().nth(index).expect("index below len").clone();
            out.insert(key, None);
        } else if remove {
            // A key the tree never held.
            out.insert(format!("absent/{}", rng.next()).into_bytes(), None);
        } else {
            let key = format!("key/{}", rng.below(3_000)).into_bytes();
            out.insert(key, Some(rng.next().to_le_bytes().to_vec()));
        }
    }
    out
}

#[test]
fn a_batched_update_has_the_roots_and_proofs_of_one_key_at_a_time() {
    let dirs: Vec<tempfile::TempDir> = (0..3)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let batched = Store::open(dirs[0].path()).expect("open");
    let reference = Store::open(dirs[1].path()).expect("open");
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let mut live: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for height in 0..40u64 {
        let changes = changes(&mut rng, &live, height);
        let tip = commit_by(&batched, &changes, Update::Batched);
        let expected = commit_by(&reference, &changes, Update::OneByOne);
        assert_eq!(tip.state_root, expected.state_root, "height {height}");
        assert_eq!(batched.state_root(height).expect("root"), tip.state_root);
        for (key, value) in &changes {
            match value {
                Some(value) => live.insert(key.clone(), value.clone()),
                None => live.remove(key),
            };
        }
        // Proofs of a few keys held and of every key removed, against the root.
        for (key, value) in live.iter().take(3).chain(live.iter().rev().take(3)) {
            let (got, proof) = batched.state_with_proof(key, height).expect("proof");
            assert_eq!(got.as_ref(), Some(value));
            proof
                .verify(tip.state_root, key, Some(value))
                .expect("inclusion");
        }
        for key in changes.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k) {
            let (got, proof) = batched.state_with_proof(key, height).expect("proof");
            assert_eq!(got, None);
            proof.verify(tip.state_root, key, None).expect("exclusion");
        }
    }
    assert!(
        !live.is_empty(),
        "the last blocks insert again after height 30"
    );
    // A Jellyfish tree's root depends only on what it holds: a fresh tree of the same keys has
    // the same root.
    let fresh = Store::open(dirs[2].path()).expect("open");
    let all: Changes = live.into_iter().map(|(k, v)| (k, Some(v))).collect();
    let tip = commit_by(&fresh, &all, Update::Batched);
    assert_eq!(
        tip.state_root,
        batched.tip().expect("tip").expect("tip").state_root
    );
}
