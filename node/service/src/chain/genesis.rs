//! Genesis: the first block of a chain from its spec — the members in the registry, the
//! validator set and governance, and the system contracts with the `init` input each is built
//! with. The generic runtime knows none of these contracts' configurations: they are built here.

use catena_chain_spec::ChainSpec;
use catena_primitives::{
    system_contract_id, AccountId, Block, CommitCertificate, Hash, Header, Receipt, ValidatorSet,
};
use catena_runtime::{BlockContext, GenesisContract, ValidatorEntry};
use catena_schema::names;
use catena_storage::Store;
use parity_scale_codec::Encode;

use super::ChainError;

/// What executing block `height` at `time_ms` of this chain may know: its chain id and fuel
/// limits from the spec.
pub fn block_context(spec: &ChainSpec, height: u64, time_ms: u64) -> BlockContext {
    BlockContext {
        chain_id: spec.chain_id.clone(),
        height,
        time_ms,
        max_tx_fuel: spec.parameters.max_tx_fuel,
        max_block_fuel: spec.parameters.max_block_fuel,
        invoice_key: None,
        main: spec
            .parachain
            .as_ref()
            .map(|section| catena_runtime::invoices::MainChain {
                chain_id: section.main_chain_id.clone(),
                genesis_validators: section.main_validators.clone(),
            }),
    }
}

/// Every member with its accounts, and every validator's account as an account of its member (so
/// that a validator can sign transactions, such as evidence reports).
pub fn genesis_members(spec: &ChainSpec) -> Vec<catena_schema::registry::MemberRecord> {
    spec.members
        .iter()
        .map(|member| {
            let mut accounts: Vec<[u8; 32]> = member.accounts.iter().map(|a| a.0).collect();
            for validator in spec.validators.iter().filter(|v| v.member == member.name) {
                if !accounts.contains(&validator.account.0) {
                    accounts.push(validator.account.0);
                }
            }
            catena_schema::registry::MemberRecord {
                name: member.name.clone(),
                uscc: member.uscc.clone(),
                roles: member.roles.clone(),
                accounts,
            }
        })
        .collect()
}

/// Every member's nodes listed in the spec, for the registry.
pub fn genesis_nodes(spec: &ChainSpec) -> Vec<catena_schema::registry::NodeRecord> {
    spec.members
        .iter()
        .flat_map(|member| {
            member
                .nodes
                .iter()
                .map(|key| catena_schema::registry::NodeRecord {
                    key: key.0,
                    uscc: member.uscc.clone(),
                })
        })
        .collect()
}

/// The genesis contracts of the spec, with their code and, for system contracts, `init` input.
pub fn genesis_contracts(spec: &ChainSpec) -> Result<Vec<GenesisContract>, ChainError> {
    let uscc_of = |name: &String| {
        spec.members
            .iter()
            .find(|m| &m.name == name)
            .map(|m| m.uscc.clone())
            .unwrap_or_default()
    };
    let params = SystemParams {
        governance: catena_schema::registry::MembershipGovernance {
            members: spec.governance.members.iter().map(uscc_of).collect(),
            threshold: spec.governance.threshold,
        },
        currency: spec.parameters.currency.clone(),
        min_part: spec.parameters.voucher_min_part,
        max_parts: spec.parameters.voucher_max_parts,
        recourse_grace_days: spec.parameters.recourse_grace_days,
        loan_to_value_percent: spec.parameters.loan_to_value_percent,
        deployed: spec.contracts.iter().map(|c| c.name.clone()).collect(),
    };
    spec.contracts
        .iter()
        .map(|contract| {
            let code = contract.load_checked().map_err(|e| {
                ChainError::Genesis(match e {
                    catena_chain_spec::CodeError::Load(reason) => {
                        format!("contract '{}': {reason}", contract.name)
                    }
                    catena_chain_spec::CodeError::Hash { found } => format!(
                        "contract '{}': the code's SHA-256 is {found}, the chain spec says {}",
                        contract.name, contract.code_hash
                    ),
                })
            })?;
            Ok(GenesisContract {
                name: contract.name.clone(),
                init: system_init(&contract.name, &params),
                code,
            })
        })
        .collect()
}

