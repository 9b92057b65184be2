//! Governance actions: changes to the validator set, proposed and approved by a quorum of the
//! chain's governing members, effective from a stated height.

use alloc::string::String;

use parity_scale_codec::{Decode, Encode};

use crate::crypto::AccountId;

/// A change to the validator set. Variant indices are part of the wire format.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ValidatorChange {
    /// Adds a validator. `account` must be a member account; the validator is run by that member.
    #[codec(index = 0)]
    Add {
        account: AccountId,
        /// The libp2p peer id of the validator's network key.
        peer_id: String,
        /// Where the validator listens for peers, as a multiaddr.
        address: String,
    },
    /// Removes a validator.
    #[codec(index = 1)]
    Remove { account: AccountId },
}

impl ValidatorChange {
    pub fn account(&self) -> &AccountId {
        match self {
            ValidatorChange::Add { account, .. } | ValidatorChange::Remove { account } => account,
        }
    }
}

/// A proposed validator-set change and the first height it applies to.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ValidatorChangeProposal {
    pub change: ValidatorChange,
    /// The first block certified by the changed set.
    pub from_height: u64,
}
