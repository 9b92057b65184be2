//! Offline verification of an evidence bundle: every step from the trust root, each failure
//! naming its step; then the facts the proved bytes establish (see [`super::facts`]).

use catena_primitives::block::Header;
use catena_primitives::merkle::ordered_root;
use catena_primitives::parachain::{anchor_key, record_key, AnchoredBlock, ParachainRecord};
use catena_primitives::through_anchor::{Certified, Entry};
use catena_primitives::{AccountId, Hash, Receipt, StateProof, Transaction};
use parity_scale_codec::{DecodeAll, Encode};

use super::facts::{self, Fact, Proved};
use super::{Bundle, BundleSubject, FORMAT};

/// The step of a bundle that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step '{step}' failed: {reason}")]
pub struct Failure {
    pub step: String,
    pub reason: String,
}

/// What a bundle proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub subject: String,
    /// The trust root: the main chain and the SHA-256 of its genesis validators' keys in order
    /// (compare with the main chain's published spec).
    pub trust_root: String,
    pub facts: Vec<Fact>,
    /// What the bundle does not prove.
    pub limits: Vec<String>,
}

fn fail(step: impl Into<String>, reason: impl std::fmt::Display) -> Failure {
    Failure {
        step: step.into(),
        reason: reason.to_string(),
    }
}

/// Decodes `bytes` as SCALE `T`, requiring them to be `T`'s one encoding of the value.
fn decode<T: DecodeAll + Encode>(step: &str, what: &str, bytes: &[u8]) -> Result<T, Failure> {
    let value = T::decode_all(&mut &bytes[..])
        .map_err(|e| fail(step, format!("{what} does not decode: {e}")))?;
    if value.encode() != bytes {
        return Err(fail(
            step,
            format!("{what} is not in its canonical encoding"),
        ));
    }
    Ok(value)
}

fn accounts(step: &str, keys: &[super::Hex]) -> Result<Vec<AccountId>, Failure> {
    keys.iter()
        .map(|k| {
            <[u8; 32]>::try_from(k.0.as_slice())
                .map(AccountId)
                .map_err(|_| fail(step, "a validator key is not 32 bytes"))
        })
        .collect()
}

/// Verifies `bytes` as a bundle, offline. `Err` names the first step that failed.
pub fn verify(bytes: &[u8]) -> Result<Report, Failure> {
    let bundle: Bundle = serde_json::from_slice(bytes)
        .map_err(|e| fail("format", format!("not a {FORMAT} bundle: {e}")))?;
    if bundle.to_bytes() != bytes {
        return Err(fail(
            "format",
            "not the canonical encoding of its content (compact JSON, lowercase hex)",
        ));
    }
    if bundle.format != FORMAT {
        return Err(fail(
            "format",
            format!("format '{}', not '{FORMAT}'", bundle.format),
        ));
    }
    let main_id = &bundle.trust_root.main_chain_id;
    let genesis = accounts("trust root", &bundle.trust_root.validators)?;
    let main: Certified = decode("main header", "the main header", &bundle.main.0)?;
    if main.chain_id != *main_id {
        return Err(fail(
            "main header",
            format!("is of chain '{}', not '{main_id}'", main.chain_id),
        ));
    }
    let main_header = main
        .verify(&genesis)
        .map_err(|e| fail("main header", e))?
        .clone();
    let mut proved = Proved::new(&bundle, &main, &main_header, &genesis);

    // Where the entries live: a parachain's anchored state, or the main chain's.
    let (root, chain_genesis) = match &bundle.parachain {
        Some(para) => {
            let (anchored, para_genesis) = parachain(&bundle, para, &main_header)?;
            let root = anchored.state_root;
            proved.anchored(anchored, para_genesis.clone());
            (root, para_genesis)
        }
        None => {
            if bundle.chain_id != *main_id {
                return Err(fail(
                    "chain",
                    format!(
                        "the subject's chain '{}' is not the main chain and no parachain part is given",
                        bundle.chain_id
                    ),
                ));
            }
            (main_header.state_root, genesis.clone())
        }
    };
    for (i, bytes) in bundle.entries.iter().enumerate() {
        let step = format!("entry {}", i + 1);
        let entry: Entry = decode(&step, "the entry", &bytes.0)?;
        entry
            .proof
            .verify(root, &entry.key, entry.value.as_deref())
            .map_err(|e| fail(&step, format!("not in the proved state: {e}")))?;
        proved.entry(entry).map_err(|e| fail(&step, e))?;
    }
    for (i, block) in bundle.blocks.iter().enumerate() {
        let step = format!("block {}", i + 1);
        let header = certified_block(&bundle.chain_id, &chain_genesis, block, &step)?;
        for tx in &block.transactions {
            let step = format!("{step} transaction {}", tx.index);
            let (tx_view, receipt) = transaction(block, tx, &bundle.chain_id, &step)?;
            proved.transaction(&header, tx_view, receipt);
        }
        proved.block(header);
    }
    for (i, document) in bundle.documents.iter().enumerate() {
        let step = format!("document {}", i + 1);
        let digest = Hash::digest(&document.content.0);
        if digest.0[..] != document.sha256.0[..] {
            return Err(fail(&step, "its content does not have its SHA-256"));
        }
        proved.document(digest).map_err(|e| fail(&step, e))?;
    }
    let subject = match &bundle.subject {
        BundleSubject::Voucher(id) => format!("voucher {id} on {}", bundle.chain_id),
        BundleSubject::Record(hash) => {
            format!("document 0x{} on {}", hex::encode(&hash.0), bundle.chain_id)
        }
    };
    let facts = proved
        .facts(&bundle.subject)
        .map_err(|e| fail("subject", e))?;
    Ok(Report {
        subject,
        trust_root: format!(
            "main chain '{main_id}', {} genesis validators, SHA-256 of their keys in order {}",
            genesis.len(),
            Hash::digest(&genesis.iter().flat_map(|a| a.0).collect::<Vec<u8>>())
        ),
        facts,
        limits: facts::LIMITS.iter().map(|s| s.to_string()).collect(),
    })
}

