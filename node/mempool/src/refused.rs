//! The nonces this node refused for want of room: an account whose transaction was refused
//! because the pool was full or its sender over its share has its later nonces refused too,
//! early and cheaply, until that nonce is sent again. Without this the later ones would be
//! admitted behind a gap that may never close, holding places (and every validator's signature
//! checks and gossip) for transactions that cannot run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use catena_primitives::AccountId;
use parking_lot::Mutex;

/// At most this many accounts are remembered; past it the marks are forgotten (which only
/// lets later nonces in behind a gap, as before the marks existed).
const MAX_MARKS: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct RefusedNonces {
    /// The lowest nonce of each account refused for want of room.
    lowest: Mutex<HashMap<AccountId, u64>>,
    /// How many accounts `lowest` holds, read without its lock: with none (a pool that never
    /// refused for room) admission takes no lock of this shared map.
    marks: AtomicUsize,
}

impl RefusedNonces {
    /// Notes that `nonce` of `account` was refused for want of room.
    pub(crate) fn mark(&self, account: AccountId, nonce: u64) {
        let mut lowest = self.lowest.lock();
        if lowest.len() >= MAX_MARKS && !lowest.contains_key(&account) {
            lowest.clear();
        }
        let mark = lowest.entry(account).or_insert(nonce);
        *mark = (*mark).min(nonce);
        self.marks.store(lowest.len(), Ordering::Release);
    }

    /// Whether no nonce waits to be sent again (read without the lock).
    pub(crate) fn none(&self) -> bool {
        self.marks.load(Ordering::Acquire) == 0
    }

    /// The refused nonce `nonce` waits behind, if any; forgets a mark the chain has passed
    /// (`next`: the account's next nonce by the committed state).
    pub(crate) fn behind(&self, account: &AccountId, nonce: u64, next: u64) -> Option<u64> {
        if self.none() {
            return None;
        }
        let mut lowest = self.lowest.lock();
        let refused = *lowest.get(account)?;
        if next > refused {
            lowest.remove(account);
            self.marks.store(lowest.len(), Ordering::Release);
            return None;
        }
        (nonce > refused).then_some(refused)
    }

    /// The refused nonce `nonce` waits behind, by the marks alone.
    pub(crate) fn waiting(&self, account: &AccountId, nonce: u64) -> Option<u64> {
        if self.none() {
            return None;
        }
        let lowest = self.lowest.lock();
        lowest
            .get(account)
            .copied()
            .filter(|refused| nonce > *refused)
    }

    /// The refused nonce (or an earlier one) was admitted: the account's later ones may follow.
    pub(crate) fn admitted(&self, account: &AccountId, nonce: u64) {
        if self.none() {
            return;
        }
        let mut lowest = self.lowest.lock();
        if lowest.get(account).is_some_and(|refused| nonce <= *refused) {
            lowest.remove(account);
            self.marks.store(lowest.len(), Ordering::Release);
        }
    }
}
