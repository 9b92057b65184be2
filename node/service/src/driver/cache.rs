//! The blocks a validator holds at the current height: the one it built and those of peers'
//! proposals it executed, by hash. Executing is the expensive part of judging a proposal, so the
//! number executed per round is bounded: a proposer that signs many blocks for its round gets
//! [`MAX_EXECUTED_PER_ROUND`] of them executed, and the rest are not judged.

use std::collections::{BTreeMap, HashMap};

use catena_primitives::Hash;

use crate::chain::PreparedBlock;

/// Peers' proposals executed per round, at most (an honest proposer sends one; the second lets a
/// decision on an equivocating proposer's other block be recognised).
pub const MAX_EXECUTED_PER_ROUND: usize = 2;

#[derive(Debug, Default)]
pub(super) struct ProposalCache {
    blocks: HashMap<Hash, PreparedBlock>,
    executed: BTreeMap<u32, usize>,
    /// The first block each round's proposer was seen to sign, by (height, round).
    signed: BTreeMap<(u64, u32), Hash>,
}

impl ProposalCache {
    /// Keeps the block this validator built.
    pub(super) fn insert_own(&mut self, block: PreparedBlock) -> Hash {
        let hash = block.block.hash();
        self.blocks.insert(hash, block);
        hash
    }

    /// Whether a peer's proposal of `round` may be executed now.
    pub(super) fn may_execute(&self, round: u32) -> bool {
        self.executed.get(&round).copied().unwrap_or(0) < MAX_EXECUTED_PER_ROUND
    }

    /// Counts an execution of a peer's proposal of `round`, keeping its block if it was valid.
    pub(super) fn executed(&mut self, round: u32, valid: Option<(Hash, PreparedBlock)>) {
        *self.executed.entry(round).or_default() += 1;
        if let Some((hash, block)) = valid {
            self.blocks.insert(hash, block);
        }
    }

    /// Notes that the proposer of `height` and `round` signed a proposal of `value`; returns
    /// the different block it signed for that round before, if it did (it equivocated).
    pub(super) fn note_signed(&mut self, height: u64, round: u32, value: Hash) -> Option<Hash> {
        let first = *self.signed.entry((height, round)).or_insert(value);
        (first != value).then_some(first)
    }

    pub(super) fn contains(&self, hash: &Hash) -> bool {
        self.blocks.contains_key(hash)
    }

    pub(super) fn get(&self, hash: &Hash) -> Option<&PreparedBlock> {
        self.blocks.get(hash)
    }

    pub(super) fn remove(&mut self, hash: &Hash) -> Option<PreparedBlock> {
        self.blocks.remove(hash)
    }

    /// Forgets everything: the height is over.
    pub(super) fn clear(&mut self) {
        self.blocks.clear();
        self.executed.clear();
        self.signed.clear();
    }
}
