//! The mempool: admits a transaction only after checking its chain id, size, signature, nonce
//! and the signer's membership, and hands the block builder the ready transactions in arrival
//! order, each account's in nonce order.
//!
//! Admission reads chain state through [`AccountView`], so the pool is tested without a
//! database and never names the storage crate.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use catena_primitives::{AccountId, Hash, Transaction, TxError};
use parity_scale_codec::Encode;
use parking_lot::Mutex;

/// How far ahead of an account's next nonce a pending transaction may be.
pub const MAX_NONCE_GAP: u64 = 1_024;

/// What admission needs to know of the committed state.
pub trait AccountView {
    /// The next nonce the account must use.
    fn next_nonce(&self, account: &AccountId) -> Result<u64, String>;
    /// Whether the account belongs to a member of the chain.
    fn is_member(&self, account: &AccountId) -> Result<bool, String>;
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
    #[error("could not read chain state: {0}")]
    State(String),
}

impl AdmitError {
    /// Whether the same transaction may succeed later (a full pool, a state read failure).
    pub fn is_temporary(&self) -> bool {
        matches!(self, AdmitError::Full { .. } | AdmitError::State(_))
    }
}

#[derive(Debug)]
struct Pending {
    tx: Transaction,
    hash: Hash,
    size: usize,
    arrival: u64,
    admitted_at: std::time::Instant,
}

#[derive(Debug, Default)]
struct Inner {
    by_account: HashMap<AccountId, BTreeMap<u64, Pending>>,
    by_hash: HashMap<Hash, (AccountId, u64)>,
    arrivals: u64,
}

/// Admission limits.
#[derive(Debug, Clone)]
pub struct MempoolConfig {
    pub chain_id: String,
    pub max_tx_bytes: usize,
    pub capacity: usize,
}

/// Pending transactions of one chain.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    inner: Mutex<Inner>,
}

