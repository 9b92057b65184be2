//! What one simulated node has heard at its recent heights: enough to tell why the two engines
//! parted (an equivocation, a polka that was or was not there).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::*;

/// Kinds of message, as the map below keys them.
const PROPOSAL: u8 = 0;
const PREVOTE: u8 = 1;
const PRECOMMIT: u8 = 2;

#[derive(Default)]
pub struct Heard {
    /// (height, signer, kind, round) → the distinct values said.
    said: BTreeMap<(u64, AccountId, u8, u32), Vec<Option<Hash>>>,
    /// (height, round, value) → the proof-of-lock round its proposal carried.
    pol_rounds: BTreeMap<(u64, u32, Hash), Option<u32>>,
}

impl Heard {
    fn note(&mut self, key: (u64, AccountId, u8, u32), value: Option<Hash>) {
        let values = self.said.entry(key).or_default();
        if !values.contains(&value) {
            values.push(value);
        }
    }

    fn proposal(&mut self, p: &Proposal) {
        self.note((p.height, p.proposer, PROPOSAL, p.round), Some(p.value));
        self.pol_rounds
            .insert((p.height, p.round, p.value), p.pol_round);
    }

    /// Notes an input and, of the node's outputs, its own proposals (its own votes come back to
    /// it as inputs).
    pub fn hear(&mut self, input: &Input, outputs: &[Output]) {
        match input {
            Input::NewHeight { height } => {
                self.said.retain(|(h, ..), _| h >= height);
                self.pol_rounds.retain(|(h, ..), _| h >= height);
            }
            Input::Proposal { proposal, .. } => self.proposal(proposal),
            Input::Vote(v) => {
                let kind = match v.vote.kind {
                    VoteKind::Prevote => PREVOTE,
                    VoteKind::Precommit => PRECOMMIT,
                };
                self.note((v.vote.height, v.signer, kind, v.vote.round), v.vote.value);
            }
            _ => {}
        }
        for output in outputs {
            if let Output::Propose(p) = output {
                self.proposal(p);
            }
        }
    }

    /// Whether an equivocation at `height` can change what an engine does: a proposer proposed
    /// two values in one round, or a signer's second vote decides whether some value has a
    /// quorum (counting each signer toward every value it voted for, as ours does, against
    /// counting only its first vote, as the reference does).
    pub fn equivocation_matters(&self, height: u64, quorum: usize) -> bool {
        let mut every: BTreeMap<(u8, u32, Option<Hash>), usize> = BTreeMap::new();
        let mut first: BTreeMap<(u8, u32, Option<Hash>), usize> = BTreeMap::new();
        for ((h, _, kind, round), values) in &self.said {
            if *h != height {
                continue;
            }
            if *kind == PROPOSAL && values.len() > 1 {
                return true;
            }
            for value in values {
                *every.entry((*kind, *round, *value)).or_default() += 1;
            }
            *first.entry((*kind, *round, values[0])).or_default() += 1;
        }
        every.iter().any(|(key, n)| {
            let counted_first = first.get(key).copied().unwrap_or(0);
            (*n >= quorum) != (counted_first >= quorum)
        })
    }

    /// Signers heard prevoting `value` at (`height`, `round`).
    pub fn prevotes_for(&self, height: u64, round: u32, value: Hash) -> usize {
        self.said
            .iter()
            .filter(|((h, _, kind, r), values)| {
                *h == height && *kind == PREVOTE && *r == round && values.contains(&Some(value))
            })
            .count()
    }

    /// Signers whose first prevote heard at (`height`, `round`) was for `value` (`None`, nil):
    /// the reference's tally.
    pub fn first_prevotes_for(&self, height: u64, round: u32, value: Option<Hash>) -> usize {
        self.said
            .iter()
            .filter(|((h, _, kind, r), values)| {
                *h == height && *kind == PREVOTE && *r == round && values[0] == value
            })
            .count()
    }

    /// Signers heard (proposing or voting) in a round from `round` on, at `height`.
    pub fn senders_from(&self, height: u64, round: u32) -> usize {
        let mut senders: Vec<AccountId> = self
            .said
            .keys()
            .filter(|(h, _, _, r)| *h == height && *r >= round)
            .map(|(_, signer, ..)| *signer)
            .collect();
        senders.sort();
        senders.dedup();
        senders.len()
    }

    /// Signers heard voting in `round` of `height`.
    pub fn voters_in(&self, height: u64, round: u32) -> usize {
        let mut voters: Vec<AccountId> = self
            .said
            .keys()
            .filter(|(h, _, kind, r)| *h == height && *kind != PROPOSAL && *r == round)
            .map(|(_, signer, ..)| *signer)
            .collect();
        voters.sort();
        voters.dedup();
        voters.len()
    }

    /// Signers heard precommitting anything at (`height`, `round`).
    pub fn precommits(&self, height: u64, round: u32) -> usize {
        self.said
            .keys()
            .filter(|(h, _, kind, r)| *h == height && *kind == PRECOMMIT && *r == round)
            .count()
    }

    /// The proof-of-lock round of the proposal of `value` at (`height`, `round`), if heard.
    pub fn pol_round(&self, height: u64, round: u32, value: Hash) -> Option<u32> {
        self.pol_rounds
            .get(&(height, round, value))
            .copied()
            .flatten()
    }
}
