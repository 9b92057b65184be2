//! The signed forms of consensus messages, as they travel between validators.
//!
//! Each kind of message is signed over its own domain tag followed by its SCALE encoding, so a
//! signature of one kind can never be taken for another. A precommit *for a block* is signed
//! exactly as [`catena_primitives::Vote`], so 2f + 1 of them form a [`CommitCertificate`] that
//! [`catena_primitives::ValidatorSet::verify_certificate`] accepts; prevotes and nil precommits
//! use other tags and can never pass as a commit.

use alloc::string::String;
use alloc::vec::Vec;

use catena_primitives::codec::{decode_limited, DecodeError};
use catena_primitives::evidence;
use catena_primitives::{AccountId, Hash, SecretKey, Signature};
use parity_scale_codec::{Decode, Encode};

use super::{ConsensusVote, Proposal, SignedVote, VoteKind};

pub const PROPOSAL_DOMAIN: &[u8] = b"catena/proposal/v1";
pub use catena_primitives::evidence::{WireVote, PRECOMMIT_NIL_DOMAIN, PREVOTE_DOMAIN};

/// A consensus message on the wire. Variant indices are part of the format.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum WireMessage {
    /// A proposal with the proposer's signature; the block travels with it.
    #[codec(index = 0)]
    Proposal {
        proposal: WireProposal,
        signature: Signature,
        block: Vec<u8>,
    },
    #[codec(index = 1)]
    Vote(WireVote),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct WireProposal {
    pub height: u64,
    pub round: u32,
    pub value: Hash,
    pub pol_round: Option<u32>,
    pub proposer: AccountId,
}

/// Why a message from a peer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("unknown vote kind {0}")]
    UnknownKind(u8),
    #[error("signature of {0} does not verify")]
    BadSignature(AccountId),
}

/// The bytes a validator signs for `vote` on `chain_id`.
pub fn vote_signing_bytes(chain_id: &str, vote: &ConsensusVote) -> Vec<u8> {
    evidence::vote_signing_bytes(
        chain_id,
        kind_byte(vote.kind),
        vote.height,
        vote.round,
        vote.value,
    )
    .expect("both kinds are known")
}

fn kind_byte(kind: VoteKind) -> u8 {
    kind.byte()
}

/// The wire form of a signed vote.
pub fn to_wire(signed: &SignedVote) -> WireVote {
    WireVote {
        kind: kind_byte(signed.vote.kind),
        height: signed.vote.height,
        round: signed.vote.round,
        value: signed.vote.value,
        signer: signed.signer,
        signature: signed.signature,
    }
}

/// Checks a vote's signature and returns it for the engine.
pub fn verify_vote(wire: &WireVote, chain_id: &str) -> Result<SignedVote, WireError> {
    let kind = VoteKind::from_byte(wire.kind).ok_or(WireError::UnknownKind(wire.kind))?;
    if !wire.signature_is_valid(chain_id) {
        return Err(WireError::BadSignature(wire.signer));
    }
    Ok(SignedVote {
        vote: ConsensusVote {
            kind,
            height: wire.height,
            round: wire.round,
            value: wire.value,
        },
        signer: wire.signer,
        signature: wire.signature,
    })
}

/// The evidence of an equivocation the engine reported.
pub fn to_evidence(first: &SignedVote, second: &SignedVote) -> evidence::Equivocation {
    evidence::Equivocation {
        first: to_wire(first),
        second: to_wire(second),
    }
}

/// The bytes a proposer signs for `proposal` on `chain_id`.
pub fn proposal_signing_bytes(chain_id: &str, proposal: &WireProposal) -> Vec<u8> {
    let mut out = Vec::from(PROPOSAL_DOMAIN);
    (String::from(chain_id), proposal).encode_to(&mut out);
    out
}

/// Signs a vote.
pub fn sign_vote(chain_id: &str, vote: ConsensusVote, key: &SecretKey) -> SignedVote {
    SignedVote {
        vote,
        signer: key.account(),
        signature: key.sign(&vote_signing_bytes(chain_id, &vote)),
    }
}

