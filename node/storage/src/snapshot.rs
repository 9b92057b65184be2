//! State snapshots, for a node that joins by state sync instead of replaying every block
//! (ADR 0040). A node serves the state at any height it holds as chunks: entries (key, value)
//! in ascending order of their key's hash, each chunk with a range proof of its last entry
//! (jmt's). A joining node restores the state tree chunk by chunk with jmt's restore (after
//! Diem's state sync): each chunk, together with everything before it, must prove against the
//! certified state root before any of it is kept. A chunk that does not is refused, the restore
//! goes back to the last entry it wrote, and the caller asks another peer from there.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use catena_primitives::block::{Block, CommitCertificate};
use catena_primitives::Hash;
use jmt::proof::SparseMerkleRangeProof;
use jmt::restore::{JellyfishMerkleRestore, StateSnapshotReceiver};
use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader, TreeWriter};
use jmt::{JellyfishMerkleIterator, KeyHash, OwnedValue, RootHash, Version};
use parity_scale_codec::{Decode, Encode};
use rocksdb::{WriteBatch, WriteOptions};
use sha2::Sha256;

use crate::{
    encode_borsh, height_key, tree_value, value_key, Result, StorageError, Store, Tip, CF_BLOCKS,
    CF_BLOCK_INDEX, CF_CERTIFICATES, CF_HEADERS, CF_META, CF_STATE, CF_TREE_NODES, CF_TREE_VALUES,
    META_TIP,
};

/// The largest range proof accepted (a proof holds at most 256 siblings of ~65 bytes).
pub const MAX_PROOF_BYTES: usize = 32 << 10;

/// Part of the state at one height.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SnapshotChunk {
    /// State entries (key, value), in ascending order of the key's SHA-256.
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// jmt's range proof of the last entry (borsh), empty when there is none.
    pub proof: Vec<u8>,
    /// Whether no entry follows the last one.
    pub last: bool,
}

impl SnapshotChunk {
    /// The key hash the restore will stand at once this chunk is added (the hash of its last
    /// key): where the next chunk starts, known before this one is checked.
    pub fn last_key_hash(&self) -> Option<Hash> {
        self.entries
            .last()
            .map(|(key, _)| Hash(KeyHash::with::<Sha256>(key).0))
    }
}

/// Why a chunk was refused.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Wrong in itself or against the certified root: the sender's fault.
    #[error("the snapshot chunk does not prove against the certified state root: {0}")]
    Invalid(String),
}

fn tree_error(e: impl std::fmt::Display) -> StorageError {
    StorageError::Tree(e.to_string())
}

/// The key hash right after `hash`, or `None` after the last one.
fn successor(hash: [u8; 32]) -> Option<[u8; 32]> {
    let mut next = hash;
    for byte in next.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            return Some(next);
        }
    }
    None
}