/// The parachain's registration and anchored block under the main header; the anchored block
/// and the parachain's genesis validators.
fn parachain(
    bundle: &Bundle,
    para: &super::ParachainPart,
    main_header: &Header,
) -> Result<(AnchoredBlock, Vec<AccountId>), Failure> {
    let step = "parachain registration";
    if para.id != bundle.chain_id {
        return Err(fail(
            step,
            format!(
                "names parachain '{}', the subject's chain is '{}'",
                para.id, bundle.chain_id
            ),
        ));
    }
    let entry: Entry = decode(step, "the registration", &para.registration.0)?;
    if entry.key != record_key(&para.id) {
        return Err(fail(step, "is not the registration of that parachain"));
    }
    let value = entry
        .value
        .as_deref()
        .ok_or_else(|| fail(step, "the parachain is not registered"))?;
    entry
        .proof
        .verify(main_header.state_root, &entry.key, Some(value))
        .map_err(|e| fail(step, format!("not in the main chain's state: {e}")))?;
    let record: ParachainRecord = decode(step, "the registration", value)?;
    if record.registration.id != para.id {
        return Err(fail(step, "registers another parachain"));
    }
    let genesis = record
        .registration
        .validators
        .iter()
        .map(|v| v.account)
        .collect();
    let step = "anchor";
    let anchored: AnchoredBlock = decode(step, "the anchored block", &para.anchored.0)?;
    let proof: StateProof = decode(step, "the anchor's proof", &para.anchor_proof.0)?;
    proof
        .verify(
            main_header.state_root,
            &anchor_key(&para.id, anchored.height),
            Some(&para.anchored.0),
        )
        .map_err(|e| fail(step, format!("not anchored on the main chain: {e}")))?;
    Ok((anchored, genesis))
}

/// A block's header certified from the chain's genesis validators, its lists matching its roots.
fn certified_block(
    chain_id: &str,
    genesis: &[AccountId],
    block: &super::BlockPart,
    step: &str,
) -> Result<Header, Failure> {
    let certified: Certified = decode(step, "the block", &block.certified.0)?;
    if certified.chain_id != chain_id {
        return Err(fail(
            step,
            format!("is of chain '{}', not '{chain_id}'", certified.chain_id),
        ));
    }
    let header = certified
        .verify(genesis)
        .map_err(|e| fail(step, e))?
        .clone();
    let hashes = |list: &[super::Hex]| -> Result<Vec<Hash>, Failure> {
        list.iter()
            .map(|h| {
                <[u8; 32]>::try_from(h.0.as_slice())
                    .map(Hash)
                    .map_err(|_| fail(step, "a hash is not 32 bytes"))
            })
            .collect()
    };
    if ordered_root(&hashes(&block.tx_hashes)?) != header.tx_root {
        return Err(fail(
            step,
            "its transaction hashes are not its transaction root's",
        ));
    }
    if ordered_root(&hashes(&block.receipt_hashes)?) != header.receipts_root {
        return Err(fail(step, "its receipt hashes are not its receipts root's"));
    }
    if block.receipt_hashes.len() < block.tx_hashes.len() {
        return Err(fail(step, "fewer receipts than transactions"));
    }
    Ok(header)
}

/// A transaction of a verified block: in its list, signed, its receipt in the receipts list.
fn transaction(
    block: &super::BlockPart,
    part: &super::TxPart,
    chain_id: &str,
    step: &str,
) -> Result<(Transaction, Receipt), Failure> {
    let tx: Transaction = decode(step, "the transaction", &part.tx.0)?;
    let receipt: Receipt = decode(step, "the receipt", &part.receipt.0)?;
    let index = part.index as usize;
    let listed = block
        .tx_hashes
        .get(index)
        .ok_or_else(|| fail(step, "no such place in the block"))?;
    if listed.0[..] != tx.hash().0[..] {
        return Err(fail(step, "is not the block's transaction at that place"));
    }
    let scheduled = block.receipt_hashes.len() - block.tx_hashes.len();
    if block.receipt_hashes[scheduled + index].0[..] != receipt.hash().0[..]
        || receipt.tx_hash != tx.hash()
    {
        return Err(fail(step, "the receipt is not the block's receipt of it"));
    }
    tx.check_stateless(chain_id, usize::MAX)
        .map_err(|e| fail(step, e))?;
    Ok((tx, receipt))
}