impl WireProposal {
    pub fn from_proposal(p: &Proposal) -> WireProposal {
        WireProposal {
            height: p.height,
            round: p.round,
            value: p.value,
            pol_round: p.pol_round,
            proposer: p.proposer,
        }
    }

    pub fn to_proposal(self) -> Proposal {
        Proposal {
            height: self.height,
            round: self.round,
            value: self.value,
            pol_round: self.pol_round,
            proposer: self.proposer,
        }
    }

    pub fn verify(&self, chain_id: &str, signature: &Signature) -> Result<(), WireError> {
        if self
            .proposer
            .verify(&proposal_signing_bytes(chain_id, self), signature)
        {
            Ok(())
        } else {
            Err(WireError::BadSignature(self.proposer))
        }
    }
}

impl WireMessage {
    /// Decodes a message from a peer, refusing more than `max_bytes`.
    pub fn decode_untrusted(bytes: &[u8], max_bytes: usize) -> Result<WireMessage, WireError> {
        Ok(decode_limited(bytes, max_bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use catena_primitives::{CommitCertificate, ValidatorSet};

    fn keys() -> Vec<SecretKey> {
        (1..=4u8).map(|i| SecretKey::from_seed([i; 32])).collect()
    }

    #[test]
    fn precommits_form_certificates_and_prevotes_never_do() {
        let keys = keys();
        let set = ValidatorSet::new(keys.iter().map(SecretKey::account).collect());
        let block = Hash::digest(b"block");
        let vote = |kind| ConsensusVote {
            kind,
            height: 7,
            round: 1,
            value: Some(block),
        };
        let certificate = |kind| CommitCertificate {
            height: 7,
            round: 1,
            block_hash: block,
            signatures: keys[..3]
                .iter()
                .map(|k| {
                    let s = sign_vote("c", vote(kind), k);
                    (s.signer, s.signature)
                })
                .collect(),
        };
        assert_eq!(
            set.verify_certificate("c", 7, block, &certificate(VoteKind::Precommit)),
            Ok(())
        );
        assert!(set
            .verify_certificate("c", 7, block, &certificate(VoteKind::Prevote))
            .is_err());
    }

    #[test]
    fn wire_roundtrip_and_tampering() {
        let key = SecretKey::from_seed([1; 32]);
        for (kind, value) in [
            (VoteKind::Prevote, None),
            (VoteKind::Prevote, Some(Hash::ZERO)),
            (VoteKind::Precommit, None),
            (VoteKind::Precommit, Some(Hash::ZERO)),
        ] {
            let signed = sign_vote(
                "c",
                ConsensusVote {
                    kind,
                    height: 3,
                    round: 0,
                    value,
                },
                &key,
            );
            let message = WireMessage::Vote(to_wire(&signed));
            let decoded = WireMessage::decode_untrusted(&message.encode(), 1024).expect("decodes");
            let WireMessage::Vote(wire) = decoded else {
                panic!("a vote")
            };
            assert_eq!(verify_vote(&wire, "c"), Ok(signed));
            assert!(verify_vote(&wire, "other-chain").is_err());
            let mut flipped = wire;
            flipped.kind = 1 - flipped.kind;
            assert!(
                verify_vote(&flipped, "c").is_err(),
                "a signature of one kind is not valid for the other"
            );
        }
        let proposal = WireProposal {
            height: 3,
            round: 1,
            value: Hash::ZERO,
            pol_round: None,
            proposer: key.account(),
        };
        let signature = key.sign(&proposal_signing_bytes("c", &proposal));
        assert_eq!(proposal.verify("c", &signature), Ok(()));
        let moved = WireProposal {
            round: 2,
            ..proposal
        };
        assert!(moved.verify("c", &signature).is_err());
        let message = WireMessage::Proposal {
            proposal,
            signature,
            block: vec![1, 2, 3],
        };
        let bytes = message.encode();
        assert_eq!(WireMessage::decode_untrusted(&bytes, 1024), Ok(message));
        assert!(WireMessage::decode_untrusted(&bytes, 10).is_err());
    }
}