/// What genesis passes to the system contracts' `init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemParams {
    /// The governing members' USCCs and how many must approve a membership change.
    pub governance: catena_schema::registry::MembershipGovernance,
    pub currency: String,
    pub min_part: u64,
    pub max_parts: u32,
    /// Days after maturity before a factor may exercise recourse.
    pub recourse_grace_days: u32,
    /// The most a loan on a warehouse receipt may be of its appraised value, in percent.
    pub loan_to_value_percent: u32,
    /// The names of the contracts genesis deploys: a system contract names another (to call it,
    /// or to let it call) only if it is deployed.
    pub deployed: Vec<String>,
}

/// The `init` argument of system contract `name`, or `None` for a contract that is not one.
pub fn system_init(name: &str, params: &SystemParams) -> Option<Vec<u8>> {
    let id = |name: &str| system_contract_id(name).0;
    // The ids of those of `names` genesis deploys.
    let deployed = |names: &[&str]| -> Vec<[u8; 32]> {
        names
            .iter()
            .filter(|n| params.deployed.iter().any(|d| d == *n))
            .map(|n| id(n))
            .collect()
    };
    Some(match name {
        names::REGISTRY => catena_schema::registry::Init {
            governance: params.governance.clone(),
            dependents: deployed(&[names::CASH, names::VOUCHER, names::RECEIPTS, names::LENDING]),
            lines: Some(id(names::VOUCHER)),
        }
        .encode(),
        names::RECORDS => catena_schema::records::Init {
            registry: id(names::REGISTRY),
            quality: catena_schema::records::QualityModel::default(),
        }
        .encode(),
        names::CASH => catena_schema::cash::Init {
            registry: id(names::REGISTRY),
            operators: deployed(&[names::VOUCHER, names::LENDING]),
            currency: params.currency.clone(),
        }
        .encode(),
        names::VOUCHER => catena_schema::voucher::Config {
            registry: id(names::REGISTRY),
            records: id(names::RECORDS),
            cash: id(names::CASH),
            own_id: id(names::VOUCHER),
            currency: params.currency.clone(),
            min_part: params.min_part,
            max_parts: params.max_parts,
            settle_batch: 16,
            recourse_grace_ms: u64::from(params.recourse_grace_days) * 86_400_000,
            lending: deployed(&[names::LENDING]).first().copied(),
        }
        .encode(),
        names::LENDING => catena_schema::lending::Init {
            registry: id(names::REGISTRY),
            records: id(names::RECORDS),
            cash: id(names::CASH),
            receipts: id(names::RECEIPTS),
            own_id: id(names::LENDING),
            currency: params.currency.clone(),
            credit: catena_schema::lending::CreditRule::default(),
            ltv_bps: params.loan_to_value_percent * 100,
            operators: deployed(&[names::VOUCHER]),
        }
        .encode(),
        names::RECEIPTS => catena_schema::receipts::Init {
            registry: id(names::REGISTRY),
            records: id(names::RECORDS),
            operators: deployed(&[names::LENDING]),
        }
        .encode(),
        _ => return None,
    })
}

