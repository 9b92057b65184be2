//! Read-only questions of committed state: nonces, members, validators, governance, evidence, and contract queries.

use super::*;

/// The next nonce of `account`, 0 if it never sent a transaction.
pub fn nonce(
    state: &dyn StateReader,
    account: &catena_primitives::AccountId,
) -> Result<u64, ExecutionError> {
    read_entry::<u64>(state, &keys::nonce(account)).map(|n| n.unwrap_or(0))
}

/// The member account record of `account`, if it is a member's.
pub fn member(
    state: &dyn StateReader,
    account: &catena_primitives::AccountId,
) -> Result<Option<MemberAccount>, ExecutionError> {
    read_entry(state, &keys::member(account))
}

/// Calls a contract method read-only, on top of `state`, as `caller`: whatever it writes is
/// dropped. For queries by the API and tests; `context` is the block it pretends to run in.
/// The node holds one of its chain's [`wasm::QUERIES_PER_CHAIN`] places around it.
pub fn query_contract(
    state: &dyn StateReader,
    context: &BlockContext,
    caller: AccountId,
    contract: &Hash,
    method: &str,
    input: &[u8],
) -> Result<Vec<u8>, String> {
    let empty = Changes::new();
    let mut overlay = Overlay {
        base: state,
        block: &empty,
        tx: Changes::new(),
    };
    match contracts::call(&mut overlay, context, caller, contract, method, input) {
        Ok(produced) => Ok(produced.output),
        Err(contracts::Failure::Call(message, _) | contracts::Failure::State(message)) => {
            Err(message)
        }
    }
}

/// The validator set that certifies the block after the state's, in order.
pub fn validators(state: &dyn StateReader) -> Result<Vec<ValidatorEntry>, ExecutionError> {
    read_entry(state, keys::VALIDATORS).map(Option::unwrap_or_default)
}

/// The members' registered nodes (those that do not validate), in key order: with the
/// validators, the peers allowed on the chain's network.
pub fn member_nodes(
    state: &dyn StateReader,
) -> Result<Vec<catena_schema::registry::NodeRecord>, ExecutionError> {
    let prefix = keys::registry_entry(catena_schema::registry::keys::NODE);
    crate::state::scan(state, &prefix, None, usize::MAX).map(|(all, _)| all)
}

/// Every grant to auditor `uscc` in the registry, in force or not (DOMAIN.md "Who may read
/// what"): what the API shows an auditor.
pub fn audit_grants(
    state: &dyn StateReader,
    uscc: &str,
) -> Result<Vec<catena_schema::registry::AuditGrant>, ExecutionError> {
    let prefix = keys::registry_entry(&catena_schema::registry::keys::grants_prefix(uscc));
    crate::state::scan(state, &prefix, None, usize::MAX).map(|(all, _)| all)
}

/// The parachain proposals (registrations and recoveries), by id.
pub fn parachain_proposals(
    state: &dyn StateReader,
) -> Result<Vec<crate::parachains::ParachainProposal>, ExecutionError> {
    crate::state::scan(state, keys::PARACHAIN_PROPOSAL_PREFIX, None, usize::MAX).map(|(all, _)| all)
}

/// The chain's governance, if it has one.
pub fn governance(state: &dyn StateReader) -> Result<Option<ValidatorGovernance>, ExecutionError> {
    read_entry(state, keys::GOVERNANCE)
}

/// Decodes proposal entries read from the state under [`keys::PROPOSAL_PREFIX`].
pub fn proposals(
    entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
) -> Result<Vec<ValidatorSetProposal>, ExecutionError> {
    entries
        .into_iter()
        .map(|(key, bytes)| decode_entry(&key, Some(bytes)).map(|p| p.expect("present")))
        .collect()
}

/// A governance proposal by id.
pub fn proposal(
    state: &dyn StateReader,
    id: u64,
) -> Result<Option<ValidatorSetProposal>, ExecutionError> {
    read_entry(state, &keys::proposal(id))
}

/// An equivocation recorded on chain, if any.
pub fn recorded_equivocation(
    state: &dyn StateReader,
    signer: &AccountId,
    height: u64,
    round: u32,
    kind: u8,
) -> Result<Option<Equivocation>, ExecutionError> {
    read_entry(state, &keys::evidence(signer, height, round, kind))
}