impl Store {
    /// The state entries at `height` after the key hash `after` (from the first if `None`): at
    /// most `max_entries`, and beyond the first, at most about `max_bytes`.
    pub fn snapshot_chunk(
        &self,
        height: u64,
        after: Option<Hash>,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<SnapshotChunk> {
        if self.tip()?.is_none_or(|t| t.height < height) {
            return Err(StorageError::Missing(height));
        }
        let start = match after {
            None => [0; 32],
            Some(hash) => match successor(hash.0) {
                Some(next) => next,
                None => {
                    return Ok(SnapshotChunk {
                        entries: Vec::new(),
                        proof: Vec::new(),
                        last: true,
                    })
                }
            },
        };
        let entries_at =
            JellyfishMerkleIterator::new(Arc::new(self.clone()), height, KeyHash(start))
                .map_err(tree_error)?;
        let (mut entries, mut bytes, mut last_hash, mut last) = (Vec::new(), 0, None, true);
        for entry in entries_at {
            let (key_hash, value) = entry.map_err(tree_error)?;
            if entries.len() >= max_entries || (bytes >= max_bytes && !entries.is_empty()) {
                last = false;
                break;
            }
            let key = self
                .tree_value_at(key_hash, height)
                .map_err(tree_error)?
                .and_then(|(_, key)| key)
                .ok_or_else(|| {
                    StorageError::Corrupt(format!(
                        "no key kept with the state entry {} (written by a version that kept \
                         none): this store cannot serve snapshots",
                        Hash(key_hash.0)
                    ))
                })?;
            bytes += key.len() + value.len();
            entries.push((key, value));
            last_hash = Some(key_hash);
        }
        let proof = match last_hash {
            Some(hash) => encode_borsh(
                &self
                    .tree()
                    .get_range_proof(hash, height)
                    .map_err(tree_error)?,
            ),
            None => Vec::new(),
        };
        if self.switch_says("corrupt-snapshot") {
            if let Some((_, value)) = entries.first_mut() {
                value.push(0xff);
            }
        }
        Ok(SnapshotChunk {
            entries,
            proof,
            last,
        })
    }

    /// Begins restoring the state at `height`, whose certified root is `root`, into this store,
    /// which must hold nothing but its genesis: its state entries are replaced.
    pub fn restore(&self, height: u64, root: Hash) -> Result<Restore> {
        match self.tip()? {
            Some(tip) if tip.height == 0 && height > 0 => {}
            tip => {
                return Err(StorageError::Corrupt(format!(
                    "state sync restores only into a store that holds just its genesis (this one's \
                     tip is {}), to a later height (asked {height})",
                    tip.map_or(0, |t| t.height)
                )))
            }
        }
        let mut batch = WriteBatch::default();
        for entry in self
            .db
            .iterator_cf(self.cf(CF_STATE), rocksdb::IteratorMode::Start)
        {
            batch.delete_cf(self.cf(CF_STATE), entry?.0);
        }
        self.db.write(batch)?;
        let target = Arc::new(Target {
            store: self.clone(),
            rightmost: Mutex::new(None),
            keys: Mutex::default(),
        });
        let inner =
            JellyfishMerkleRestore::new_overwrite(Arc::clone(&target), height, RootHash(root.0))
                .map_err(tree_error)?;
        Ok(Restore {
            target,
            inner: Some(inner),
            height,
            root,
            after: None,
            entries: 0,
            complete: false,
        })
    }
}

/// Where a restore writes its tree nodes: the store, remembering the rightmost leaf written
/// (from which a restore resumes after a refused chunk).
struct Target {
    store: Store,
    rightmost: Mutex<Option<(NodeKey, LeafNode)>>,
    /// The keys of the chunk being added, by hash: its values are stored with them.
    keys: Mutex<BTreeMap<[u8; 32], Vec<u8>>>,
}

impl TreeReader for Target {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        self.store.get_node_option(node_key)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.store.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Ok(self
            .rightmost
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }
}

impl TreeWriter for Target {
    fn write_node_batch(&self, nodes: &NodeBatch) -> anyhow::Result<()> {
        let store = &self.store;
        let mut batch = WriteBatch::default();
        let mut rightmost = self.rightmost.lock().unwrap_or_else(|e| e.into_inner());
        for (node_key, node) in nodes.nodes() {
            batch.put_cf(
                store.cf(CF_TREE_NODES),
                encode_borsh(node_key),
                encode_borsh(node),
            );
            if let Node::Leaf(leaf) = node {
                if rightmost
                    .as_ref()
                    .is_none_or(|(_, r)| r.key_hash() < leaf.key_hash())
                {
                    *rightmost = Some((node_key.clone(), leaf.clone()));
                }
            }
        }
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        for ((version, key_hash), value) in nodes.values() {
            let key = keys
                .get(&key_hash.0)
                .ok_or_else(|| anyhow::anyhow!("a restored value without its chunk's key"))?;
            batch.put_cf(
                store.cf(CF_TREE_VALUES),
                value_key(key_hash, *version),
                tree_value(value.as_deref(), key),
            );
        }
        // Not synced: `Restore::finish` syncs everything at once.
        store.db.write(batch)?;
        Ok(())
    }
}

/// A state being restored from chunks ([`Store::restore`]).
pub struct Restore {
    target: Arc<Target>,
    /// `None` only while being replaced.
    inner: Option<JellyfishMerkleRestore<Sha256>>,
    height: u64,
    root: Hash,
    after: Option<KeyHash>,
    /// Entries restored so far.
    pub entries: u64,
    complete: bool,
}

impl std::fmt::Debug for Restore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore")
            .field("height", &self.height)
            .field("root", &self.root)
            .field("entries", &self.entries)
            .finish()
    }
}

impl Restore {
    /// The key hash after which the next chunk starts (`None`: from the first).
    pub fn after(&self) -> Option<Hash> {
        self.after.map(|k| Hash(k.0))
    }

