//! How the state tree's nodes and versioned values are stored: values with the keys they belong
//! to (the tree itself holds only key hashes; a snapshot sends the keys), read back by jmt
//! through [`TreeReader`].

use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};
use parity_scale_codec::{Decode, Encode};

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
