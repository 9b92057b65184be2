//! The state entries of a new chain.

use super::*;

/// A contract a new chain starts with: created under [`system_contract_id`] of its name, owned
/// by nobody (changed only by a coordinated upgrade of the chain), its `init` run with `init`.
///
/// [`system_contract_id`]: catena_primitives::system_contract_id
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisContract {
    pub name: String,
    pub code: Vec<u8>,
    pub init: Option<Vec<u8>>,
}

/// The state entries of a new chain: the members and their nodes in the registry's storage, the
/// validator set, the governance, and the genesis contracts (their code, records and `init`).
pub fn genesis_changes(
    members: &[catena_schema::registry::MemberRecord],
    nodes: &[catena_schema::registry::NodeRecord],
    validators: &[ValidatorEntry],
    governance: &ValidatorGovernance,
    contracts: &[GenesisContract],
    parachains: &[catena_primitives::parachain::ParachainRegistration],
    context: &BlockContext,
) -> Result<Changes, ExecutionError> {
    let mut changes: Changes = members
        .iter()
        .flat_map(|member| member.entries())
        .chain(nodes.iter().map(|node| {
            (
                catena_schema::registry::keys::node_key(&node.key),
                node.encode(),
            )
        }))
        .map(|(key, value)| (keys::registry_entry(&key), Some(value)))
        .collect();
    governance::genesis(&mut changes, validators, governance);
    let empty = NoState;
    for contract in contracts {
        let id = catena_primitives::system_contract_id(&contract.name);
        let corrupt = |reason: String| ExecutionError::Corrupt {
            key: format!("genesis contract '{}'", contract.name),
            reason,
        };
        let mut overlay = Overlay {
            base: &empty,
            block: &changes,
            tx: Changes::new(),
        };
        let hash = wasm::shared()
            .validate(&contract.code)
            .map_err(|e| corrupt(e.to_string()))?;
        overlay.put(keys::code(&hash), contract.code.clone());
        let record = contracts::ContractRecord {
            code_hash: hash,
            owner: AccountId([0; 32]),
            created_at: 0,
            upgrades: Vec::new(),
        };
        overlay.put(keys::contract(&id), record.encode());
        if let Some(input) = &contract.init {
            contracts::run_init(&mut overlay, context, &id, &contract.code, input).map_err(
                |failure| match failure {
                    contracts::Failure::Call(message, _) | contracts::Failure::State(message) => {
                        corrupt(format!("init failed: {message}"))
                    }
                },
            )?;
        }
        let written = overlay.tx;
        changes.extend(written);
    }
    for registration in parachains {
        let mut overlay = Overlay {
            base: &empty,
            block: &changes,
            tx: Changes::new(),
        };
        crate::parachains::register_at_genesis(&mut overlay, context, registration).map_err(
            |reason| ExecutionError::Corrupt {
                key: format!("genesis parachain '{}'", registration.id),
                reason,
            },
        )?;
        let written = overlay.tx;
        changes.extend(written);
    }
    Ok(changes)
}
