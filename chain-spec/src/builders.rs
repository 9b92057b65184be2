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

/// The system contracts (registry, records, cash, voucher, receipts, lending) from the artifacts built into the
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
        parachains: Vec::new(),
        invoice_key_check: None,
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

impl BuiltSpec {
    /// Keeps only the demo members named (by key name, such as `tier1-steel`), for a chain of
    /// part of the consortium (a parachain of one supply chain). The validators stay; each is
    /// run by the member that ran it if kept, else by the kept members in turn; the members
    /// that run validators govern, a majority approving. Follower nodes of a member dropped are
    /// dropped with it. An unknown name, or none, is refused.
    pub fn keep_members(&mut self, names: &[&str]) -> Result<(), String> {
        let mut kept = Vec::new();
        for name in names {
            let Some(index) = DEMO_MEMBERS.iter().position(|(key, ..)| key == name) else {
                let known: Vec<&str> = DEMO_MEMBERS.iter().map(|(key, ..)| *key).collect();
                return Err(format!(
                    "'{name}' is not a demo member (they are {})",
                    known.join(", ")
                ));
            };
            kept.push(DEMO_MEMBERS[index].1.to_string());
        }
        if kept.is_empty() {
            return Err("a chain needs at least one member".into());
        }
        self.spec.members.retain(|m| kept.contains(&m.name));
        let mut next = 0;
        for validator in &mut self.spec.validators {
            if !kept.contains(&validator.member) {
                validator.member = kept[next % kept.len()].clone();
                next += 1;
            }
        }
        let mut governors: Vec<String> = Vec::new();
        for validator in &self.spec.validators {
            if !governors.contains(&validator.member) {
                governors.push(validator.member.clone());
            }
        }
        self.spec.governance = ValidatorGovernance {
            threshold: governors.len() as u32 / 2 + 1,
            members: governors,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_of_part_of_the_consortium_keeps_its_validators() {
        let mut built = build_named("supply-a", 4, 1_767_225_600_000, 31_000);
        built.add_followers(2);
        built
            .keep_members(&["huaxia-motors", "merchant-bank", "tier3-materials"])
            .expect("kept");
        let names: Vec<&str> = built.spec.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Huaxia Motors Co., Ltd.",
                "Tier-3 Raw Materials Co., Ltd.",
                "Merchant Bank Shanghai Branch"
            ]
        );
        // validators 3 and 4 (Swift Logistics', Tier-1's) pass to the kept members in turn
        let operators: Vec<&str> = built
            .spec
            .validators
            .iter()
            .map(|v| v.member.as_str())
            .collect();
        assert_eq!(
            operators,
            [
                "Huaxia Motors Co., Ltd.",
                "Merchant Bank Shanghai Branch",
                "Huaxia Motors Co., Ltd.",
                "Merchant Bank Shanghai Branch"
            ]
        );
        assert_eq!(built.spec.governance.threshold, 2);
        // follower 2 is Tier-3's and stays; follower 1 (Tier-2's) went with its member
        let nodes: usize = built.spec.members.iter().map(|m| m.nodes.len()).sum();
        assert_eq!(nodes, 1);
        assert_eq!(built.spec.validate().map_err(|e| format!("{e:?}")), Ok(()));
        let refused = built.keep_members(&["nobody"]).expect_err("unknown");
        assert!(
            refused.contains("'nobody' is not a demo member"),
            "{refused}"
        );
    }
}
