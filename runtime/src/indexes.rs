//! Contracts' index entries derived again from committed state (ADR 0049). Index entries are
//! kept with the state but left out of the state tree, so a snapshot (which carries only what
//! the tree proves) does not bring them: a node that restored one asks each contract that keeps
//! an index for its entries, a page at a time, from the restored state.

use super::*;

/// The most entries one page of a contract's `reindex` may return.
pub const MAX_REINDEX_PAGE: usize = 4_096;

/// The fuel one page of `reindex` may burn: a bound on a runaway contract, not a price (the
/// node derives its own copy, outside any block), so not the chain's `max_tx_fuel`, which may
/// be set low.
pub const REINDEX_PAGE_FUEL: u64 = 1_000_000_000;

/// The contracts whose code exports [`catena_abi::REINDEX_METHOD`], in id order.
pub fn indexed_contracts(state: &dyn StateReader) -> Result<Vec<Hash>, ExecutionError> {
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, bytes)) = state.next(keys::CONTRACT_PREFIX, after.as_deref())? {
        let record: contracts::ContractRecord = decode_entry(&key, Some(bytes))?.expect("present");
        let id = Hash(key[keys::CONTRACT_PREFIX.len()..].try_into().map_err(|_| {
            ExecutionError::Corrupt {
                key: keys::describe(&key),
                reason: "a contract record's key holds no 32-byte id".into(),
            }
        })?);
        let code =
            state
                .get(&keys::code(&record.code_hash))?
                .ok_or_else(|| ExecutionError::Corrupt {
                    key: keys::describe(&key),
                    reason: format!("contract {id}'s code {} is not stored", record.code_hash),
                })?;
        if wasm::shared().exports(&code, catena_abi::REINDEX_METHOD) {
            out.push(id);
        }
        after = Some(key);
    }
    Ok(out)
}

/// One page of the index entries `contract` derives from `state`, after where the last page
/// ended (`None`: from the first): their state keys and values, and where the next page starts
/// (`None`: this was the last). Each key must be under the contract's
/// [`catena_abi::INDEX_PREFIX`].
pub fn reindex_page(
    state: &dyn StateReader,
    context: &BlockContext,
    contract: &Hash,
    after: Option<Vec<u8>>,
) -> Result<ReindexPage, String> {
    let context = BlockContext {
        max_tx_fuel: context.max_tx_fuel.max(REINDEX_PAGE_FUEL),
        ..context.clone()
    };
    let output = query_contract(
        state,
        &context,
        AccountId([0; 32]),
        contract,
        catena_abi::REINDEX_METHOD,
        &after.encode(),
    )?;
    let after = after.as_deref();
    let (entries, next): catena_schema::Reindexed =
        catena_primitives::decode_limited(&output, catena_abi::MAX_RETURN_BYTES)
            .map_err(|e| format!("contract {contract}'s {REINDEX} answered {e}"))?;
    if entries.len() > MAX_REINDEX_PAGE {
        return Err(format!(
            "contract {contract}'s {REINDEX} answered {} entries in one page (at most {MAX_REINDEX_PAGE})",
            entries.len()
        ));
    }
    // A page may hold no entry (its records derive none), but the cursor must move on.
    if next.as_deref().is_some_and(|n| Some(n) <= after) {
        return Err(format!(
            "contract {contract}'s {REINDEX} answered a next page that does not start after \
             this one: it would never end"
        ));
    }
    let entries = entries
        .into_iter()
        .map(|(key, value)| {
            if !key.starts_with(catena_abi::INDEX_PREFIX) {
                return Err(format!(
                    "contract {contract}'s {REINDEX} answered the entry {}, which is not an \
                     index entry",
                    keys::describe(&key)
                ));
            }
            Ok((keys::contract_storage(contract, &key), value))
        })
        .collect::<Result<_, _>>()?;
    Ok(ReindexPage { entries, next })
}

const REINDEX: &str = catena_abi::REINDEX_METHOD;

/// A page of index entries, under their state keys.
#[derive(Debug, Default)]
pub struct ReindexPage {
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    pub next: Option<Vec<u8>>,
}

/// Every index entry of every contract that keeps an index, derived from `state`, handed to
/// `sink` a page at a time. Returns how many there were.
pub fn rebuild_indexes(
    state: &dyn StateReader,
    context: &BlockContext,
    mut sink: impl FnMut(Vec<(Vec<u8>, Vec<u8>)>) -> Result<(), String>,
) -> Result<u64, String> {
    let mut count = 0u64;
    for contract in indexed_contracts(state).map_err(|e| e.to_string())? {
        let mut after = None;
        loop {
            let page = reindex_page(state, context, &contract, after.take())?;
            count += page.entries.len() as u64;
            sink(page.entries)?;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(count)
}

#[cfg(test)]
#[path = "indexes_tests.rs"]
mod tests;
