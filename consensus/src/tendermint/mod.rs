//! Tendermint (arXiv:1807.04938, Algorithm 1) as a pure state machine. Each transition cites
//! the numbered rule of `docs/consensus.md` it implements (`L22` …).
//!
//! The engine does not sign, verify signatures, execute blocks, read clocks or send messages:
//! the node verifies each message's signature before it becomes an [`Input`], tells the engine
//! whether a proposed block is valid (executed, roots match), and performs every [`Output`].

use alloc::collections::{BTreeMap, BTreeSet};

use alloc::string::String;
use alloc::vec::Vec;

use catena_primitives::{AccountId, CommitCertificate, Hash, Signature, ValidatorSet};

mod handlers;
mod votes;
pub mod wire;

use votes::RoundVotes;

/// The two kinds of vote (the primitives' type, shared with the wire form and the vote log).
pub use catena_primitives::VoteKind;

/// A vote for a block (`Some`) or for no block (`None`, nil).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsensusVote {
    pub kind: VoteKind,
    pub height: u64,
    pub round: u32,
    pub value: Option<Hash>,
}

/// A vote with its signer and signature (checked by the node).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedVote {
    pub vote: ConsensusVote,
    pub signer: AccountId,
    pub signature: Signature,
}

/// A proposal of `value` at (`height`, `round`); `pol_round` is the round of the polka that
/// justifies re-proposing a value (`valid_round`), or `None` for a fresh block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub height: u64,
    pub round: u32,
    pub value: Hash,
    pub pol_round: Option<u32>,
    pub proposer: AccountId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimeoutKind {
    Propose,
    Prevote,
    Precommit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timeout {
    pub kind: TimeoutKind,
    pub height: u64,
    pub round: u32,
}

/// Timeout durations: `base + round × delta`, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub propose_base_ms: u64,
    pub propose_delta_ms: u64,
    pub vote_base_ms: u64,
    pub vote_delta_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            propose_base_ms: 1_000,
            propose_delta_ms: 500,
            vote_base_ms: 500,
            vote_delta_ms: 250,
        }
    }
}

impl Timeouts {
    pub fn duration_ms(&self, kind: TimeoutKind, round: u32) -> u64 {
        let r = u64::from(round);
        match kind {
            TimeoutKind::Propose => self.propose_base_ms + r * self.propose_delta_ms,
            TimeoutKind::Prevote | TimeoutKind::Precommit => {
                self.vote_base_ms + r * self.vote_delta_ms
            }
        }
    }
}

/// What happens to the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start deciding `height`: after committing `height − 1`, at start-up, or after block sync.
    NewHeight { height: u64 },
    /// Start deciding `height` after a restart, in `round`: the vote log holds this validator's
    /// votes up to this round (which it must not contradict; the node hands them back as votes),
    /// and `locked` is its latest precommit for a block there (value and round), restored as the
    /// lock and the valid value.
    Resume {
        height: u64,
        round: u32,
        locked: Option<(Hash, u32)>,
    },
    /// The block asked for by [`Output::BuildProposal`] is built and executed.
    ProposalBuilt {
        height: u64,
        round: u32,
        value: Hash,
    },
    /// A proposal from a peer; `valid` says whether its block executed to the header's roots.
    Proposal { proposal: Proposal, valid: bool },
    /// A vote, from a peer or this node's own (fed back after signing).
    Vote(SignedVote),
    /// A timeout scheduled by [`Output::ScheduleTimeout`] fired.
    Timeout(Timeout),
}

/// What the node must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Build and execute a new block at (`height`, `round`); answer with `Input::ProposalBuilt`.
    BuildProposal { height: u64, round: u32 },
    /// Sign and broadcast this proposal (with its block).
    Propose(Proposal),
    /// Sign, persist to the vote log, broadcast, then feed back as `Input::Vote`.
    Vote(ConsensusVote),
    /// Deliver `Input::Timeout(timeout)` after `after_ms`.
    ScheduleTimeout { timeout: Timeout, after_ms: u64 },
    /// `value` is decided at its height: commit it durably, then send `Input::NewHeight`.
    Decide {
        value: Hash,
        certificate: CommitCertificate,
    },
    /// A validator signed two different votes of one kind for one height and round.
    Equivocation {
        first: SignedVote,
        second: SignedVote,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Propose,
    Prevote,
    Precommit,
}

