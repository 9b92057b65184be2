//! Executes the transactions of a block against the chain state, deterministically: time and
//! height come from the block header, never from a clock, and the state comes through the
//! narrow [`StateReader`] trait, never from a database directly.
//!
//! Each block runs in a block overlay over the committed state; each transaction runs in its
//! own overlay over the block's, applied when the call succeeds and dropped when it fails, so a
//! failed call changes nothing but the signer's nonce. The result is the set of changed entries
//! and a receipt per transaction; the node turns the changes into the next state root.
//!
//! By concern: [`state`] (the reader and the overlays), [`execution`] (blocks, scheduled calls,
//! system calls), [`contracts`] (contract transactions over the [`wasm`] sandbox), [`queries`]
//! (read-only questions of committed state), [`genesis`] (a new chain's entries), [`governance`]
//! (validator-set changes) and [`keys`] (the state key layout).

use std::collections::BTreeMap;

use catena_primitives::{
    AccountId, Call, Equivocation, Hash, Receipt, ReceiptStatus, ScheduledRun, Transaction,
};
use parity_scale_codec::{Decode, DecodeAll, Encode};

mod calls;
pub mod contracts;
pub mod governance;
pub mod indexes;
pub mod invoices;
pub mod keys;
pub mod parachains;
pub mod wasm;

pub mod execution;
pub mod genesis;
pub mod queries;
pub mod state;
pub use execution::*;
pub use genesis::*;
pub use queries::*;
pub use state::*;

pub use calls::{contract_of, system_call};
pub use governance::{
    ValidatorEntry, ValidatorGovernance, ValidatorSetProposal, ValidatorSetProposalStatus,
};

/// A member's account as the registry records it.
pub use catena_schema::registry::AccountRecord as MemberAccount;

#[cfg(test)]
mod tests;
