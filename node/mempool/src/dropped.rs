//! The transactions the pool let go without a block including them, and why. The newest
//! [`DROPPED_KEPT`] are kept, so that a sender told its transaction was admitted can learn from
//! `GET /transactions/{hash}` what became of it.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use catena_primitives::{Hash, Transaction};

/// How many dropped transactions are remembered (the oldest are forgotten first).
pub const DROPPED_KEPT: usize = 10_000;

/// Why a transaction left the pool without being included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// Another transaction of its signer with the same nonce was committed.
    NonceUsed { nonce: u64 },
    /// It waited longer than the pool keeps anything (a nonce gap that never closed, say).
    Expired { waited_secs: u64 },
    /// The block builder found it no longer applies to the state.
    NoLongerApplies(String),
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::NonceUsed { nonce } => write!(
                f,
                "another transaction of its signer with nonce {nonce} was committed"
            ),
            DropReason::Expired { waited_secs } => write!(
                f,
                "it waited over {waited_secs} s without being included (an earlier nonce never arrived?)"
            ),
            DropReason::NoLongerApplies(why) => write!(f, "it no longer applies: {why}"),
        }
    }
}

/// A transaction the pool dropped, and why.
#[derive(Debug, Clone)]
pub struct Dropped {
    pub tx: Arc<Transaction>,
    pub reason: DropReason,
}

/// The newest dropped transactions by hash, bounded.
#[derive(Debug, Default)]
pub(crate) struct DroppedLog {
    by_hash: HashMap<Hash, Dropped>,
    order: VecDeque<Hash>,
}

impl DroppedLog {
    pub(crate) fn record(&mut self, hash: Hash, dropped: Dropped) {
        if self.by_hash.insert(hash, dropped).is_none() {
            self.order.push_back(hash);
            while self.order.len() > DROPPED_KEPT {
                if let Some(oldest) = self.order.pop_front() {
                    self.by_hash.remove(&oldest);
                }
            }
        }
    }

    pub(crate) fn get(&self, hash: &Hash) -> Option<Dropped> {
        self.by_hash.get(hash).cloned()
    }
}