/// Messages of a later height are kept (bounded) until the engine gets there.
const MAX_FUTURE_MESSAGES: usize = 4_096;
/// Buffered next-height messages per signer, at most.
const MAX_FUTURE_PER_SIGNER: usize = 64;
/// Votes and proposals are stored only up to this many rounds ahead of ours; later ones only
/// count toward L55, and gossip delivers them again once we get there. This bounds memory
/// against a validator that signs messages for arbitrary rounds.
pub const MAX_ROUNDS_AHEAD: u32 = 8;
/// Distinct proposals kept per round.
const MAX_PROPOSALS_PER_ROUND: usize = 4;

/// The Tendermint engine of one validator, or of an observer: a node with no validator key
/// (`me` is `None`) or whose key is not in the set follows the votes and never proposes or votes.
#[derive(Debug)]
pub struct Tendermint {
    chain_id: String,
    validators: ValidatorSet,
    me: Option<AccountId>,
    timeouts: Timeouts,
    height: u64,
    round: u32,
    step: Step,
    locked: Option<(Hash, u32)>,
    valid: Option<(Hash, u32)>,
    decided: bool,
    /// Proposals per round (the first is the one L22/L28 judge; an equivocating proposer's
    /// others are kept, a few at most, so a decision on any of them is recognised by L49).
    proposals: BTreeMap<u32, Vec<(Proposal, bool)>>,
    votes: BTreeMap<u32, RoundVotes>,
    /// Rules that fire only once per round: (rule line, round).
    fired: BTreeSet<(u16, u32)>,
    /// The highest round each validator was seen in at this height, for L55.
    latest_round: BTreeMap<AccountId, u32>,
    future: Vec<Input>,
    /// Mutation switch for the simulation's self-check: ignore the lock in L22/L28.
    #[cfg(test)]
    ignore_lock: bool,
}

impl Tendermint {
    pub fn new(
        chain_id: String,
        validators: ValidatorSet,
        me: Option<AccountId>,
        timeouts: Timeouts,
    ) -> Tendermint {
        Tendermint {
            chain_id,
            validators,
            me,
            timeouts,
            height: 0,
            round: 0,
            step: Step::Propose,
            locked: None,
            valid: None,
            decided: true,
            proposals: BTreeMap::new(),
            votes: BTreeMap::new(),
            fired: BTreeSet::new(),
            latest_round: BTreeMap::new(),
            future: Vec::new(),
            #[cfg(test)]
            ignore_lock: false,
        }
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
    pub fn height(&self) -> u64 {
        self.height
    }
    pub fn round(&self) -> u32 {
        self.round
    }
    pub fn step(&self) -> Step {
        self.step
    }
    pub fn locked(&self) -> Option<(Hash, u32)> {
        self.locked
    }
    /// The valid value and its round: the latest value with a polka seen at this height.
    pub fn valid(&self) -> Option<(Hash, u32)> {
        self.valid
    }

    /// The lock L22 and L28 check (none at all in the simulation's broken-lock mutation).
    fn lock_for_prevote(&self) -> Option<(Hash, u32)> {
        #[cfg(test)]
        if self.ignore_lock {
            return None;
        }
        self.locked
    }

    pub fn validators(&self) -> &ValidatorSet {
        &self.validators
    }

    /// Replaces the validator set; takes effect at the next [`Input::NewHeight`]. A node whose
    /// key is not in the set follows without voting or proposing.
    pub fn set_validators(&mut self, validators: ValidatorSet) {
        self.validators = validators;
    }

    /// The proposer of (`height`, `round`): validator `(height + round) mod n`.
    pub fn proposer(&self, height: u64, round: u32) -> AccountId {
        let n = self.validators.len() as u64;
        let index = (height.wrapping_add(u64::from(round))) % n;
        self.validators.validators[index as usize]
    }

    /// Processes one input and returns the effects to perform, in order.
    pub fn process(&mut self, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        self.handle(input, &mut out);
        out
    }
}

#[cfg(test)]
mod tests;
