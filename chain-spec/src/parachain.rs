//! A chain spec as a parachain's: the section that names its main chain, and the registration
//! the main chain's governing quorum makes of it.

use catena_primitives::parachain::{ParachainRegistration, ParachainValidator};
use catena_primitives::{AccountId, Hash};
use serde::{Deserialize, Serialize};

use crate::{ChainSpec, FieldError};

/// What a parachain's spec says of its main chain, and how often it anchors there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParachainSection {
    /// The main chain's id and genesis hash: a node hosts this parachain only beside that chain.
    pub main_chain_id: String,
    pub main_genesis_hash: Hash,
    /// The main chain's genesis validators: the trust root of proofs through its anchors.
    pub main_validators: Vec<AccountId>,
    /// It anchors every this many blocks …
    pub anchor_every_blocks: u64,
    /// … and at least this often (milliseconds).
    pub anchor_every_ms: u64,
}

impl ParachainSection {
    /// What is wrong with the section of chain `chain_id`, each problem naming its field.
    pub(crate) fn errors(&self, chain_id: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut err = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            })
        };
        if self.main_chain_id == chain_id {
            err("parachain.main_chain_id", "is this chain's own id");
        }
        if self.main_validators.is_empty() {
            err("parachain.main_validators", "lists no validator");
        }
        if self.anchor_every_blocks == 0 || self.anchor_every_ms == 0 {
            err(
                "parachain.anchor_every_blocks",
                "the anchor period (blocks and milliseconds) must be above 0",
            );
        }
        errors
    }
}

impl ChainSpec {
    /// This chain's registration as a parachain of a main chain: its id, `genesis_hash`, its
    /// members' names, its validators with the members that run them, and the anchor period.
    pub fn parachain_registration(
        &self,
        genesis_hash: Hash,
        anchor_every_blocks: u64,
        anchor_every_ms: u64,
    ) -> ParachainRegistration {
        ParachainRegistration {
            id: self.chain_id.clone(),
            genesis_hash,
            members: self.members.iter().map(|m| m.name.clone()).collect(),
            validators: self.parachain_validators(),
            anchor_every_blocks,
            anchor_every_ms,
        }
    }

    /// The validators with the members that run them, as a parachain registration or recovery
    /// names them.
    pub fn parachain_validators(&self) -> Vec<ParachainValidator> {
        self.validators
            .iter()
            .map(|v| ParachainValidator {
                account: v.account,
                member: v.member.clone(),
            })
            .collect()
    }
}
