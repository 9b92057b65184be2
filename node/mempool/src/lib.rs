//! The mempool: admits a transaction only after checking its chain id, size, the signer's
//! membership, nonce and sender's share, and last its signature; and hands the block builder
//! the ready transactions with every sender (a member) served in turn, by arrival among equals,
//! each account's in nonce order. One sender can fill at most half the pool: past half full,
//! a sender holding a quarter of it is refused (`OverShare`, temporary).
//!
//! Admission reads chain state through [`AccountView`], so the pool is tested without a
//! database and never names the storage crate.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use catena_primitives::{AccountId, Hash, Transaction, TxError};
use parity_scale_codec::Encode;
use parking_lot::Mutex;

mod admit;
mod dropped;
mod refused;
mod select;
use dropped::DroppedLog;
pub use dropped::{DropReason, Dropped, DROPPED_KEPT};

/// How far ahead of an account's next nonce a pending transaction may be.
pub const MAX_NONCE_GAP: u64 = 1_024;

/// Who answers for a transaction in the pool's fair shares: a member (all its accounts
/// together), or a parachain validator anchoring on a main chain.
pub type Sender = Arc<str>;

/// Above this fill the pool admits only the transactions of senders holding less than their
/// share: one sender alone can take at most half the pool, and the other half stays open to
/// the others.
pub const CONTENDED_FILL_PERCENT: usize = 50;
/// A sender's share of the pool once it is contended: a quarter of its capacity.
pub const SENDER_SHARE_PERCENT: usize = 25;

/// What admission needs to know of the committed state.
pub trait AccountView {
    /// The next nonce the account must use.
    fn next_nonce(&self, account: &AccountId) -> Result<u64, String>;
    /// Who answers for `tx` if its signer may send it: a member account's member (or, on a
    /// main chain, a parachain validator anchoring its parachain); `None` if it may not.
    fn sender(&self, tx: &Transaction) -> Result<Option<Sender>, String>;
}

/// Why a transaction was not admitted. Each message says what is wrong in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    #[error(transparent)]
    Invalid(#[from] TxError),
    #[error("account {signer} is not a member of this chain; only member accounts may send transactions")]
    NotAMember { signer: AccountId },
    #[error("nonce {nonce} was already used by account {signer} (its next nonce is {next}): the transaction is a replay or stale")]
    NonceUsed {
        signer: AccountId,
        nonce: u64,
        next: u64,
    },
    #[error("nonce {nonce} is too far ahead of account {signer}'s next nonce {next} (at most {MAX_NONCE_GAP} ahead)")]
    NonceTooHigh {
        signer: AccountId,
        nonce: u64,
        next: u64,
    },
    #[error("transaction {0} is already pending")]
    AlreadyPending(Hash),
    #[error("account {signer} already has pending transaction {pending} with nonce {nonce}")]
    NonceTaken {
        signer: AccountId,
        nonce: u64,
        pending: Hash,
    },
    #[error("the mempool is full ({capacity} transactions); try again after the next block")]
    Full { capacity: usize },
    #[error("the mempool is more than half full and {sender} already has {pending} transactions pending (its share is {share}); try again after the next block")]
    OverShare {
        sender: String,
        pending: usize,
        share: usize,
    },
    #[error("nonce {nonce} of account {signer} follows nonce {refused}, which this node refused because the mempool was full or the sender over its share: send nonce {refused} again first")]
    BehindRefused {
        signer: AccountId,
        nonce: u64,
        refused: u64,
    },
    #[error("could not read chain state: {0}")]
    State(String),
    #[error("syncing: at height {at} of {of}; this node admits transactions once it has caught up (or send to a node that is at the tip)")]
    Syncing { at: u64, of: u64 },
    #[error(
        "this node could not make the transaction durable ({0}), so it did not admit it: try again"
    )]
    NotDurable(String),
}

impl AdmitError {
    /// Whether the same transaction may succeed later (a full pool, a state read failure, a
    /// node still catching up).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            AdmitError::Full { .. }
                | AdmitError::OverShare { .. }
                | AdmitError::BehindRefused { .. }
                | AdmitError::State(_)
                | AdmitError::Syncing { .. }
                | AdmitError::NotDurable(_)
        )
    }
}

#[derive(Debug)]
struct Pending {
    tx: Arc<Transaction>,
    sender: Sender,
    hash: Hash,
    size: usize,
    arrival: u64,
    admitted_at: std::time::Instant,
}

/// The pending transactions of the accounts that hash to one shard.
#[derive(Debug, Default)]
struct Shard {
    by_account: HashMap<AccountId, BTreeMap<u64, Pending>>,
    /// Hash → nonce, for the transactions of this shard's accounts.
    by_hash: HashMap<Hash, (AccountId, u64)>,
}

