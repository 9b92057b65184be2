//! A proof an outsider checks offline (PARACHAINS.md, "Proofs an outsider checks offline"): a
//! parachain state entry, or its absence, from the main chain's genesis validators down — each
//! main-chain handover, a certified main header, the anchor under its state root, the entry
//! under the anchored parachain root. No node is asked anything.

use alloc::string::String;
use alloc::vec::Vec;

use parity_scale_codec::{Decode, DecodeAll, Encode};

use crate::block::{CommitCertificate, Header};
use crate::crypto::AccountId;
use crate::hash::Hash;
use crate::parachain::{anchor_key, AnchoredBlock};
use crate::proof::StateProof;
use crate::validator::{ValidatorEntry, ValidatorSet, VALIDATORS_KEY};

/// A certified main-chain header and the proof of the validator set in its state after it (the
/// set that certifies the next block): how a verifier follows the main chain's set.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Handover {
    pub header: Header,
    pub certificate: CommitCertificate,
    /// SCALE `Vec<ValidatorEntry>` under [`VALIDATORS_KEY`] in the header's state.
    pub next_validators: Vec<u8>,
    pub next_validators_proof: StateProof,
}

/// A chain's header reached from its genesis validators: each handover of the chain's set
/// (oldest first), then the header and its certificate.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Certified {
    pub chain_id: String,
    /// The last header before each change of the chain's set, oldest first.
    pub handovers: Vec<Handover>,
    /// The header the proof rests on, its certificate, and the set after it (checked too, so
    /// that no part of a proof goes unchecked).
    pub header: Handover,
}

/// A state entry's key and value (`None`: absent) and its proof under a state root.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Entry {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
    pub proof: StateProof,
}

/// An entry (or its absence) in a chain's own state, under a header certified from the chain's
/// genesis validators: what a parachain checks of the main chain's invoice claims.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct InState {
    pub at: Certified,
    pub entry: Entry,
}

/// A parachain entry (or its absence) proved through an anchor on the main chain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ThroughAnchor {
    /// The main header whose state holds the anchor.
    pub main: Certified,
    pub para_id: String,
    /// The anchored block, as the main chain's state holds it, and its proof under `main`.
    pub anchored: AnchoredBlock,
    pub anchor_proof: StateProof,
    /// The entry in the parachain's state after the anchored block, under its state root.
    pub entry: Entry,
}

/// What a proof established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proved {
    /// The main block whose certified state holds the anchor, and its time.
    pub main_height: u64,
    pub main_time_ms: u64,
    /// The parachain block whose state holds (or lacks) the entry.
    pub para_height: u64,
    pub para_time_ms: u64,
    pub value: Option<Vec<u8>>,
}

/// The step of a proof that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThroughAnchorError {
    #[error("handover {index} (height {height}): {reason}")]
    Handover {
        index: usize,
        height: u64,
        reason: String,
    },
    #[error("the header at height {height}: {reason}")]
    MainHeader { height: u64, reason: String },
    #[error("the anchor of {para_id} block {height}: {reason}")]
    Anchor {
        para_id: String,
        height: u64,
        reason: String,
    },
    #[error("the entry under {chain_id}'s state root at block {height}: {reason}")]
    Entry {
        chain_id: String,
        height: u64,
        reason: String,
    },
}

/// Checks `header` and its certificate against `set` on chain `chain_id`; the set its state
/// holds after it.
fn certified(chain_id: &str, set: &ValidatorSet, step: &Handover) -> Result<ValidatorSet, String> {
    let header = &step.header;
    if header.chain_id != chain_id {
        return Err(alloc::format!(
            "is of chain '{}', not '{chain_id}'",
            header.chain_id
        ));
    }
    if header.validator_set_hash != set.hash() {
        return Err("names another validator set than the one followed".into());
    }
    set.verify_certificate(chain_id, header.height, header.hash(), &step.certificate)
        .map_err(|e| alloc::format!("its certificate does not verify: {e}"))?;
    step.next_validators_proof
        .verify(
            header.state_root,
            VALIDATORS_KEY,
            Some(&step.next_validators),
        )
        .map_err(|e| alloc::format!("the next set's proof: {e}"))?;
    let entries = Vec::<ValidatorEntry>::decode_all(&mut &step.next_validators[..])
        .map_err(|e| alloc::format!("the next set does not decode: {e}"))?;
    Ok(ValidatorSet::new(
        entries.into_iter().map(|v| v.account).collect(),
    ))
}

impl Certified {
    /// Follows the chain's set from `genesis_validators` through each handover to the header.
    pub fn verify(&self, genesis_validators: &[AccountId]) -> Result<&Header, ThroughAnchorError> {
        let chain = self.chain_id.as_str();
        let mut set = ValidatorSet::new(genesis_validators.to_vec());
        let mut height = 0;
        for (index, step) in self.handovers.iter().enumerate() {
            let fail = |reason: String| ThroughAnchorError::Handover {
                index,
                height: step.header.height,
                reason,
            };
            if step.header.height < height {
                return Err(fail("handovers out of order".into()));
            }
            height = step.header.height;
            set = certified(chain, &set, step).map_err(fail)?;
        }
        let header = &self.header.header;
        certified(chain, &set, &self.header).map_err(|reason| ThroughAnchorError::MainHeader {
            height: header.height,
            reason,
        })?;
        Ok(header)
    }
}

impl Entry {
    fn verify(
        &self,
        chain_id: &str,
        header_height: u64,
        root: Hash,
    ) -> Result<(), ThroughAnchorError> {
        self.proof
            .verify(root, &self.key, self.value.as_deref())
            .map_err(|e| ThroughAnchorError::Entry {
                chain_id: chain_id.into(),
                height: header_height,
                reason: alloc::format!("{e}"),
            })
    }
}

impl InState {
    /// Verifies the entry under a header certified from the chain's genesis validators; the
    /// header.
    pub fn verify(&self, genesis_validators: &[AccountId]) -> Result<&Header, ThroughAnchorError> {
        let header = self.at.verify(genesis_validators)?;
        self.entry
            .verify(&self.at.chain_id, header.height, header.state_root)?;
        Ok(header)
    }
}

impl ThroughAnchor {
    /// Verifies the proof from the main chain's genesis validators (the trust root a court is
    /// given, from the main chain's spec).
    pub fn verify(&self, genesis_validators: &[AccountId]) -> Result<Proved, ThroughAnchorError> {
        let main = self.main.verify(genesis_validators)?;
        let anchored = &self.anchored;
        self.anchor_proof
            .verify(
                main.state_root,
                &anchor_key(&self.para_id, anchored.height),
                Some(&anchored.encode()),
            )
            .map_err(|e| ThroughAnchorError::Anchor {
                para_id: self.para_id.clone(),
                height: anchored.height,
                reason: alloc::format!("{e}"),
            })?;
        self.entry
            .verify(&self.para_id, anchored.height, anchored.state_root)?;
        Ok(Proved {
            main_height: main.height,
            main_time_ms: main.time_ms,
            para_height: anchored.height,
            para_time_ms: anchored.time_ms,
            value: self.entry.value.clone(),
        })
    }
}
