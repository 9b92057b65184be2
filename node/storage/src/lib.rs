//! The node's durable store: blocks, headers, commit certificates, transactions, receipts and
//! the chain state, in RocksDB column families, with the state under a Jellyfish Merkle tree
//! (`jmt`) whose root is the header's `state_root`.
//!
//! A block becomes durable in exactly one synced RocksDB write batch that holds the block, its
//! certificate, its receipts, its transaction index, the state changes and the new tree nodes,
//! so a crash leaves either the whole block or none of it. This is the only crate that names
//! RocksDB.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use catena_primitives::block::{
    Block, CommitCertificate, ContractEvent, Header, Receipt, ScheduledRun,
};
use catena_primitives::codec::decode_limited;
use catena_primitives::{AccountId, Hash, StateProof, Transaction};
use jmt::storage::TreeUpdateBatch;
use jmt::{JellyfishMerkleTree, KeyHash, Version};
use parity_scale_codec::{Decode, Encode};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DBCompressionType, Options, WriteBatch,
    WriteOptions, DB,
};
use sha2::Sha256;

mod backup;
mod commit;
pub mod crash_points;
mod journal;
pub mod mark;
mod receipts;
mod tree;
use tree::{encode_borsh, tree_value, value_key, Update};
pub mod snapshot;
pub mod wal;

const CF_HEADERS: &str = "headers";
const CF_BLOCKS: &str = "blocks";
const CF_BLOCK_INDEX: &str = "block_index";
const CF_CERTIFICATES: &str = "certificates";
const CF_TRANSACTIONS: &str = "transactions";
/// Height → the receipts of the block's transactions, one value (`receipts.rs`).
const CF_RECEIPTS: &str = "receipts";
const CF_STATE: &str = "state";
const CF_TREE_NODES: &str = "tree_nodes";
const CF_TREE_VALUES: &str = "tree_values";
const CF_META: &str = "meta";
/// Height → the scheduled calls that ran at the start of that block (absent if none).
const CF_SCHEDULED: &str = "scheduled";
/// (height, index in the block) → [`IndexedEvent`]: every contract event, in chain order.
const CF_EVENTS: &str = "events";
/// Height → nothing: the blocks whose execution wrote the validator set (a set change from the
/// next block on), so a proof from genesis finds its handovers without reading every header.
const CF_HANDOVERS: &str = "handovers";
/// Transaction hash → SCALE transaction: the transactions this node acknowledged (admitted
/// through its API) that no committed block holds yet, replayed into the mempool at start
/// (ADR 0032). A block's commit deletes its own in the same write batch.
const CF_PENDING: &str = "pending";

const COLUMN_FAMILIES: [&str; 14] = [
    CF_PENDING,
    CF_HANDOVERS,
    CF_SCHEDULED,
    CF_EVENTS,
    CF_HEADERS,
    CF_BLOCKS,
    CF_BLOCK_INDEX,
    CF_CERTIFICATES,
    CF_TRANSACTIONS,
    CF_RECEIPTS,
    CF_STATE,
    CF_TREE_NODES,
    CF_TREE_VALUES,
    CF_META,
];

const META_TIP: &[u8] = b"tip";

/// Blocks read back from disk are trusted less than memory: they are decoded with this limit.
const MAX_STORED_BLOCK_BYTES: usize = 128 << 20;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Db(#[from] rocksdb::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("state tree error: {0}")]
    Tree(String),
    #[error("block {found} cannot follow the stored tip {tip:?}")]
    NotNext { tip: Option<u64>, found: u64 },
    #[error("height {0} is not stored")]
    Missing(u64),
    #[error("injected fault: {0}")]
    Injected(String),
    /// A proof was asked of a contract's index entry, which the state tree leaves out.
    #[error(
        "{0} is a contract's index entry: it is kept with the state but not committed to by the \
         state root, so no proof covers it (prove the committed entry it is derived from)"
    )]
    NotCommitted(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// The latest committed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Tip {
    pub height: u64,
    pub block_hash: Hash,
    pub state_root: Hash,
}