/// Writes block 0 of `spec` to `store` on first use, or checks that the stored one is it:
/// its hash and the genesis validator set.
/// The hash of the genesis block `spec` makes, computed in a scratch store in the system's
/// temporary directory (removed afterwards): what a parachain's registration on the main chain,
/// and a parachain's spec, name.
pub fn genesis_hash(spec: &ChainSpec) -> Result<Hash, ChainError> {
    static SCRATCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let scratch = std::env::temp_dir().join(format!(
        "catena-genesis-{}-{}",
        std::process::id(),
        SCRATCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let result = Store::open(&scratch)
        .map_err(ChainError::from)
        .and_then(|store| write(spec, &store).map(|(hash, _)| hash));
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

pub(super) fn write(spec: &ChainSpec, store: &Store) -> Result<(Hash, ValidatorSet), ChainError> {
    let validators = spec.validator_set();
    let members = genesis_members(spec);
    let entries: Vec<ValidatorEntry> = spec
        .validators
        .iter()
        .map(|v| ValidatorEntry {
            account: v.account,
            member: v.member.clone(),
            peer_id: v.peer_id.clone(),
            address: v.address.clone(),
        })
        .collect();
    let governance = catena_runtime::ValidatorGovernance {
        members: spec.governance.members.clone(),
        threshold: spec.governance.threshold,
    };
    let genesis_context = block_context(spec, 0, spec.genesis_time_ms);
    let mut genesis_changes = catena_runtime::genesis_changes(
        &members,
        &genesis_nodes(spec),
        &entries,
        &governance,
        &genesis_contracts(spec)?,
        &spec.parachains,
        &genesis_context,
    )?;
    if let Some(check) = spec.invoice_key_check {
        genesis_changes.insert(
            catena_primitives::invoice::KEY_CHECK_KEY.to_vec(),
            Some(check.encode()),
        );
    }
    let state = store.prepare_state(0, genesis_changes)?;
    let genesis = Block {
        header: Header {
            chain_id: spec.chain_id.clone(),
            height: 0,
            parent_hash: Hash::ZERO,
            time_ms: spec.genesis_time_ms,
            proposer: AccountId([0; 32]),
            tx_root: Block::compute_tx_root(&[]),
            state_root: state.state_root,
            receipts_root: Receipt::compute_root(&[]),
            validator_set_hash: validators.hash(),
        },
        transactions: Vec::new(),
    };
    let genesis_hash = genesis.hash();
    match store.header(0)? {
        Some(stored) if stored.hash() != genesis_hash => {
            return Err(ChainError::GenesisMismatch {
                chain_id: spec.chain_id.clone(),
                stored: stored.hash(),
                expected: genesis_hash,
            })
        }
        Some(_) => {}
        None => {
            // The chain spec certifies genesis: its certificate carries no signatures.
            let certificate = CommitCertificate {
                height: 0,
                round: 0,
                block_hash: genesis_hash,
                signatures: Vec::new(),
            };
            store.commit(&genesis, &certificate, &[], &[], state)?;
            tracing::info!(target: "chain", chain = %spec.chain_id, %genesis_hash, "genesis written");
        }
    }
    Ok((genesis_hash, validators))
}

#[cfg(test)]
mod tests {
    use super::*;
    use parity_scale_codec::Decode;

    /// A chain deploying only some system contracts: none is told to call or trust one that is
    /// not there.
    #[test]
    fn system_contracts_name_only_those_deployed() {
        let params = |deployed: &[&str]| SystemParams {
            governance: Default::default(),
            currency: "CNY".into(),
            min_part: 100,
            max_parts: 10,
            recourse_grace_days: 30,
            loan_to_value_percent: 70,
            deployed: deployed.iter().map(|n| n.to_string()).collect(),
        };
        let id = |name: &str| system_contract_id(name).0;
        let voucher_of = |p: &SystemParams| {
            let init = system_init(names::VOUCHER, p).expect("a system contract");
            catena_schema::voucher::Config::decode(&mut &init[..]).expect("its config")
        };
        let registry_of = |p: &SystemParams| {
            let init = system_init(names::REGISTRY, p).expect("a system contract");
            catena_schema::registry::Init::decode(&mut &init[..]).expect("its config")
        };
        let all = params(&names::SYSTEM);
        assert_eq!(voucher_of(&all).lending, Some(id(names::LENDING)));
        assert_eq!(registry_of(&all).dependents.len(), 4);
        let without = params(&[names::REGISTRY, names::RECORDS, names::CASH, names::VOUCHER]);
        assert_eq!(voucher_of(&without).lending, None);
        assert_eq!(
            registry_of(&without).dependents,
            vec![id(names::CASH), id(names::VOUCHER)]
        );
        let cash = system_init(names::CASH, &without).expect("a system contract");
        let cash = catena_schema::cash::Init::decode(&mut &cash[..]).expect("its config");
        assert_eq!(cash.operators, vec![id(names::VOUCHER)]);
    }
}