impl Shard {
    /// Forgets the account's transactions with a nonce below `next`; returns them.
    fn drop_below(&mut self, account: &AccountId, next: u64) -> Vec<Pending> {
        let Some(pending) = self.by_account.get_mut(account) else {
            return Vec::new();
        };
        let mut dropped = Vec::new();
        while let Some(entry) = pending.first_entry().filter(|e| *e.key() < next) {
            let entry = entry.remove();
            self.by_hash.remove(&entry.hash);
            dropped.push(entry);
        }
        if pending.is_empty() {
            self.by_account.remove(account);
        }
        dropped
    }
}

/// Shards of the pool: admission locks only the shard of the transaction's signer, so
/// submissions from different accounts proceed in parallel.
const SHARDS: usize = 16;

/// Admission limits.
#[derive(Debug, Clone)]
pub struct MempoolConfig {
    pub chain_id: String,
    pub max_tx_bytes: usize,
    pub capacity: usize,
}

/// Pending transactions of one chain, sharded by signer; no lock spans the whole pool on the
/// submission path (the count and the arrival order are atomics).
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    shards: Vec<Mutex<Shard>>,
    len: AtomicUsize,
    arrivals: AtomicU64,
    /// What left the pool without a block including it, and why.
    dropped: Mutex<DroppedLog>,
    /// The hashes dropped since [`Mempool::take_dropped`] was last called, so the node forgets
    /// them from its journal.
    newly_dropped: Mutex<Vec<Hash>>,
    /// Pending transactions per sender.
    per_sender: Mutex<HashMap<Sender, usize>>,
    /// Nonces refused for want of room, whose accounts' later nonces wait for them.
    refused: refused::RefusedNonces,
}

fn shard_of(account: &AccountId) -> usize {
    // Account ids are public keys: their bytes are already uniform.
    usize::from(account.0[0]) % SHARDS
}

impl Mempool {
    pub fn new(config: MempoolConfig) -> Mempool {
        Mempool {
            config,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            len: AtomicUsize::new(0),
            arrivals: AtomicU64::new(0),
            dropped: Mutex::new(DroppedLog::default()),
            newly_dropped: Mutex::new(Vec::new()),
            per_sender: Mutex::new(HashMap::new()),
            refused: refused::RefusedNonces::default(),
        }
    }

