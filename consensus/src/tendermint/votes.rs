//! Votes of one round, by kind and signer.
//!
//! A validator that signs two different votes of one kind in one round is an equivocator. Its
//! votes are all kept (a few at most) and it counts toward the tally of every value it voted
//! for: honest validators may have seen its votes in different orders, and counting only the
//! first would let one equivocator split their views and stall the round. This keeps safety:
//! two quorums for different values share at least f + 1 signers, so at least one honest
//! validator would have to have voted for both.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use catena_primitives::{AccountId, Hash, Signature};

use super::{SignedVote, VoteKind};

/// Distinct votes kept per signer, kind and round: enough to prove and tolerate equivocation,
/// few enough that a Byzantine validator cannot fill memory.
const MAX_VOTES_PER_SIGNER: usize = 3;

/// What recording a vote did.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    New,
    Duplicate,
    /// The signer's first conflicting vote: its earlier vote, as evidence.
    Conflict(SignedVote),
    /// A further conflicting vote, already reported.
    AlreadyReported,
}

#[derive(Debug, Default)]
pub struct RoundVotes {
    prevotes: BTreeMap<AccountId, Vec<SignedVote>>,
    precommits: BTreeMap<AccountId, Vec<SignedVote>>,
}

impl RoundVotes {
    fn of(&self, kind: VoteKind) -> &BTreeMap<AccountId, Vec<SignedVote>> {
        match kind {
            VoteKind::Prevote => &self.prevotes,
            VoteKind::Precommit => &self.precommits,
        }
    }

    pub fn record(&mut self, vote: SignedVote) -> Recorded {
        let map = match vote.vote.kind {
            VoteKind::Prevote => &mut self.prevotes,
            VoteKind::Precommit => &mut self.precommits,
        };
        let votes = map.entry(vote.signer).or_default();
        if votes.iter().any(|v| v.vote == vote.vote) {
            return Recorded::Duplicate;
        }
        if votes.len() >= MAX_VOTES_PER_SIGNER {
            return Recorded::AlreadyReported;
        }
        votes.push(vote);
        match votes.len() {
            1 => Recorded::New,
            2 => Recorded::Conflict(votes[0]),
            _ => Recorded::AlreadyReported,
        }
    }

    /// Signers with a vote of `kind` for exactly `value` (`None` = nil).
    pub fn count(&self, kind: VoteKind, value: Option<Hash>) -> usize {
        self.of(kind)
            .values()
            .filter(|votes| votes.iter().any(|v| v.vote.value == value))
            .count()
    }

    /// Signers with any vote of `kind`.
    pub fn count_any(&self, kind: VoteKind) -> usize {
        self.of(kind).len()
    }

    /// The signatures of the precommits for `value`, in signer order.
    pub fn precommit_signatures(&self, value: Hash) -> Vec<(AccountId, Signature)> {
        self.precommits
            .values()
            .filter_map(|votes| votes.iter().find(|v| v.vote.value == Some(value)))
            .map(|v| (v.signer, v.signature))
            .collect()
    }
}
