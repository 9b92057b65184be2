//! The root of an ordered list of hashes (transactions, receipts in a block).
//!
//! RFC 6962 style: leaves and inner nodes are hashed with different prefixes so that a leaf
//! can never be passed off as an inner node, and an odd node at the end of a level is promoted
//! unchanged rather than paired with itself (which would let two lists share a root).

use alloc::vec::Vec;

use crate::hash::Hash;

const LEAF_PREFIX: &[u8] = &[0];
const NODE_PREFIX: &[u8] = &[1];

/// Root of an ordered list; the empty list has root SHA-256("").
pub fn ordered_root(items: &[Hash]) -> Hash {
    if items.is_empty() {
        return Hash::digest(&[]);
    }
    let mut level: Vec<Hash> = items
        .iter()
        .map(|h| Hash::digest_parts(&[LEAF_PREFIX, &h.0]))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => Hash::digest_parts(&[NODE_PREFIX, &left.0, &right.0]),
                [single] => *single,
                _ => unreachable!("chunks(2) yields one or two items"),
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_differ_by_order_and_length() {
        let a = Hash::digest(b"a");
        let b = Hash::digest(b"b");
        let c = Hash::digest(b"c");
        assert_eq!(ordered_root(&[]), Hash::digest(b""));
        assert_ne!(ordered_root(&[a, b]), ordered_root(&[b, a]));
        assert_ne!(ordered_root(&[a, b, c]), ordered_root(&[a, b, c, c]));
        assert_ne!(ordered_root(&[a]), a);
        let ab = ordered_root(&[a, b]);
        assert_eq!(
            ordered_root(&[a, b, c]),
            Hash::digest_parts(&[&[1], &ab.0, &ordered_root(&[c]).0])
        );
    }
}
