//! Assembling an evidence bundle from a node's API: the subject's entries proved through one
//! anchored block (or under one main header), the blocks of its history with the transactions
//! about it, the signers' memberships, and optionally the documents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context};
use catena_primitives::parachain::record_key;
use catena_primitives::through_anchor::{Entry, InState, ThroughAnchor};
use catena_primitives::tx::contract_storage_key;
use catena_primitives::validator::{ValidatorEntry, VALIDATORS_KEY};
use catena_primitives::{system_contract_id, Hash, Receipt, Transaction};
use catena_schema::names;
use catena_schema::records::{keys as record_keys, Record};
use catena_schema::registry::keys as registry_keys;
use catena_schema::voucher::{keys as voucher_keys, Voucher};
use parity_scale_codec::{Decode, DecodeAll, Encode};

use super::{
    Base64, BlockPart, Bundle, BundleSubject, DocumentPart, Hex, ParachainPart, TrustRoot, TxPart,
    FORMAT,
};
use crate::Source;

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Voucher(u64),
    Record(Hash),
}

/// The id of the chain `source` reads.
fn chain_id_of(source: &dyn Source) -> anyhow::Result<String> {
    let status = source.get("/status")?;
    status["chain_id"]
        .as_str()
        .map(str::to_string)
        .context("the node's status names no chain")
}

fn hex_field(value: &serde_json::Value, field: &str) -> anyhow::Result<Vec<u8>> {
    let text = value[field]
        .as_str()
        .with_context(|| format!("the node's answer has no '{field}'"))?;
    hex::decode(text.trim_start_matches("0x")).with_context(|| format!("'{field}' is not hex"))
}

/// Where the entries are proved: through one anchored block of a parachain, or under one main
/// header.
enum Base {
    Anchored { height: u64, first: ThroughAnchor },
    Main { height: u64, first: InState },
}

struct Exporter<'a> {
    chain: &'a dyn Source,
    base: Option<Base>,
    entries: Vec<Entry>,
    keys: BTreeSet<Vec<u8>>,
}

impl Exporter<'_> {
    /// Proves `key` at the base (the first key proved fixes it); its value.
    fn prove(&mut self, key: Vec<u8>) -> anyhow::Result<Option<Vec<u8>>> {
        let path = format!("/proofs/0x{}", hex::encode(&key));
        let (entry, base) = match &self.base {
            None => {
                let view = self.chain.get(&path)?;
                let proof = hex_field(&view, "proof")?;
                let height = view["height"].as_u64().context("no height")?;
                match view["kind"].as_str() {
                    Some("through_anchor") => {
                        let first = ThroughAnchor::decode_all(&mut &proof[..])?;
                        (first.entry.clone(), Some(Base::Anchored { height, first }))
                    }
                    _ => {
                        let first = InState::decode_all(&mut &proof[..])?;
                        (first.entry.clone(), Some(Base::Main { height, first }))
                    }
                }
            }
            Some(Base::Anchored { height, .. }) => {
                let view = self.chain.get(&format!("{path}?from={height}"))?;
                if view["height"].as_u64() != Some(*height) {
                    bail!("the node proved {path} at another anchored block");
                }
                let proof = ThroughAnchor::decode_all(&mut &hex_field(&view, "proof")?[..])?;
                (proof.entry, None)
            }
            Some(Base::Main { height, .. }) => {
                let view = self.chain.get(&format!("{path}?height={height}"))?;
                let proof = InState::decode_all(&mut &hex_field(&view, "proof")?[..])?;
                (proof.entry, None)
            }
        };
        if let Some(base) = base {
            self.base = Some(base);
        }
        let value = entry.value.clone();
        if value.is_some() && self.keys.insert(key) {
            self.entries.push(entry);
        }
        Ok(value)
    }
}