    /// Whether the last chunk was added.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Adds the next chunk, checked against the certified root with all before it; on
    /// refusal nothing of it is kept and [`Restore::after`] may go back (ask from there).
    pub fn add(&mut self, chunk: SnapshotChunk) -> Result<(), SnapshotError> {
        let invalid = |why: String| Err(SnapshotError::Invalid(why));
        if self.complete {
            return invalid("a chunk after the last".into());
        }
        if chunk.entries.is_empty() {
            if chunk.last && self.entries > 0 {
                self.complete = true;
                return Ok(());
            }
            return invalid("an empty chunk".into());
        }
        let hashes: Vec<KeyHash> = chunk
            .entries
            .iter()
            .map(|(key, _)| KeyHash::with::<Sha256>(key))
            .collect();
        let mut previous = self.after;
        for hash in &hashes {
            if previous.is_some_and(|p| p >= *hash) {
                return invalid("entries out of order".into());
            }
            previous = Some(*hash);
        }
        if chunk.proof.len() > MAX_PROOF_BYTES {
            return invalid(format!("a proof of {} bytes", chunk.proof.len()));
        }
        let proof: SparseMerkleRangeProof<Sha256> = match borsh::from_slice(&chunk.proof) {
            Ok(proof) => proof,
            Err(e) => return invalid(format!("a malformed proof: {e}")),
        };
        let values = hashes
            .iter()
            .zip(&chunk.entries)
            .map(|(hash, (_, value))| (*hash, value.clone()))
            .collect();
        *self.target.keys.lock().unwrap_or_else(|e| e.into_inner()) = hashes
            .iter()
            .zip(&chunk.entries)
            .map(|(hash, (key, _))| (hash.0, key.clone()))
            .collect();
        let inner = self.inner.as_mut().expect("a restore in progress");
        if let Err(e) = inner.add_chunk(values, proof) {
            self.resume()?;
            return invalid(e.to_string());
        }
        let store = &self.target.store;
        let mut batch = WriteBatch::default();
        for (key, value) in &chunk.entries {
            batch.put_cf(store.cf(CF_STATE), key, value);
        }
        store.db.write(batch).map_err(StorageError::from)?;
        self.after = hashes.last().copied();
        self.entries += hashes.len() as u64;
        self.complete = chunk.last;
        Ok(())
    }

    /// The store being restored into: once every chunk is added, it holds the restored state,
    /// from which contracts derive their index entries again ([`Restore::put_indexes`]).
    pub fn store(&self) -> &Store {
        &self.target.store
    }

    /// Writes index entries derived from the restored state (ADR 0049: the snapshot does not
    /// carry them, the tree leaves them out). Every chunk must have been added, and every key
    /// must be a contract's index entry; [`Restore::finish`] makes them durable with the tip.
    pub fn put_indexes(&self, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<(), SnapshotError> {
        if !self.complete {
            return Err(SnapshotError::Invalid(
                "index entries before the restored state is complete".into(),
            ));
        }
        if let Some((key, _)) = entries
            .iter()
            .find(|(key, _)| !catena_primitives::tx::is_index_entry(key))
        {
            return Err(SnapshotError::Invalid(format!(
                "0x{} is not a contract's index entry",
                hex::encode(key)
            )));
        }
        let store = &self.target.store;
        let mut batch = WriteBatch::default();
        for (key, value) in entries {
            batch.put_cf(store.cf(CF_STATE), key, value);
        }
        store.db.write(batch).map_err(StorageError::from)?;
        Ok(())
    }

    /// Starts again from the rightmost entry written to the tree (jmt recovers its partial
    /// nodes from the store).
    fn resume(&mut self) -> Result<()> {
        self.inner = None;
        let inner = JellyfishMerkleRestore::new(
            Arc::clone(&self.target),
            self.height,
            RootHash(self.root.0),
        )
        .map_err(tree_error)?;
        self.inner = Some(inner);
        self.after = self
            .target
            .get_rightmost_leaf()
            .map_err(tree_error)?
            .map(|(_, l)| l.key_hash());
        Ok(())
    }

    /// Completes the restore with the block of its height and that block's certificate (both
    /// checked by the caller against the validators): the tree's root must be the certified
    /// one; then the block is this store's tip, synced. Blocks below it are not held here.
    pub fn finish(
        mut self,
        block: &Block,
        certificate: &CommitCertificate,
    ) -> Result<Tip, SnapshotError> {
        let header = &block.header;
        if !self.complete
            || header.height != self.height
            || header.state_root != self.root
            || certificate.block_hash != block.hash()
        {
            return Err(SnapshotError::Invalid(format!(
                "the restore of height {} is not complete, or block {} is not its block",
                self.height, header.height
            )));
        }
        let inner = self.inner.take().expect("a restore in progress");
        inner.finish().map_err(tree_error)?;
        let store = &self.target.store;
        let restored = store.state_root(self.height)?;
        if restored != self.root {
            return Err(SnapshotError::Invalid(format!(
                "the restored state's root {restored} is not the certified {}: an entry was left out",
                self.root
            )));
        }
        let tip = Tip {
            height: self.height,
            block_hash: block.hash(),
            state_root: self.root,
        };
        let mut batch = WriteBatch::default();
        let hk = height_key(self.height);
        batch.put_cf(store.cf(CF_HEADERS), hk, header.encode());
        batch.put_cf(store.cf(CF_BLOCKS), hk, block.encode());
        batch.put_cf(
            store.cf(CF_BLOCK_INDEX),
            tip.block_hash.0,
            self.height.encode(),
        );
        batch.put_cf(store.cf(CF_CERTIFICATES), hk, certificate.encode());
        batch.put_cf(store.cf(CF_META), META_TIP, tip.encode());
        let mut options = WriteOptions::default();
        options.set_sync(true);
        store
            .db
            .write_opt(batch, &options)
            .map_err(StorageError::from)?;
        Ok(tip)
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
