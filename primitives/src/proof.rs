//! Merkle proofs of state entries, checkable without the node.
//!
//! The state tree is a Jellyfish Merkle tree (the `jmt` crate) over SHA-256: a key's position
//! is SHA-256(key) and a leaf commits to SHA-256(value). A proof is the `jmt` sparse Merkle
//! proof in its Borsh encoding; see `docs/adr/0003-state-tree-jmt.md`.

use alloc::string::String;
use alloc::vec::Vec;

use jmt::proof::SparseMerkleProof;
use jmt::{KeyHash, RootHash};
use sha2::Sha256;

use crate::hash::Hash;

/// The largest proof accepted: 256 siblings of at most 66 bytes each, plus the leaf.
pub const MAX_PROOF_BYTES: usize = 256 * 66 + 128;

/// An inclusion or non-inclusion proof of one key in the state tree.
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
pub struct StateProof(pub Vec<u8>);

/// Why a proof does not prove what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("proof is {0} bytes, over the limit of {MAX_PROOF_BYTES}")]
    TooLarge(usize),
    #[error("proof bytes are malformed: {0}")]
    Malformed(String),
    #[error("proof does not verify against state root {root}: {reason}")]
    Invalid { root: Hash, reason: String },
}

/// The position of `key` in the state tree.
pub fn key_hash(key: &[u8]) -> [u8; 32] {
    KeyHash::with::<Sha256>(key).0
}

impl StateProof {
    /// Wraps a proof produced by the state tree.
    pub fn from_jmt(proof: &SparseMerkleProof<Sha256>) -> StateProof {
        StateProof(borsh::to_vec(proof).expect("writing to a Vec cannot fail"))
    }

    /// Checks that, under `root`, `key` holds `value` (`Some`) or is absent (`None`).
    pub fn verify(&self, root: Hash, key: &[u8], value: Option<&[u8]>) -> Result<(), ProofError> {
        if self.0.len() > MAX_PROOF_BYTES {
            return Err(ProofError::TooLarge(self.0.len()));
        }
        let proof: SparseMerkleProof<Sha256> =
            borsh::from_slice(&self.0).map_err(|e| ProofError::Malformed(alloc::format!("{e}")))?;
        proof
            .verify(RootHash(root.0), KeyHash::with::<Sha256>(key), value)
            .map_err(|e| ProofError::Invalid {
                root,
                reason: alloc::format!("{e}"),
            })
    }
}
