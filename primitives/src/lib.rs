//! Catena's shared types: hashes, keys and signatures, transactions, blocks, commit
//! certificates, validator sets and state proofs, with the SCALE codecs that fix their bytes.
//!
//! This crate has no I/O and no async runtime; it builds for `wasm32-unknown-unknown` so that
//! contracts and light clients can use the same types and verify the same proofs as the node.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod block;
pub mod codec;
pub mod crypto;
pub mod evidence;
pub mod governance;
pub mod hash;
pub mod invoice;
pub mod merkle;
pub mod parachain;
pub mod proof;
pub mod read;
pub mod through_anchor;
pub mod tx;
pub mod validator;

pub use block::{
    Block, CommitCertificate, ContractEvent, Header, Receipt, ReceiptStatus, ScheduledRun, Vote,
};
pub use codec::{decode_limited, DecodeError};
pub use crypto::{verify_batch, AccountId, SecretKey, Signature};
pub use evidence::{Equivocation, EvidenceError, VoteKind, WireVote};
pub use governance::{ValidatorChange, ValidatorChangeProposal};
pub use hash::Hash;
pub use proof::{ProofError, StateProof};
pub use tx::{contract_id, system_contract_id, Call, Transaction, TxError, UnsignedTransaction};
pub use validator::{CertificateError, ValidatorSet};

/// The longest chain id accepted anywhere (bytes of UTF-8).
pub const MAX_CHAIN_ID_LEN: usize = 64;