/// Assembles the bundle of `subject` from `chain` (the subject's chain, with reads its node
/// answers) and `main` (the main chain on the same node); documents whose SHA-256 a proved
/// record names are carried from `documents` (a directory) if given.
pub fn export(
    chain: &dyn Source,
    main: &dyn Source,
    subject: Subject,
    documents: Option<&Path>,
) -> anyhow::Result<Bundle> {
    let chain_id = chain_id_of(chain)?;
    let main_id = chain_id_of(main)?;
    let genesis = main.get(&format!(
        "/state/0x{}?height=0",
        hex::encode(VALIDATORS_KEY)
    ))?;
    let validators = Vec::<ValidatorEntry>::decode_all(&mut &hex_field(&genesis, "value")?[..])
        .context("the main chain's genesis validators do not decode")?;
    let voucher_id = system_contract_id(names::VOUCHER);
    let records_id = system_contract_id(names::RECORDS);
    let mut x = Exporter {
        chain,
        base: None,
        entries: Vec::new(),
        keys: BTreeSet::new(),
    };
    // The subject and what it rests on: a voucher's lineage and history, the records.
    let mut record_ids: Vec<[u8; 32]> = Vec::new();
    let mut heights: BTreeSet<u64> = BTreeSet::new();
    let mut lineage: BTreeSet<u64> = BTreeSet::new();
    match subject {
        Subject::Voucher(id) => {
            let mut next = Some(id);
            while let Some(id) = next {
                let value = x
                    .prove(contract_storage_key(
                        &voucher_id,
                        &voucher_keys::voucher_key(id),
                    ))?
                    .with_context(|| format!("no voucher {id} on {chain_id}"))?;
                let voucher = Voucher::decode(&mut &value[..])?;
                lineage.insert(id);
                for n in 0..voucher.history_len {
                    let key = voucher_keys::history_key(id, n);
                    if let Some(v) = x.prove(contract_storage_key(&voucher_id, &key))? {
                        let entry = catena_schema::voucher::HistoryEntry::decode(&mut &v[..])?;
                        heights.insert(entry.height);
                    }
                }
                record_ids.extend(voucher.backing.iter().map(|b| b.invoice));
                record_ids.extend(voucher.records.iter().copied());
                next = voucher.parent;
            }
        }
        Subject::Record(hash) => record_ids.push(hash.0),
    }
    let mut recorders = Vec::new();
    for id in &record_ids {
        let key = contract_storage_key(&records_id, &record_keys::record_key(id));
        if let Some(value) = x.prove(key)? {
            let record = Record::decode(&mut &value[..])?;
            heights.insert(record.height);
            recorders.push(record.recorder_account);
        } else if matches!(subject, Subject::Record(_)) {
            bail!(
                "document 0x{} is not recorded on {chain_id}",
                hex::encode(id)
            );
        }
    }
    // The blocks of that history, with the transactions about the subject.
    let mut blocks = Vec::new();
    let mut signers: Vec<[u8; 32]> = recorders;
    for height in heights {
        let view = chain.get(&format!("/proofs/blocks/{height}"))?;
        let hashes = |field: &str| -> anyhow::Result<Vec<Hex>> {
            view[field]
                .as_array()
                .with_context(|| format!("no '{field}'"))?
                .iter()
                .map(|h| {
                    let text = h.as_str().context("a hash")?;
                    Ok(Hex(hex::decode(text.trim_start_matches("0x"))?))
                })
                .collect()
        };
        let mut transactions = Vec::new();
        for tx in view["transactions"].as_array().context("no transactions")? {
            let tx_bytes = hex_field(tx, "tx")?;
            let receipt_bytes = hex_field(tx, "receipt")?;
            let receipt = Receipt::decode_all(&mut &receipt_bytes[..])?;
            let about = receipt.events.iter().any(|e| {
                (e.contract == voucher_id
                    && e.data.len() >= 8
                    && lineage.contains(&u64::from_le_bytes(e.data[..8].try_into().expect("8"))))
                    || (e.contract == records_id
                        && record_ids
                            .iter()
                            .any(|id| e.data.windows(32).any(|w| w == id)))
            });
            if !about {
                continue;
            }
            let decoded = Transaction::decode_all(&mut &tx_bytes[..])?;
            signers.push(decoded.signer.0);
            transactions.push(TxPart {
                index: u32::try_from(tx["index"].as_u64().context("no index")?)?,
                tx: Hex(tx_bytes),
                receipt: Hex(receipt_bytes),
            });
        }
        blocks.push(BlockPart {
            certified: Hex(hex_field(&view, "certified")?),
            tx_hashes: hashes("tx_hashes")?,
            receipt_hashes: hashes("receipt_hashes")?,
            transactions,
        });
    }
    // Who the signers and recorders are.
    let registry_id = system_contract_id(names::REGISTRY);
    for account in signers {
        x.prove(contract_storage_key(
            &registry_id,
            &registry_keys::account_key(&account),
        ))?;
    }
    let (main_part, parachain) = match x.base.take().context("nothing was proved")? {
        Base::Anchored { first, .. } => {
            let m = first.main.header.header.height;
            let view = main.get(&format!(
                "/proofs/0x{}?height={m}",
                hex::encode(record_key(&chain_id))
            ))?;
            let registration = InState::decode_all(&mut &hex_field(&view, "proof")?[..])?;
            let part = ParachainPart {
                id: chain_id.clone(),
                registration: Hex(registration.entry.encode()),
                anchored: Hex(first.anchored.encode()),
                anchor_proof: Hex(first.anchor_proof.encode()),
            };
            (first.main, Some(part))
        }
        Base::Main { first, .. } => (first.at, None),
    };
    let documents = match documents {
        Some(dir) => carried(dir, &record_ids)?,
        None => Vec::new(),
    };
    Ok(Bundle {
        format: FORMAT.into(),
        subject: match subject {
            Subject::Voucher(id) => BundleSubject::Voucher(id),
            Subject::Record(hash) => BundleSubject::Record(Hex(hash.0.to_vec())),
        },
        chain_id,
        trust_root: TrustRoot {
            main_chain_id: main_id,
            validators: validators
                .iter()
                .map(|v| Hex(v.account.0.to_vec()))
                .collect(),
        },
        main: Hex(main_part.encode()),
        parachain,
        entries: x.entries.iter().map(|e| Hex(e.encode())).collect(),
        blocks,
        documents,
    })
}

/// The files of `dir` whose SHA-256 is one of `records`, once each.
fn carried(dir: &Path, records: &[[u8; 32]]) -> anyhow::Result<Vec<DocumentPart>> {
    let mut found: BTreeMap<[u8; 32], Vec<u8>> = BTreeMap::new();
    let listing =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for item in listing {
        let path = item?.path();
        if !path.is_file() {
            continue;
        }
        let content =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let digest = Hash::digest(&content).0;
        if records.contains(&digest) {
            found.insert(digest, content);
        }
    }
    Ok(found
        .into_iter()
        .map(|(sha, content)| DocumentPart {
            sha256: Hex(sha.to_vec()),
            content: Base64(content),
        })
        .collect())
}
