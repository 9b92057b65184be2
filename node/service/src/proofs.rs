//! Proofs an outsider checks offline (ADR 0031 decision 4), built from a node's stores: an entry
//! of a chain's state under a header certified from its genesis validators, and a parachain
//! entry through its anchor on the main chain.

use catena_primitives::parachain::{anchor_key, AnchoredBlock, ANCHOR_PREFIX};
use catena_primitives::through_anchor::{Certified, Entry, InState, ThroughAnchor};
use parity_scale_codec::Decode;

use crate::anchor::handover_of;
use crate::chain::ChainInstance;

/// Why a proof cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// Nothing to prove it with yet (no anchor at or above the height asked for, say).
    #[error("{0}")]
    Unavailable(String),
    /// The node's store failed.
    #[error("{0}")]
    Store(String),
}

fn store_error(e: impl std::fmt::Display) -> ProofError {
    ProofError::Store(e.to_string())
}

/// Committed header `height` of `chain`, reached from the chain's genesis validators through
/// each handover below it.
pub fn certified(chain: &ChainInstance, height: u64) -> Result<Certified, ProofError> {
    let handovers = chain
        .store()
        .handovers(height)
        .map_err(store_error)?
        .into_iter()
        .map(|h| handover_of(chain, h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ProofError::Store)?;
    Ok(Certified {
        chain_id: chain.spec().chain_id.clone(),
        handovers,
        header: handover_of(chain, height).map_err(ProofError::Store)?,
    })
}

fn entry(chain: &ChainInstance, key: &[u8], height: u64) -> Result<Entry, ProofError> {
    let (value, proof) = chain
        .store()
        .state_with_proof(key, height)
        .map_err(store_error)?;
    Ok(Entry {
        key: key.to_vec(),
        value,
        proof,
    })
}

/// `key` (or its absence) in `chain`'s state at its latest block, certified from its genesis.
pub fn in_state(chain: &ChainInstance, key: &[u8]) -> Result<InState, ProofError> {
    let height = chain.tip().map_err(store_error)?.height;
    in_state_at(chain, key, height)
}

/// `key` (or its absence) in `chain`'s state at committed block `height`, certified from its
/// genesis.
pub fn in_state_at(chain: &ChainInstance, key: &[u8], height: u64) -> Result<InState, ProofError> {
    let tip = chain.tip().map_err(store_error)?.height;
    if height > tip {
        return Err(ProofError::Unavailable(format!(
            "block {height} of {} is not committed yet (latest is {tip})",
            chain.spec().chain_id
        )));
    }
    Ok(InState {
        at: certified(chain, height)?,
        entry: entry(chain, key, height)?,
    })
}

/// `key` (or its absence) in `para`'s state at its first block anchored on `main` at or above
/// `from` (the latest anchored block if `None`), proved from the main chain's genesis through
/// the anchor in the main chain's latest state.
pub fn through_anchor(
    main: &ChainInstance,
    para: &ChainInstance,
    key: &[u8],
    from: Option<u64>,
) -> Result<ThroughAnchor, ProofError> {
    let para_id = para.spec().chain_id.clone();
    let store = main.store();
    let prefix = [ANCHOR_PREFIX, para_id.as_bytes(), b"/"].concat();
    let found = match from {
        Some(height) => {
            // The first anchor key at or above `height` (keys sort by big-endian height).
            let after = height
                .checked_sub(1)
                .map(|below| anchor_key(&para_id, below));
            store.state_next(&prefix, after.as_deref())
        }
        None => {
            let record =
                catena_runtime::parachains::parachain(&crate::chain::StoreState(store), &para_id)
                    .map_err(store_error)?;
            match record.and_then(|r| r.head) {
                Some(head) => store
                    .state_get(&anchor_key(&para_id, head.height))
                    .map(|v| v.map(|v| (anchor_key(&para_id, head.height), v))),
                None => Ok(None),
            }
        }
    }
    .map_err(store_error)?;
    let Some((_, anchored)) = found else {
        return Err(ProofError::Unavailable(match from {
            Some(height) => format!(
                "no block of {para_id} at or above {height} is anchored on {} yet",
                main.spec().chain_id
            ),
            None => format!(
                "no block of {para_id} is anchored on {} yet",
                main.spec().chain_id
            ),
        }));
    };
    let anchored = AnchoredBlock::decode(&mut &anchored[..]).map_err(store_error)?;
    let tip = main.tip().map_err(store_error)?.height;
    let (_, anchor_proof) = store
        .state_with_proof(&anchor_key(&para_id, anchored.height), tip)
        .map_err(store_error)?;
    let para_tip = para.tip().map_err(store_error)?.height;
    if anchored.height > para_tip {
        return Err(ProofError::Unavailable(format!(
            "{para_id} block {} is anchored but this node has only reached {para_tip}",
            anchored.height
        )));
    }
    Ok(ThroughAnchor {
        main: certified(main, tip)?,
        para_id,
        entry: entry(para, key, anchored.height)?,
        anchored,
        anchor_proof,
    })
}
