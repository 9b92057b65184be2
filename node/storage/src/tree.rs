//! How the state tree's nodes and versioned values are stored: values with the keys they belong
//! to (the tree itself holds only key hashes; a snapshot sends the keys), read back by jmt
//! through [`TreeReader`]; and a block's update of the tree, each touched node built and hashed
//! once.

use std::collections::BTreeMap;

use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, RootHash, Version};
use parity_scale_codec::{Decode, Encode};
use sha2::Sha256;

use crate::{Store, CF_TREE_NODES, CF_TREE_VALUES};

pub(crate) fn encode_borsh<T: borsh::BorshSerialize>(value: &T) -> Vec<u8> {
    borsh::to_vec(value).expect("writing to a Vec cannot fail")
}

/// Marks a tree value stored with its key ([`tree_value`]); a value without one (written before
/// keys were kept) starts with its `Option` tag, 0 or 1.
const WITH_KEY: u8 = 2;

/// A tree value as stored: [`WITH_KEY`], then SCALE of (the value, or `None` for a deletion;
/// the key).
pub(crate) fn tree_value(value: Option<&[u8]>, key: &[u8]) -> Vec<u8> {
    let mut out = vec![WITH_KEY];
    (value, key).encode_to(&mut out);
    out
}

/// A stored tree value (`None`: deleted) and, if it was stored with it, its key.
type TreeValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A stored tree value and, if it was stored with it, its key.
pub(crate) fn decode_tree_value(bytes: &[u8]) -> anyhow::Result<TreeValue> {
    match bytes.split_first() {
        Some((&WITH_KEY, rest)) => {
            let (value, key) = <(Option<Vec<u8>>, Vec<u8>)>::decode(&mut &rest[..])
                .map_err(|e| anyhow::anyhow!("tree value: {e}"))?;
            Ok((value, Some(key)))
        }
        _ => Ok((
            Option::<Vec<u8>>::decode(&mut &bytes[..])
                .map_err(|e| anyhow::anyhow!("tree value: {e}"))?,
            None,
        )),
    }
}

pub(crate) fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(&key_hash.0);
    key[32..].copy_from_slice(&version.to_be_bytes());
    key
}

impl Store {
    /// The newest tree value of `key_hash` at or below `version`, with its key if stored with
    /// it.
    pub(crate) fn tree_value_at(
        &self,
        key_hash: KeyHash,
        version: Version,
    ) -> anyhow::Result<Option<TreeValue>> {
        let mut iter = self.db.raw_iterator_cf(self.cf(CF_TREE_VALUES));
        iter.seek_for_prev(value_key(&key_hash, version));
        iter.status()?;
        match (iter.key(), iter.value()) {
            (Some(key), Some(value)) if key[..32] == key_hash.0 => {
                Ok(Some(decode_tree_value(value)?))
            }
            _ => Ok(None),
        }
    }
}

/// The state tree reads its nodes and versioned values from their column families.
impl TreeReader for Store {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        self.get_cf(CF_TREE_NODES, &encode_borsh(node_key))?
            .map(|bytes| borsh::from_slice(&bytes).map_err(anyhow::Error::from))
            .transpose()
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .tree_value_at(key_hash, max_version)?
            .and_then(|(value, _)| value))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("restoring the state tree from a snapshot is not supported")
    }
}

/// How a block's changes go into the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Update {
    /// Removals one key at a time, then every insertion and change in one pass over the tree
    /// that builds and hashes each touched node once (jmt's batch path, which takes no
    /// removals). The root is the same as [`Update::OneByOne`]'s: a Jellyfish tree's shape
    /// depends only on the keys it holds.
    Batched,
    /// Every change one key at a time, each re-hashing the path from the root (jmt's
    /// `put_value_set`): the reference the batched update is tested against.
    #[cfg_attr(not(test), allow(dead_code))]
    OneByOne,
}

/// A reader of the tree as a first update of `version` left it, not yet written: its nodes
/// before the store's, and its root standing in for the previous version's, so that a second
/// update of the same version builds on it.
struct Pending<'a> {
    store: &'a Store,
    nodes: &'a BTreeMap<NodeKey, Node>,
    /// The first update's root.
    root: NodeKey,
}

impl TreeReader for Pending<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = if node_key.nibble_path().num_nibbles() == 0
            && node_key.version() + 1 == self.root.version()
        {
            &self.root
        } else {
            node_key
        };
        match self.nodes.get(key) {
            Some(node) => Ok(Some(node.clone())),
            None => self.store.get_node_option(key),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.store.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("restoring the state tree from a snapshot is not supported")
    }
}

impl Store {
    /// The tree at `version` after `changes` (each key once) on top of `version - 1`: its root
    /// and the nodes to write.
    pub(crate) fn update_tree(
        &self,
        version: Version,
        changes: Vec<(KeyHash, Option<OwnedValue>)>,
        how: Update,
    ) -> anyhow::Result<(RootHash, TreeUpdateBatch)> {
        // Genesis builds from nothing, and a block that changes nothing still writes its root.
        if how == Update::OneByOne || version == 0 || changes.iter().all(|(_, v)| v.is_none()) {
            return JellyfishMerkleTree::<_, Sha256>::new(self).put_value_set(changes, version);
        }
        let mut removals = Vec::new();
        let mut puts = Vec::with_capacity(changes.len());
        for (key, value) in changes {
            match value {
                Some(value) => puts.push((key, value)),
                None => removals.push((key, None)),
            }
        }
        if removals.is_empty() {
            let (roots, batch) = JellyfishMerkleTree::<_, Sha256>::new(self).batch_put_value_sets(
                vec![puts],
                None,
                version,
            )?;
            return Ok((roots[0], batch));
        }
        let (_, mut first) =
            JellyfishMerkleTree::<_, Sha256>::new(self).put_value_set(removals, version)?;
        let nodes = first.node_batch.nodes();
        let root = nodes
            .keys()
            .find(|key| key.version() == version && key.nibble_path().num_nibbles() == 0)
            .ok_or_else(|| anyhow::anyhow!("the removals at {version} wrote no root"))?
            .clone();
        let pending = Pending {
            store: self,
            nodes,
            root,
        };
        let (roots, second) = JellyfishMerkleTree::<_, Sha256>::new(&pending)
            .batch_put_value_sets(vec![puts], None, version)?;
        // The second pass rewrote every node of this version it touched under the same key;
        // those the first wrote are not stale, whatever the second pass noted.
        let stale = first
            .stale_node_index_batch
            .into_iter()
            .chain(second.stale_node_index_batch)
            .filter(|index| index.node_key.version() != version)
            .collect();
        first.node_batch.merge(second.node_batch);
        first.node_stats.extend(second.node_stats);
        Ok((
            roots[0],
            TreeUpdateBatch {
                node_batch: first.node_batch,
                stale_node_index_batch: stale,
                node_stats: first.node_stats,
            },
        ))
    }
}
