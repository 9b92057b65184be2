//! Evidence bundles for a court (PARACHAINS.md "Evidence bundle", docs/evidence.md): one file,
//! `catena-evidence/1`, that proves a voucher's or a record's story offline from the main
//! chain's genesis validators alone. [`export`] assembles one from a chain's API (a [`Source`]:
//! over HTTP by `catena-client`, in process by the explorer); [`verify`] checks one with no node
//! and says which facts it proves and what it does not.
//!
//! The file is canonical JSON (compact, fields in order, lowercase `0x` hex, padded base64),
//! its binary parts SCALE-encoded in hex. Verification re-encodes what it read and requires the
//! very same bytes, and every field is either checked by a proof or compared with what a proof
//! established: no byte of a bundle can change without the verification failing.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod export;
mod facts;
mod verify;

pub use export::{export, Subject};

/// Where an export reads: a chain's API, by the paths of its routes (`/proofs/0x…`,
/// `/vouchers/7/lineage`, …).
pub trait Source {
    /// `GET path` as JSON; an error carrying the node's message when it is not a success.
    fn get(&self, path: &str) -> anyhow::Result<serde_json::Value>;
}
pub use verify::{verify, Failure, Report};

/// The format this crate writes and reads.
pub const FORMAT: &str = "catena-evidence/1";

/// Bytes written as lowercase hex with a `0x` prefix, and read only in that form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hex(pub Vec<u8>);

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(&self.0)))
    }
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Hex, D::Error> {
        let text = String::deserialize(d)?;
        let digits = text
            .strip_prefix("0x")
            .ok_or_else(|| serde::de::Error::custom("hex without its 0x prefix"))?;
        if digits.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("hex in upper case"));
        }
        hex::decode(digits)
            .map(Hex)
            .map_err(|e| serde::de::Error::custom(format!("not hex: {e}")))
    }
}

/// Bytes written as standard, padded base64, and read only in that form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base64(pub Vec<u8>);

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Base64, D::Error> {
        use base64::Engine;
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Base64)
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

/// What a bundle is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum BundleSubject {
    /// A voucher (or part) by id.
    Voucher(u64),
    /// A recorded document by its SHA-256.
    Record(Hex),
}

/// The main chain's genesis validators: what everything in a bundle rests on. A court compares
/// them with the main chain's published spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRoot {
    pub main_chain_id: String,
    pub validators: Vec<Hex>,
}

/// A parachain's registration and its anchored block, under the main header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParachainPart {
    pub id: String,
    /// SCALE `through_anchor::Entry` of `sys/para/<id>` under the main header's state root.
    pub registration: Hex,
    /// SCALE `parachain::AnchoredBlock`, and the SCALE `StateProof` of it under the main
    /// header's state root.
    pub anchored: Hex,
    pub anchor_proof: Hex,
}

/// A transaction of a block and its receipt (SCALE).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxPart {
    pub index: u32,
    pub tx: Hex,
    pub receipt: Hex,
}

/// A block of the subject's chain, certified from its genesis validators, with transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockPart {
    /// SCALE `through_anchor::Certified`.
    pub certified: Hex,
    /// Every transaction's hash, in order (their ordered root is the header's tx_root).
    pub tx_hashes: Vec<Hex>,
    /// Each scheduled run's hash, then each receipt's (their ordered root is the receipts root).
    pub receipt_hashes: Vec<Hex>,
    pub transactions: Vec<TxPart>,
}

/// A document whose SHA-256 a proved record names, carried whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentPart {
    pub sha256: Hex,
    pub content: Base64,
}

/// One evidence bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    pub subject: BundleSubject,
    /// The chain the subject lives on (a parachain, or the main chain itself).
    pub chain_id: String,
    pub trust_root: TrustRoot,
    /// SCALE `through_anchor::Certified`: the main header the proofs rest on.
    pub main: Hex,
    /// Present when the subject lives on a parachain.
    pub parachain: Option<ParachainPart>,
    /// SCALE `through_anchor::Entry`s under the anchored parachain root (or the main header's).
    pub entries: Vec<Hex>,
    pub blocks: Vec<BlockPart>,
    pub documents: Vec<DocumentPart>,
}

impl Bundle {
    /// The bundle's canonical bytes: what a file holds.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a bundle always serialises")
    }
}