/// Where a committed transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct TxLocation {
    pub height: u64,
    pub index: u32,
}

/// State changes whose new root has been computed but not yet written.
#[derive(Debug)]
pub struct PreparedState {
    version: Version,
    pub state_root: Hash,
    changes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// The hash of each change's key, in the same order.
    key_hashes: Vec<KeyHash>,
    /// Changes of contracts' index entries: stored with the state, not in the tree (ADR 0049).
    indexes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    tree: TreeUpdateBatch,
}

/// A contract event with where it came from, as the event index keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct IndexedEvent {
    pub height: u64,
    /// Its place among the block's events: scheduled runs' first, then the transactions'.
    pub index: u32,
    /// The transaction's hash, or the scheduled run's receipt id.
    pub source: Hash,
    /// The transaction's signer; `None` for a scheduled run.
    pub signer: Option<AccountId>,
    pub event: ContractEvent,
}

/// What [`Store::events`] found, and where the next scan would start (if anything is left).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventScan {
    pub events: Vec<IndexedEvent>,
    pub resume: Option<(u64, u32)>,
}

/// One chain's store. Cloning is cheap and shares the database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Arc<DB>,
    /// A test's fault switch: the file that, listing the name, makes commits fail (and listing
    /// `diverge` and the name, makes this store compute other state roots).
    fault: Option<Arc<(PathBuf, String)>>,
}

/// The state key a store armed to diverge adds (see `Store::set_fault_switch`).
pub const DIVERGENCE_KEY: &[u8] = b"catena/test/divergence";

/// The block cache every store of the process shares.
pub const BLOCK_CACHE_BYTES: usize = 128 << 20;

fn shared_block_cache() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Cache::new_lru_cache(BLOCK_CACHE_BYTES))
}

fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

fn event_key(height: u64, index: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..].copy_from_slice(&index.to_be_bytes());
    key
}

