//! Signed transactions.
//!
//! The signed bytes of a transaction are the SCALE encoding of every field but the signature
//! ([`UnsignedTransaction`]); its hash is the SHA-256 of the SCALE encoding of the whole signed
//! transaction. Both are fixed by the golden tests below: changing a byte is a reviewed decision.

use alloc::string::String;
use alloc::vec::Vec;

use parity_scale_codec::{Decode, Encode};

use crate::codec::{decode_limited, DecodeError};
use crate::crypto::{AccountId, SecretKey, Signature};
use crate::hash::Hash;
use crate::MAX_CHAIN_ID_LEN;

/// The largest transaction any node will decode, whatever the chain's own (smaller) limit.
pub const MAX_TX_DECODE_BYTES: usize = 1 << 20;

/// What a transaction asks the chain to do. Variant indices are part of the wire format:
/// a new call gets a new index, and an index is never reused.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Call {
    /// Records nothing but the transaction itself: a signed, timestamped note.
    #[codec(index = 0)]
    Remark(Vec<u8>),
    /// Records evidence that a validator signed two conflicting votes.
    #[codec(index = 1)]
    ReportEquivocation(alloc::boxed::Box<crate::evidence::Equivocation>),
    /// Proposes a validator-set change; the signer's member approves it by proposing.
    #[codec(index = 2)]
    ProposeValidatorChange(crate::governance::ValidatorChangeProposal),
    /// Approves the governance proposal with this id on behalf of the signer's member.
    #[codec(index = 3)]
    Approve(u64),
    /// Stores contract code under its SHA-256; storing the same code again changes nothing.
    #[codec(index = 4)]
    UploadCode(Vec<u8>),
    /// Creates a contract from stored code, owned by the signer, and runs its `init` method
    /// (if it exports one) with `input`. Its id is [`contract_id`] of the signer and nonce.
    #[codec(index = 5)]
    Instantiate { code_hash: Hash, input: Vec<u8> },
    /// Calls an exported method of a contract with `input`.
    #[codec(index = 6)]
    CallContract {
        contract: Hash,
        method: String,
        input: Vec<u8>,
    },
    /// Points a contract at other stored code; only its owner may. The old code stays stored,
    /// and the change is recorded, so every past block can still be replayed.
    #[codec(index = 7)]
    UpgradeContract { contract: Hash, code_hash: Hash },
    /// Proposes registering a parachain (main chain); the signer's member approves it by
    /// proposing, the others with `Approve`.
    #[codec(index = 8)]
    ProposeParachain(crate::parachain::ParachainRegistration),
    /// Anchors a parachain block on the main chain, checked against the registered set.
    #[codec(index = 9)]
    Anchor(alloc::boxed::Box<crate::parachain::Anchor>),
    /// Proposes recovering a frozen parachain (main chain); approved like a registration.
    #[codec(index = 10)]
    ProposeParachainRecovery(crate::parachain::ParachainRecovery),
    /// Claims invoice fingerprints for a parachain (main chain), signed by an account of one of
    /// its members; refused if another parachain holds any of them.
    #[codec(index = 11)]
    ClaimInvoices(crate::invoice::ClaimInvoices),
    /// Releases a parachain's claims (main chain), with proofs that its state at an anchored
    /// block holds them released.
    #[codec(index = 12)]
    ReleaseInvoices(crate::invoice::ReleaseInvoices),
    /// Takes claims the main chain recorded for this parachain (parachain), each proved under
    /// a main-chain header certified from the main chain's genesis validators.
    #[codec(index = 13)]
    TakeInvoiceClaims(Vec<crate::through_anchor::InState>),
}

/// The id of the contract that `signer` creates with its transaction of `nonce`.
pub fn contract_id(signer: &AccountId, nonce: u64) -> Hash {
    Hash::digest_parts(&[b"catena/contract/v1", &signer.0, &nonce.to_le_bytes()])
}

/// The state key of `key` in contract `contract`'s own storage: `contract/<id>/<key>`.
pub fn contract_storage_key(contract: &Hash, key: &[u8]) -> alloc::vec::Vec<u8> {
    [b"contract/", &contract.0[..], b"/", key].concat()
}

/// Whether a state key is a contract's index entry (its contract key begins with
/// [`catena_abi::INDEX_PREFIX`]): kept with the state, but not in the state tree (ADR 0049).
pub fn is_index_entry(state_key: &[u8]) -> bool {
    const HEAD: usize = b"contract/".len() + 32 + 1;
    state_key.starts_with(b"contract/")
        && state_key.len() > HEAD
        && state_key[HEAD - 1] == b'/'
        && state_key[HEAD..].starts_with(catena_abi::INDEX_PREFIX)
}

