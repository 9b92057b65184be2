//! Headers, blocks, votes, commit certificates and receipts.

use alloc::string::String;
use alloc::vec::Vec;

use parity_scale_codec::{Decode, Encode};

use crate::codec::{decode_limited, DecodeError};
use crate::crypto::{AccountId, SecretKey, Signature};
use crate::hash::Hash;
use crate::merkle::ordered_root;
use crate::tx::Transaction;

/// A block header. Its hash is the SHA-256 of its SCALE encoding, fixed by a golden test.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Header {
    pub chain_id: String,
    pub height: u64,
    pub parent_hash: Hash,
    /// Milliseconds since the Unix epoch, chosen by the proposer; strictly greater than the
    /// parent's. Execution reads time only from here.
    pub time_ms: u64,
    pub proposer: AccountId,
    /// [`ordered_root`] of the transactions' hashes.
    pub tx_root: Hash,
    /// Root of the Merkle state tree after executing this block.
    pub state_root: Hash,
    /// [`ordered_root`] of the receipts' hashes.
    pub receipts_root: Hash,
    /// Hash of the validator set that certifies this block.
    pub validator_set_hash: Hash,
}

impl Header {
    pub fn hash(&self) -> Hash {
        Hash::digest(&self.encode())
    }
}

/// A header and its ordered transactions.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Block {
    pub header: Header,
    pub transactions: Vec<Transaction>,
}

impl Block {
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }

    /// The transaction root these transactions must have.
    pub fn compute_tx_root(transactions: &[Transaction]) -> Hash {
        let hashes: Vec<Hash> = transactions.iter().map(Transaction::hash).collect();
        Block::tx_root_of(&hashes)
    }

    /// The transaction root from the transactions' hashes, in block order.
    pub fn tx_root_of(hashes: &[Hash]) -> Hash {
        ordered_root(hashes)
    }

    /// Decodes a block received from a peer or read back from disk.
    pub fn decode_untrusted(bytes: &[u8], max_len: usize) -> Result<Block, DecodeError> {
        decode_limited(bytes, max_len)
    }
}

/// What a validator signs to commit a block: the chain, the height, the round and the block.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Vote {
    pub chain_id: String,
    pub height: u64,
    pub round: u32,
    pub block_hash: Hash,
}

/// Domain tag in front of every signed vote, so that a vote's signature can never be taken
/// for a transaction's (whose signed bytes start with the chain id's length).
pub const VOTE_DOMAIN: &[u8] = b"catena/commit-vote/v1";

impl Vote {
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::from(VOTE_DOMAIN);
        self.encode_to(&mut out);
        out
    }

    pub fn sign(&self, key: &SecretKey) -> (AccountId, Signature) {
        (key.account(), key.sign(&self.signing_bytes()))
    }
}

/// A quorum of validator signatures over one [`Vote`]: the proof that a block is final.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct CommitCertificate {
    pub height: u64,
    pub round: u32,
    pub block_hash: Hash,
    pub signatures: Vec<(AccountId, Signature)>,
}

impl CommitCertificate {
    /// The vote every signature in this certificate signs.
    pub fn vote(&self, chain_id: &str) -> Vote {
        Vote {
            chain_id: chain_id.into(),
            height: self.height,
            round: self.round,
            block_hash: self.block_hash,
        }
    }
}

/// Whether a transaction did what it asked.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ReceiptStatus {
    #[codec(index = 0)]
    Success,
    /// The call failed; its changes were dropped and only the nonce advanced.
    #[codec(index = 1)]
    Failed(String),
}

/// An event a contract emitted during a successful call.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ContractEvent {
    pub contract: Hash,
    pub topic: Vec<u8>,
    pub data: Vec<u8>,
}

/// The outcome of one transaction in a block.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Receipt {
    pub tx_hash: Hash,
    pub status: ReceiptStatus,
    /// Execution cost in fuel units; zero for calls that run no contract code.
    pub fuel_used: u64,
    /// Events of the contracts it called, in order (empty if it failed).
    pub events: Vec<ContractEvent>,
    /// What the called contract returned (empty if none, or if it failed).
    pub output: Vec<u8>,
}

impl Receipt {
    pub fn hash(&self) -> Hash {
        Hash::digest(&self.encode())
    }

    pub fn compute_root(receipts: &[Receipt]) -> Hash {
        let hashes: Vec<Hash> = receipts.iter().map(Receipt::hash).collect();
        ordered_root(&hashes)
    }

    /// A block's receipts root: [`ordered_root`] of its scheduled runs' hashes, then its
    /// transactions' receipts' hashes. With no scheduled runs it is [`Receipt::compute_root`].
    pub fn compute_block_root(scheduled: &[ScheduledRun], receipts: &[Receipt]) -> Hash {
        let hashes: Vec<Hash> = scheduled
            .iter()
            .map(|run| Hash::digest(&run.encode()))
            .chain(receipts.iter().map(Receipt::hash))
            .collect();
        ordered_root(&hashes)
    }
}

/// A call a contract scheduled for a time, run at the start of the first block whose time
/// reached it (no transaction asks for it), with its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ScheduledRun {
    /// The scheduled call's id, in the order calls were scheduled on this chain.
    pub id: u64,
    /// The time it was due at.
    pub due_ms: u64,
    pub contract: Hash,
    pub method: String,
    /// Its outcome; `tx_hash` is [`ScheduledRun::receipt_id`] of the id.
    pub receipt: Receipt,
}

impl ScheduledRun {
    /// The id that stands in for a transaction hash in a scheduled call's receipt.
    pub fn receipt_id(id: u64) -> Hash {
        Hash::digest_parts(&[b"catena/scheduled/v1", &id.to_le_bytes()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn golden_header() -> Header {
        Header {
            chain_id: "catena-dev".into(),
            height: 5,
            parent_hash: Hash([0x11; 32]),
            time_ms: 1_767_225_600_000,
            proposer: SecretKey::from_seed([2u8; 32]).account(),
            tx_root: Hash([0x22; 32]),
            state_root: Hash([0x33; 32]),
            receipts_root: Hash([0x44; 32]),
            validator_set_hash: Hash([0x55; 32]),
        }
    }

    /// The exact bytes of a header. If this fails, the block hash of every block changed.
    #[test]
    fn golden_header_bytes() {
        let header = golden_header();
        let expected = [
            "28636174656e612d646576", // chain id: compact length 10, "catena-dev"
            "0500000000000000",       // height, little-endian u64
            &"11".repeat(32),         // parent hash
            "00a8da769b010000",       // time_ms, little-endian u64
            &hex::encode(header.proposer.0),
            &"22".repeat(32),
            &"33".repeat(32),
            &"44".repeat(32),
            &"55".repeat(32),
        ]
        .concat();
        assert_eq!(hex::encode(header.encode()), expected);
        assert_eq!(header.hash().to_string(), GOLDEN_HEADER_HASH);
    }

    const GOLDEN_HEADER_HASH: &str =
        "0x4b937462b4b16ccff3a216eacd2b79c6f06d02b5740d9ab8cb9eb0273bcf2d21";

    #[test]
    fn vote_bytes_are_domain_separated() {
        let vote = Vote {
            chain_id: "c".into(),
            height: 1,
            round: 0,
            block_hash: Hash::ZERO,
        };
        assert!(vote.signing_bytes().starts_with(VOTE_DOMAIN));
        let key = SecretKey::from_seed([3u8; 32]);
        let (who, sig) = vote.sign(&key);
        assert!(who.verify(&vote.signing_bytes(), &sig));
    }
}