fn decode<T: Decode>(what: &str, bytes: &[u8]) -> Result<T> {
    decode_limited(bytes, MAX_STORED_BLOCK_BYTES)
        .map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

/// What the memtables of all column families may hold before RocksDB flushes them.
pub const MEMTABLE_BUDGET_BYTES: usize = 64 << 20;

impl Store {
    /// The memory RocksDB holds for this store: its memtables and table readers, and the
    /// process's shared block cache (bounded by [`MEMTABLE_BUDGET_BYTES`] and
    /// [`BLOCK_CACHE_BYTES`]; table readers grow with the files open).
    pub fn memory_bytes(&self) -> Result<u64> {
        let stats = rocksdb::perf::get_memory_usage_stats(
            Some(&[&self.db]),
            Some(&[shared_block_cache()]),
        )?;
        Ok(stats.mem_table_total + stats.mem_table_readers_total + stats.cache_total)
    }

    /// Opens (creating if needed) the store in `path`. Fails if another process has it open.
    pub fn open(path: &Path) -> Result<Store> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        options.set_paranoid_checks(true);
        options.set_max_open_files(512);
        // All column families' memtables together: a node's memory stays flat under load
        // (RocksDB's default lets each family hold 2 × 64 MiB before it flushes).
        options.set_db_write_buffer_size(MEMTABLE_BUDGET_BYTES);
        // Every store of the process (one per hosted chain) reads through one block cache, so
        // hosting another chain does not add another cache per column family (ADR 0028).
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(shared_block_cache());
        // Point reads (state, tree nodes, receipts) skip the files that cannot hold the key.
        table.set_bloom_filter(10.0, false);
        let cfs = COLUMN_FAMILIES.iter().map(|name| {
            let mut cf = Options::default();
            // The tree's nodes are hashes: compressing them costs the flush and saves nothing.
            cf.set_compression_type(if *name == CF_TREE_NODES {
                DBCompressionType::None
            } else {
                DBCompressionType::Lz4
            });
            cf.set_block_based_table_factory(&table);
            ColumnFamilyDescriptor::new(*name, cf)
        });
        let db = DB::open_cf_descriptors(&options, path, cfs)?;
        let store = Store {
            db: Arc::new(db),
            fault: None,
        };
        store.check_format()?;
        Ok(store)
    }

    /// Makes this store's commits fail while `file` exists and lists `name` on a line: the
    /// fault switch tests use to fail one chain's store. Lines `diverge NAME` and
    /// `corrupt-snapshot NAME` do other harm instead (`switch_says`). Never set in production.
    pub fn set_fault_switch(&mut self, file: PathBuf, name: String) {
        self.fault = Some(Arc::new((file, name)));
    }

    /// Whether the fault switch lists `VERB NAME` on a line: `diverge` (every state this store
    /// prepares holds one more key, [`DIVERGENCE_KEY`], so that its roots differ from every
    /// other node's: the divergence guard's test) or `corrupt-snapshot` (the snapshot chunks it
    /// serves carry a wrong value: state sync's test). Never set in production.
    fn switch_says(&self, verb: &str) -> bool {
        self.fault.as_ref().is_some_and(|switch| {
            let (file, name) = switch.as_ref();
            std::fs::read_to_string(file).is_ok_and(|text| {
                text.lines()
                    .any(|line| line.split_whitespace().eq([verb, name.as_str()]))
            })
        })
    }

    fn check_fault(&self) -> Result<()> {
        if let Some(switch) = &self.fault {
            let (file, name) = switch.as_ref();
            let listed = std::fs::read_to_string(file)
                .is_ok_and(|text| text.lines().any(|line| line.trim() == name));
            if listed {
                return Err(StorageError::Injected(format!(
                    "writes to the store of '{name}' fail (fault switch {})",
                    file.display()
                )));
            }
        }
        Ok(())
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("every column family is created at open")
    }

    fn get_cf(&self, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.cf(cf), key)?)
    }

    /// The latest committed block, or `None` before genesis.
    pub fn tip(&self) -> Result<Option<Tip>> {
        self.get_cf(CF_META, META_TIP)?
            .map(|bytes| decode("tip", &bytes))
            .transpose()
    }

    pub fn header(&self, height: u64) -> Result<Option<Header>> {
        self.get_cf(CF_HEADERS, &height_key(height))?
            .map(|bytes| decode("header", &bytes))
            .transpose()
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>> {
        self.get_cf(CF_BLOCKS, &height_key(height))?
            .map(|bytes| decode("block", &bytes))
            .transpose()
    }

    pub fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>> {
        self.get_cf(CF_CERTIFICATES, &height_key(height))?
            .map(|bytes| decode("certificate", &bytes))
            .transpose()
    }

    /// The blocks below `below` (after genesis) whose execution wrote the validator set, oldest
    /// first: the handovers a proof from the genesis validators goes through.
    pub fn handovers(&self, below: u64) -> Result<Vec<u64>> {
        let mut found = Vec::new();
        for item in self
            .db
            .iterator_cf(self.cf(CF_HANDOVERS), rocksdb::IteratorMode::Start)
        {
            let (key, _) = item?;
            let height = u64::from_be_bytes(
                key.as_ref()
                    .try_into()
                    .map_err(|_| StorageError::Corrupt("a handover key is not a height".into()))?,
            );
            if height >= below {
                break;
            }
            found.push(height);
        }
        Ok(found)
    }

    /// The height of the block with this hash.
    pub fn height_of(&self, block_hash: &Hash) -> Result<Option<u64>> {
        self.get_cf(CF_BLOCK_INDEX, &block_hash.0)?
            .map(|bytes| decode("block index", &bytes))
            .transpose()
    }

    pub fn tx_location(&self, tx_hash: &Hash) -> Result<Option<TxLocation>> {
        self.get_cf(CF_TRANSACTIONS, &tx_hash.0)?
            .map(|bytes| decode("transaction index", &bytes))
            .transpose()
    }

    /// Indexed events in chain order from `(height, index)` inclusive up to `to_height`, those
    /// `keep` accepts, at most `limit` of them, reading at most `max_scanned` entries; also where
    /// to resume, if the range is not exhausted.
    pub fn events(
        &self,
        from: (u64, u32),
        to_height: u64,
        limit: usize,
        max_scanned: usize,
        mut keep: impl FnMut(&IndexedEvent) -> bool,
    ) -> Result<EventScan> {
        let start = event_key(from.0, from.1);
        let mode = rocksdb::IteratorMode::From(&start, rocksdb::Direction::Forward);
        let mut events = Vec::new();
        for (scanned, item) in self.db.iterator_cf(self.cf(CF_EVENTS), mode).enumerate() {
            let (_, value) = item?;
            let event: IndexedEvent = decode("event", &value)?;
            if event.height > to_height {
                break;
            }
            if events.len() == limit || scanned == max_scanned {
                return Ok(EventScan {
                    events,
                    resume: Some((event.height, event.index)),
                });
            }
            if keep(&event) {
                events.push(event);
            }
        }
        Ok(EventScan {
            events,
            resume: None,
        })
    }

    /// The scheduled calls that ran at the start of block `height`, in order.
    pub fn scheduled_runs(&self, height: u64) -> Result<Vec<ScheduledRun>> {
        self.get_cf(CF_SCHEDULED, &height_key(height))?
            .map(|bytes| decode("scheduled runs", &bytes))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The latest committed value of a state entry.
    pub fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_cf(CF_STATE, key)
    }

    /// The first committed entry whose key starts with `prefix` and sorts after `after` (from
    /// the start of the prefix if `None`).
    pub fn state_next(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let start = match after {
            Some(key) => {
                let mut next = key.to_vec();
                next.push(0);
                next
            }
            None => prefix.to_vec(),
        };
        let mode = rocksdb::IteratorMode::From(&start, rocksdb::Direction::Forward);
        match self.db.iterator_cf(self.cf(CF_STATE), mode).next() {
            Some(item) => {
                let (key, value) = item?;
                Ok(key
                    .starts_with(prefix)
                    .then(|| (key.into_vec(), value.into_vec())))
            }
            None => Ok(None),
        }
    }

    /// The latest committed entries whose keys start with `prefix`, in key order, at most
    /// `limit` of them.
    pub fn state_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        let mode = rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward);
        for item in self.db.iterator_cf(self.cf(CF_STATE), mode) {
            let (key, value) = item?;
            if !key.starts_with(prefix) || out.len() == limit {
                break;
            }
            out.push((key.into_vec(), value.into_vec()));
        }
        Ok(out)
    }

    fn tree(&self) -> JellyfishMerkleTree<'_, Store, Sha256> {
        JellyfishMerkleTree::new(self)
    }

    /// The value of `key` at `height` with its proof against that height's state root.
    pub fn state_with_proof(
        &self,
        key: &[u8],
        height: u64,
    ) -> Result<(Option<Vec<u8>>, StateProof)> {
        if catena_primitives::tx::is_index_entry(key) {
            return Err(StorageError::NotCommitted(format!(
                "0x{}",
                hex::encode(key)
            )));
        }
        if self.tip()?.is_none_or(|t| t.height < height) {
            return Err(StorageError::Missing(height));
        }
        let (value, proof) = self
            .tree()
            .get_with_proof(KeyHash::with::<Sha256>(key), height)
            .map_err(|e| StorageError::Tree(e.to_string()))?;
        Ok((value, StateProof::from_jmt(&proof)))
    }

    /// The state root at `height`, recomputed from the tree (equal to the header's).
    pub fn state_root(&self, height: u64) -> Result<Hash> {
        self.tree()
            .get_root_hash(height)
            .map(|r| Hash(r.0))
            .map_err(|e| StorageError::Tree(e.to_string()))
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tree_tests;
