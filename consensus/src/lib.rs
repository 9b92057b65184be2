//! Block agreement as a pure state machine: [`Engine::process`] takes an [`Input`] and returns
//! the [`Output`]s (effects) the node must perform. No clock, no randomness, no I/O: timeouts
//! arrive as inputs, and signing, executing, persisting and committing are effects performed by
//! one handler in the node.
//!
//! [`solo::SoloEngine`] drives a chain with a single validator (dev mode). It emits the same
//! effects, in the same order, as the multi-validator BFT engine will: build a proposal, sign a
//! vote, commit with a certificate, so the node's commit path is shared.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;

use catena_primitives::{AccountId, CommitCertificate, Hash, Signature, Vote};

pub mod solo;
pub mod tendermint;

/// Something that happened, as seen by the consensus engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The node committed (or, at start-up, had committed) the block at `height`.
    Committed { height: u64 },
    /// At start-up: the vote log shows this validator already voted at (`height`, `round`)
    /// for a block that was never committed. The engine must not vote in that round again.
    VotedBefore { height: u64, round: u32 },
    /// A timeout scheduled with [`Output::ScheduleTimeout`] fired.
    Timeout { height: u64, round: u32 },
    /// The node built and executed the proposal it was asked for.
    ProposalReady {
        height: u64,
        round: u32,
        block_hash: Hash,
    },
    /// A validator's signed vote (the node has checked the signature).
    Vote {
        vote: Vote,
        signer: AccountId,
        signature: Signature,
    },
}

/// An effect the node must perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Deliver `Input::Timeout { height, round }` after `after_ms` milliseconds.
    ScheduleTimeout {
        height: u64,
        round: u32,
        after_ms: u64,
    },
    /// Build a block at `height` from the mempool, execute it, and answer with
    /// `Input::ProposalReady`.
    BuildProposal { height: u64, round: u32 },
    /// Sign this vote with the validator key, persist it, broadcast it, and feed it back as
    /// `Input::Vote`.
    SignVote(Vote),
    /// The block is final: write it with this certificate in one synced batch, then answer with
    /// `Input::Committed`.
    Commit(CommitCertificate),
}

/// Inputs that do not fit the engine's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsensusError {
    #[error("input for height {found} while at height {expected}")]
    WrongHeight { expected: u64, found: u64 },
    #[error("vote from {0}, which is not a validator")]
    NotAValidator(AccountId),
    #[error("vote for chain '{0}', which is not this chain")]
    WrongChain(alloc::string::String),
    #[error("vote for block {found} while the proposal is {expected:?}")]
    UnknownBlock { expected: Option<Hash>, found: Hash },
    #[error("this engine needs exactly one validator and to be it; the set has {0}")]
    NotSolo(usize),
}

/// A consensus engine.
pub trait Engine {
    fn process(&mut self, input: Input) -> Result<Vec<Output>, ConsensusError>;
}
