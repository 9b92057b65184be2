//! The `dev` (one validator) and `local` (N validators) chain specs with demo members.
//!
//! Demo keys are derived from their names, so every dev chain has the same accounts: they are
//! for local testing only and must never hold anything of value.

use catena_primitives::{Hash, SecretKey};

use crate::{
    artifacts, peer_id, uscc, BuiltSpec, ChainSpec, DemoKey, GenesisContract, Member, Parameters,
    Role, Validator, ValidatorGovernance,
};

/// The demo consortium of DOMAIN.md: (key name, member name, USCC without check, role).
const DEMO_MEMBERS: [(&str, &str, &str, Role); 7] = [
    (
        "huaxia-motors",
        "Huaxia Motors Co., Ltd.",
        "91310000MA1FL0001",
        Role::Core,
    ),
    (
        "tier1-steel",
        "Tier-1 Steel Works Co., Ltd.",
        "91320500MA1MX0002",
        Role::Supplier,
    ),
    (
        "tier2-parts",
        "Tier-2 Precision Parts Co., Ltd.",
        "91330200MA2AB0003",
        Role::Supplier,
    ),
    (
        "tier3-materials",
        "Tier-3 Raw Materials Co., Ltd.",
        "91340100MA2CD0004",
        Role::Supplier,
    ),
    (
        "merchant-bank",
        "Merchant Bank Shanghai Branch",
        "91310000MA1GH0005",
        Role::Financier,
    ),
    (
        "swift-logistics",
        "Swift Logistics Co., Ltd.",
        "91440300MA5EF0006",
        Role::Logistics,
    ),
    (
        "audit-office",
        "Consortium Audit Office",
        "12100000MB0JK0007",
        Role::Auditor,
    ),
];

/// Which demo members run validators, in turn.
const VALIDATOR_OPERATORS: [usize; 4] = [0, 4, 5, 1];

/// The system contracts (registry, records, cash, voucher) from the artifacts built into the
/// node.
pub fn system_contracts() -> Vec<GenesisContract> {
    catena_schema::names::SYSTEM
        .iter()
        .map(|name| {
            let code = format!("{name}.wasm");
            GenesisContract {
                name: name.to_string(),
                code_hash: artifacts::hash_of(&code).expect("every system contract is embedded"),
                code,
            }
        })
        .collect()
}

/// The deterministic demo key for `name`.
pub fn demo_key(name: &str) -> DemoKey {
    let seed = Hash::digest(format!("catena-demo-key/{name}").as_bytes()).0;
    DemoKey {
        name: name.to_string(),
        secret: SecretKey::from_seed(seed),
    }
}

/// A dev chain: one validator run by the core enterprise, the seven demo members.
pub fn build_dev(genesis_time_ms: u64) -> BuiltSpec {
    build("catena-dev", 1, genesis_time_ms, 30_333)
}

/// A local testnet of `validators` validators on 127.0.0.1, ports from 30333 up.
pub fn build_local(validators: usize, genesis_time_ms: u64) -> BuiltSpec {
    build("catena-local", validators, genesis_time_ms, 30_333)
}

/// [`build_local`] with the validators' p2p ports from `first_port` up.
pub fn build_local_at(validators: usize, genesis_time_ms: u64, first_port: u16) -> BuiltSpec {
    build("catena-local", validators, genesis_time_ms, first_port)
}

/// A local chain named `chain_id` (for a node hosting several chains): the demo members, and
/// `validators` validators on 127.0.0.1 from `first_port` up whose vote and network keys are
/// the chain's own (`<chain_id>-validator-<i>` and `…-network`), so that no two chains share a
/// validator key.
pub fn build_named(
    chain_id: &str,
    validators: usize,
    genesis_time_ms: u64,
    first_port: u16,
) -> BuiltSpec {
    build(chain_id, validators, genesis_time_ms, first_port)
}

/// The prefix of a chain's validator key names: none for the dev and local chains (whose keys
/// existing homes hold), the chain id for any other.
fn key_prefix(chain_id: &str) -> String {
    match chain_id {
        "catena-dev" | "catena-local" => String::new(),
        other => format!("{other}-"),
    }
}

fn build(chain_id: &str, validators: usize, genesis_time_ms: u64, first_port: u16) -> BuiltSpec {
    let prefix = key_prefix(chain_id);
    let member_keys: Vec<DemoKey> = DEMO_MEMBERS.iter().map(|(key, ..)| demo_key(key)).collect();
    let members = DEMO_MEMBERS
        .iter()
        .zip(&member_keys)
        .map(|((_, name, code, role), key)| Member {
            name: name.to_string(),
            uscc: uscc::with_check(code),
            roles: vec![*role],
            accounts: vec![key.secret.account()],
            nodes: Vec::new(),
        })
        .collect::<Vec<_>>();
    let validator_keys: Vec<(DemoKey, DemoKey)> = (1..=validators)
        .map(|i| {
            (
                demo_key(&format!("{prefix}validator-{i}")),
                demo_key(&format!("{prefix}validator-{i}-network")),
            )
        })
        .collect();
    let validators: Vec<Validator> = validator_keys
        .iter()
        .enumerate()
        .map(|(i, (vote_key, network_key))| Validator {
            member: members[VALIDATOR_OPERATORS[i % VALIDATOR_OPERATORS.len()]]
                .name
                .clone(),
            account: vote_key.secret.account(),
            peer_id: peer_id::from_ed25519(&network_key.secret.account()),
            address: format!("/ip4/127.0.0.1/tcp/{}", first_port + i as u16),
        })
        .collect();
    // The members that run validators govern; a majority of them must approve a change.
    let mut governors: Vec<String> = Vec::new();
    for validator in &validators {
        if !governors.contains(&validator.member) {
            governors.push(validator.member.clone());
        }
    }
    let governance = ValidatorGovernance {
        threshold: governors.len() as u32 / 2 + 1,
        members: governors,
    };
    let spec = ChainSpec {
        chain_id: chain_id.into(),
        genesis_time_ms,
        members,
        validators,
        // The demo consortium's chains (dev, local testnets, the demo) let a factor exercise
        // recourse as soon as an unpaid part is overdue; a production spec keeps the 30 days.
        parameters: Parameters {
            recourse_grace_days: 0,
            ..Parameters::default()
        },
        governance,
        contracts: system_contracts(),
        parachain: None,
    };
    BuiltSpec {
        spec,
        member_keys,
        validator_keys,
        follower_keys: Vec::new(),
    }
}

/// Which demo members run the followers, in turn: those that run no validator.
const FOLLOWER_OPERATORS: [usize; 3] = [2, 3, 6];

impl BuiltSpec {
    /// Adds `followers` nodes that do not validate (network keys `follower-J-network`), each
    /// registered in the spec as a node of a demo member that runs no validator.
    pub fn add_followers(&mut self, followers: usize) {
        for _ in 0..followers {
            let n = self.follower_keys.len();
            let prefix = key_prefix(&self.spec.chain_id);
            let key = demo_key(&format!("{prefix}follower-{}-network", n + 1));
            let operator = FOLLOWER_OPERATORS[n % FOLLOWER_OPERATORS.len()];
            if let Some(member) = self.spec.members.get_mut(operator) {
                member.nodes.push(key.secret.account());
            }
            self.follower_keys.push(key);
        }
    }
}