/// The id of the system contract `name` that genesis deploys (`registry`, `records`, `cash`,
/// `voucher`, ...): the same on every chain, so nodes and clients find them without a lookup.
pub fn system_contract_id(name: &str) -> Hash {
    Hash::digest_parts(&[b"catena/system/v1", name.as_bytes()])
}

impl Call {
    /// A short name of the call, for receipts, logs and the API.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Remark(_) => "remark",
            Call::ReportEquivocation(_) => "report_equivocation",
            Call::ProposeValidatorChange(_) => "propose_validator_change",
            Call::Approve(_) => "approve",
            Call::UploadCode(_) => "upload_code",
            Call::Instantiate { .. } => "instantiate",
            Call::CallContract { .. } => "call_contract",
            Call::UpgradeContract { .. } => "upgrade_contract",
            Call::ProposeParachain(_) => "propose_parachain",
            Call::Anchor(_) => "anchor",
            Call::ProposeParachainRecovery(_) => "propose_parachain_recovery",
            Call::ClaimInvoices(_) => "claim_invoices",
            Call::ReleaseInvoices(_) => "release_invoices",
            Call::TakeInvoiceClaims(_) => "take_invoice_claims",
        }
    }
}

/// The signed part of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct UnsignedTransaction {
    pub chain_id: String,
    pub nonce: u64,
    pub signer: AccountId,
    pub call: Call,
}

/// A transaction as it travels and is stored.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Transaction {
    pub chain_id: String,
    pub nonce: u64,
    pub signer: AccountId,
    pub call: Call,
    pub signature: Signature,
}

/// Why a transaction fails the checks that need no chain state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("transaction is for chain '{found}', this chain is '{expected}'")]
    WrongChain { expected: String, found: String },
    #[error("signature does not match the signer {0} and the transaction's contents")]
    BadSignature(AccountId),
    #[error("transaction is {len} bytes, over this chain's limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("chain id is {0} bytes long, over the limit of 64")]
    ChainIdTooLong(usize),
    #[error("cannot decode transaction: {0}")]
    Decode(#[from] DecodeError),
}

impl UnsignedTransaction {
    /// The bytes a signer signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    pub fn sign(self, key: &SecretKey) -> Transaction {
        let signature = key.sign(&self.signing_bytes());
        Transaction {
            chain_id: self.chain_id,
            nonce: self.nonce,
            signer: self.signer,
            call: self.call,
            signature,
        }
    }
}

impl Transaction {
    /// Builds and signs a transaction from `key`'s account.
    pub fn signed(chain_id: &str, nonce: u64, call: Call, key: &SecretKey) -> Transaction {
        UnsignedTransaction {
            chain_id: chain_id.into(),
            nonce,
            signer: key.account(),
            call,
        }
        .sign(key)
    }

    /// Decodes a transaction received from a user or a peer.
    pub fn decode_untrusted(bytes: &[u8]) -> Result<Transaction, TxError> {
        let tx: Transaction = decode_limited(bytes, MAX_TX_DECODE_BYTES)?;
        if tx.chain_id.len() > MAX_CHAIN_ID_LEN {
            return Err(TxError::ChainIdTooLong(tx.chain_id.len()));
        }
        Ok(tx)
    }