    fn shard(&self, account: &AccountId) -> parking_lot::MutexGuard<'_, Shard> {
        self.shards[shard_of(account)].lock()
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes transactions of these senders off the pool's counts (they left it).
    fn forget<'a>(&self, senders: impl IntoIterator<Item = &'a Sender>) {
        let mut per_sender = self.per_sender.lock();
        let mut count = 0;
        for sender in senders {
            count += 1;
            if let Some(n) = per_sender.get_mut(sender) {
                *n -= 1;
                if *n == 0 {
                    per_sender.remove(sender);
                }
            }
        }
        self.len.fetch_sub(count, Ordering::AcqRel);
    }

    /// A sender's share once the pool is contended.
    fn share(&self) -> usize {
        (self.config.capacity * SENDER_SHARE_PERCENT / 100).max(1)
    }

    /// Refuses `sender`'s transaction if the pool holds `len` (contended) and the sender
    /// `pending` of its transactions, its share already.
    fn over_share(&self, sender: &Sender, len: usize, pending: usize) -> Result<(), AdmitError> {
        let contended = len * 100 >= self.config.capacity * CONTENDED_FILL_PERCENT;
        let share = self.share();
        if contended && pending >= share {
            return Err(AdmitError::OverShare {
                sender: sender.to_string(),
                pending,
                share,
            });
        }
        Ok(())
    }

    /// A transaction this pool dropped without a block including it, and why (the newest
    /// [`DROPPED_KEPT`] are remembered).
    pub fn dropped(&self, hash: &Hash) -> Option<Dropped> {
        self.dropped.lock().get(hash)
    }

    fn record_dropped(&self, entry: &Pending, reason: DropReason) {
        let dropped = Dropped {
            tx: Arc::clone(&entry.tx),
            reason,
        };
        self.dropped.lock().record(entry.hash, dropped);
        self.newly_dropped.lock().push(entry.hash);
    }

    /// The hashes of the transactions dropped since the last call.
    pub fn take_dropped(&self) -> Vec<Hash> {
        std::mem::take(&mut *self.newly_dropped.lock())
    }

    /// A pending transaction of `signer` by hash (one shard looked at, unlike [`Mempool::get`]).
    pub fn get_of(&self, signer: &AccountId, hash: &Hash) -> Option<Transaction> {
        let shard = self.shard(signer);
        let (_, nonce) = shard.by_hash.get(hash)?;
        shard
            .by_account
            .get(signer)?
            .get(nonce)
            .map(|p| Transaction::clone(&p.tx))
    }

    /// A pending transaction by hash.
    pub fn get(&self, hash: &Hash) -> Option<Transaction> {
        self.shards.iter().find_map(|shard| {
            let shard = shard.lock();
            let (signer, nonce) = shard.by_hash.get(hash)?;
            shard
                .by_account
                .get(signer)?
                .get(nonce)
                .map(|p| Transaction::clone(&p.tx))
        })
    }

    /// The first nonce of `account` from `committed_next` (its next nonce in state) that no
    /// pending transaction holds: the nonce for the account's next transaction.
    pub fn free_nonce(&self, account: &AccountId, committed_next: u64) -> u64 {
        let shard = self.shard(account);
        let mut nonce = committed_next;
        if let Some(pending) = shard.by_account.get(account) {
            while pending.contains_key(&nonce) {
                nonce += 1;
            }
        }
        nonce
    }

    /// Whether `signer`'s transaction with this hash is pending. Its signature, chain id and
    /// size were checked when it was admitted (the hash covers the signature).
    pub fn contains(&self, signer: &AccountId, hash: &Hash) -> bool {
        self.shard(signer).by_hash.contains_key(hash)
    }

    /// [`Mempool::contains`] for each (signer, hash).
    pub fn contains_each(&self, entries: &[(AccountId, Hash)]) -> Vec<bool> {
        entries
            .iter()
            .map(|(signer, hash)| self.contains(signer, hash))
            .collect()
    }

    /// Drops one transaction the block builder found no longer applies, remembering why.
    pub fn remove(&self, hash: &Hash, why: &str) -> Option<Transaction> {
        self.shards.iter().find_map(|shard| {
            let mut shard = shard.lock();
            let (signer, nonce) = shard.by_hash.remove(hash)?;
            let pending = shard.by_account.get_mut(&signer)?;
            let entry = pending.remove(&nonce);
            if pending.is_empty() {
                shard.by_account.remove(&signer);
            }
            let entry = entry?;
            self.forget([&entry.sender]);
            self.record_dropped(&entry, DropReason::NoLongerApplies(why.to_string()));
            Some(Transaction::clone(&entry.tx))
        })
    }

    /// Drops every transaction that has waited longer than `max_age` (one held back by a nonce
    /// gap that never closed, say), so it cannot hold mempool space for ever. Returns how many.
    pub fn evict_older_than(&self, max_age: std::time::Duration) -> usize {
        let mut evicted: Vec<Sender> = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock();
            let Shard {
                by_account,
                by_hash,
            } = &mut *shard;
            by_account.retain(|_, pending| {
                pending.retain(|_, entry| {
                    let keep = entry.admitted_at.elapsed() <= max_age;
                    if !keep {
                        by_hash.remove(&entry.hash);
                        evicted.push(Arc::clone(&entry.sender));
                        let waited_secs = max_age.as_secs();
                        self.record_dropped(entry, DropReason::Expired { waited_secs });
                    }
                    keep
                });
                !pending.is_empty()
            });
        }
        self.forget(&evicted);
        evicted.len()
    }

    /// Forgets transactions made obsolete by a committed block: those it included and any
    /// other with a nonce below its signer's new next nonce (remembered as dropped: another
    /// transaction used its nonce).
    pub fn remove_committed(&self, committed: &[Transaction], view: &dyn AccountView) {
        let mut next_nonces: HashMap<AccountId, u64> = HashMap::new();
        // The block's own transactions by signer and nonce: a pending one with the same signer,
        // nonce and signature is the same transaction (the signature covers the rest).
        let mut included: HashMap<(AccountId, u64), &catena_primitives::Signature> =
            HashMap::with_capacity(committed.len());
        for tx in committed {
            let next = next_nonces.entry(tx.signer).or_insert(tx.nonce + 1);
            *next = (*next).max(tx.nonce + 1);
            included.insert((tx.signer, tx.nonce), &tx.signature);
        }
        for (account, next) in &mut next_nonces {
            if let Ok(state_next) = view.next_nonce(account) {
                *next = state_next;
            }
        }
        for (account, next) in next_nonces {
            let gone = self.shard(&account).drop_below(&account, next);
            self.forget(gone.iter().map(|entry| &entry.sender));
            for entry in gone {
                let nonce = entry.tx.nonce;
                if included.get(&(account, nonce)) != Some(&&entry.tx.signature) {
                    self.record_dropped(&entry, DropReason::NonceUsed { nonce });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