impl Mempool {
    pub fn new(config: MempoolConfig) -> Mempool {
        Mempool {
            config,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A pending transaction by hash.
    pub fn get(&self, hash: &Hash) -> Option<Transaction> {
        let inner = self.inner.lock();
        let (signer, nonce) = inner.by_hash.get(hash)?;
        inner
            .by_account
            .get(signer)?
            .get(nonce)
            .map(|p| p.tx.clone())
    }

    /// The first nonce of `account` from `committed_next` (its next nonce in state) that no
    /// pending transaction holds: the nonce for the account's next transaction.
    pub fn free_nonce(&self, account: &AccountId, committed_next: u64) -> u64 {
        let inner = self.inner.lock();
        let mut nonce = committed_next;
        if let Some(pending) = inner.by_account.get(account) {
            while pending.contains_key(&nonce) {
                nonce += 1;
            }
        }
        nonce
    }

    /// Whether a transaction with this hash is pending. Its signature, chain id and size were
    /// checked when it was admitted (the hash covers the signature).
    pub fn contains(&self, hash: &Hash) -> bool {
        self.inner.lock().by_hash.contains_key(hash)
    }

    /// [`Mempool::contains`] for each hash, under one lock.
    pub fn contains_each(&self, hashes: &[Hash]) -> Vec<bool> {
        let inner = self.inner.lock();
        hashes
            .iter()
            .map(|h| inner.by_hash.contains_key(h))
            .collect()
    }

    /// Checks `tx` and adds it to the pool; returns its hash.
    pub fn admit(&self, tx: Transaction, view: &dyn AccountView) -> Result<Hash, AdmitError> {
        // Stateless checks (the signature is the expensive one) run outside the lock.
        tx.check_stateless(&self.config.chain_id, self.config.max_tx_bytes)?;
        self.admit_verified(tx, view)
    }

    /// Checks and admits many transactions, their signatures in one batch: the outcome of
    /// each, in order, as [`Mempool::admit`] would give it.
    pub fn admit_batch(
        &self,
        txs: Vec<Transaction>,
        view: &dyn AccountView,
    ) -> Vec<Result<Hash, AdmitError>> {
        let envelopes: Vec<Result<(), TxError>> = txs
            .iter()
            .map(|tx| tx.check_envelope(&self.config.chain_id, self.config.max_tx_bytes))
            .collect();
        let to_verify: Vec<&Transaction> = txs
            .iter()
            .zip(&envelopes)
            .filter(|(_, e)| e.is_ok())
            .map(|(tx, _)| tx)
            .collect();
        let mut valid = Transaction::signatures_valid(&to_verify).into_iter();
        let mut outcomes = Vec::with_capacity(txs.len());
        for (tx, envelope) in txs.into_iter().zip(envelopes) {
            let outcome = match envelope {
                Err(e) => Err(e.into()),
                Ok(()) if valid.next() == Some(true) => self.admit_verified(tx, view),
                Ok(()) => Err(TxError::BadSignature(tx.signer).into()),
            };
            outcomes.push(outcome);
        }
        outcomes
    }

    /// Admits a transaction whose stateless checks passed: membership, nonce, room.
    fn admit_verified(&self, tx: Transaction, view: &dyn AccountView) -> Result<Hash, AdmitError> {
        if !view.is_member(&tx.signer).map_err(AdmitError::State)? {
            return Err(AdmitError::NotAMember { signer: tx.signer });
        }
        let next = view.next_nonce(&tx.signer).map_err(AdmitError::State)?;
        if tx.nonce < next {
            return Err(AdmitError::NonceUsed {
                signer: tx.signer,
                nonce: tx.nonce,
                next,
            });
        }
        if tx.nonce >= next.saturating_add(MAX_NONCE_GAP) {
            return Err(AdmitError::NonceTooHigh {
                signer: tx.signer,
                nonce: tx.nonce,
                next,
            });
        }
        let hash = tx.hash();
        let size = tx.encoded_size();
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&hash) {
            return Err(AdmitError::AlreadyPending(hash));
        }
        if let Some(pending) = inner
            .by_account
            .get(&tx.signer)
            .and_then(|m| m.get(&tx.nonce))
        {
            return Err(AdmitError::NonceTaken {
                signer: tx.signer,
                nonce: tx.nonce,
                pending: pending.hash,
            });
        }
        if inner.by_hash.len() >= self.config.capacity {
            return Err(AdmitError::Full {
                capacity: self.config.capacity,
            });
        }
        inner.arrivals += 1;
        let arrival = inner.arrivals;
        let (signer, nonce) = (tx.signer, tx.nonce);
        inner.by_hash.insert(hash, (signer, nonce));
        inner.by_account.entry(signer).or_default().insert(
            nonce,
            Pending {
                tx,
                hash,
                size,
                arrival,
                admitted_at: std::time::Instant::now(),
            },
        );
        Ok(hash)
    }

    /// The transactions to put in the next block: for each account the run of consecutive
    /// nonces from its next nonce, merged across accounts by arrival, within the limits.
    pub fn select(
        &self,
        max_txs: usize,
        max_bytes: usize,
        view: &dyn AccountView,
    ) -> Vec<Transaction> {
        let mut guard = self.inner.lock();
        // Entries below an account's next nonce can never be included (admitted while a block
        // using that nonce was being committed): drop them.
        let Inner {
            by_account,
            by_hash,
            ..
        } = &mut *guard;
        // Each account's next nonce, read once per block.
        let mut next_nonces: HashMap<AccountId, u64> = HashMap::with_capacity(by_account.len());
        for (account, pending) in by_account.iter_mut() {
            let Ok(next) = view.next_nonce(account) else {
                continue;
            };
            next_nonces.insert(*account, next);
            while let Some(entry) = pending.first_entry().filter(|e| *e.key() < next) {
                by_hash.remove(&entry.remove().hash);
            }
        }
        by_account.retain(|_, pending| !pending.is_empty());
        let inner = &*guard;
        // Each account's ready run, as an iterator in nonce order.
        let mut runs: Vec<Vec<&Pending>> = Vec::new();
        for (account, pending) in &inner.by_account {
            let Some(mut expected) = next_nonces.get(account).copied() else {
                continue;
            };
            let mut run = Vec::new();
            for (nonce, entry) in pending.range(expected..) {
                if *nonce != expected {
                    break;
                }
                run.push(entry);
                expected += 1;
            }
            if !run.is_empty() {
                run.reverse(); // pop() from the back yields nonce order
                runs.push(run);
            }
        }
        let mut heads: BinaryHeap<Reverse<(u64, usize)>> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, run)| run.last().map(|p| Reverse((p.arrival, i))))
            .collect();
        let mut chosen = Vec::new();
        let mut bytes = 0usize;
        while let Some(Reverse((_, i))) = heads.pop() {
            let entry = runs[i].pop().expect("a run in the heap is not empty");
            if chosen.len() >= max_txs || bytes + entry.size > max_bytes {
                // This account's later nonces depend on this one: drop the whole run.
                continue;
            }
            bytes += entry.size;
            chosen.push(entry.tx.clone());
            if let Some(next) = runs[i].last() {
                heads.push(Reverse((next.arrival, i)));
            }
        }
        chosen
    }

    /// Drops one transaction, for example one the block builder found it cannot execute.
    pub fn remove(&self, hash: &Hash) -> Option<Transaction> {
        let mut inner = self.inner.lock();
        let (signer, nonce) = inner.by_hash.remove(hash)?;
        let pending = inner.by_account.get_mut(&signer)?;
        let entry = pending.remove(&nonce);
        if pending.is_empty() {
            inner.by_account.remove(&signer);
        }
        entry.map(|e| e.tx)
    }

    /// Forgets transactions made obsolete by a committed block: those it included and any
    /// other with a nonce below its signer's new next nonce.
    /// Drops every transaction that has waited longer than `max_age` (one held back by a nonce
    /// gap that never closed, say), so it cannot hold mempool space for ever. Returns how many.
    pub fn evict_older_than(&self, max_age: std::time::Duration) -> usize {
        let mut inner = self.inner.lock();
        let Inner {
            by_account,
            by_hash,
            ..
        } = &mut *inner;
        let mut evicted = 0;
        by_account.retain(|_, pending| {
            pending.retain(|_, entry| {
                let keep = entry.admitted_at.elapsed() <= max_age;
                if !keep {
                    by_hash.remove(&entry.hash);
                    evicted += 1;
                }
                keep
            });
            !pending.is_empty()
        });
        evicted
    }

    pub fn remove_committed(&self, committed: &[Transaction], view: &dyn AccountView) {
        let mut inner = self.inner.lock();
        let Inner {
            by_account,
            by_hash,
            ..
        } = &mut *inner;
        for tx in committed {
            let Some(pending) = by_account.get_mut(&tx.signer) else {
                continue;
            };
            let next = view.next_nonce(&tx.signer).unwrap_or(tx.nonce + 1);
            let stale: Vec<u64> = pending.range(..next).map(|(n, _)| *n).collect();
            for nonce in stale {
                if let Some(entry) = pending.remove(&nonce) {
                    by_hash.remove(&entry.hash);
                }
            }
            if pending.is_empty() {
                by_account.remove(&tx.signer);
            }
        }
    }
}

#[cfg(test)]
mod tests;
