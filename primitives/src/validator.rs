//! Validator sets and the check of a commit certificate against one.

use alloc::vec::Vec;

use parity_scale_codec::{Decode, Encode};

use crate::block::CommitCertificate;
use crate::crypto::AccountId;
use crate::hash::Hash;

/// A validator as a chain's state records it (under [`VALIDATORS_KEY`], SCALE
/// `Vec<ValidatorEntry>`): what a proof of a validator-set handover carries.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ValidatorEntry {
    pub account: AccountId,
    /// The member that runs it.
    pub member: alloc::string::String,
    pub peer_id: alloc::string::String,
    pub address: alloc::string::String,
}

/// The state key of a chain's validator set (the set that certifies the next block).
pub const VALIDATORS_KEY: &[u8] = b"sys/validators";

/// The validators that certify a chain's blocks, in the chain spec's order.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ValidatorSet {
    pub validators: Vec<AccountId>,
}

/// Why a commit certificate does not prove a block final.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("certificate is for height {found}, expected {expected}")]
    WrongHeight { expected: u64, found: u64 },
    #[error("certificate is for block {found}, expected {expected}")]
    WrongBlock { expected: Hash, found: Hash },
    #[error("signer {0} is not a validator of this chain")]
    NotAValidator(AccountId),
    #[error("validator {0} signed twice")]
    DuplicateSigner(AccountId),
    #[error("signature of validator {0} does not verify")]
    BadSignature(AccountId),
    #[error("{found} valid signatures, a quorum needs {needed}")]
    NoQuorum { found: usize, needed: usize },
}

impl ValidatorSet {
    pub fn new(validators: Vec<AccountId>) -> ValidatorSet {
        ValidatorSet { validators }
    }

    pub fn len(&self) -> usize {
        self.validators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    pub fn contains(&self, account: &AccountId) -> bool {
        self.validators.contains(account)
    }

    /// The number of faulty validators tolerated: f = ⌊(n − 1) / 3⌋.
    pub fn max_faulty(&self) -> usize {
        self.len().saturating_sub(1) / 3
    }

    /// Signatures needed to commit: n − f, which is 2f + 1 when n = 3f + 1.
    pub fn quorum(&self) -> usize {
        self.len() - self.max_faulty()
    }

    pub fn hash(&self) -> Hash {
        Hash::digest(&self.encode())
    }

    /// Checks that `cert` carries a quorum of distinct, valid validator signatures over the
    /// vote for `block_hash` at `height` on `chain_id`.
    pub fn verify_certificate(
        &self,
        chain_id: &str,
        height: u64,
        block_hash: Hash,
        cert: &CommitCertificate,
    ) -> Result<(), CertificateError> {
        if cert.height != height {
            return Err(CertificateError::WrongHeight {
                expected: height,
                found: cert.height,
            });
        }
        if cert.block_hash != block_hash {
            return Err(CertificateError::WrongBlock {
                expected: block_hash,
                found: cert.block_hash,
            });
        }
        let message = cert.vote(chain_id).signing_bytes();
        let mut seen: Vec<AccountId> = Vec::with_capacity(cert.signatures.len());
        for (signer, signature) in &cert.signatures {
            if !self.contains(signer) {
                return Err(CertificateError::NotAValidator(*signer));
            }
            if seen.contains(signer) {
                return Err(CertificateError::DuplicateSigner(*signer));
            }
            if !signer.verify(&message, signature) {
                return Err(CertificateError::BadSignature(*signer));
            }
            seen.push(*signer);
        }
        if seen.len() < self.quorum() {
            return Err(CertificateError::NoQuorum {
                found: seen.len(),
                needed: self.quorum(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Vote;
    use crate::crypto::SecretKey;

    fn keys(n: u8) -> Vec<SecretKey> {
        (1..=n).map(|i| SecretKey::from_seed([i; 32])).collect()
    }

    #[test]
    fn quorum_sizes() {
        for (n, q) in [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (7, 5), (10, 7)] {
            let set = ValidatorSet::new(keys(n).iter().map(SecretKey::account).collect());
            assert_eq!(set.quorum(), q, "n = {n}");
        }
    }

    #[test]
    fn certificate_checks() {
        let keys = keys(4);
        let set = ValidatorSet::new(keys.iter().map(SecretKey::account).collect());
        let block = Hash::digest(b"block");
        let vote = Vote {
            chain_id: "c".into(),
            height: 9,
            round: 2,
            block_hash: block,
        };
        let cert = |signers: &[usize]| CommitCertificate {
            height: 9,
            round: 2,
            block_hash: block,
            signatures: signers.iter().map(|&i| vote.sign(&keys[i])).collect(),
        };
        assert_eq!(
            set.verify_certificate("c", 9, block, &cert(&[0, 1, 2])),
            Ok(())
        );
        assert_eq!(
            set.verify_certificate("c", 9, block, &cert(&[0, 1])),
            Err(CertificateError::NoQuorum {
                found: 2,
                needed: 3
            })
        );
        assert!(matches!(
            set.verify_certificate("c", 9, block, &cert(&[0, 1, 1])),
            Err(CertificateError::DuplicateSigner(_))
        ));
        assert!(matches!(
            set.verify_certificate("other", 9, block, &cert(&[0, 1, 2])),
            Err(CertificateError::BadSignature(_))
        ));
        assert!(matches!(
            set.verify_certificate("c", 10, block, &cert(&[0, 1, 2])),
            Err(CertificateError::WrongHeight { .. })
        ));
        let outsider = SecretKey::from_seed([99; 32]);
        let mut forged = cert(&[0, 1]);
        forged.signatures.push(vote.sign(&outsider));
        assert!(matches!(
            set.verify_certificate("c", 9, block, &forged),
            Err(CertificateError::NotAValidator(_))
        ));
    }
}
