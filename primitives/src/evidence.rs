//! Consensus votes as validators sign and send them, and the evidence that one validator signed
//! two different votes of one kind for one height and round (equivocation).
//!
//! Each kind of vote is signed over its own domain tag followed by its SCALE encoding. A
//! precommit *for a block* is signed exactly as [`Vote`], so 2f + 1 of them form a
//! [`crate::CommitCertificate`]; prevotes and nil precommits use other tags and can never pass
//! as part of a commit. The runtime checks evidence with these same functions, so a report
//! recorded on chain proves the misbehaviour to anyone holding the validator's public key.

use alloc::vec::Vec;

use parity_scale_codec::{Decode, Encode};

use crate::block::Vote;
use crate::crypto::{AccountId, Signature};
use crate::hash::Hash;

pub const PREVOTE_DOMAIN: &[u8] = b"catena/prevote/v1";
pub const PRECOMMIT_NIL_DOMAIN: &[u8] = b"catena/precommit-nil/v1";

/// `WireVote::kind` of a prevote.
pub const PREVOTE: u8 = 0;
/// `WireVote::kind` of a precommit.
pub const PRECOMMIT: u8 = 1;

/// The two kinds of vote. SCALE-encoded as one byte, [`PREVOTE`] or [`PRECOMMIT`], as in
/// [`WireVote::kind`] and the validator's vote log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
pub enum VoteKind {
    #[codec(index = 0)]
    Prevote,
    #[codec(index = 1)]
    Precommit,
}

impl VoteKind {
    /// Its byte on the wire: [`PREVOTE`] or [`PRECOMMIT`].
    pub fn byte(self) -> u8 {
        match self {
            VoteKind::Prevote => PREVOTE,
            VoteKind::Precommit => PRECOMMIT,
        }
    }

    pub fn from_byte(byte: u8) -> Option<VoteKind> {
        match byte {
            PREVOTE => Some(VoteKind::Prevote),
            PRECOMMIT => Some(VoteKind::Precommit),
            _ => None,
        }
    }
}

/// A signed prevote or precommit, as sent between validators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct WireVote {
    /// [`PREVOTE`] or [`PRECOMMIT`].
    pub kind: u8,
    pub height: u64,
    pub round: u32,
    /// The block voted for, or `None` (nil).
    pub value: Option<Hash>,
    pub signer: AccountId,
    pub signature: Signature,
}

/// The bytes a validator signs for a vote, or `None` for an unknown kind.
pub fn vote_signing_bytes(
    chain_id: &str,
    kind: u8,
    height: u64,
    round: u32,
    value: Option<Hash>,
) -> Option<Vec<u8>> {
    match (kind, value) {
        (PRECOMMIT, Some(block_hash)) => Some(
            Vote {
                chain_id: chain_id.into(),
                height,
                round,
                block_hash,
            }
            .signing_bytes(),
        ),
        (PRECOMMIT, None) => {
            let mut out = Vec::from(PRECOMMIT_NIL_DOMAIN);
            (chain_id, height, round).encode_to(&mut out);
            Some(out)
        }
        (PREVOTE, value) => {
            let mut out = Vec::from(PREVOTE_DOMAIN);
            (chain_id, height, round, value).encode_to(&mut out);
            Some(out)
        }
        _ => None,
    }
}

impl WireVote {
    /// Whether the kind is known and the signature is the signer's over this vote.
    pub fn signature_is_valid(&self, chain_id: &str) -> bool {
        vote_signing_bytes(chain_id, self.kind, self.height, self.round, self.value)
            .is_some_and(|bytes| self.signer.verify(&bytes, &self.signature))
    }
}

/// Two votes that should not both exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Equivocation {
    pub first: WireVote,
    pub second: WireVote,
}

/// Why evidence does not prove an equivocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the two votes are not by one signer for one kind, height and round")]
    NotComparable,
    #[error("the two votes are for the same value: that is not equivocation")]
    SameValue,
    #[error("a vote's signature does not verify for chain '{0}'")]
    BadSignature(alloc::string::String),
}

impl Equivocation {
    /// Checks that both votes are validly signed by one signer, for one kind, height and round,
    /// and for different values. Returns the signer.
    pub fn verify(&self, chain_id: &str) -> Result<AccountId, EvidenceError> {
        let (a, b) = (&self.first, &self.second);
        if (a.kind, a.height, a.round, a.signer) != (b.kind, b.height, b.round, b.signer) {
            return Err(EvidenceError::NotComparable);
        }
        if a.value == b.value {
            return Err(EvidenceError::SameValue);
        }
        if !a.signature_is_valid(chain_id) || !b.signature_is_valid(chain_id) {
            return Err(EvidenceError::BadSignature(chain_id.into()));
        }
        Ok(a.signer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretKey;

    fn vote(key: &SecretKey, kind: u8, value: Option<Hash>) -> WireVote {
        let bytes = vote_signing_bytes("c", kind, 5, 2, value).expect("known kind");
        WireVote {
            kind,
            height: 5,
            round: 2,
            value,
            signer: key.account(),
            signature: key.sign(&bytes),
        }
    }

    #[test]
    fn equivocation_is_proven_only_by_two_signed_different_votes() {
        let key = SecretKey::from_seed([3; 32]);
        let a = vote(&key, PREVOTE, Some(Hash::digest(b"a")));
        let b = vote(&key, PREVOTE, Some(Hash::digest(b"b")));
        let nil = vote(&key, PREVOTE, None);
        assert_eq!(
            Equivocation {
                first: a,
                second: b
            }
            .verify("c"),
            Ok(key.account())
        );
        assert_eq!(
            Equivocation {
                first: a,
                second: nil
            }
            .verify("c"),
            Ok(key.account())
        );
        assert_eq!(
            Equivocation {
                first: a,
                second: a
            }
            .verify("c"),
            Err(EvidenceError::SameValue)
        );
        assert_eq!(
            Equivocation {
                first: a,
                second: b
            }
            .verify("other"),
            Err(EvidenceError::BadSignature("other".into()))
        );
        let precommit = vote(&key, PRECOMMIT, Some(Hash::digest(b"b")));
        assert_eq!(
            Equivocation {
                first: a,
                second: precommit
            }
            .verify("c"),
            Err(EvidenceError::NotComparable)
        );
        let other = vote(
            &SecretKey::from_seed([4; 32]),
            PREVOTE,
            Some(Hash::digest(b"b")),
        );
        assert_eq!(
            Equivocation {
                first: a,
                second: other
            }
            .verify("c"),
            Err(EvidenceError::NotComparable)
        );
        let mut forged = b;
        forged.value = Some(Hash::digest(b"c"));
        assert!(matches!(
            Equivocation {
                first: a,
                second: forged
            }
            .verify("c"),
            Err(EvidenceError::BadSignature(_))
        ));
        let mut unknown = b;
        unknown.kind = 7;
        let mut unknown_a = a;
        unknown_a.kind = 7;
        assert!(Equivocation {
            first: unknown_a,
            second: unknown
        }
        .verify("c")
        .is_err());
    }
}
