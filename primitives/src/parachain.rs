//! Parachains as the main chain sees them: a registration (who the parachain is, who validates
//! it, how often it anchors) and an anchor (a parachain header with its commit certificate and
//! a proof of the validator set its state holds after that block). The main chain checks each
//! anchor natively against the registered set (PARACHAINS.md, "The anchor and its check").

use alloc::string::String;
use alloc::vec::Vec;

use parity_scale_codec::{Decode, Encode};

use crate::block::{CommitCertificate, Header};
use crate::crypto::AccountId;
use crate::hash::Hash;
use crate::proof::StateProof;

/// Where the main chain's state keeps the anchored blocks of its parachains.
pub const ANCHOR_PREFIX: &[u8] = b"sys/para-anchor/";

/// The main chain's state keys of registered parachains: `sys/para/<id>` → [`ParachainRecord`].
pub const RECORD_PREFIX: &[u8] = b"sys/para/";

/// The main chain's state key of registered parachain `id` (SCALE [`ParachainRecord`]).
pub fn record_key(id: &str) -> alloc::vec::Vec<u8> {
    [RECORD_PREFIX, id.as_bytes()].concat()
}

/// The main chain's state key of parachain `id`'s anchored block at `height` (SCALE
/// [`AnchoredBlock`]): what a proof through an anchor proves.
pub fn anchor_key(id: &str, height: u64) -> alloc::vec::Vec<u8> {
    [ANCHOR_PREFIX, id.as_bytes(), b"/", &height.to_be_bytes()].concat()
}

/// A parachain registered on the main chain, as proposed to its governing quorum (or as a main
/// chain's spec registers it at genesis, in JSON).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParachainRegistration {
    /// The parachain's chain id.
    pub id: String,
    /// The hash of its genesis block.
    pub genesis_hash: Hash,
    /// The main chain's members (by name) that belong to it: only their nodes host it, only
    /// their accounts read it.
    pub members: Vec<String>,
    /// The validators that certify its first anchored block (its genesis set), in the order
    /// of its genesis state.
    pub validators: Vec<ParachainValidator>,
    /// It anchors every this many blocks …
    pub anchor_every_blocks: u64,
    /// … and at least this often (milliseconds of its block time).
    pub anchor_every_ms: u64,
}

/// The governing quorum's recovery of a frozen parachain: it is active again, its anchored head
/// (the block anchored first at the contested height, or below) kept, certified from then on by
/// `validators`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ParachainRecovery {
    pub id: String,
    pub validators: Vec<ParachainValidator>,
}

/// A parachain validator: its vote-signing account and the member that runs it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParachainValidator {
    pub account: AccountId,
    pub member: String,
}

/// A parachain block anchored on the main chain: its header, the certificate of 2f + 1 of the
/// registered validators, and the proof of the validator set in its state after that block (the
/// set that certifies the next block), under the header's state root.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Anchor {
    pub para_id: String,
    pub header: Header,
    pub certificate: CommitCertificate,
    /// The encoded validator entries at the parachain's `sys/validators` key, as its state
    /// holds them after this block.
    pub next_validators: Vec<u8>,
    /// The proof of `next_validators` under `header.state_root`.
    pub next_validators_proof: StateProof,
}

/// Whether a registered parachain's anchors are accepted.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ParachainStatus {
    #[codec(index = 0)]
    Active,
    /// Two different blocks certified at one height: no anchor is accepted until the governing
    /// quorum recovers the parachain.
    #[codec(index = 1)]
    Frozen(alloc::boxed::Box<ForkEvidence>),
}

/// Two certified headers of one parachain at one height.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ForkEvidence {
    pub height: u64,
    /// The block anchored first.
    pub anchored: Hash,
    /// The other block, with its certificate.
    pub conflicting: Header,
    pub certificate: CommitCertificate,
    /// The main-chain height where the conflict was found.
    pub found_at: u64,
}

/// The latest anchored block of a parachain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct AnchoredBlock {
    pub height: u64,
    pub block_hash: Hash,
    pub state_root: Hash,
    pub time_ms: u64,
    /// The hash of the set that certified it.
    pub validator_set_hash: Hash,
    /// The main-chain block that anchored it.
    pub main_height: u64,
}

/// A parachain as the main chain's state holds it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ParachainRecord {
    pub registration: ParachainRegistration,
    /// The set that certifies the block after the head (the genesis set before any anchor).
    pub validators: Vec<AccountId>,
    pub status: ParachainStatus,
    pub head: Option<AnchoredBlock>,
    /// The main-chain height it was registered at.
    pub registered_at: u64,
}