    /// The bytes that were signed: the SCALE encoding of all fields but the signature. Encoded
    /// field by field, in the order of [`UnsignedTransaction`], without cloning the call.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.chain_id.len() + 48);
        self.chain_id.encode_to(&mut out);
        self.nonce.encode_to(&mut out);
        self.signer.encode_to(&mut out);
        self.call.encode_to(&mut out);
        out
    }

    /// The transaction's identity: SHA-256 of its full SCALE encoding.
    pub fn hash(&self) -> Hash {
        Hash::digest(&self.encode())
    }

    /// Checks everything that needs no chain state: chain id, size and signature.
    pub fn check_stateless(&self, chain_id: &str, max_bytes: usize) -> Result<(), TxError> {
        self.check_envelope(chain_id, max_bytes)?;
        if !self.signature_valid() {
            return Err(TxError::BadSignature(self.signer));
        }
        Ok(())
    }

    /// Whether the signer's signature covers this transaction.
    pub fn signature_valid(&self) -> bool {
        self.signer.verify(&self.signing_bytes(), &self.signature)
    }

    /// The stateless checks but the signature: chain id and size.
    pub fn check_envelope(&self, chain_id: &str, max_bytes: usize) -> Result<(), TxError> {
        if self.chain_id != chain_id {
            return Err(TxError::WrongChain {
                expected: chain_id.into(),
                found: self.chain_id.clone(),
            });
        }
        let len = self.encoded_size();
        if len > max_bytes {
            return Err(TxError::TooLarge {
                len,
                limit: max_bytes,
            });
        }
        Ok(())
    }

    /// Whether each transaction's signature is valid: one batch check
    /// ([`crate::verify_batch`]), and only if it fails, each alone.
    pub fn signatures_valid(txs: &[&Transaction]) -> Vec<bool> {
        let messages: Vec<Vec<u8>> = txs.iter().map(|tx| tx.signing_bytes()).collect();
        let items: Vec<crate::crypto::SignedItem<'_>> = txs
            .iter()
            .zip(&messages)
            .map(|(tx, message)| (&tx.signer, message.as_slice(), &tx.signature))
            .collect();
        if crate::verify_batch(&items) {
            return alloc::vec![true; txs.len()];
        }
        items
            .iter()
            .map(|(key, message, signature)| key.verify(message, signature))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_entries_are_told_by_their_contract_key() {
        let id = Hash([7; 32]);
        assert!(is_index_entry(&contract_storage_key(&id, b"~/h/x")));
        assert!(!is_index_entry(&contract_storage_key(&id, b"h/~/x")));
        assert!(!is_index_entry(&contract_storage_key(&id, b"~")));
        assert!(!is_index_entry(b"sys/nonce/~/"));
        // A contract id that happens to hold the prefix's bytes does not make an index entry.
        let mut odd = contract_storage_key(&Hash([b'~'; 32]), b"v/1");
        assert!(!is_index_entry(&odd));
        odd.truncate(9 + 32);
        assert!(!is_index_entry(&odd));
    }

    fn golden_tx() -> Transaction {
        let key = SecretKey::from_seed([1u8; 32]);
        Transaction::signed("catena-dev", 7, Call::Remark(b"hi".to_vec()), &key)
    }

    /// The exact bytes of a transaction. If this test fails, the wire format changed: every
    /// client that builds transactions must change with it.
    #[test]
    fn golden_transaction_bytes() {
        let tx = golden_tx();
        let signer = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
        let signing = alloc::format!(
            "28636174656e612d646576{}{}{}",
            "0700000000000000",
            signer,
            "00086869"
        );
        assert_eq!(hex::encode(tx.signing_bytes()), signing);
        assert_eq!(
            tx.signing_bytes(),
            UnsignedTransaction {
                chain_id: tx.chain_id.clone(),
                nonce: tx.nonce,
                signer: tx.signer,
                call: tx.call.clone(),
            }
            .encode()
        );
        let full = hex::encode(tx.encode());
        assert!(full.starts_with(&signing));
        assert_eq!(full.len(), signing.len() + 128);
        assert_eq!(full, GOLDEN_TX_HEX);
        assert_eq!(tx.hash().to_string(), GOLDEN_TX_HASH);
    }

    const GOLDEN_TX_HEX: &str = "28636174656e612d64657607000000000000008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c000868696f0de7877ba19a3730a9ae1528cb88327dd8414dfd045a9364b649317a0943a6308a4b1f207b26614fc00185f813af65507f5af1a093d8a2c6f4583e728f5a06";
    const GOLDEN_TX_HASH: &str =
        "0xa4cc4dfedb68b57ec42c6e620f93381db986fcdce61982b46c8e73d422a5754f";

    #[test]
    fn stateless_checks() {
        let tx = golden_tx();
        assert_eq!(tx.check_stateless("catena-dev", 1024), Ok(()));
        assert!(matches!(
            tx.check_stateless("other", 1024),
            Err(TxError::WrongChain { .. })
        ));
        assert!(matches!(
            tx.check_stateless("catena-dev", 10),
            Err(TxError::TooLarge { .. })
        ));
        let mut tampered = tx.clone();
        tampered.nonce += 1;
        assert!(matches!(
            tampered.check_stateless("catena-dev", 1024),
            Err(TxError::BadSignature(_))
        ));
    }

    #[test]
    fn decode_roundtrip_and_limits() {
        let tx = golden_tx();
        let bytes = tx.encode();
        assert_eq!(Transaction::decode_untrusted(&bytes), Ok(tx));
        assert!(Transaction::decode_untrusted(&bytes[..bytes.len() - 1]).is_err());
        let big = Transaction::signed(
            "catena-dev",
            0,
            Call::Remark(alloc::vec![0u8; MAX_TX_DECODE_BYTES]),
            &SecretKey::from_seed([1u8; 32]),
        );
        assert!(matches!(
            Transaction::decode_untrusted(&big.encode()),
            Err(TxError::Decode(DecodeError::TooLarge { .. }))
        ));
    }
}
